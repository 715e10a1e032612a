/*  ingest_server.h - the crier-ingest actor: takes frames from services (PULL, and ROUTER for
    those that want an answer), validates them, writes the accepted ones to its journal before
    answering, passes them to the resolver, follows their receipts on the event bus and sends
    again what has no news within its lease (docs/delivery.md).

    Commands on the actor's pipe:
      START  -> "OK", endpoint   replays the journal, opens the sockets and logs ingest.ready;
                                 the PULL endpoint as bound (port filled in), or "ERROR"
      $TERM                      stops the actor (after syncing the journal)
*/
#ifndef CRIER_INGEST_SERVER_H_INCLUDED
#define CRIER_INGEST_SERVER_H_INCLUDED

#include "ingest_config.h"

#include <czmq.h>

//  zactor function; args is a crier_ingest_config_t that must outlive the actor.
void crier_ingest_server (zsock_t *pipe, void *args);

#endif

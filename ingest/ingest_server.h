/*  ingest_server.h - the crier-ingest actor: takes frames from services, validates them, stamps
    the accepted ones and passes them to the resolver.

    Commands on the actor's pipe:
      START  -> "OK", endpoint   opens the sockets and logs ingest.ready; the endpoint as
                                 bound (port filled in), or "ERROR" after logging why
      STATS  -> accepted, rejected   counts as decimal strings
      $TERM                      stops the actor
*/
#ifndef CRIER_INGEST_SERVER_H_INCLUDED
#define CRIER_INGEST_SERVER_H_INCLUDED

#include "ingest_config.h"

#include <czmq.h>

//  zactor function; args is a crier_ingest_config_t that must outlive the actor.
void crier_ingest_server (zsock_t *pipe, void *args);

#endif

/*  ingest_server.h - the crier-ingest actor: takes frames from services, validates them, stamps
    the accepted ones and passes them to the resolver.

    Commands on the actor's pipe:
      START  -> "OK", endpoint   the ingest endpoint as bound (port filled in), or "ERROR"
      STATS  -> accepted, rejected   counts as decimal strings
      $TERM                      stops the actor
*/
#ifndef CRIER_INGEST_SERVER_H_INCLUDED
#define CRIER_INGEST_SERVER_H_INCLUDED

#include "ingest_config.h"

#include <czmq.h>

//  zactor function; args is a crier_ingest_config_t that must outlive the actor.
void crier_ingest_server (zsock_t *pipe, void *args);

//  Opens the sockets. Returns the bound ingest endpoint (caller frees), or NULL after the actor
//  logged why it could not start.
char *crier_ingest_server_start (zactor_t *server);

#endif

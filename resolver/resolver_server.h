/*  resolver_server.h - the crier-resolver actor: follows the mapping document, routes each
    notification from ingest to deliveries on its channels' sockets, and hosts the event bus.

    Commands on the actor's pipe:
      START  -> "OK", notifications endpoint as bound, or "ERROR"
      STATS  -> routed, unroutable, mapping revision ("" before any)
      $TERM                     stops the actor
*/
#ifndef CRIER_RESOLVER_SERVER_H_INCLUDED
#define CRIER_RESOLVER_SERVER_H_INCLUDED

#include "resolver_config.h"

#include <czmq.h>

//  zactor function; args is a crier_resolver_config_t that must outlive the actor.
void crier_resolver_server (zsock_t *pipe, void *args);

//  Binds and connects. Returns the bound notifications endpoint (caller frees), or NULL after
//  the actor logged why it could not start.
char *crier_resolver_server_start (zactor_t *server);

#endif

/*  resolver_server.h - the crier-resolver actor: follows the mapping document, routes each
    notification from ingest to deliveries on its channels' sockets, and hosts the event bus.

    Commands on the actor's pipe:
      START  -> "OK", notifications endpoint as bound (after logging resolver.ready), or
                "ERROR" after logging why
      $TERM                     stops the actor
*/
#ifndef CRIER_RESOLVER_SERVER_H_INCLUDED
#define CRIER_RESOLVER_SERVER_H_INCLUDED

#include "resolver_config.h"

#include <czmq.h>

//  zactor function; args is a crier_resolver_config_t that must outlive the actor.
void crier_resolver_server (zsock_t *pipe, void *args);

#endif

/*  gateway_server.h - crier-gateway's actor (docs/http.md): an HTTP front door to crier-ingest's
    acknowledged endpoint. A 2xx means what an "ok" answer means there: on disk. */
#ifndef CRIER_GATEWAY_SERVER_H_INCLUDED
#define CRIER_GATEWAY_SERVER_H_INCLUDED

#include <czmq.h>

//  The actor body; args is a crier_gateway_config_t that outlives it.
void crier_gateway_server (zsock_t *pipe, void *args);

#endif

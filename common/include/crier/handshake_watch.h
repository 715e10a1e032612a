/*  handshake_watch.h - one log line when a peer fails the CURVE handshake on a bound socket: a
    client without CURVE, or one that encrypted for another server key, never reaches the ZAP
    handler (which logs unknown keys), so ZeroMQ's socket monitor is the only one to see it. */
#ifndef CRIER_HANDSHAKE_WATCH_H_INCLUDED
#define CRIER_HANDSHAKE_WATCH_H_INCLUDED

#include <czmq.h>

typedef struct crier_handshake_watch_t crier_handshake_watch_t;

//  Watches sockets on loop. Returns NULL when out of memory.
crier_handshake_watch_t *crier_handshake_watch_new (zloop_t *loop);

//  Watches one bound socket; purpose names it and hint says what to do, in the log line (at
//  most one a minute per socket). Returns 0, or -1 (logged).
int crier_handshake_watch_add (crier_handshake_watch_t *self, zsock_t *socket, const char *purpose,
                               const char *hint);

//  Stops watching. Call it while the watched sockets still exist or after they are closed, but
//  never between. NULL-safe; sets *self_p to NULL.
void crier_handshake_watch_destroy (crier_handshake_watch_t **self_p);

#endif

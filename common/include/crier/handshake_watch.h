/*  handshake_watch.h - one log line when a security handshake fails. On a bound socket: a client
    with another mechanism (CURVE, a stack identity, none), or one that encrypted for another
    server key, never reaches the ZAP handler (which logs unknown keys and other stacks), so
    ZeroMQ's socket monitor is the only one to see it. On a connecting socket: the other end
    refused this process (another stack, another certificate), which only the monitor tells. */
#ifndef CRIER_HANDSHAKE_WATCH_H_INCLUDED
#define CRIER_HANDSHAKE_WATCH_H_INCLUDED

#include <czmq.h>

typedef struct crier_handshake_watch_t crier_handshake_watch_t;

//  Watches sockets on loop; failures on bound sockets are logged as event (e.g.
//  "curve.handshake_failed"), refusals of connecting ones as "link.refused". Returns NULL when
//  out of memory.
crier_handshake_watch_t *crier_handshake_watch_new (zloop_t *loop, const char *event);

//  Watches one bound socket; purpose names it and hint says what to do, in the log line (at
//  most one a minute per socket). Returns 0, or -1 (logged).
int crier_handshake_watch_add (crier_handshake_watch_t *self, zsock_t *socket, const char *purpose,
                               const char *hint);

//  Watches one connecting socket on an internal link, before it connects: a line when the other
//  end refuses it (at most one a minute per socket). Returns 0, or -1 (logged).
int crier_handshake_watch_connected (crier_handshake_watch_t *self, zsock_t *socket,
                                     const char *purpose);

//  Stops watching. Call it while the watched sockets still exist or after they are closed, but
//  never between. NULL-safe; sets *self_p to NULL.
void crier_handshake_watch_destroy (crier_handshake_watch_t **self_p);

#endif

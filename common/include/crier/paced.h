/*  paced.h - a socket read in batches at most once per interval: when it becomes readable the
    handler takes what is waiting, then the socket is left alone for the interval. A socket that
    many small messages reach (events, receipts) then costs one turn of the loop per batch
    instead of one per message, and an idle one costs nothing. */
#ifndef CRIER_PACED_H_INCLUDED
#define CRIER_PACED_H_INCLUDED

#include <czmq.h>

typedef struct crier_paced_t crier_paced_t;

//  Takes what is waiting on socket (it need not take all: the rest waits for the next turn).
typedef void (crier_paced_fn) (zsock_t *socket, void *arg);

//  Starts watching socket on loop. Returns NULL when out of memory or zloop refuses.
crier_paced_t *crier_paced_new (zloop_t *loop, zsock_t *socket, size_t interval_ms,
                                crier_paced_fn *fn, void *arg);

//  Stops watching. NULL-safe; sets *self_p to NULL.
void crier_paced_destroy (crier_paced_t **self_p);

#endif

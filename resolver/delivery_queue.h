/*  delivery_queue.h - the delivery frames one channel's socket could not take yet, in order, and
    since when it has taken none. crier-resolver tells from it a slow channel (its intake waits:
    back-pressure) from a stalled one (nothing taken for CRIER_STALLED_AFTER: its deliveries are
    deferred and the other channels go on; docs/delivery.md).
*/
#ifndef CRIER_DELIVERY_QUEUE_H_INCLUDED
#define CRIER_DELIVERY_QUEUE_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_delivery_queue_t crier_delivery_queue_t;

crier_delivery_queue_t *crier_delivery_queue_new (void);

//  Frees the frames still waiting. NULL-safe; sets *self_p to NULL.
void crier_delivery_queue_destroy (crier_delivery_queue_t **self_p);

//  Appends a frame, taking its malloc'ed buffer. Returns 0, or -1 when out of memory (the frame
//  is freed).
int crier_delivery_queue_add (crier_delivery_queue_t *self, char *frame, size_t size);

//  Sends waiting frames in order until the socket would block. Returns how many went.
size_t crier_delivery_queue_flush (crier_delivery_queue_t *self, zsock_t *socket, int64_t now_ms);

//  Frames waiting.
size_t crier_delivery_queue_count (const crier_delivery_queue_t *self);

//  Since when frames have waited without the socket taking any (0 when none wait).
int64_t crier_delivery_queue_stuck_since (const crier_delivery_queue_t *self);

//  Takes the oldest waiting frame out (the caller frees it), or returns NULL when none waits.
char *crier_delivery_queue_take (crier_delivery_queue_t *self, size_t *size_p);

#endif

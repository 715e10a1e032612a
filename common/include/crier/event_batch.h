/*  event_batch.h - events published together, at most a few milliseconds after the first of
    them. A sender says an outcome per delivery; publishing each at once woke ZeroMQ's I/O thread
    each time (an eventfd write and a context switch), a tenth of the Matrix sender's CPU. What
    waits in a batch is lost if the process dies: for outcomes that costs a redelivery, which
    the senders and the resolver answer without sending again (docs/delivery.md). */
#ifndef CRIER_EVENT_BATCH_H_INCLUDED
#define CRIER_EVENT_BATCH_H_INCLUDED

#include "crier/event.h"

#include <czmq.h>

typedef struct crier_event_batch_t crier_event_batch_t;

//  Events for publisher, sent delay_ms after the first that waits (on loop's timer), or at once
//  when max wait. NULL when out of memory.
crier_event_batch_t *crier_event_batch_new (zloop_t *loop, zsock_t *publisher, int delay_ms,
                                            size_t max);

//  Sends what waits, then frees. NULL-safe.
void crier_event_batch_destroy (crier_event_batch_t **self_p);

//  Encodes the event now (its time is now) and destroys it; it goes with the batch. An event that
//  cannot wait (out of memory) is sent at once.
void crier_event_batch_send (crier_event_batch_t *self, crier_event_t **event_p);

//  Sends what waits now.
void crier_event_batch_flush (crier_event_batch_t *self);

//  Events waiting.
size_t crier_event_batch_waiting (const crier_event_batch_t *self);

#endif

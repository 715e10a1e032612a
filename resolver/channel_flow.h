/*  channel_flow.h - the resolver's deliveries on their way to each channel's senders: one bound
    PUSH socket per channel, the frames its socket could not take yet (delivery_queue.c), a
    poller waiting for it to take them, and what tells a slow channel from a stalled one
    (docs/delivery.md):
    - slow: deliveries wait here and the resolver stops reading notifications
      (crier_channel_flow_holding), so that back-pressure reaches crier-ingest instead of memory
      growing here; logged once as deliveries.backpressure, then deliveries.flowing;
    - stalled: nothing taken for CRIER_STALLED_AFTER (no sender running, or all of them holding
      their deliveries). What waited, and what comes for it until its socket takes again, is
      deferred: a "delivery.deferred" event each, so that crier-ingest sends it again after a
      lease, and the other channels go on. Logged once as deliveries.stalled. */
#ifndef CRIER_CHANNEL_FLOW_H_INCLUDED
#define CRIER_CHANNEL_FLOW_H_INCLUDED

#include "resolver_config.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct crier_channel_flow_t crier_channel_flow_t;

//  Called when deliveries left a queue or a channel stalled: the resolver may read again.
typedef void (crier_channel_flow_fn) (void *arg);

//  Binds each channel's socket (config's endpoints and links) on loop; deferrals are published
//  on events. Returns NULL after logging why.
crier_channel_flow_t *crier_channel_flow_new (zloop_t *loop, const crier_resolver_config_t *config,
                                              zsock_t *events, crier_channel_flow_fn *on_free,
                                              void *arg);

//  Frees what still waits and closes the sockets. NULL-safe; sets *self_p to NULL.
void crier_channel_flow_destroy (crier_channel_flow_t **self_p);

//  Puts a delivery frame (a malloc'ed buffer it takes) on its way: queued for its channel, or,
//  when the channel is stalled, sent if its socket takes it now (the channel flows again), else
//  deferred. Returns 0, or -1 when out of memory (the frame is freed).
int crier_channel_flow_queue (crier_channel_flow_t *self, crier_channel_t channel, char *frame,
                              size_t size, const char *notification_id, const char *delivery_id,
                              const char *target);

//  Sends every channel's waiting deliveries in order until its socket would block.
void crier_channel_flow_flush (crier_channel_flow_t *self);

//  Whether a channel that is not stalled has deliveries waiting (the intake must wait too).
bool crier_channel_flow_holding (const crier_channel_flow_t *self);

//  Deliveries waiting, all channels together.
size_t crier_channel_flow_waiting (const crier_channel_flow_t *self);

//  The stalled channels by name, comma-separated, or "none".
void crier_channel_flow_stalled (const crier_channel_flow_t *self, char *names, size_t size);

//  A channel's socket (the flow's), e.g. to watch its handshakes.
zsock_t *crier_channel_flow_socket (crier_channel_flow_t *self, crier_channel_t channel);

#endif

/*  event_bus.h - the forwarder every event passes through: publishers connect XPUB sockets to
    its XSUB side, watchers connect SUB sockets to its XPUB side, and subscriptions travel back
    (every one of them: a subscription to process.heartbeat asks each process for one). It runs
    on the resolver's zloop; see docs/protocol.md, "Events". */
#ifndef CRIER_EVENT_BUS_H_INCLUDED
#define CRIER_EVENT_BUS_H_INCLUDED

#include "crier/links.h"
#include "crier/process.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct crier_event_bus_t crier_event_bus_t;

//  Binds both sides and starts forwarding on loop. Returns NULL after logging why.
crier_event_bus_t *crier_event_bus_new (zloop_t *loop, const char *publish_endpoint,
                                        const char *subscribe_endpoint, const crier_links_t *links);

void crier_event_bus_destroy (crier_event_bus_t **self_p);

//  A subscription covering process.heartbeat asks for heartbeat too (the resolver's own; the
//  other processes see the subscription themselves).
void crier_event_bus_answer_heartbeats (crier_event_bus_t *self, crier_heartbeat_t *heartbeat);

//  Whether a watcher follows the outcomes of deliveries (crier-ingest subscribes to
//  delivery.delivered): a stopping resolver keeps the bus for it.
bool crier_event_bus_outcomes_followed (const crier_event_bus_t *self);

//  How many delivery.* events the bus forwarded so far (a stopping resolver waits for them to stop
//  coming).
uint64_t crier_event_bus_outcomes_passed (const crier_event_bus_t *self);

//  The XPUB side, where the resolver publishes its own events: sent there directly, they skip a
//  trip through the kernel to the XSUB side and back. Owned by the bus; use it on the bus's loop.
zsock_t *crier_event_bus_publisher (crier_event_bus_t *self);

//  The XSUB side, where the other processes publish.
zsock_t *crier_event_bus_intake (crier_event_bus_t *self);

//  Has fn called with the body (second frame) of every event of this type (first frame) that
//  the other processes publish, as it passes, whether or not a watcher subscribed to it. One
//  watch per bus; type must outlive it.
typedef void (crier_event_bus_fn) (const void *data, size_t size, void *arg);
void crier_event_bus_watch (crier_event_bus_t *self, const char *type, crier_event_bus_fn *fn,
                            void *arg);

#endif

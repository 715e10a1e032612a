/*  event_bus.h - the forwarder every event passes through: publishers connect PUB sockets to its
    XSUB side, watchers connect SUB sockets to its XPUB side, and subscriptions travel back. It
    runs on the resolver's zloop; see docs/protocol.md, "Events". */
#ifndef CRIER_EVENT_BUS_H_INCLUDED
#define CRIER_EVENT_BUS_H_INCLUDED

#include <czmq.h>

typedef struct crier_event_bus_t crier_event_bus_t;

//  Binds both sides and starts forwarding on loop. Returns NULL after logging why.
crier_event_bus_t *crier_event_bus_new (zloop_t *loop, const char *publish_endpoint,
                                        const char *subscribe_endpoint, int hwm);

void crier_event_bus_destroy (crier_event_bus_t **self_p);

//  The XPUB side, where the resolver publishes its own events: sent there directly, they skip a
//  trip through the kernel to the XSUB side and back. Owned by the bus; use it on the bus's loop.
zsock_t *crier_event_bus_publisher (crier_event_bus_t *self);

//  The XSUB side, where the other processes publish.
zsock_t *crier_event_bus_intake (crier_event_bus_t *self);

#endif

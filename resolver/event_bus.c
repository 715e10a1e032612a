/*  event_bus.c - see event_bus.h. */
#include "event_bus.h"

#include "crier/socket.h"

#include <stdbool.h>
#include <stdlib.h>

//  Messages moved per wake-up before the loop looks at its other sockets.
#define BATCH 1024

struct crier_event_bus_t {
    zloop_t *loop;
    zsock_t *xsub; //  publishers connect here
    zsock_t *xpub; //  watchers connect here
};

//  Moves whole messages (all their frames, without copying) from one socket to the other, every
//  one waiting up to BATCH: a busy bus costs one turn of the loop per batch, not per event.
//  Never blocks: XPUB drops for a subscriber that is too far behind, which is what PUB/SUB
//  promises.
static int s_forward (zloop_t *loop, zsock_t *from, void *arg)
{
    void *source = zsock_resolve (from);
    void *sink = zsock_resolve ((zsock_t *)arg);
    for (int count = 0; count < BATCH; count++) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int flags = ZMQ_DONTWAIT; //  only the first part may be absent
        bool more = true;
        while (more && zmq_msg_recv (&part, source, flags) != -1) {
            more = zmq_msg_more (&part);
            if (zmq_msg_send (&part, sink, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) == -1)
                zmq_msg_close (&part);
            zmq_msg_init (&part);
            flags = 0;
        }
        zmq_msg_close (&part);
        if (flags == ZMQ_DONTWAIT)
            break; //  nothing was waiting
    }
    return 0;
}

crier_event_bus_t *crier_event_bus_new (zloop_t *loop, const char *publish_endpoint,
                                        const char *subscribe_endpoint, int hwm)
{
    crier_event_bus_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->xsub = crier_socket_open (ZMQ_XSUB, CRIER_BIND, publish_endpoint, hwm,
                                    "event bus, publisher side");
    self->xpub = crier_socket_open (ZMQ_XPUB, CRIER_BIND, subscribe_endpoint, hwm,
                                    "event bus, subscriber side");
    if (!self->xsub || !self->xpub || zloop_reader (loop, self->xsub, s_forward, self->xpub) != 0 ||
        zloop_reader (loop, self->xpub, s_forward, self->xsub) != 0) {
        crier_event_bus_destroy (&self);
        return NULL;
    }
    return self;
}

zsock_t *crier_event_bus_publisher (crier_event_bus_t *self)
{
    return self->xpub;
}

void crier_event_bus_destroy (crier_event_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_event_bus_t *self = *self_p;
    if (self->xsub)
        zloop_reader_end (self->loop, self->xsub);
    if (self->xpub)
        zloop_reader_end (self->loop, self->xpub);
    zsock_destroy (&self->xsub);
    zsock_destroy (&self->xpub);
    free (self);
    *self_p = NULL;
}

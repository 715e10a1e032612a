/*  event_bus.c - see event_bus.h. */
#include "event_bus.h"

#include "crier/socket.h"

#include <stdlib.h>

struct crier_event_bus_t {
    zloop_t *loop;
    zsock_t *xsub; //  publishers connect here
    zsock_t *xpub; //  watchers connect here
};

//  Moves one whole message (all its frames) from one socket to the other. Never blocks: XPUB
//  drops for a subscriber that is too far behind, which is what PUB/SUB promises.
static int s_forward (zloop_t *loop, zsock_t *from, void *arg)
{
    zsock_t *to = arg;
    zmsg_t *message = zmsg_recv (from);
    if (message)
        zmsg_send (&message, to);
    zmsg_destroy (&message);
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

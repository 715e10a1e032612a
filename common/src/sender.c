/*  sender.c - see sender.h. */
#include "crier/sender.h"
#include "crier/socket.h"

//  Every sender's heartbeat: its counts, then what the sender adds.
static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    crier_sender_t *self = arg;
    crier_event_add_int (event, "held", (int64_t)self->held);
    crier_event_add_int (event, "delivered", (int64_t)self->delivered);
    crier_event_add_int (event, "failed", (int64_t)self->failed);
    if (self->on_heartbeat)
        self->on_heartbeat (event, self->arg);
}

int crier_sender_open (crier_sender_t *self, zloop_t *loop, const crier_sender_options_t *options)
{
    self->deliveries = crier_socket_open (ZMQ_PULL, CRIER_CONNECT, options->deliveries_endpoint,
                                          options->hwm, "deliveries from crier-resolver");
    self->events = crier_socket_open (ZMQ_PUB, CRIER_CONNECT, options->events_publish_endpoint,
                                      options->hwm, "event bus");
    self->http = crier_http_new (loop);
    if (self->deliveries)
        self->intake = crier_intake_new (loop, self->deliveries, options->on_delivery,
                                         options->after, options->arg);
    if (!self->intake || !self->events || !self->http)
        return -1;
    self->on_heartbeat = options->on_heartbeat;
    self->arg = options->arg;
    self->heartbeat = crier_heartbeat_new (loop, self->events, options->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    return self->heartbeat ? 0 : -1;
}

void crier_sender_close (crier_sender_t *self)
{
    crier_heartbeat_destroy (&self->heartbeat);
    crier_http_destroy (&self->http);
    crier_intake_destroy (&self->intake);
    zsock_destroy (&self->deliveries);
    zsock_destroy (&self->events);
}

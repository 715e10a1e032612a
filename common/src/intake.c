/*  intake.c - see intake.h. */
#include "crier/intake.h"
#include "crier/log.h"

#include <stdlib.h>
#include <string.h>

//  Frames taken per wake-up before the loop looks at its other sockets and timers.
#define BATCH 256

struct crier_intake_t {
    zloop_t *loop;
    zsock_t *socket;
    crier_intake_fn *fn;
    crier_intake_after_fn *after;
    void *arg;
    bool open;
};

static int s_on_readable (zloop_t *loop, zsock_t *socket, void *arg)
{
    crier_intake_t *self = arg;
    bool more = true;
    for (int count = 0; count < BATCH && more && self->open; count++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, zsock_resolve (socket), ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&frame);
            break;
        }
        more = self->fn (zmq_msg_data (&frame), zmq_msg_size (&frame), self->arg);
        zmq_msg_close (&frame);
    }
    if (self->after)
        self->after (self->arg);
    return 0;
}

crier_intake_t *crier_intake_new (zloop_t *loop, zsock_t *socket, crier_intake_fn *fn,
                                  crier_intake_after_fn *after, void *arg)
{
    crier_intake_t *self = calloc (1, sizeof *self);
    if (self)
        *self = (crier_intake_t){loop, socket, fn, after, arg, false};
    return self;
}

void crier_intake_destroy (crier_intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_intake_open (*self_p, false);
    free (*self_p);
    *self_p = NULL;
}

void crier_intake_open (crier_intake_t *self, bool open)
{
    if (!self || open == self->open)
        return;
    if (open)
        zloop_reader (self->loop, self->socket, s_on_readable, self);
    else
        zloop_reader_end (self->loop, self->socket);
    self->open = open;
}

void crier_intake_regulate (crier_intake_t *self, bool allowed, size_t held, size_t capacity)
{
    if (!self)
        return;
    if (!allowed || held >= capacity)
        crier_intake_open (self, false);
    else if (held <= capacity / 2)
        crier_intake_open (self, true);
}

crier_delivery_t *crier_intake_delivery (const void *data, size_t size, const char *channel,
                                         const char *variable)
{
    crier_error_t error;
    crier_delivery_t *delivery = crier_frame_decode_delivery (data, size, &error);
    if (!delivery)
        crier_log (CRIER_LOG_ERROR, "frame.invalid", "from", "crier-resolver", "field", error.field,
                   "error", error.message, "hint", "run the same crier version in every process");
    else if (strcmp (delivery->channel, channel) != 0) {
        char hint[128];
        snprintf (hint, sizeof hint, "%s points at another channel's socket", variable);
        crier_log (CRIER_LOG_ERROR, "delivery.misrouted", "id", delivery->notification->id,
                   "channel", delivery->channel, "hint", hint);
        crier_delivery_destroy (&delivery);
    }
    return delivery;
}

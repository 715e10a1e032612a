/*  sender.c - see sender.h. */
#include "crier/sender.h"
#include "crier/event.h"
#include "crier/log.h"
#include "crier/socket.h"

//  Every sender's heartbeat: its counts, then what the sender adds.
static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    crier_sender_t *self = arg;
    crier_event_add_int (event, "held", (int64_t)crier_sender_held (self));
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
    //  Outcomes and releases sent just before stopping must still go out.
    if (self->events)
        zsock_set_linger (self->events, 2000);
    self->holding = zhashx_new ();
    self->recent = crier_recent_new (CRIER_SENDER_RECENT_MAX, CRIER_SENDER_RECENT_MS);
    self->http = crier_http_new (loop);
    if (self->deliveries)
        self->intake = crier_intake_new (loop, self->deliveries, options->on_delivery,
                                         options->after, options->arg);
    if (!self->intake || !self->events || !self->http || !self->holding || !self->recent)
        return -1;
    self->capacity = options->capacity;
    self->on_heartbeat = options->on_heartbeat;
    self->arg = options->arg;
    self->heartbeat = crier_heartbeat_new (loop, self->events, options->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    return self->heartbeat ? 0 : -1;
}

//  Says "delivery.released" for everything still held.
static void s_release_all (crier_sender_t *self)
{
    for (const crier_delivery_t *delivery = zhashx_first (self->holding); delivery;
         delivery = zhashx_next (self->holding)) {
        crier_event_t *event = crier_event_new_outcome ("delivery.released", delivery, 0);
        if (event) {
            crier_event_add_text (event, "reason", "the sender stopped before sending it");
            crier_event_send (&event, self->events);
        }
    }
    crier_log (CRIER_LOG_WARN, "sender.released", "deliveries",
               CRIER_LOG_INT (crier_sender_held (self)), "hint",
               "stopped before these were sent (CRIER_STOP_GRACE); crier-ingest sends them "
               "again, with the same delivery ids");
}

void crier_sender_close (crier_sender_t *self)
{
    crier_heartbeat_destroy (&self->heartbeat);
    crier_http_destroy (&self->http);
    crier_intake_destroy (&self->intake);
    zsock_destroy (&self->deliveries);
    zsock_destroy (&self->events);
    zhashx_destroy (&self->holding);
    crier_recent_destroy (&self->recent);
}

void crier_sender_delivered (crier_sender_t *self, const crier_delivery_t *delivery)
{
    crier_recent_add (self->recent, delivery->delivery_id, zclock_mono ());
    crier_sender_let_go (self, delivery);
}

//  A delivery this sender delivered lately: says so again (crier-ingest missed it), sends
//  nothing. Returns true when it was one.
static bool s_delivered_lately (crier_sender_t *self, const crier_delivery_t *delivery)
{
    //  A first attempt is new, even when a client used its id again after the dedup window.
    if (delivery->attempt < 2 ||
        !crier_recent_has (self->recent, delivery->delivery_id, zclock_mono ()))
        return false;
    crier_event_send_repeated (self->events, delivery->delivery_id, delivery->notification->id,
                               delivery->channel, delivery->target,
                               "delivered lately by this sender");
    return true;
}

//  Keeps a delivery; false when the same one is already held.
static bool s_hold (crier_sender_t *self, const crier_delivery_t *delivery)
{
    if (zhashx_lookup (self->holding, delivery->delivery_id)) {
        crier_log (CRIER_LOG_DEBUG, "delivery.already_held", "id", delivery->notification->id,
                   "delivery_id", delivery->delivery_id);
        return false;
    }
    zhashx_insert (self->holding, delivery->delivery_id, (void *)delivery);
    return true;
}

crier_delivery_t *crier_sender_take (crier_sender_t *self, const void *data, size_t size,
                                     const char *channel, const char *variable)
{
    crier_delivery_t *delivery = crier_intake_delivery (data, size, channel, variable);
    if (delivery && (s_delivered_lately (self, delivery) || !s_hold (self, delivery)))
        crier_delivery_destroy (&delivery);
    return delivery;
}

void crier_sender_let_go (crier_sender_t *self, const crier_delivery_t *delivery)
{
    zhashx_delete (self->holding, delivery->delivery_id);
}

bool crier_sender_has_room (const crier_sender_t *self)
{
    return crier_sender_held (self) < self->capacity;
}

void crier_sender_regulate (crier_sender_t *self, bool allowed)
{
    crier_intake_regulate (self->intake, allowed, crier_sender_held (self), self->capacity);
}

size_t crier_sender_held (const crier_sender_t *self)
{
    return self->holding ? zhashx_size (self->holding) : 0;
}

static bool s_finishing (void *arg, bool out_of_time)
{
    crier_sender_t *self = arg;
    if (!self->stopping) {
        self->stopping = true;
        //  No more deliveries: the resolver gives what it would have sent here to the others.
        crier_intake_destroy (&self->intake);
        zsock_destroy (&self->deliveries);
        if (crier_sender_held (self) > 0)
            crier_log (CRIER_LOG_INFO, "sender.finishing", "deliveries",
                       CRIER_LOG_INT (crier_sender_held (self)), "hint",
                       "sending what it holds before stopping (CRIER_STOP_GRACE)");
    }
    if (crier_sender_held (self) == 0)
        return false;
    //  Released while the loop runs, so that what is held is still alive.
    if (out_of_time)
        s_release_all (self);
    return !out_of_time;
}

void crier_sender_run (crier_sender_t *self, zsock_t *pipe, zloop_t *loop,
                       crier_actor_start_fn *start, void *arg, uint64_t grace_ms)
{
    crier_actor_run_finishing (pipe, loop, start, arg, s_finishing, self, grace_ms);
}

/*  channel_flow.c - see channel_flow.h. */
#include "channel_flow.h"
#include "delivery_queue.h"

#include "crier/event.h"
#include "crier/frames.h"
#include "crier/log.h"
#include "crier/socket.h"

#include <stdlib.h>
#include <string.h>

//  How often channels with deliveries waiting are checked for a stall (no timer otherwise).
#define STALL_CHECK_MS 250

//  One channel's deliveries on their way to its senders.
typedef struct {
    zsock_t *socket;                 //  PUSH, bound: to the channel's senders
    crier_delivery_queue_t *waiting; //  frames its socket could not take yet
    bool polling;                    //  a POLLOUT poller waits for its socket
    bool held;                       //  deliveries.backpressure was logged
    bool stalled;                    //  its senders took nothing for CRIER_STALLED_AFTER
    uint64_t deferred;               //  deliveries deferred since it stalled
} channel_t;

struct crier_channel_flow_t {
    zloop_t *loop;
    zsock_t *events; //  where deferrals are said (the resolver's)
    const char *const *endpoints;
    uint64_t stalled_after_ms;
    crier_channel_flow_fn *on_free;
    void *arg;
    channel_t channels[CRIER_CHANNEL_COUNT];
    int stall_timer; //  while a channel waits: its zloop timer id, else -1
};

static int s_on_writable (zloop_t *loop, zmq_pollitem_t *item, void *arg);
static int s_on_stall_check (zloop_t *loop, int timer_id, void *arg);

static void s_poll_writable (crier_channel_flow_t *self, crier_channel_t channel, bool on)
{
    channel_t *state = &self->channels[channel];
    if (state->polling == on)
        return;
    zmq_pollitem_t item = {zsock_resolve (self->channels[channel].socket), 0, ZMQ_POLLOUT, 0};
    if (on)
        zloop_poller (self->loop, &item, s_on_writable, self);
    else
        zloop_poller_end (self->loop, &item);
    state->polling = on;
    //  The stall check runs only while some channel waits.
    bool waiting = false;
    for (int other = 0; other < CRIER_CHANNEL_COUNT; other++)
        waiting |= self->channels[other].polling;
    if (waiting && self->stall_timer == -1)
        self->stall_timer = zloop_timer (self->loop, STALL_CHECK_MS, 0, s_on_stall_check, self);
    else if (!waiting && self->stall_timer != -1) {
        zloop_timer_end (self->loop, self->stall_timer);
        self->stall_timer = -1;
    }
}

//  Whether a channel that is not stalled has deliveries waiting: then the intake waits too, so
//  that back-pressure reaches ingest instead of memory growing here.
bool crier_channel_flow_holding (const crier_channel_flow_t *self)
{
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        if (!self->channels[channel].stalled &&
            crier_delivery_queue_count (self->channels[channel].waiting) > 0)
            return true;
    return false;
}

//  The resolver may read again when nothing holds it.
static void s_resume_if_free (crier_channel_flow_t *self)
{
    if (!crier_channel_flow_holding (self))
        self->on_free (self->arg);
}

//  Sends a channel's waiting deliveries in order until its socket would block.
static void s_flush (crier_channel_flow_t *self, crier_channel_t channel)
{
    channel_t *state = &self->channels[channel];
    if (crier_delivery_queue_count (state->waiting) == 0)
        return;
    crier_delivery_queue_flush (state->waiting, self->channels[channel].socket, zclock_mono ());
    bool waiting = crier_delivery_queue_count (state->waiting) > 0;
    s_poll_writable (self, channel, waiting);
    if (waiting && !state->held) {
        crier_log (CRIER_LOG_WARN, "deliveries.backpressure", "channel",
                   crier_channel_name (channel), "endpoint", self->endpoints[channel], "hint",
                   "no crier-sender for this channel is connected, or they are not keeping up; "
                   "notifications wait meanwhile");
        state->held = true;
    } else if (!waiting && state->held) {
        crier_log (CRIER_LOG_INFO, "deliveries.flowing", "channel", crier_channel_name (channel));
        state->held = false;
    }
}

//  A stalled channel whose socket takes again (a sender connected, or caught up): it flows, and
//  crier-ingest hears it (deliveries.flowing) and sends what was deferred at once rather than
//  after the lease.
static void s_unstall (crier_channel_flow_t *self, crier_channel_t channel)
{
    channel_t *state = &self->channels[channel];
    state->stalled = false;
    crier_log (CRIER_LOG_INFO, "deliveries.flowing", "channel", crier_channel_name (channel),
               "deferred", CRIER_LOG_INT (state->deferred));
    crier_event_t *event = crier_event_new (CRIER_EVENT_DELIVERIES_FLOWING);
    if (event) {
        crier_event_add_text (event, "channel", crier_channel_name (channel));
        crier_event_add_int (event, "deferred", (int64_t)state->deferred);
        crier_event_send (&event, self->events);
    }
}

static int s_on_writable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    crier_channel_flow_t *self = arg;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        if (zsock_resolve (self->channels[channel].socket) == item->socket) {
            if (self->channels[channel].stalled)
                s_unstall (self, (crier_channel_t)channel);
            s_flush (self, (crier_channel_t)channel);
            s_poll_writable (self, (crier_channel_t)channel,
                             crier_delivery_queue_count (self->channels[channel].waiting) > 0);
        }
    s_resume_if_free (self);
    return 0;
}

//  Tells crier-ingest that a delivery went nowhere because its channel is stalled: it sends it
//  again when the channel flows (s_unstall), or when a whole lease (CRIER_REDELIVER_AFTER) has
//  passed.
static void s_defer (crier_channel_flow_t *self, crier_channel_t channel,
                     const char *notification_id, const char *delivery_id, const char *target)
{
    self->channels[channel].deferred++;
    crier_log (CRIER_LOG_DEBUG, "delivery.deferred", "id", notification_id, "delivery_id",
               delivery_id, "channel", crier_channel_name (channel), "target", target);
    crier_event_t *event = crier_event_new_outcome_of (
        "delivery.deferred", delivery_id, notification_id, crier_channel_name (channel), target, 0);
    if (event) {
        crier_event_add_text (event, "reason",
                              "its channel's senders took no delivery for CRIER_STALLED_AFTER; "
                              "crier-ingest sends it again when the channel flows again, or "
                              "after CRIER_REDELIVER_AFTER");
        crier_event_send (&event, self->events);
    }
}

//  A channel whose senders took nothing for CRIER_STALLED_AFTER stops holding up the others:
//  what waited for it is deferred, and so is what comes for it until its socket takes again.
static void s_stall (crier_channel_flow_t *self, crier_channel_t channel)
{
    channel_t *state = &self->channels[channel];
    state->stalled = true;
    state->held = false;
    state->deferred = 0;
    //  Watched for room from now on: the moment it takes again, it flows (s_unstall).
    s_poll_writable (self, channel, true);
    char *frame;
    size_t size;
    while ((frame = crier_delivery_queue_take (state->waiting, &size))) {
        crier_error_t error;
        crier_delivery_t *delivery = crier_frame_decode_delivery (frame, size, &error);
        if (delivery)
            s_defer (self, channel, delivery->notification->id, delivery->delivery_id,
                     delivery->target);
        crier_delivery_destroy (&delivery);
        free (frame);
    }
    crier_log (CRIER_LOG_WARN, "deliveries.stalled", "channel", crier_channel_name (channel),
               "endpoint", self->endpoints[channel], "deferred", CRIER_LOG_INT (state->deferred),
               "hint",
               "no crier-sender for this channel took a delivery for CRIER_STALLED_AFTER (is one "
               "running? can it reach its server? see its log); the other channels go on, and "
               "this channel's deliveries wait in crier-ingest's journal and go again as soon "
               "as a sender takes deliveries (or every CRIER_REDELIVER_AFTER)");
}

static int s_on_stall_check (zloop_t *loop, int timer_id, void *arg)
{
    crier_channel_flow_t *self = arg;
    int64_t now = zclock_mono ();
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
        channel_t *state = &self->channels[channel];
        int64_t since = crier_delivery_queue_stuck_since (state->waiting);
        if (!state->stalled && since != 0 && now - since >= (int64_t)self->stalled_after_ms)
            s_stall (self, (crier_channel_t)channel);
    }
    s_resume_if_free (self);
    return 0;
}

//  Puts a delivery frame on its way: queued for its channel, or, when the channel is stalled,
//  straight to the socket if it takes it now (the channel flows again), else deferred.
int crier_channel_flow_queue (crier_channel_flow_t *self, crier_channel_t channel, char *frame,
                              size_t size, const char *notification_id, const char *delivery_id,
                              const char *target)
{
    channel_t *state = &self->channels[channel];
    if (!state->stalled)
        return crier_delivery_queue_add (state->waiting, frame, size);
    if (crier_socket_send (self->channels[channel].socket, frame, size, ZMQ_DONTWAIT) == 0) {
        s_unstall (self, channel);
        s_poll_writable (self, channel, false);
    } else
        s_defer (self, channel, notification_id, delivery_id, target);
    free (frame);
    return 0;
}

void crier_channel_flow_flush (crier_channel_flow_t *self)
{
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        s_flush (self, (crier_channel_t)channel);
}

crier_channel_flow_t *crier_channel_flow_new (zloop_t *loop, const crier_resolver_config_t *config,
                                              zsock_t *events, crier_channel_flow_fn *on_free,
                                              void *arg)
{
    crier_channel_flow_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->events = events;
    self->endpoints = (const char *const *)config->deliveries_endpoint;
    self->stalled_after_ms = config->stalled_after_ms;
    self->on_free = on_free;
    self->arg = arg;
    self->stall_timer = -1;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
        char purpose[64];
        snprintf (purpose, sizeof purpose, "deliveries to crier-sender-%s",
                  crier_channel_name ((crier_channel_t)channel));
        channel_t *state = &self->channels[channel];
        state->socket = crier_socket_open (
            ZMQ_PUSH, CRIER_BIND, config->deliveries_endpoint[channel], &config->links, purpose);
        state->waiting = crier_delivery_queue_new ();
        if (!state->socket || !state->waiting) {
            crier_channel_flow_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void crier_channel_flow_destroy (crier_channel_flow_t **self_p)
{
    crier_channel_flow_t *self = *self_p;
    if (!self)
        return;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
        s_poll_writable (self, (crier_channel_t)channel, false);
        crier_delivery_queue_destroy (&self->channels[channel].waiting);
        zsock_destroy (&self->channels[channel].socket);
    }
    free (self);
    *self_p = NULL;
}

size_t crier_channel_flow_waiting (const crier_channel_flow_t *self)
{
    size_t waiting = 0;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        waiting += crier_delivery_queue_count (self->channels[channel].waiting);
    return waiting;
}

void crier_channel_flow_stalled (const crier_channel_flow_t *self, char *names, size_t size)
{
    snprintf (names, size, "%s", "");
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        if (self->channels[channel].stalled)
            snprintf (names + strlen (names), size - strlen (names), "%s%s", *names ? "," : "",
                      crier_channel_name ((crier_channel_t)channel));
    if (!*names)
        snprintf (names, size, "none");
}

zsock_t *crier_channel_flow_socket (crier_channel_flow_t *self, crier_channel_t channel)
{
    return self->channels[channel].socket;
}

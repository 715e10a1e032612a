/*  sender.c - see sender.h: a sender's sockets, heartbeat, intake and stop. */
#include "sender_state.h"

#include "crier/log.h"
#include "crier/socket.h"

#include <stdlib.h>

//  Outcome events wait at most this long, and this many, before they are published together: a
//  few milliseconds cost nothing to crier-ingest, which reads receipts in batches every 5 ms.
#define OUTCOMES_DELAY_MS 2
#define OUTCOMES_MAX      256

//  Every sender's heartbeat: its counts, then what the sender adds.
static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    crier_sender_t *self = arg;
    crier_event_add_int (event, "held", (int64_t)crier_sender_held (self));
    crier_event_add_int (event, "delivered", (int64_t)self->delivered);
    crier_event_add_int (event, "failed", (int64_t)self->failed);
    crier_event_add_text (event, "credentials", self->refused ? "refused" : "not refused");
    if (self->hooks->on_heartbeat)
        self->hooks->on_heartbeat (event, self->arg);
}

//  A delivery frame from the resolver: a job for the sender's queue. Takes more while it has
//  room.
static bool s_on_frame (const void *data, size_t size, void *arg)
{
    crier_sender_t *self = arg;
    crier_job_t *job = crier_sender_take (self, data, size);
    if (job)
        self->hooks->queue (job, self->arg);
    return crier_sender_held (self) < self->capacity;
}

static void s_pump (void *arg)
{
    crier_sender_t *self = arg;
    self->hooks->pump (self->arg);
}

//  The requests the new jobs start go out in this turn of the loop.
static void s_after_frames (void *arg)
{
    crier_sender_t *self = arg;
    crier_sender_regulate (self);
    crier_transfers_run (self->transfers, s_pump, self);
}

crier_sender_t *crier_sender_new (zloop_t *loop)
{
    crier_sender_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->probe_timer = -1;
    self->allowed = true;
    self->holding = zhashx_new ();
    self->recent = crier_recent_new (CRIER_SENDER_RECENT_MAX, CRIER_SENDER_RECENT_MS);
    self->transfers = crier_transfers_new (loop);
    if (!self->holding || !self->recent || !self->transfers)
        crier_sender_destroy (&self);
    return self;
}

int crier_sender_open (crier_sender_t *self, const crier_sender_rules_t *rules,
                       const crier_sender_config_t *config, size_t capacity,
                       const crier_sender_hooks_t *hooks, void *arg)
{
    self->rules = rules;
    self->config = config;
    self->capacity = capacity;
    self->hooks = hooks;
    self->arg = arg;
    //  Watched from before they connect: a refusal comes once (crier/socket.h).
    self->watch = crier_handshake_watch_new (self->loop, "link.handshake_failed");
    if (!self->watch)
        return -1;
    self->deliveries =
        crier_socket_connect_watched (ZMQ_PULL, config->deliveries_endpoint, &config->links, NULL,
                                      "deliveries from crier-resolver", self->watch);
    //  An XPUB, a PUB that reads subscriptions: crier status asks for heartbeats with them.
    self->events = crier_socket_connect_watched (ZMQ_XPUB, config->events_publish_endpoint,
                                                 &config->links, NULL, "event bus", self->watch);
    //  Outcomes and releases sent just before stopping must still go out.
    if (self->events)
        zsock_set_linger (self->events, 2000);
    if (self->deliveries)
        self->intake =
            crier_intake_new (self->loop, self->deliveries, s_on_frame, s_after_frames, self);
    if (self->events)
        self->outcomes =
            crier_event_batch_new (self->loop, self->events, OUTCOMES_DELAY_MS, OUTCOMES_MAX);
    if (!self->intake || !self->events || !self->outcomes)
        return -1;
    self->heartbeat = crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    if (!self->heartbeat || crier_heartbeat_answer_requests (self->heartbeat) != 0)
        return -1;
    crier_sender_regulate (self);
    return 0;
}

crier_transfers_t *crier_sender_transfers (crier_sender_t *self)
{
    return self->transfers;
}

void crier_sender_regulate (crier_sender_t *self)
{
    crier_intake_regulate (self->intake, self->allowed && !self->refused, crier_sender_held (self),
                           self->capacity);
}

void crier_sender_allow (crier_sender_t *self, bool allowed)
{
    self->allowed = allowed;
    crier_sender_regulate (self);
}

size_t crier_sender_held (const crier_sender_t *self)
{
    return self->holding ? zhashx_size (self->holding) : 0;
}

//  Says "delivery.released" for every job still held, after the outcomes said before.
static void s_release_all (crier_sender_t *self)
{
    crier_event_batch_flush (self->outcomes);
    for (const crier_job_t *job = zhashx_first (self->holding); job;
         job = zhashx_next (self->holding)) {
        crier_event_t *event = crier_event_new_outcome ("delivery.released", job->delivery, 0);
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

void crier_sender_run (crier_sender_t *self, zsock_t *pipe, crier_actor_start_fn *start, void *arg,
                       uint64_t grace_ms)
{
    crier_actor_run_finishing (pipe, self->loop, start, arg, s_finishing, self, grace_ms);
}

void crier_sender_destroy (crier_sender_t **self_p)
{
    crier_sender_t *self = *self_p;
    if (!self)
        return;
    //  The jobs still held: nothing was said about them, crier-ingest's lease covers them.
    while (zhashx_size (self->holding) > 0) {
        crier_job_t *job = zhashx_first (self->holding);
        crier_sender_drop (self, &job);
    }
    if (self->probe_timer != -1)
        zloop_timer_end (self->loop, self->probe_timer);
    crier_heartbeat_destroy (&self->heartbeat);
    crier_transfers_destroy (&self->transfers);
    crier_event_batch_destroy (&self->outcomes); //  sends what waits
    crier_intake_destroy (&self->intake);
    crier_handshake_watch_destroy (&self->watch);
    zsock_destroy (&self->deliveries);
    zsock_destroy (&self->events);
    zhashx_destroy (&self->holding);
    crier_recent_destroy (&self->recent);
    free (self->refused);
    free (self);
    *self_p = NULL;
}

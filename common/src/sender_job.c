/*  sender_job.c - see sender.h: each delivery's life in a sender, and the policy for refused
    credentials. */
#include "sender_state.h"

#include "crier/backoff.h"
#include "crier/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_BASE_MS 1000
#define PROBE_MAX_MS  30000

static void s_job_destroy (crier_sender_t *self, crier_job_t **job_p)
{
    crier_job_t *job = *job_p;
    zhashx_delete (self->holding, job->delivery->delivery_id);
    crier_sender_regulate (self); //  room for more
    if (job->timer != -1)
        zloop_timer_end (self->loop, job->timer);
    if (job->data && self->hooks->free_data)
        self->hooks->free_data (job->data);
    crier_delivery_destroy (&job->delivery);
    free (job);
    *job_p = NULL;
}

void crier_sender_drop (crier_sender_t *self, crier_job_t **job_p)
{
    if (*job_p)
        s_job_destroy (self, job_p);
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

crier_job_t *crier_sender_take (crier_sender_t *self, const void *data, size_t size)
{
    crier_delivery_t *delivery =
        crier_intake_delivery (data, size, self->rules->channel, self->config->deliveries_variable);
    if (!delivery || s_delivered_lately (self, delivery)) {
        crier_delivery_destroy (&delivery);
        return NULL;
    }
    if (zhashx_lookup (self->holding, delivery->delivery_id)) {
        crier_log (CRIER_LOG_DEBUG, "delivery.already_held", "id", delivery->notification->id,
                   "delivery_id", delivery->delivery_id);
        crier_delivery_destroy (&delivery);
        return NULL;
    }
    crier_job_t *job = calloc (1, sizeof *job);
    if (!job) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", delivery->notification->id, "reason",
                   "out of memory", "hint",
                   "crier-ingest sends it again after CRIER_REDELIVER_AFTER");
        crier_delivery_destroy (&delivery);
        return NULL;
    }
    job->delivery = delivery;
    job->arg = self->arg;
    job->timer = -1;
    zhashx_insert (self->holding, delivery->delivery_id, job);
    return job;
}

void crier_sender_attempt (crier_sender_t *self, crier_job_t *job)
{
    if (job->attempts++ == 0)
        job->first_try_ms = zclock_mono ();
}

//  Sends an outcome event of a job, with text field name = value (when name is not NULL).
static void s_send_outcome (crier_sender_t *self, const char *type, const crier_job_t *job,
                            const char *name, const char *value, int64_t wait_ms)
{
    crier_event_t *event = crier_event_new_outcome (type, job->delivery, job->attempts);
    if (!event)
        return;
    if (self->hooks->on_outcome)
        self->hooks->on_outcome (event, job, self->arg);
    if (name)
        crier_event_add_text (event, name, value);
    if (wait_ms >= 0)
        crier_event_add_int (event, "wait_ms", wait_ms);
    crier_event_batch_send (self->outcomes, &event);
}

void crier_sender_delivered (crier_sender_t *self, crier_job_t **job_p, const char *detail_name,
                             const char *detail)
{
    crier_job_t *job = *job_p;
    crier_log (CRIER_LOG_INFO, "delivery.delivered", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, detail_name,
               detail, "attempts", CRIER_LOG_INT (job->attempts));
    self->delivered++;
    s_send_outcome (self, "delivery.delivered", job, detail_name, detail, -1);
    if (self->rules->remembers_delivered)
        crier_recent_add (self->recent, job->delivery->delivery_id, zclock_mono ());
    s_job_destroy (self, job_p);
}

void crier_sender_failed (crier_sender_t *self, crier_job_t **job_p, const char *reason,
                          const char *hint)
{
    crier_job_t *job = *job_p;
    crier_log (CRIER_LOG_ERROR, "delivery.failed", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, "reason",
               reason, "attempts", CRIER_LOG_INT (job->attempts), "hint", hint);
    self->failed++;
    s_send_outcome (self, "delivery.failed", job, "reason", reason, -1);
    s_job_destroy (self, job_p);
}

uint64_t crier_sender_retry (crier_sender_t *self, crier_job_t **job_p, const char *reason)
{
    crier_job_t *job = *job_p;
    const crier_sender_rules_t *rules = self->rules;
    const crier_sender_config_t *config = self->config;
    uint64_t delay =
        crier_backoff_ms (job->attempts, rules->backoff_base_ms, rules->backoff_max_ms);
    if (zclock_mono () + (int64_t)delay - job->first_try_ms > (int64_t)config->retry_deadline_ms) {
        size_t size = strlen (reason) + 128;
        char *why = malloc (size);
        if (why)
            snprintf (why, size, "%s; gave up after %u attempts (%s)", reason, job->attempts,
                      config->retry_deadline_variable);
        crier_sender_failed (self, job_p, why ? why : reason, rules->give_up_hint);
        free (why);
        return 0;
    }
    crier_log (CRIER_LOG_WARN, "delivery.retrying", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, "reason",
               reason, "attempt", CRIER_LOG_INT (job->attempts), "wait_ms", CRIER_LOG_INT (delay));
    s_send_outcome (self, "delivery.retrying", job, "reason", reason, (int64_t)delay);
    return delay;
}

// ---------------------------------------------------------------------------------------------
// Refused credentials

//  Every held job is still being worked on: its lease at crier-ingest starts again.
static void s_renew_held (crier_sender_t *self, uint64_t wait_ms)
{
    for (const crier_job_t *job = zhashx_first (self->holding); job;
         job = zhashx_next (self->holding))
        s_send_outcome (self, "delivery.retrying", job, "reason", self->refused, (int64_t)wait_ms);
}

static int s_on_probe_timer (zloop_t *loop, int timer_id, void *arg)
{
    crier_sender_t *self = arg;
    self->probe_timer = -1;
    if (self->refused && self->hooks->probe)
        self->hooks->probe (self->arg);
    return 0;
}

void crier_sender_credentials_refused (crier_sender_t *self, const char *event,
                                       const char *server_name, const char *server,
                                       const char *reason, const char *hint)
{
    if (!self->refused || strcmp (self->refused, reason) != 0) {
        crier_log (CRIER_LOG_ERROR, event, server_name, server, "reason", reason, "hint", hint);
        char *copy = strdup (reason);
        if (copy) {
            free (self->refused);
            self->refused = copy;
        }
    }
    if (!self->refused)
        return; //  out of memory for the reason: the next refusal tries again
    crier_sender_regulate (self);
    //  One try at a time: a refusal while a try is scheduled changes nothing.
    if (self->probe_timer != -1)
        return;
    uint64_t wait = crier_backoff_ms (++self->probes, PROBE_BASE_MS, PROBE_MAX_MS);
    s_renew_held (self, wait);
    self->probe_timer = zloop_timer (self->loop, (size_t)wait, 1, s_on_probe_timer, self);
}

void crier_sender_credentials_accepted (crier_sender_t *self)
{
    if (!self->refused)
        return;
    crier_log (CRIER_LOG_INFO, "sender.credentials_accepted", "channel", self->rules->channel,
               "deliveries", CRIER_LOG_INT (crier_sender_held (self)), "hint",
               "the held deliveries go out now");
    free (self->refused);
    self->refused = NULL;
    self->probes = 0;
    if (self->probe_timer != -1)
        zloop_timer_end (self->loop, self->probe_timer);
    self->probe_timer = -1;
    crier_sender_regulate (self);
}

bool crier_sender_credentials_refused_now (const crier_sender_t *self)
{
    return self->refused != NULL;
}

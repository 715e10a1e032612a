/*  metrics.c - see metrics.h. */
#include "metrics.h"

#include "crier/recent.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Channels and outcomes counted (anything else is left out).
static const char *const s_channels[] = {"matrix", "email"};
#define CHANNELS 2
static const char *const s_outcomes[] = {"delivered", "retrying", "failed"};
#define OUTCOMES 3
//  Seconds from acceptance to delivery.
static const double s_buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
#define BUCKETS (sizeof s_buckets / sizeof s_buckets[0])
//  A process is up while its last heartbeat is this recent; forgotten after ten times that.
#define UP_WITHIN_MS 30000
#define STATUSES     600

typedef struct {
    char *process;
    int64_t seen_ms;
} process_t;

struct crier_metrics_t {
    uint64_t accepted;
    uint64_t rejected;
    uint64_t routed;
    uint64_t unroutable;
    uint64_t throttled; //  held back or counted (urgent) by a throttle
    uint64_t summaries;
    uint64_t outcomes[CHANNELS][OUTCOMES];
    uint64_t latency[CHANNELS][BUCKETS + 1]; //  per bucket (not cumulative); the last: +Inf
    double latency_sum[CHANNELS];
    uint64_t latency_count[CHANNELS];
    int64_t backlog, dead_letters, nags_pending, throttle_windows; //  -1 until ingest said
    crier_recent_t *accepted_at; //  notification id -> when accepted
    zhashx_t *processes;         //  instance -> process_t
    uint64_t requests[STATUSES];
};

static void s_process_free (void **item)
{
    process_t *process = *item;
    if (process)
        free (process->process);
    free (process);
    *item = NULL;
}

crier_metrics_t *crier_metrics_new (void)
{
    crier_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->backlog = self->dead_letters = self->nags_pending = self->throttle_windows = -1;
    //  Enough for what is in flight at a few thousand a second.
    self->accepted_at = crier_recent_new (100000, 3600 * 1000);
    self->processes = zhashx_new ();
    if (!self->accepted_at || !self->processes) {
        crier_metrics_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->processes, s_process_free);
    return self;
}

void crier_metrics_destroy (crier_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_metrics_t *self = *self_p;
    crier_recent_destroy (&self->accepted_at);
    zhashx_destroy (&self->processes);
    free (self);
    *self_p = NULL;
}

static int s_index (const char *const *names, size_t count, const char *name)
{
    for (size_t index = 0; name && index < count; index++)
        if (strcmp (names[index], name) == 0)
            return (int)index;
    return -1;
}

static const char *s_text (const json_t *event, const char *key)
{
    return json_string_value (json_object_get (event, key));
}

static void s_outcome (crier_metrics_t *self, const json_t *event, const char *outcome)
{
    int channel = s_index (s_channels, CHANNELS, s_text (event, "channel"));
    int kind = s_index (s_outcomes, OUTCOMES, outcome);
    //  A redelivery answered from memory (attempts 0) was counted when it was delivered.
    if (channel < 0 || kind < 0 ||
        (json_integer_value (json_object_get (event, "attempts")) == 0 &&
         json_object_get (event, "repeated")))
        return;
    self->outcomes[channel][kind]++;
    uint64_t accepted = 0;
    const char *id = s_text (event, "notification_id");
    int64_t time = (int64_t)json_integer_value (json_object_get (event, "time"));
    if (kind != 0 || !id || !crier_recent_get (self->accepted_at, id, time, &accepted))
        return;
    double seconds = (double)(time - (int64_t)accepted) / 1000.0;
    size_t bucket = 0;
    while (bucket < BUCKETS && seconds > s_buckets[bucket])
        bucket++;
    self->latency[channel][bucket]++;
    self->latency_sum[channel] += seconds > 0 ? seconds : 0;
    self->latency_count[channel]++;
}

static void s_heartbeat (crier_metrics_t *self, const json_t *event)
{
    const char *source = s_text (event, "source");
    const char *instance = s_text (event, "instance");
    int64_t time = (int64_t)json_integer_value (json_object_get (event, "time"));
    if (!source || !instance)
        return;
    process_t *process = zhashx_lookup (self->processes, instance);
    if (!process && (process = calloc (1, sizeof *process)) && (process->process = strdup (source)))
        zhashx_insert (self->processes, instance, process);
    else if (process && !process->process) {
        free (process);
        return;
    }
    if (process)
        process->seen_ms = time;
    if (strcmp (source, "crier-ingest") == 0) {
        self->backlog = json_integer_value (json_object_get (event, "backlog"));
        self->dead_letters = json_integer_value (json_object_get (event, "dead_letters"));
        self->nags_pending = json_integer_value (json_object_get (event, "nags_pending"));
        json_t *windows = json_object_get (event, "throttle_windows");
        if (windows)
            self->throttle_windows = json_integer_value (windows);
    }
}

void crier_metrics_event (crier_metrics_t *self, const json_t *event)
{
    const char *type = s_text (event, "type");
    if (!type)
        return;
    if (strcmp (type, "notification.accepted") == 0) {
        self->accepted++;
        const char *id = s_text (event, "notification_id");
        int64_t time = (int64_t)json_integer_value (json_object_get (event, "time"));
        if (id)
            crier_recent_add_value (self->accepted_at, id, time, (uint64_t)time);
    } else if (strcmp (type, "frame.rejected") == 0)
        //  One event stands for the mistakes said since the last one too.
        self->rejected +=
            1 + (uint64_t)json_integer_value (json_object_get (event, "more_like_it"));
    else if (strcmp (type, "notification.routed") == 0) {
        //  A notification in parts says routed once per part: counted with its first.
        if (json_integer_value (json_object_get (event, "part")) == 0)
            self->routed++;
    } else if (strcmp (type, "notification.unroutable") == 0)
        self->unroutable++;
    else if (strcmp (type, "notification.throttled") == 0)
        self->throttled++;
    else if (strcmp (type, "throttle.summary") == 0)
        self->summaries++;
    else if (strncmp (type, "delivery.", 9) == 0)
        s_outcome (self, event, type + 9);
    else if (strcmp (type, "process.heartbeat") == 0)
        s_heartbeat (self, event);
}

void crier_metrics_request (crier_metrics_t *self, unsigned status)
{
    if (status < STATUSES)
        self->requests[status]++;
}

static void s_family (zchunk_t *out, const char *name, const char *type, const char *help)
{
    char *text = zsys_sprintf ("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    if (text)
        zchunk_extend (out, text, strlen (text));
    zstr_free (&text);
}

static void s_line (zchunk_t *out, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void s_line (zchunk_t *out, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    if (text)
        zchunk_extend (out, text, strlen (text));
    zstr_free (&text);
}

//  A label value as Prometheus' text format writes it (backslash, quote and newline escaped).
static void s_label (char *escaped, size_t size, const char *value)
{
    size_t used = 0;
    for (const char *at = value; *at && used + 3 < size; at++) {
        if (*at == '\\' || *at == '"' || *at == '\n')
            escaped[used++] = '\\';
        escaped[used++] = *at == '\n' ? 'n' : *at;
    }
    escaped[used] = '\0';
}

static void s_counters (crier_metrics_t *self, zchunk_t *out)
{
    const struct {
        const char *name, *help;
        uint64_t value;
    } counters[] = {
        {"crier_notifications_accepted_total", "Notifications crier-ingest accepted (on disk).",
         self->accepted},
        {"crier_notifications_rejected_total", "Frames crier-ingest refused (malformed, invalid).",
         self->rejected},
        {"crier_notifications_routed_total", "Notifications crier-resolver routed.", self->routed},
        {"crier_notifications_unroutable_total",
         "Notifications with groups the mapping does not know or that map to no target.",
         self->unroutable},
        {"crier_notifications_throttled_total",
         "Repeats a group's throttle counted into a window (held back, or urgent and sent).",
         self->throttled},
        {"crier_throttle_summaries_total", "Summaries of throttle windows crier-ingest made.",
         self->summaries}};
    for (size_t index = 0; index < sizeof counters / sizeof counters[0]; index++) {
        s_family (out, counters[index].name, "counter", counters[index].help);
        s_line (out, "%s %llu\n", counters[index].name, (unsigned long long)counters[index].value);
    }
    s_family (out, "crier_deliveries_total", "counter",
              "Delivery outcomes by channel: delivered, retrying (an attempt failed and will be "
              "tried again), failed (for good).");
    for (size_t channel = 0; channel < CHANNELS; channel++)
        for (size_t kind = 0; kind < OUTCOMES; kind++)
            s_line (out, "crier_deliveries_total{channel=\"%s\",outcome=\"%s\"} %llu\n",
                    s_channels[channel], s_outcomes[kind],
                    (unsigned long long)self->outcomes[channel][kind]);
}

static void s_latency (crier_metrics_t *self, zchunk_t *out)
{
    s_family (out, "crier_delivery_latency_seconds", "histogram",
              "Seconds from crier-ingest's acceptance to the channel's delivery, by channel.");
    for (size_t channel = 0; channel < CHANNELS; channel++) {
        uint64_t cumulative = 0;
        for (size_t bucket = 0; bucket <= BUCKETS; bucket++) {
            cumulative += self->latency[channel][bucket];
            if (bucket < BUCKETS)
                s_line (out,
                        "crier_delivery_latency_seconds_bucket{channel=\"%s\",le=\"%g\"} %llu\n",
                        s_channels[channel], s_buckets[bucket], (unsigned long long)cumulative);
            else
                s_line (out,
                        "crier_delivery_latency_seconds_bucket{channel=\"%s\",le=\"+Inf\"} %llu\n",
                        s_channels[channel], (unsigned long long)cumulative);
        }
        s_line (out, "crier_delivery_latency_seconds_sum{channel=\"%s\"} %.6f\n",
                s_channels[channel], self->latency_sum[channel]);
        s_line (out, "crier_delivery_latency_seconds_count{channel=\"%s\"} %llu\n",
                s_channels[channel], (unsigned long long)self->latency_count[channel]);
    }
}

static void s_gauges (crier_metrics_t *self, zchunk_t *out, int64_t now_ms)
{
    const struct {
        const char *name, *help;
        int64_t value;
    } gauges[] = {{"crier_backlog", "Notifications crier-ingest accepted and has not finished.",
                   self->backlog},
                  {"crier_dead_letters",
                   "Deliveries and groups that failed for good, kept for a retry.",
                   self->dead_letters},
                  {"crier_nags_pending", "Matrix deliveries whose nag is not decided yet.",
                   self->nags_pending},
                  {"crier_throttle_windows", "Throttle windows open (a group and a key each).",
                   self->throttle_windows}};
    for (size_t index = 0; index < sizeof gauges / sizeof gauges[0]; index++)
        if (gauges[index].value >= 0) {
            s_family (out, gauges[index].name, "gauge", gauges[index].help);
            s_line (out, "%s %lld\n", gauges[index].name, (long long)gauges[index].value);
        }
    s_family (out, "crier_process_up", "gauge",
              "1 while a crier process answers heartbeats (its last within 30 s), by process and "
              "instance.");
    zlistx_t *gone = zlistx_new ();
    for (process_t *process = zhashx_first (self->processes); process;
         process = zhashx_next (self->processes)) {
        const char *instance = zhashx_cursor (self->processes);
        if (now_ms - process->seen_ms > 10 * UP_WITHIN_MS) {
            if (gone)
                zlistx_add_end (gone, (void *)instance);
            continue;
        }
        char name[256], where[256];
        s_label (name, sizeof name, process->process);
        s_label (where, sizeof where, instance);
        s_line (out, "crier_process_up{process=\"%s\",instance=\"%s\"} %d\n", name, where,
                now_ms - process->seen_ms <= UP_WITHIN_MS);
    }
    for (const char *instance = gone ? zlistx_first (gone) : NULL; instance;
         instance = zlistx_next (gone))
        zhashx_delete (self->processes, instance);
    zlistx_destroy (&gone);
}

char *crier_metrics_render (crier_metrics_t *self, int64_t now_ms)
{
    zchunk_t *out = zchunk_new (NULL, 0);
    if (!out)
        return NULL;
    s_counters (self, out);
    s_latency (self, out);
    s_gauges (self, out, now_ms);
    s_family (out, "crier_gateway_requests_total", "counter",
              "Requests crier-gateway answered, by HTTP status.");
    for (unsigned status = 100; status < STATUSES; status++)
        if (self->requests[status])
            s_line (out, "crier_gateway_requests_total{status=\"%u\"} %llu\n", status,
                    (unsigned long long)self->requests[status]);
    zchunk_extend (out, "", 1);
    char *text = strdup ((char *)zchunk_data (out));
    zchunk_destroy (&out);
    return text;
}

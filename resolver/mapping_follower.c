/*  mapping_follower.c - see mapping_follower.h. */
#include "mapping_follower.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_BASE_MS 250
//  A feed line holds the document and a few hundred bytes around it.
#define LINE_OVERHEAD_BYTES 4096
#define ERROR_BODY_BYTES    1024
#define SILENCE_HEARTBEATS  3

typedef enum { STATE_IDLE, STATE_CONNECTING, STATE_UP, STATE_WAITING } state_t;

struct crier_follower_t {
    zloop_t *loop;
    crier_transfers_t *http;
    const crier_couchdb_t *couchdb;
    crier_follower_options_t options;
    crier_follower_fn *fn;
    void *arg;
    zsock_t *events;

    CURL *easy;
    char error_text[CURL_ERROR_SIZE];
    crier_changes_parser_t *parser;
    char *seq; //  last seq seen, verbatim
    state_t state;
    bool reported_up;    //  the last state logged was "up"
    char *reported_down; //  the reason last logged as "down", or NULL
    char problem[256];   //  why the current transfer was abandoned, if we abandoned it
    char error_body[ERROR_BODY_BYTES];
    size_t error_body_length;
    unsigned attempts; //  failures in a row, for the backoff
    int64_t last_byte_ms;
    int64_t connected_ms; //  when the current transfer started
    int retry_timer;
    int watchdog_timer;
};

static int s_connect (crier_follower_t *self);

static void s_publish (crier_follower_t *self, const char *type, const char *reason)
{
    if (!self->events)
        return;
    crier_event_t *event = crier_event_new (type);
    if (event) {
        crier_event_add_text (event, "url", self->couchdb->display_url);
        crier_event_add_text (event, "database", self->couchdb->database);
        crier_event_add_text (event, "reason", reason);
        crier_event_send (&event, self->events);
    }
}

static void s_report_up (crier_follower_t *self)
{
    self->state = STATE_UP;
    self->attempts = 0;
    if (self->reported_up)
        return;
    crier_log (CRIER_LOG_INFO, "mapping_feed.connected", "url", self->couchdb->display_url,
               "database", self->couchdb->database, "document", self->couchdb->document, "since",
               self->seq);
    s_publish (self, "mapping_feed.connected", NULL);
    self->reported_up = true;
    free (self->reported_down);
    self->reported_down = NULL;
}

//  kind names the failure without its details ("curl 7", "http 404"), since libcurl's messages
//  vary from one attempt to the next ("after 0 ms", "after 1 ms").
static void s_report_down (crier_follower_t *self, const char *kind, const char *reason,
                           const char *hint)
{
    if (!self->reported_up && self->reported_down && strcmp (self->reported_down, kind) == 0)
        return; //  the same failure again: already said
    crier_log (CRIER_LOG_WARN, "mapping_feed.down", "url", self->couchdb->display_url, "database",
               self->couchdb->database, "reason", reason, "hint", hint, "meanwhile",
               "routing goes on with the last mapping loaded; retrying with backoff");
    s_publish (self, "mapping_feed.down", reason);
    self->reported_up = false;
    free (self->reported_down);
    self->reported_down = strdup (kind);
}

static int s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    crier_follower_t *self = arg;
    self->retry_timer = -1;
    s_connect (self);
    return 0;
}

//  Waits before the next attempt, with capped exponential backoff and jitter.
static void s_schedule_retry (crier_follower_t *self)
{
    uint64_t delay =
        crier_backoff_ms (self->attempts + 1, BACKOFF_BASE_MS, self->options.retry_max_ms);
    self->attempts++;
    self->state = STATE_WAITING;
    self->retry_timer = zloop_timer (self->loop, (size_t)delay, 1, s_on_retry, self);
}

static void s_on_change (crier_change_t *change, void *arg)
{
    crier_follower_t *self = arg;
    char *seq = change->seq ? crier_change_seq_text (change->seq) : NULL;
    if (seq) {
        free (self->seq);
        self->seq = seq;
    }
    if (change->kind == CRIER_CHANGE_DOCUMENT && change->has_doc &&
        strcmp (change->id, self->couchdb->document) == 0)
        self->fn (change, self->arg);
    else if (change->kind == CRIER_CHANGE_TOO_LARGE)
        self->fn (change, self->arg); //  the feed holds the one document only
}

static size_t s_on_data (char *data, size_t size, size_t count, void *arg)
{
    crier_follower_t *self = arg;
    size_t bytes = size * count;
    self->last_byte_ms = zclock_mono ();
    long status = 0;
    curl_easy_getinfo (self->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        //  Keep the start of an error body to report its reason.
        size_t room = sizeof self->error_body - 1 - self->error_body_length;
        size_t take = bytes < room ? bytes : room;
        memcpy (self->error_body + self->error_body_length, data, take);
        self->error_body_length += take;
        self->error_body[self->error_body_length] = '\0';
        return bytes;
    }
    int lines = crier_changes_parser_feed (self->parser, data, bytes, s_on_change, self,
                                           self->problem, sizeof self->problem);
    if (lines < 0)
        return 0; //  abandons the transfer; s_on_done reports self->problem
    //  Up once a whole line (a change, a heartbeat) was read, not at the first byte: a feed
    //  that fails inside its first line keeps backing off.
    if (lines > 0 && self->state != STATE_UP)
        s_report_up (self);
    return bytes;
}

//  Describes an HTTP error answer, with what the operator can do about it.
static void s_describe_status (crier_follower_t *self, long status, char *reason, size_t size,
                               const char **hint_p)
{
    json_t *body = json_loads (self->error_body, 0, NULL);
    const char *error = json_string_value (json_object_get (body, "error"));
    const char *detail = json_string_value (json_object_get (body, "reason"));
    snprintf (reason, size, "HTTP %ld%s%s%s%s", status, error ? " " : "", error ? error : "",
              detail ? ": " : "", detail ? detail : "");
    json_decref (body);
    if (status == 401 || status == 403)
        *hint_p = "check CRIER_COUCHDB_USER and CRIER_COUCHDB_PASSWORD (or the credentials in "
                  "CRIER_COUCHDB_URL)";
    else if (status == 404)
        *hint_p = "the database does not exist: create it and the mapping with "
                  "'crier mapping put FILE', or check CRIER_COUCHDB_DB";
    else
        *hint_p = "check that CRIER_COUCHDB_URL points at CouchDB and that it is healthy";
}

static void s_on_done (CURL *easy, CURLcode result, void *arg)
{
    crier_follower_t *self = arg;
    long status = 0;
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
    char reason[512], kind[32];
    const char *hint = "check that CouchDB runs and that CRIER_COUCHDB_URL reaches it";
    if (self->problem[0]) {
        snprintf (reason, sizeof reason, "%s", self->problem);
        snprintf (kind, sizeof kind, "feed");
        hint = "check the CouchDB server; crier reconnects and resumes from the last seq";
    } else if (result != CURLE_OK) {
        snprintf (reason, sizeof reason, "%s%s%s", curl_easy_strerror (result),
                  self->error_text[0] ? ": " : "", self->error_text);
        snprintf (kind, sizeof kind, "curl %d", (int)result);
    } else if (status != 200) {
        s_describe_status (self, status, reason, sizeof reason, &hint);
        snprintf (kind, sizeof kind, "http %ld", status);
    } else if (zclock_mono () - self->connected_ms >= (int64_t)self->options.heartbeat_ms) {
        //  The server ended a healthy feed (CouchDB may, on its own timeout): just go on.
        self->state = STATE_IDLE;
        s_connect (self);
        return;
    } else {
        //  Ending at once, again and again, would make a busy loop: treat it as a failure.
        snprintf (reason, sizeof reason, "the server ended the changes feed at once");
        snprintf (kind, sizeof kind, "ended");
        hint = "check that CRIER_COUCHDB_URL points at CouchDB (continuous _changes feeds)";
    }
    s_report_down (self, kind, reason, hint);
    s_schedule_retry (self);
}

//  Every heartbeat: a feed that said nothing, not even a heartbeat newline, for three intervals
//  is dead even if its TCP connection looks open (a server may never end it).
static int s_on_watchdog (zloop_t *loop, int timer_id, void *arg)
{
    crier_follower_t *self = arg;
    if (self->state != STATE_CONNECTING && self->state != STATE_UP)
        return 0;
    int64_t silence = zclock_mono () - self->last_byte_ms;
    if (silence <= (int64_t)(self->options.heartbeat_ms * SILENCE_HEARTBEATS))
        return 0;
    crier_transfers_cancel (self->http, self->easy);
    snprintf (self->problem, sizeof self->problem, "no data, not even a heartbeat, for %lld ms",
              (long long)silence);
    s_on_done (self->easy, CURLE_OK, self);
    return 0;
}

static char *s_feed_url (crier_follower_t *self)
{
    //  doc_ids is a JSON array in the query string; since echoes the last seq verbatim.
    json_t *ids = json_pack ("[s]", self->couchdb->document);
    char *ids_json = ids ? json_dumps (ids, JSON_COMPACT) : NULL;
    json_decref (ids);
    char *ids_escaped = ids_json ? curl_easy_escape (self->easy, ids_json, 0) : NULL;
    char *seq_escaped = curl_easy_escape (self->easy, self->seq, 0);
    char *url = NULL;
    if (ids_escaped && seq_escaped) {
        char query[1024 + 256];
        int length =
            snprintf (query, sizeof query,
                      "feed=continuous&include_docs=true&filter=_doc_ids&doc_ids=%s"
                      "&heartbeat=%llu&since=%s",
                      ids_escaped, (unsigned long long)self->options.heartbeat_ms, seq_escaped);
        if (length > 0 && (size_t)length < sizeof query)
            url = crier_couchdb_url (self->couchdb, "/_changes", query);
    }
    free (ids_json);
    curl_free (ids_escaped);
    curl_free (seq_escaped);
    return url;
}

static int s_connect (crier_follower_t *self)
{
    curl_easy_reset (self->easy);
    crier_changes_parser_reset (self->parser);
    self->problem[0] = '\0';
    self->error_text[0] = '\0';
    self->error_body_length = 0;
    self->error_body[0] = '\0';
    char *url = s_feed_url (self);
    int rc = -1;
    if (url && crier_couchdb_prepare (self->couchdb, self->easy, url) == 0 &&
        curl_easy_setopt (self->easy, CURLOPT_WRITEFUNCTION, s_on_data) == CURLE_OK &&
        curl_easy_setopt (self->easy, CURLOPT_WRITEDATA, self) == CURLE_OK &&
        curl_easy_setopt (self->easy, CURLOPT_ERRORBUFFER, self->error_text) == CURLE_OK &&
        curl_easy_setopt (self->easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
        crier_transfers_start (self->http, self->easy, s_on_done, self) == 0)
        rc = 0;
    free (url);
    if (rc == 0) {
        self->state = STATE_CONNECTING;
        self->last_byte_ms = self->connected_ms = zclock_mono ();
    } else {
        s_report_down (self, "request", "could not start the HTTP request",
                       "this is a bug or out of memory");
        s_schedule_retry (self);
    }
    return rc;
}

crier_follower_t *crier_follower_new (zloop_t *loop, crier_transfers_t *http,
                                      const crier_couchdb_t *couchdb,
                                      const crier_follower_options_t *options,
                                      crier_follower_fn *fn, void *arg, zsock_t *events)
{
    crier_follower_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->http = http;
    self->couchdb = couchdb;
    self->options = *options;
    self->fn = fn;
    self->arg = arg;
    self->events = events;
    self->retry_timer = self->watchdog_timer = -1;
    self->easy = curl_easy_init ();
    self->parser = crier_changes_parser_new (options->max_document_bytes + LINE_OVERHEAD_BYTES);
    self->seq = strdup ("0");
    if (!self->easy || !self->parser || !self->seq)
        crier_follower_destroy (&self);
    return self;
}

void crier_follower_destroy (crier_follower_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_follower_t *self = *self_p;
    if (self->easy)
        crier_transfers_cancel (self->http, self->easy);
    if (self->retry_timer != -1)
        zloop_timer_end (self->loop, self->retry_timer);
    if (self->watchdog_timer != -1)
        zloop_timer_end (self->loop, self->watchdog_timer);
    curl_easy_cleanup (self->easy);
    crier_changes_parser_destroy (&self->parser);
    free (self->seq);
    free (self->reported_down);
    free (self);
    *self_p = NULL;
}

int crier_follower_start (crier_follower_t *self)
{
    self->watchdog_timer =
        zloop_timer (self->loop, (size_t)self->options.heartbeat_ms, 0, s_on_watchdog, self);
    return self->watchdog_timer == -1 ? -1 : s_connect (self);
}

const char *crier_follower_seq (const crier_follower_t *self)
{
    return self->seq;
}

bool crier_follower_connected (const crier_follower_t *self)
{
    return self->state == STATE_UP;
}

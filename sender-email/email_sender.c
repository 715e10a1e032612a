/*  email_sender.c - see email_sender.h. One thread: the zloop serves the pipe, the deliveries
    socket, retry timers and (through crier_http) every SMTP transfer. */
#include "email_sender.h"
#include "email_message.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/http.h"
#include "crier/intake.h"
#include "crier/sender.h"
#include "crier/log.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HELD_PER_CONNECTION 8
#define BACKOFF_BASE_MS     1000
#define BACKOFF_MAX_MS      300000
#define REPLY_BYTES         512

typedef struct server_t server_t;

typedef struct job_t {
    server_t *server;
    crier_delivery_t *delivery;
    unsigned attempts;
    int64_t first_try_ms;
    int timer; //  -1, or the retry timer
    struct job_t *next;
} job_t;

typedef struct {
    server_t *server;
    job_t *job;
    CURL *easy;
    crier_email_t email;
    struct curl_slist *recipients;
    char reply[REPLY_BYTES];       //  the last 250 reply: the queue id after DATA
    char error_reply[REPLY_BYTES]; //  the first 4xx or 5xx reply
    char error[CURL_ERROR_SIZE];
    void *handle;
} transfer_t;

struct server_t {
    const crier_email_config_t *config;
    zloop_t *loop;
    crier_sender_t io; //  deliveries in, events out, HTTP/SMTP, heartbeat
    job_t *head;       //  ready to send, in arrival order
    job_t *tail;
    zlistx_t *waiting;   //  jobs waiting for a retry timer
    zlistx_t *transfers; //  running
    bool login_refused_logged;
};

static void s_pump (server_t *self);

static void s_update_reading (server_t *self)
{
    crier_sender_regulate (&self->io, true);
}

static void s_enqueue (server_t *self, job_t *job)
{
    job->next = NULL;
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
}

static void s_job_destroy (job_t **job_p)
{
    if (*job_p) {
        if ((*job_p)->timer != -1)
            zloop_timer_end ((*job_p)->server->loop, (*job_p)->timer);
        crier_delivery_destroy (&(*job_p)->delivery);
        free (*job_p);
        *job_p = NULL;
    }
}

static crier_event_t *s_outcome_event (const char *type, const job_t *job)
{
    return crier_event_new_outcome (type, job->delivery, job->attempts);
}

static void s_delivered (server_t *self, job_t *job, const char *reply)
{
    crier_log (CRIER_LOG_INFO, "delivery.delivered", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, "reply",
               reply, "attempts", CRIER_LOG_INT (job->attempts));
    self->io.delivered++;
    crier_event_t *event = s_outcome_event ("delivery.delivered", job);
    if (event) {
        crier_event_add_text (event, "reply", reply);
        crier_event_send (&event, self->io.events);
    }
    //  Remembered: SMTP cannot refuse a second copy, so this sender does (Matrix needs not: the
    //  homeserver knows the transaction id).
    crier_sender_delivered (&self->io, job->delivery);
    s_job_destroy (&job);
}

static void s_failed (server_t *self, job_t *job, const char *reason, const char *hint)
{
    crier_log (CRIER_LOG_ERROR, "delivery.failed", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, "reason",
               reason, "attempts", CRIER_LOG_INT (job->attempts), "hint", hint);
    self->io.failed++;
    crier_event_t *event = s_outcome_event ("delivery.failed", job);
    if (event) {
        crier_event_add_text (event, "reason", reason);
        crier_event_send (&event, self->io.events);
    }
    crier_sender_let_go (&self->io, job->delivery);
    s_job_destroy (&job);
}

static int s_on_retry_timer (zloop_t *loop, int timer_id, void *arg)
{
    job_t *job = arg;
    server_t *self = job->server;
    job->timer = -1;
    void *handle = zlistx_find (self->waiting, job);
    if (handle)
        zlistx_detach (self->waiting, handle);
    s_enqueue (self, job);
    s_pump (self);
    return 0;
}

static void s_retry_later (server_t *self, job_t *job, const char *reason)
{
    uint64_t delay = crier_backoff_ms (job->attempts, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
    if (zclock_mono () + (int64_t)delay - job->first_try_ms >
        (int64_t)self->config->retry_deadline_ms) {
        char why[REPLY_BYTES + 128];
        snprintf (why, sizeof why, "%s; gave up after %u attempts (CRIER_SMTP_RETRY_DEADLINE)",
                  reason, job->attempts);
        s_failed (self, job, why, "check the mail server's health and logs");
        return;
    }
    crier_log (CRIER_LOG_WARN, "delivery.retrying", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "to", job->delivery->target, "reason",
               reason, "attempt", CRIER_LOG_INT (job->attempts), "wait_ms", CRIER_LOG_INT (delay));
    crier_event_t *event = s_outcome_event ("delivery.retrying", job);
    if (event) {
        crier_event_add_text (event, "reason", reason);
        crier_event_add_int (event, "wait_ms", (int64_t)delay);
        crier_event_send (&event, self->io.events);
    }
    job->timer = zloop_timer (self->loop, (size_t)delay, 1, s_on_retry_timer, job);
    zlistx_add_end (self->waiting, job);
}

// ---------------------------------------------------------------------------------------------
// SMTP transfers

//  libcurl hands SMTP server replies to the header callback. The first refusal says why a
//  transfer failed (libcurl's QUIT and its "221 Bye" come after it); the last 250 is the
//  server's word that it queued the message.
static size_t s_on_reply (char *data, size_t size, size_t count, void *arg)
{
    transfer_t *transfer = arg;
    size_t bytes = size * count;
    size_t length = bytes;
    while (length > 0 && (data[length - 1] == '\n' || data[length - 1] == '\r'))
        length--;
    if (length >= 3 && (data[0] == '4' || data[0] == '5') && !transfer->error_reply[0])
        snprintf (transfer->error_reply, sizeof transfer->error_reply, "%.*s", (int)length, data);
    else if (length >= 3 && strncmp (data, "250", 3) == 0)
        snprintf (transfer->reply, sizeof transfer->reply, "%.*s", (int)length, data);
    return bytes;
}

static size_t s_on_read (char *buffer, size_t size, size_t count, void *arg)
{
    crier_email_t *email = arg;
    size_t room = size * count;
    size_t left = email->length - email->offset;
    size_t take = left < room ? left : room;
    memcpy (buffer, email->text + email->offset, take);
    email->offset += take;
    return take;
}

static void s_transfer_destroy (transfer_t **transfer_p)
{
    transfer_t *transfer = *transfer_p;
    if (transfer->handle)
        zlistx_delete (transfer->server->transfers, transfer->handle);
    crier_email_free (&transfer->email);
    curl_slist_free_all (transfer->recipients);
    curl_easy_cleanup (transfer->easy);
    free (transfer);
    *transfer_p = NULL;
}

static void s_on_done (CURL *easy, CURLcode result, void *arg);

//  Every option is checked: a MIME post that libcurl refused would silently turn the transfer
//  into a VRFY that "succeeds".
static CURLcode s_configure (server_t *self, transfer_t *transfer)
{
    const crier_email_config_t *config = self->config;
    CURL *easy = transfer->easy;
    char from[320], recipient[320];
    snprintf (from, sizeof from, "<%s>", config->from_address);
    snprintf (recipient, sizeof recipient, "<%s>", transfer->job->delivery->target);
    transfer->recipients = curl_slist_append (NULL, recipient);
    static const long tls_levels[] = {CURLUSESSL_NONE, CURLUSESSL_ALL, CURLUSESSL_TRY};
    CURLcode rc = transfer->recipients ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_URL, config->url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_MAIL_FROM, from);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_MAIL_RCPT, transfer->recipients);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_USE_SSL, tls_levels[config->tls]);
    if (rc == CURLE_OK && config->user)
        rc = curl_easy_setopt (easy, CURLOPT_USERNAME, config->user);
    if (rc == CURLE_OK && config->password)
        rc = curl_easy_setopt (easy, CURLOPT_PASSWORD, config->password);
    if (rc == CURLE_OK && config->ca_file)
        rc = curl_easy_setopt (easy, CURLOPT_CAINFO, config->ca_file);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long)config->timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_on_reply);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERDATA, transfer);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, transfer->error);
    if (rc == CURLE_OK && transfer->email.mime) {
        rc = curl_easy_setopt (easy, CURLOPT_HTTPHEADER, transfer->email.headers);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt (easy, CURLOPT_MIMEPOST, transfer->email.mime);
    } else if (rc == CURLE_OK) {
        rc = curl_easy_setopt (easy, CURLOPT_UPLOAD, 1L);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt (easy, CURLOPT_READFUNCTION, s_on_read);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt (easy, CURLOPT_READDATA, &transfer->email);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt (easy, CURLOPT_INFILESIZE_LARGE,
                                   (curl_off_t)transfer->email.length);
    }
    return rc;
}

static void s_start (server_t *self, job_t *job)
{
    transfer_t *transfer = calloc (1, sizeof *transfer);
    char problem[256] = "out of memory";
    if (transfer) {
        transfer->server = self;
        transfer->job = job;
        transfer->easy = curl_easy_init ();
    }
    if (!transfer || !transfer->easy ||
        crier_email_build (&transfer->email, transfer->easy, self->config, job->delivery, problem,
                           sizeof problem) != 0) {
        if (transfer)
            s_transfer_destroy (&transfer);
        s_failed (self, job, problem, "this notification cannot be sent by email");
        return;
    }
    CURLcode rc = s_configure (self, transfer);
    if (rc != CURLE_OK ||
        crier_http_start (self->io.http, transfer->easy, s_on_done, transfer) != 0) {
        snprintf (problem, sizeof problem, "could not set up the SMTP transfer: %s",
                  curl_easy_strerror (rc));
        s_transfer_destroy (&transfer);
        s_failed (self, job, problem, "this is a bug; please report it");
        return;
    }
    if (job->attempts++ == 0)
        job->first_try_ms = zclock_mono ();
    transfer->handle = zlistx_add_end (self->transfers, transfer);
}

static void s_on_done (CURL *easy, CURLcode result, void *arg)
{
    transfer_t *transfer = arg;
    server_t *self = transfer->server;
    job_t *job = transfer->job;
    long code = 0;
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &code);
    if (result == CURLE_OK)
        s_delivered (self, job, transfer->reply);
    else {
        char reason[REPLY_BYTES + CURL_ERROR_SIZE + 64];
        snprintf (reason, sizeof reason, "%s%s%s%s%s", curl_easy_strerror (result),
                  transfer->error[0] ? ": " : "", transfer->error,
                  transfer->error_reply[0] ? "; server said: " : "", transfer->error_reply);
        if (result == CURLE_LOGIN_DENIED) {
            //  A configuration problem: say so once, keep the delivery, try again later.
            if (!self->login_refused_logged)
                crier_log (CRIER_LOG_ERROR, "smtp.login_refused", "url", self->config->display_url,
                           "user", self->config->user, "reason", reason, "hint",
                           "check CRIER_SMTP_USER and CRIER_SMTP_PASSWORD; deliveries are held "
                           "and retried");
            self->login_refused_logged = true;
            s_retry_later (self, job, reason);
        } else if (code >= 500 && code <= 599)
            s_failed (self, job, reason,
                      "the mail server refused this message for good; see its reply");
        else
            s_retry_later (self, job, reason);
    }
    if (result == CURLE_OK)
        self->login_refused_logged = false;
    transfer->job = NULL;
    s_transfer_destroy (&transfer);
    s_update_reading (self);
    s_pump (self);
}

static void s_pump (server_t *self)
{
    while (self->head && zlistx_size (self->transfers) < self->config->connections) {
        job_t *job = self->head;
        self->head = job->next;
        if (!self->head)
            self->tail = NULL;
        s_start (self, job);
    }
}

// ---------------------------------------------------------------------------------------------
// Deliveries in

//  A frame from the resolver: queued in arrival order.
static bool s_on_delivery (const void *data, size_t size, void *arg)
{
    server_t *self = arg;
    crier_delivery_t *delivery =
        crier_sender_take (&self->io, data, size, "email", "CRIER_EMAIL_DELIVERIES_ENDPOINT");
    if (!delivery)
        return true;
    job_t *job = calloc (1, sizeof *job);
    if (!job) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", delivery->notification->id, "reason",
                   "out of memory");
        crier_sender_let_go (&self->io, delivery);
        crier_delivery_destroy (&delivery);
        return true;
    }
    job->server = self;
    job->delivery = delivery;
    job->timer = -1;
    s_enqueue (self, job);
    return crier_sender_has_room (&self->io);
}

static void s_after_deliveries (void *arg)
{
    server_t *self = arg;
    s_update_reading (self);
    s_pump (self);
}

// ---------------------------------------------------------------------------------------------
// Life cycle

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_int (event, "in_flight", (int64_t)zlistx_size (self->transfers));
}

static int s_open (server_t *self)
{
    const crier_email_config_t *config = self->config;
    crier_sender_options_t options = {config->deliveries_endpoint,
                                      config->events_publish_endpoint,
                                      config->hwm,
                                      config->heartbeat_interval_ms,
                                      (size_t)config->connections * HELD_PER_CONNECTION,
                                      s_on_delivery,
                                      s_after_deliveries,
                                      s_fill_heartbeat,
                                      self};
    if (crier_sender_open (&self->io, self->loop, &options) != 0)
        return -1;
    crier_http_limit_connections (self->io.http, (long)config->connections);
    s_update_reading (self);
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (s_open (self) != 0)
        return NULL;
    static const char *const tls_names[] = {"none", "starttls", "try"};
    crier_log (CRIER_LOG_INFO, "sender.ready", "channel", "email", "deliveries",
               self->config->deliveries_endpoint, "smtp", self->config->display_url, "tls",
               tls_names[self->config->tls], "from", self->config->from_address, "connections",
               CRIER_LOG_INT (self->config->connections));
    return strdup (self->config->deliveries_endpoint);
}

void crier_email_sender (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    self.waiting = zlistx_new ();
    self.transfers = zlistx_new ();
    crier_sender_run (&self.io, pipe, self.loop, s_on_start, &self, self.config->stop_grace_ms);

    for (transfer_t *transfer = zlistx_first (self.transfers); transfer;
         transfer = zlistx_first (self.transfers)) {
        crier_http_cancel (self.io.http, transfer->easy);
        s_job_destroy (&transfer->job);
        s_transfer_destroy (&transfer);
    }
    for (job_t *job = zlistx_first (self.waiting); job; job = zlistx_next (self.waiting))
        s_job_destroy (&job);
    while (self.head) {
        job_t *job = self.head;
        self.head = job->next;
        s_job_destroy (&job);
    }
    crier_sender_close (&self.io);
    zlistx_destroy (&self.waiting);
    zlistx_destroy (&self.transfers);
    zloop_destroy (&self.loop);
}

/*  email_sender.c - see email_sender.h. One thread: the zloop serves the pipe, the deliveries
    socket, retry timers and (through crier_transfers) every SMTP transfer. */
#include "email_sender.h"
#include "email_message.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/transfers.h"
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
#define IDLE_REUSE_SECONDS  30L

typedef struct server_t server_t;

typedef struct {
    server_t *server;
    crier_job_t *job;
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
    crier_sender_t *io; //  deliveries in, events out, SMTP transfers, each job's life
    crier_job_t *head;  //  ready to send, in arrival order
    crier_job_t *tail;
    zlistx_t *transfers; //  running
};

static void s_pump (server_t *self);

static void s_enqueue (server_t *self, crier_job_t *job)
{
    job->next = NULL;
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
}

//  A job whose login was refused goes back to the front: it is the next to try.
static void s_push_front (server_t *self, crier_job_t *job)
{
    job->next = self->head;
    self->head = job;
    if (!self->tail)
        self->tail = job;
}

static int s_on_retry_timer (zloop_t *loop, int timer_id, void *arg)
{
    crier_job_t *job = arg;
    server_t *self = job->arg;
    job->timer = -1;
    s_enqueue (self, job);
    s_pump (self);
    return 0;
}

static void s_retry_later (server_t *self, crier_job_t *job, const char *reason)
{
    uint64_t delay = crier_sender_retry (self->io, &job, reason);
    if (job)
        job->timer = zloop_timer (self->loop, (size_t)delay, 1, s_on_retry_timer, job);
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
        rc =
            crier_transfers_prepare (easy, "smtp,smtps", (long)config->timeout_ms, transfer->error);
    //  A connection idle longer than this is not reused: mail servers close idle ones after a
    //  minute or more (postfix: 300 s; some 60 s), and a closed one costs a round trip.
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_MAXAGE_CONN, IDLE_REUSE_SECONDS);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_on_reply);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERDATA, transfer);
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

static void s_start (server_t *self, crier_job_t *job)
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
        crier_sender_failed (self->io, &job, problem, "this notification cannot be sent by email");
        return;
    }
    CURLcode rc = s_configure (self, transfer);
    if (rc != CURLE_OK || crier_transfers_start (crier_sender_transfers (self->io), transfer->easy,
                                                 s_on_done, transfer) != 0) {
        snprintf (problem, sizeof problem, "could not set up the SMTP transfer: %s",
                  curl_easy_strerror (rc));
        s_transfer_destroy (&transfer);
        crier_sender_failed (self->io, &job, problem, "this is a bug; please report it");
        return;
    }
    crier_sender_attempt (self->io, job);
    transfer->handle = zlistx_add_end (self->transfers, transfer);
}

//  A refused login: a configuration problem, so the job is held, not counted as an attempt,
//  and is the next to try when the sender tries the credentials again.
static void s_login_refused (server_t *self, crier_job_t *job, const char *reason)
{
    if (--job->attempts == 0)
        job->first_try_ms = 0;
    s_push_front (self, job);
    crier_sender_credentials_refused (self->io, "smtp.login_refused", "url",
                                      self->config->display_url, reason,
                                      "check CRIER_SMTP_USER and CRIER_SMTP_PASSWORD; deliveries "
                                      "are held, not failed, and the login is tried again");
}

//  Whether a transfer failed because the connection it reused was gone: the server closed it
//  while idle (postfix says "421 ... Timeout" first), which is no fault of the delivery.
static bool s_stale_connection (CURL *easy, CURLcode result, long code)
{
    long connects = 1;
    curl_easy_getinfo (easy, CURLINFO_NUM_CONNECTS, &connects);
    //  libcurl reports a refused RCPT as a send error too: only one without a reply is stale.
    bool no_reply = code == 0 && (result == CURLE_SEND_ERROR || result == CURLE_RECV_ERROR ||
                                  result == CURLE_GOT_NOTHING);
    return connects == 0 && (code == 421 || no_reply);
}

static void s_on_done (CURL *easy, CURLcode result, void *arg)
{
    transfer_t *transfer = arg;
    server_t *self = transfer->server;
    crier_job_t *job = transfer->job;
    long code = 0;
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &code);
    if (result == CURLE_OK) {
        crier_sender_credentials_accepted (self->io);
        crier_sender_delivered (self->io, &job, "reply", transfer->reply);
    } else {
        char reason[REPLY_BYTES + CURL_ERROR_SIZE + 64];
        snprintf (reason, sizeof reason, "%s%s%s%s%s", curl_easy_strerror (result),
                  transfer->error[0] ? ": " : "", transfer->error,
                  transfer->error_reply[0] ? "; server said: " : "", transfer->error_reply);
        if (!job->restarted && s_stale_connection (easy, result, code)) {
            //  Sent again at once on a new connection, not counted, not said.
            job->restarted = true;
            job->attempts--;
            s_push_front (self, job);
        } else if (result == CURLE_LOGIN_DENIED) {
            //  The server's words to a login may echo the credentials (an AUTH PLAIN blob is
            //  base64 of the user and password): only its status codes are kept.
            size_t codes = strspn (transfer->error_reply, "0123456789. ");
            snprintf (reason, sizeof reason,
                      "%s; server said: %.*s(the rest is not shown: it may "
                      "echo the credentials)",
                      curl_easy_strerror (result), (int)codes, transfer->error_reply);
            s_login_refused (self, job, reason);
        } else if (code >= 500 && code <= 599)
            crier_sender_failed (self->io, &job, reason,
                                 "the mail server refused this message for good; see its reply");
        else
            s_retry_later (self, job, reason);
    }
    transfer->job = NULL;
    s_transfer_destroy (&transfer);
    s_pump (self);
}

static void s_start_next (server_t *self)
{
    crier_job_t *job = self->head;
    self->head = job->next;
    if (!self->head)
        self->tail = NULL;
    s_start (self, job);
}

//  Starts waiting jobs while connections are free; none while the login is refused (the probe
//  tries one).
static void s_pump (server_t *self)
{
    while (self->head && !crier_sender_credentials_refused_now (self->io) &&
           zlistx_size (self->transfers) < self->config->connections)
        s_start_next (self);
}

//  Tries the refused login again with the first waiting job.
static void s_probe (void *arg)
{
    server_t *self = arg;
    if (self->head && zlistx_size (self->transfers) < self->config->connections)
        s_start_next (self);
}

// ---------------------------------------------------------------------------------------------
// Deliveries in

//  A delivery from the resolver: queued in arrival order.
static void s_queue (crier_job_t *job, void *arg)
{
    s_enqueue (arg, job);
}

static void s_pump_deliveries (void *arg)
{
    s_pump (arg);
}

// ---------------------------------------------------------------------------------------------
// Life cycle

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_int (event, "in_flight", (int64_t)zlistx_size (self->transfers));
}

//  SMTP cannot refuse a second copy: delivered ids are remembered.
static const crier_sender_rules_t s_rules = {"email", BACKOFF_BASE_MS, BACKOFF_MAX_MS,
                                             "check the mail server's health and logs", true};

static const crier_sender_hooks_t s_hooks = {.queue = s_queue,
                                             .pump = s_pump_deliveries,
                                             .on_heartbeat = s_fill_heartbeat,
                                             .probe = s_probe};

static int s_open (server_t *self)
{
    const crier_email_config_t *config = self->config;
    size_t capacity = (size_t)config->connections * HELD_PER_CONNECTION;
    if (crier_sender_open (self->io, &s_rules, &config->sender, capacity, &s_hooks, self) != 0)
        return -1;
    crier_transfers_limit_connections (crier_sender_transfers (self->io),
                                       (long)config->connections);
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (!self->io || s_open (self) != 0)
        return NULL;
    static const char *const tls_names[] = {"none", "starttls", "try"};
    crier_log (CRIER_LOG_INFO, "sender.ready", "channel", "email", "deliveries",
               self->config->sender.deliveries_endpoint, "smtp", self->config->display_url, "tls",
               tls_names[self->config->tls], "from", self->config->from_address, "connections",
               CRIER_LOG_INT (self->config->connections));
    return strdup (self->config->sender.deliveries_endpoint);
}

void crier_email_sender (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    self.transfers = zlistx_new ();
    self.io = crier_sender_new (self.loop);
    if (self.io)
        crier_sender_run (self.io, pipe, s_on_start, &self, self.config->sender.stop_grace_ms);
    else
        crier_actor_run (pipe, self.loop, s_on_start, &self); //  START answers ERROR

    //  The jobs themselves are the sender's (crier_sender_destroy frees them).
    for (transfer_t *transfer = zlistx_first (self.transfers); transfer;
         transfer = zlistx_first (self.transfers)) {
        crier_transfers_cancel (crier_sender_transfers (self.io), transfer->easy);
        s_transfer_destroy (&transfer);
    }
    crier_sender_destroy (&self.io);
    zlistx_destroy (&self.transfers);
    zloop_destroy (&self.loop);
}

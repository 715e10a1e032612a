/*  matrix_sender.c - see matrix_sender.h. One thread: the zloop serves the pipe, the
    deliveries socket, timers and (through crier_http) every HTTP transfer. */
#include "matrix_sender.h"
#include "matrix_content.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/http.h"
#include "crier/intake.h"
#include "crier/sender.h"
#include "crier/log.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HELD_PER_SLOT         8 //  deliveries held per unit of concurrency
#define BACKOFF_BASE_MS       500
#define BACKOFF_MAX_MS        60000
#define ALIAS_CACHE_MS        3600000 //  room aliases are looked up again after an hour
#define MAX_RESPONSE_BYTES    65536
#define WHOAMI_MAX_BACKOFF_MS 30000

typedef struct job_t {
    crier_delivery_t *delivery;
    char *content; //  the m.room.message content, JSON
    unsigned attempts;
    int64_t first_try_ms;
    struct job_t *next;
} job_t;

typedef struct server_t server_t;

typedef struct {
    server_t *server;
    char *target;  //  as in the mapping: a room id, or an alias
    char *room_id; //  where messages go; NULL until an alias is resolved
    int64_t resolved_at;
    job_t *head; //  deliveries waiting, in arrival order
    job_t *tail;
    bool busy; //  a request for this room is in flight
    bool join_tried;
    int64_t paused_until; //  rate limit or backoff
    int timer;            //  -1, or the timer that ends the pause
} room_t;

typedef enum { REQUEST_WHOAMI, REQUEST_SEND, REQUEST_JOIN, REQUEST_DIRECTORY } request_kind_t;

typedef struct {
    server_t *server;
    request_kind_t kind;
    room_t *room; //  NULL for whoami
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    char *response;
    size_t response_length;
    char error[CURL_ERROR_SIZE];
    void *handle; //  in the server's list of running requests
} request_t;

struct server_t {
    const crier_matrix_config_t *config;
    zloop_t *loop;
    crier_sender_t io;  //  deliveries in, events out, HTTP/SMTP, heartbeat
    zhashx_t *rooms;    //  target -> room_t
    zlistx_t *requests; //  running requests, freed at the end if still running
    char *authorization;
    size_t in_flight; //  HTTP requests running
    bool authorised;  //  the token works (whoami succeeded, no 401 since)
    bool checking;    //  a whoami is in flight or scheduled
    unsigned whoami_failures;
    char *last_whoami_problem;
};

static void s_pump (server_t *self);

static int64_t s_now (void)
{
    return zclock_mono ();
}

static uint64_t s_backoff (unsigned failures, uint64_t cap)
{
    return crier_backoff_ms (failures, BACKOFF_BASE_MS, cap);
}

//  Takes deliveries while there is room and the token works.
static void s_update_reading (server_t *self)
{
    crier_sender_regulate (&self->io, self->authorised);
}

// ---------------------------------------------------------------------------------------------
// Outcomes

static crier_event_t *s_outcome_event (const char *type, const job_t *job, const room_t *room)
{
    crier_event_t *event = crier_event_new_outcome (type, job->delivery, job->attempts);
    if (event)
        crier_event_add_text (event, "room_id", room->room_id);
    return event;
}

static void s_job_destroy (job_t **job_p)
{
    if (*job_p) {
        crier_delivery_destroy (&(*job_p)->delivery);
        free ((*job_p)->content);
        free (*job_p);
        *job_p = NULL;
    }
}

//  Takes the first job off a room's queue and forgets it.
static void s_finish_job (server_t *self, room_t *room)
{
    job_t *job = room->head;
    room->head = job->next;
    if (!room->head)
        room->tail = NULL;
    crier_sender_let_go (&self->io, job->delivery);
    s_job_destroy (&job);
}

static void s_delivered (server_t *self, room_t *room, const char *event_id)
{
    job_t *job = room->head;
    crier_log (CRIER_LOG_INFO, "delivery.delivered", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "room", room->room_id, "event_id",
               event_id, "attempts", CRIER_LOG_INT (job->attempts));
    self->io.delivered++;
    crier_event_t *event = s_outcome_event ("delivery.delivered", job, room);
    if (event) {
        crier_event_add_text (event, "event_id", event_id);
        crier_event_send (&event, self->io.events);
    }
    s_finish_job (self, room);
}

static void s_failed (server_t *self, room_t *room, const char *reason, const char *hint)
{
    job_t *job = room->head;
    crier_log (CRIER_LOG_ERROR, "delivery.failed", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "target", job->delivery->target, "reason",
               reason, "attempts", CRIER_LOG_INT (job->attempts), "hint", hint);
    self->io.failed++;
    crier_event_t *event = s_outcome_event ("delivery.failed", job, room);
    if (event) {
        crier_event_add_text (event, "reason", reason);
        crier_event_send (&event, self->io.events);
    }
    s_finish_job (self, room);
}

static int s_on_room_timer (zloop_t *loop, int timer_id, void *arg)
{
    room_t *room = arg;
    room->timer = -1;
    s_pump (room->server);
    return 0;
}

static void s_pause (room_t *room, uint64_t delay_ms)
{
    room->paused_until = s_now () + (int64_t)delay_ms;
    if (room->timer != -1)
        zloop_timer_end (room->server->loop, room->timer);
    room->timer = zloop_timer (room->server->loop, (size_t)delay_ms, 1, s_on_room_timer, room);
}

//  A failure worth another try: wait, unless the deadline would pass.
static void s_retry_later (server_t *self, room_t *room, const char *reason)
{
    job_t *job = room->head;
    uint64_t delay = s_backoff (job->attempts, BACKOFF_MAX_MS);
    if (s_now () + (int64_t)delay - job->first_try_ms > (int64_t)self->config->retry_deadline_ms) {
        char why[512];
        snprintf (why, sizeof why, "%s; gave up after %u attempts (CRIER_MATRIX_RETRY_DEADLINE)",
                  reason, job->attempts);
        s_failed (self, room, why, "check the homeserver's health and logs");
        return;
    }
    crier_log (CRIER_LOG_WARN, "delivery.retrying", "id", job->delivery->notification->id,
               "delivery_id", job->delivery->delivery_id, "room", room->room_id, "reason", reason,
               "attempt", CRIER_LOG_INT (job->attempts), "wait_ms", CRIER_LOG_INT (delay));
    crier_event_t *event = s_outcome_event ("delivery.retrying", job, room);
    if (event) {
        crier_event_add_text (event, "reason", reason);
        crier_event_add_int (event, "wait_ms", (int64_t)delay);
        crier_event_send (&event, self->io.events);
    }
    s_pause (room, delay);
}

// ---------------------------------------------------------------------------------------------
// HTTP requests

static size_t s_on_response_data (char *data, size_t size, size_t count, void *arg)
{
    request_t *request = arg;
    size_t bytes = size * count;
    size_t take = bytes;
    if (request->response_length + take > MAX_RESPONSE_BYTES)
        take = MAX_RESPONSE_BYTES - request->response_length; //  the rest is not needed
    char *grown = realloc (request->response, request->response_length + take + 1);
    if (!grown)
        return 0;
    memcpy (grown + request->response_length, data, take);
    request->response_length += take;
    grown[request->response_length] = '\0';
    request->response = grown;
    return bytes;
}

static void s_request_destroy (request_t **request_p)
{
    request_t *request = *request_p;
    if (request->handle)
        zlistx_delete (request->server->requests, request->handle);
    curl_easy_cleanup (request->easy);
    curl_slist_free_all (request->headers);
    free (request->body);
    free (request->response);
    free (request);
    *request_p = NULL;
}

//  Percent-encodes one path segment (room ids and aliases hold '!', '#' and ':').
static char *s_segment (const char *text)
{
    char *escaped = curl_easy_escape (NULL, text, 0);
    char *copy = escaped ? strdup (escaped) : NULL;
    curl_free (escaped);
    return copy;
}

static void s_on_response (CURL *easy, CURLcode result, void *arg);

static int s_start_request (server_t *self, request_kind_t kind, room_t *room, const char *path,
                            const char *method, char *body)
{
    request_t *request = calloc (1, sizeof *request);
    if (!request) {
        free (body);
        return -1;
    }
    request->server = self;
    request->kind = kind;
    request->room = room;
    request->body = body;
    request->easy = curl_easy_init ();
    request->headers = curl_slist_append (NULL, self->authorization);
    if (request->headers)
        request->headers = curl_slist_append (request->headers, "Content-Type: application/json");
    size_t url_size = strlen (self->config->homeserver) + strlen (path) + 1;
    char *url = malloc (url_size);
    if (url)
        snprintf (url, url_size, "%s%s", self->config->homeserver, path);
    CURL *easy = request->easy;
    CURLcode rc = easy && request->headers && url ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPHEADER, request->headers);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body ? body : "");
    if (rc == CURLE_OK && strcmp (method, "GET") == 0)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_response_data);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEDATA, request);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, request->error);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long)self->config->request_timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_USERAGENT, "crier/" CRIER_VERSION);
    free (url);
    if (rc != CURLE_OK || crier_http_start (self->io.http, easy, s_on_response, request) != 0) {
        crier_log (CRIER_LOG_ERROR, "matrix.request_failed", "error",
                   rc != CURLE_OK ? curl_easy_strerror (rc) : "could not start the transfer");
        s_request_destroy (&request);
        return -1;
    }
    //  Per request: only format the numbers when the line is wanted.
    if (crier_log_enabled (CRIER_LOG_DEBUG))
        crier_log (CRIER_LOG_DEBUG, "matrix.request", "method", method, "path", path, "in_flight",
                   CRIER_LOG_INT (self->in_flight + 1));
    request->handle = zlistx_add_end (self->requests, request);
    self->in_flight++;
    if (room)
        room->busy = true;
    return 0;
}

static int s_send (server_t *self, room_t *room)
{
    job_t *job = room->head;
    char *room_segment = s_segment (room->room_id);
    char path[1024];
    int length = room_segment ? snprintf (path, sizeof path,
                                          "/_matrix/client/v3/rooms/%s/send/m.room.message/%s",
                                          room_segment, job->delivery->delivery_id)
                              : -1;
    free (room_segment);
    if (length < 0 || (size_t)length >= sizeof path)
        return -1;
    if (job->attempts++ == 0)
        job->first_try_ms = s_now ();
    return s_start_request (self, REQUEST_SEND, room, path, "PUT", strdup (job->content));
}

static int s_room_request (server_t *self, room_t *room, request_kind_t kind,
                           const char *path_prefix, const char *subject)
{
    char *segment = s_segment (subject);
    char path[1024];
    int length = segment ? snprintf (path, sizeof path, "%s%s", path_prefix, segment) : -1;
    free (segment);
    if (length < 0 || (size_t)length >= sizeof path)
        return -1;
    return kind == REQUEST_JOIN ? s_start_request (self, kind, room, path, "POST", strdup ("{}"))
                                : s_start_request (self, kind, room, path, "GET", NULL);
}

//  Starts the next request of every room that can go, while there are free slots.
static void s_pump (server_t *self)
{
    if (!self->authorised)
        return;
    int64_t now = s_now ();
    for (room_t *room = zhashx_first (self->rooms);
         room && self->in_flight < self->config->concurrency; room = zhashx_next (self->rooms)) {
        if (room->busy || !room->head || room->paused_until > now)
            continue;
        bool alias = room->target[0] == '#';
        if (alias && (!room->room_id || now - room->resolved_at > ALIAS_CACHE_MS))
            s_room_request (self, room, REQUEST_DIRECTORY, "/_matrix/client/v3/directory/room/",
                            room->target);
        else
            s_send (self, room);
    }
}

static void s_whoami (server_t *self);

static int s_on_whoami_timer (zloop_t *loop, int timer_id, void *arg)
{
    s_whoami (arg);
    return 0;
}

static void s_whoami_later (server_t *self)
{
    self->checking = true;
    zloop_timer (self->loop, (size_t)s_backoff (++self->whoami_failures, WHOAMI_MAX_BACKOFF_MS), 1,
                 s_on_whoami_timer, self);
}

static void s_whoami (server_t *self)
{
    self->checking = true;
    if (s_start_request (self, REQUEST_WHOAMI, NULL, "/_matrix/client/v3/account/whoami", "GET",
                         NULL) != 0)
        s_whoami_later (self);
}

//  Logs a whoami problem once, until it changes or goes away.
static void s_whoami_problem (server_t *self, const char *event, const char *reason,
                              const char *hint)
{
    if (self->last_whoami_problem && strcmp (self->last_whoami_problem, reason) == 0)
        return;
    crier_log (CRIER_LOG_ERROR, event, "homeserver", self->config->homeserver, "reason", reason,
               "hint", hint);
    free (self->last_whoami_problem);
    self->last_whoami_problem = strdup (reason);
}

typedef struct {
    long status;
    json_t *body;
    const char *errcode;
    const char *error;
} answer_t;

static void s_on_whoami (server_t *self, request_t *request, CURLcode result, answer_t *answer)
{
    self->checking = false;
    if (result == CURLE_OK && answer->status == 200) {
        const char *user_id = json_string_value (json_object_get (answer->body, "user_id"));
        crier_log (CRIER_LOG_INFO, "matrix.ready", "homeserver", self->config->homeserver,
                   "user_id", user_id, "concurrency", CRIER_LOG_INT (self->config->concurrency),
                   "autojoin", self->config->autojoin ? "on" : "off");
        if (self->config->user_id && user_id && strcmp (self->config->user_id, user_id) != 0)
            crier_log (CRIER_LOG_WARN, "matrix.user_mismatch", "configured", self->config->user_id,
                       "token_belongs_to", user_id, "hint",
                       "CRIER_MATRIX_USER_ID and the access token disagree; messages are sent "
                       "as the token's user");
        self->authorised = true;
        self->whoami_failures = 0;
        free (self->last_whoami_problem);
        self->last_whoami_problem = NULL;
        s_update_reading (self);
        s_pump (self);
        return;
    }
    if (result == CURLE_OK && answer->status == 401)
        s_whoami_problem (self, "matrix.unauthorized",
                          answer->errcode ? answer->errcode : "HTTP 401",
                          "the access token was refused: set a valid CRIER_MATRIX_ACCESS_TOKEN "
                          "(docs/matrix.md); deliveries are held, not dropped, until it works");
    else {
        char reason[CURL_ERROR_SIZE + 64];
        if (result != CURLE_OK)
            snprintf (reason, sizeof reason, "%s", curl_easy_strerror (result));
        else
            snprintf (reason, sizeof reason, "HTTP %ld %s", answer->status,
                      answer->errcode ? answer->errcode : "");
        s_whoami_problem (self, "matrix.unreachable", reason,
                          "check CRIER_MATRIX_HOMESERVER and the homeserver; retrying");
    }
    s_whoami_later (self);
}

static void s_on_directory (server_t *self, room_t *room, CURLcode result, answer_t *answer)
{
    const char *room_id = json_string_value (json_object_get (answer->body, "room_id"));
    if (result == CURLE_OK && answer->status == 200 && room_id) {
        free (room->room_id);
        room->room_id = strdup (room_id);
        room->resolved_at = s_now ();
        crier_log (CRIER_LOG_INFO, "matrix.alias_resolved", "alias", room->target, "room_id",
                   room_id);
        return;
    }
    if (result == CURLE_OK && answer->status == 404) {
        //  Nothing to send to: every delivery waiting for this alias fails.
        while (room->head)
            s_failed (self, room, "the room alias does not exist (M_NOT_FOUND)",
                      "fix the alias in the mapping document");
        return;
    }
    char reason[CURL_ERROR_SIZE + 64];
    snprintf (reason, sizeof reason, "resolving the alias: %s",
              result != CURLE_OK ? curl_easy_strerror (result) : "homeserver error");
    room->head->attempts++;
    if (!room->head->first_try_ms)
        room->head->first_try_ms = s_now ();
    s_retry_later (self, room, reason);
}

static void s_on_send (server_t *self, room_t *room, request_t *request, CURLcode result,
                       answer_t *answer)
{
    char reason[CURL_ERROR_SIZE + 256];
    if (result != CURLE_OK) {
        snprintf (reason, sizeof reason, "%s%s%s", curl_easy_strerror (result),
                  request->error[0] ? ": " : "", request->error);
        s_retry_later (self, room, reason);
        return;
    }
    long status = answer->status;
    const char *event_id = json_string_value (json_object_get (answer->body, "event_id"));
    if (status == 200 && event_id) {
        s_delivered (self, room, event_id);
        return;
    }
    snprintf (reason, sizeof reason, "HTTP %ld %s%s%s", status,
              answer->errcode ? answer->errcode : "", answer->error ? ": " : "",
              answer->error ? answer->error : "");
    if (status == 429) {
        //  Only this room slows down. The same attempt is not counted as a failure.
        json_t *wait = json_object_get (answer->body, "retry_after_ms");
        curl_off_t retry_after = 0;
        struct curl_header *header = NULL;
        uint64_t delay = 1000;
        if (json_is_integer (wait) && json_integer_value (wait) >= 0)
            delay = (uint64_t)json_integer_value (wait);
        else if (curl_easy_header (request->easy, "Retry-After", 0, CURLH_HEADER, -1, &header) ==
                     CURLHE_OK &&
                 curl_easy_getinfo (request->easy, CURLINFO_RETRY_AFTER, &retry_after) ==
                     CURLE_OK &&
                 retry_after > 0)
            delay = (uint64_t)retry_after * 1000;
        if (delay > BACKOFF_MAX_MS * 10)
            delay = BACKOFF_MAX_MS * 10;
        room->head->attempts--;
        crier_log (CRIER_LOG_INFO, "matrix.rate_limited", "room", room->room_id, "wait_ms",
                   CRIER_LOG_INT (delay));
        s_pause (room, delay);
    } else if (status == 401) {
        //  Hold everything and check the token until it works again; nothing is dropped.
        room->head->attempts--;
        if (self->authorised) {
            self->authorised = false;
            s_update_reading (self);
            s_whoami_problem (self, "matrix.unauthorized", reason,
                              "the access token was refused: set a valid "
                              "CRIER_MATRIX_ACCESS_TOKEN; deliveries are held until it works");
        }
        if (!self->checking)
            s_whoami_later (self);
    } else if (status == 403 && self->config->autojoin && !room->join_tried) {
        room->join_tried = true;
        crier_log (CRIER_LOG_INFO, "matrix.joining", "room", room->room_id, "reason", reason);
        s_room_request (self, room, REQUEST_JOIN, "/_matrix/client/v3/join/", room->room_id);
    } else if (status == 403)
        s_failed (self, room, reason,
                  self->config->autojoin
                      ? "the bot could not join the room: invite it, or check the room id"
                      : "invite the bot to the room, or set CRIER_MATRIX_AUTOJOIN=true");
    else if (status >= 500 || status == 408)
        s_retry_later (self, room, reason);
    else
        s_failed (self, room, reason, "the homeserver refused this message; see the reason");
}

static void s_on_join (server_t *self, room_t *room, CURLcode result, answer_t *answer)
{
    if (result == CURLE_OK && answer->status == 200) {
        crier_log (CRIER_LOG_INFO, "matrix.joined", "room", room->room_id);
        return; //  s_pump sends the waiting message next
    }
    char reason[CURL_ERROR_SIZE + 256];
    snprintf (reason, sizeof reason, "could not join the room: %s%s%s",
              result != CURLE_OK ? curl_easy_strerror (result)
              : answer->errcode  ? answer->errcode
                                 : "HTTP error",
              answer->error ? ": " : "", answer->error ? answer->error : "");
    s_failed (self, room, reason, "invite the bot to the room, or check the room id");
}

static void s_on_response (CURL *easy, CURLcode result, void *arg)
{
    request_t *request = arg;
    server_t *self = request->server;
    room_t *room = request->room;
    self->in_flight--;
    if (room)
        room->busy = false;
    answer_t answer = {0};
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &answer.status);
    if (request->response)
        answer.body = json_loads (request->response, 0, NULL);
    answer.errcode = json_string_value (json_object_get (answer.body, "errcode"));
    answer.error = json_string_value (json_object_get (answer.body, "error"));
    switch (request->kind) {
        case REQUEST_WHOAMI:
            s_on_whoami (self, request, result, &answer);
            break;
        case REQUEST_DIRECTORY:
            s_on_directory (self, room, result, &answer);
            break;
        case REQUEST_SEND:
            s_on_send (self, room, request, result, &answer);
            break;
        case REQUEST_JOIN:
            s_on_join (self, room, result, &answer);
            break;
    }
    json_decref (answer.body);
    s_request_destroy (&request);
    s_update_reading (self);
    s_pump (self);
}

// ---------------------------------------------------------------------------------------------
// Deliveries in

static room_t *s_room (server_t *self, const char *target)
{
    room_t *room = zhashx_lookup (self->rooms, target);
    if (room)
        return room;
    room = calloc (1, sizeof *room);
    if (!room)
        return NULL;
    room->server = self;
    room->target = strdup (target);
    room->room_id = target[0] == '!' ? strdup (target) : NULL;
    room->timer = -1;
    zhashx_insert (self->rooms, target, room);
    return room;
}

//  A frame from the resolver: queued behind the room's earlier deliveries.
static bool s_on_delivery (const void *data, size_t size, void *arg)
{
    server_t *self = arg;
    crier_delivery_t *delivery =
        crier_sender_take (&self->io, data, size, "matrix", "CRIER_MATRIX_DELIVERIES_ENDPOINT");
    if (!delivery)
        return true;
    job_t *job = calloc (1, sizeof *job);
    room_t *room = s_room (self, delivery->target);
    char *content = crier_matrix_content (delivery->notification);
    if (!job || !room || !content) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", delivery->notification->id, "reason",
                   "out of memory");
        free (job);
        free (content);
        crier_sender_let_go (&self->io, delivery);
        crier_delivery_destroy (&delivery);
        return true;
    }
    job->delivery = delivery;
    job->content = content;
    if (room->tail)
        room->tail->next = job;
    else
        room->head = job;
    room->tail = job;
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

static void s_room_destroy (void **item)
{
    room_t *room = *item;
    if (!room)
        return;
    while (room->head) {
        job_t *job = room->head;
        room->head = job->next;
        s_job_destroy (&job);
    }
    if (room->timer != -1)
        zloop_timer_end (room->server->loop, room->timer);
    free (room->target);
    free (room->room_id);
    free (room);
    *item = NULL;
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_text (event, "token", self->authorised ? "accepted" : "not accepted (yet)");
    crier_event_add_int (event, "in_flight", (int64_t)self->in_flight);
}

static int s_start (server_t *self)
{
    const crier_matrix_config_t *config = self->config;
    crier_sender_options_t options = {config->deliveries_endpoint,
                                      config->events_publish_endpoint,
                                      config->hwm,
                                      config->heartbeat_interval_ms,
                                      (size_t)config->concurrency * HELD_PER_SLOT,
                                      s_on_delivery,
                                      s_after_deliveries,
                                      s_fill_heartbeat,
                                      self};
    size_t size = strlen (config->access_token) + 32;
    self->authorization = malloc (size);
    if (crier_sender_open (&self->io, self->loop, &options) != 0 || !self->authorization)
        return -1;
    snprintf (self->authorization, size, "Authorization: Bearer %s", config->access_token);
    s_whoami (self);
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (s_start (self) != 0)
        return NULL;
    crier_log (CRIER_LOG_INFO, "sender.ready", "channel", "matrix", "deliveries",
               self->config->deliveries_endpoint, "homeserver", self->config->homeserver);
    return strdup (self->config->deliveries_endpoint);
}

void crier_matrix_sender (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();

    self.rooms = zhashx_new ();
    self.requests = zlistx_new ();
    zhashx_set_destructor (self.rooms, s_room_destroy);
    crier_sender_run (&self.io, pipe, self.loop, s_on_start, &self, self.config->stop_grace_ms);

    for (request_t *request = zlistx_first (self.requests); request;
         request = zlistx_first (self.requests)) {
        crier_http_cancel (self.io.http, request->easy);
        s_request_destroy (&request);
    }
    crier_sender_close (&self.io);
    zlistx_destroy (&self.requests);
    zhashx_destroy (&self.rooms);
    zloop_destroy (&self.loop);
    free (self.authorization);
    free (self.last_whoami_problem);
}

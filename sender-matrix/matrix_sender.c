/*  matrix_sender.c - see matrix_sender.h. One thread: the zloop serves the pipe, the
    deliveries socket, timers and (through crier_transfers) every HTTP transfer. */
#include "matrix_sender.h"
#include "e2ee_client.h"
#include "matrix_client.h"
#include "matrix_content.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/intake.h"
#include "crier/sender.h"
#include "crier/log.h"
#include "crier/mapping.h"
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
#define WHOAMI_MAX_BACKOFF_MS 30000

typedef struct server_t server_t;

typedef enum { REQUEST_SEND, REQUEST_JOIN, REQUEST_DIRECTORY, REQUEST_ENCRYPT } request_kind_t;

//  A room's jobs are crier_job_t with their m.room.message content (JSON) as data.
typedef struct {
    server_t *server;
    char *target;  //  as in the mapping: a room id, or an alias
    char *room_id; //  where messages go; NULL until an alias is resolved
    int64_t resolved_at;
    crier_job_t *head; //  deliveries waiting, in arrival order
    crier_job_t *tail;
    size_t queued; //  how many
    bool limited;  //  the homeserver rate-limits it: since limited_since, limits 429s
    int64_t limited_since;
    unsigned limits;
    bool busy;              //  a request for this room is in flight
    request_kind_t request; //  which
    bool join_tried;
    int64_t paused_until; //  rate limit or backoff
    int timer;            //  -1, or the timer that ends the pause
    //  With CRIER_MATRIX_E2EE=on, what crier-matrix-watch said of the head delivery: its
    //  m.room.encrypted content, or that the room is not encrypted.
    char *encrypted;
    bool plaintext;
    int ask_timer; //  -1, or when an encryption request is given up
} room_t;

struct server_t {
    const crier_matrix_config_t *config;
    zloop_t *loop;
    crier_sender_t *io;            //  deliveries in, events out, HTTP transfers, each job's life
    zhashx_t *rooms;               //  target -> room_t
    crier_matrix_client_t *client; //  its running requests are the sender's in flight
    crier_e2ee_client_t *e2ee;     //  crier-matrix-watch, with CRIER_MATRIX_E2EE=on
    bool ready;                    //  whoami succeeded once
    bool checking;                 //  a whoami is in flight or scheduled
    unsigned whoami_failures;
    char *last_whoami_problem;
};

static void s_pump (server_t *self);

static int64_t s_now (void)
{
    return zclock_mono ();
}

// ---------------------------------------------------------------------------------------------
// Outcomes (the sender's shared job life, crier/sender.h)

//  Every outcome event names the room the message went to.
static void s_add_room (crier_event_t *event, const crier_job_t *job, void *arg)
{
    server_t *self = arg;
    const room_t *room = zhashx_lookup (self->rooms, job->delivery->target);
    if (room)
        crier_event_add_text (event, "room_id", room->room_id);
}

//  Takes the first job off a room's queue.
static crier_job_t *s_dequeue (room_t *room)
{
    //  What the watcher said was for this delivery's attempt only.
    free (room->encrypted);
    room->encrypted = NULL;
    room->plaintext = false;
    crier_job_t *job = room->head;
    room->head = job->next;
    if (!room->head)
        room->tail = NULL;
    room->queued--;
    return job;
}

static void s_push_front (room_t *room, crier_job_t *job)
{
    job->next = room->head;
    room->head = job;
    if (!room->tail)
        room->tail = job;
    room->queued++;
}

//  The homeserver asked this room to wait: logged when a run of such answers starts.
static void s_rate_limited (room_t *room, uint64_t wait_ms)
{
    room->limits++;
    if (room->limited)
        return;
    room->limited = true;
    room->limited_since = s_now ();
    crier_log (CRIER_LOG_INFO, "matrix.rate_limited", "room", room->room_id, "wait_ms",
               CRIER_LOG_INT (wait_ms), "queued", CRIER_LOG_INT (room->queued), "hint",
               "the homeserver paces this room; its messages wait (crier status shows how many), "
               "the other rooms go on");
}

//  A message went through: a run of rate limits, if any, has ended.
static void s_rate_limit_ended (room_t *room)
{
    if (!room->limited)
        return;
    crier_log (CRIER_LOG_INFO, "matrix.rate_limit_ended", "room", room->room_id, "after_ms",
               CRIER_LOG_INT (s_now () - room->limited_since), "answers_429",
               CRIER_LOG_INT (room->limits), "queued", CRIER_LOG_INT (room->queued));
    room->limited = false;
    room->limits = 0;
}

static void s_delivered (server_t *self, room_t *room, const char *event_id)
{
    s_rate_limit_ended (room);
    crier_job_t *job = s_dequeue (room);
    crier_sender_delivered (self->io, &job, "event_id", event_id);
}

static void s_failed (server_t *self, room_t *room, const char *reason, const char *hint)
{
    crier_job_t *job = s_dequeue (room);
    crier_sender_failed (self->io, &job, reason, hint);
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
    //  The monotonic clock counts whole milliseconds, so a wait of N of them may end up to one
    //  early; one more keeps a homeserver's retry_after_ms a lower bound.
    delay_ms++;
    room->paused_until = s_now () + (int64_t)delay_ms;
    if (room->timer != -1)
        zloop_timer_end (room->server->loop, room->timer);
    room->timer = zloop_timer (room->server->loop, (size_t)delay_ms, 1, s_on_room_timer, room);
}

//  A failure worth another try: the room waits, unless the deadline passed (then the job
//  failed and the room goes on with the next).
static void s_retry_later (server_t *self, room_t *room, const char *reason)
{
    crier_job_t *job = s_dequeue (room);
    uint64_t delay = crier_sender_retry (self->io, &job, reason);
    if (job) {
        s_push_front (room, job);
        s_pause (room, delay);
    }
}

// ---------------------------------------------------------------------------------------------
// Requests (matrix_client.c makes them and classifies the answers)

static void s_on_room_answer (const crier_matrix_answer_t *answer, void *arg);

//  Starts a request for a room. Returns 0, or -1 with reason set.
static int s_room_start (server_t *self, room_t *room, request_kind_t kind, const char *method,
                         const char *path, const char *body, char *reason, size_t reason_size)
{
    if (crier_matrix_client_request (self->client, method, path, body, s_on_room_answer, room,
                                     reason, reason_size) != 0)
        return -1;
    //  Per request: only format the numbers when the line is wanted.
    if (crier_log_enabled (CRIER_LOG_DEBUG))
        crier_log (CRIER_LOG_DEBUG, "matrix.request", "method", method, "path", path, "in_flight",
                   CRIER_LOG_INT (crier_matrix_client_in_flight (self->client)));
    room->busy = true;
    room->request = kind;
    return 0;
}

static int s_on_ask_timeout (zloop_t *loop, int timer_id, void *arg)
{
    room_t *room = arg;
    room->ask_timer = -1;
    room->busy = false;
    s_retry_later (room->server, room,
                   "crier-matrix-watch did not answer the encryption request in time (is it "
                   "running, with CRIER_MATRIX_STATE_KEY?)");
    s_pump (room->server);
    return 0;
}

//  Asks crier-matrix-watch to encrypt the head delivery (every message goes through it: it
//  alone knows which rooms are encrypted, so none is sent in plaintext by mistake).
static int s_ask_encryption (server_t *self, room_t *room, char *reason, size_t reason_size)
{
    crier_job_t *job = room->head;
    crier_sender_attempt (self->io, job);
    if (crier_e2ee_client_ask (self->e2ee, room->room_id, job->delivery->delivery_id,
                               "m.room.message", job->data) != 0) {
        snprintf (reason, reason_size, "could not ask crier-matrix-watch to encrypt");
        return -1;
    }
    room->busy = true;
    room->request = REQUEST_ENCRYPT;
    room->ask_timer = zloop_timer (self->loop, (size_t)self->config->request_timeout_ms, 1,
                                   s_on_ask_timeout, room);
    return 0;
}

//  Starts the next request of a room: its alias looked up, or its first message sent. Returns
//  0, or -1 with reason set (the path does not fit, or libcurl refused).
static int s_room_next (server_t *self, room_t *room, bool lookup, char *reason, size_t reason_size)
{
    char path[1024];
    if (lookup) {
        if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/directory/room/",
                               room->target, (char *)NULL) != 0) {
            snprintf (reason, reason_size, "the room alias makes a request path over %zu bytes",
                      sizeof path);
            return -1;
        }
        return s_room_start (self, room, REQUEST_DIRECTORY, "GET", path, NULL, reason, reason_size);
    }
    crier_job_t *job = room->head;
    if (self->e2ee && !room->encrypted && !room->plaintext)
        return s_ask_encryption (self, room, reason, reason_size);
    if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/", room->room_id,
                           room->encrypted ? "/send/m.room.encrypted/" : "/send/m.room.message/",
                           job->delivery->delivery_id, (char *)NULL) != 0) {
        snprintf (reason, reason_size, "the room id makes a request path over %zu bytes",
                  sizeof path);
        return -1;
    }
    if (!self->e2ee) //  else counted when the watcher was asked
        crier_sender_attempt (self->io, job);
    //  The same txnId either way: a redelivery's message is the homeserver's to recognise.
    return s_room_start (self, room, REQUEST_SEND, "PUT", path,
                         room->encrypted ? room->encrypted : job->data, reason, reason_size);
}

//  Starts the next request of every room that can go, while there are free slots. A request
//  that cannot even start fails its delivery: the room's other deliveries and the other rooms
//  go on.
static void s_pump (server_t *self)
{
    if (!self->ready || crier_sender_credentials_refused_now (self->io))
        return;
    int64_t now = s_now ();
    for (room_t *room = zhashx_first (self->rooms);
         room && crier_matrix_client_in_flight (self->client) < self->config->concurrency;
         room = zhashx_next (self->rooms)) {
        char reason[300];
        while (!room->busy && room->head && room->paused_until <= now) {
            bool alias = room->target[0] == '#';
            bool lookup = alias && (!room->room_id || now - room->resolved_at > ALIAS_CACHE_MS);
            if (s_room_next (self, room, lookup, reason, sizeof reason) == 0)
                break;
            s_failed (self, room, reason,
                      "check the room or alias in the mapping document; other rooms are not "
                      "affected");
        }
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
    uint64_t wait =
        crier_backoff_ms (++self->whoami_failures, BACKOFF_BASE_MS, WHOAMI_MAX_BACKOFF_MS);
    zloop_timer (self->loop, (size_t)wait, 1, s_on_whoami_timer, self);
}

//  Logs that the homeserver cannot be reached, once until the reason changes or it works.
static void s_unreachable (server_t *self, const char *reason)
{
    if (self->last_whoami_problem && strcmp (self->last_whoami_problem, reason) == 0)
        return;
    crier_log (CRIER_LOG_ERROR, "matrix.unreachable", "homeserver",
               self->config->display_homeserver, "reason", reason, "hint",
               strstr (reason, "certificate")
                   ? "the homeserver's certificate is not trusted: if a private CA signed it, "
                     "give its certificate in CRIER_MATRIX_CA_FILE (docs/matrix.md); retrying"
                   : "check CRIER_MATRIX_HOMESERVER and the homeserver; retrying");
    free (self->last_whoami_problem);
    self->last_whoami_problem = strdup (reason);
}

//  The token was refused: the shared policy holds everything and tries again (s_probe).
static void s_unauthorized (server_t *self, const char *reason)
{
    crier_sender_credentials_refused (self->io, "matrix.unauthorized", "homeserver",
                                      self->config->display_homeserver, reason,
                                      "the access token was refused: set a valid "
                                      "CRIER_MATRIX_ACCESS_TOKEN (docs/matrix.md); deliveries "
                                      "are held, not dropped, until it works");
}

//  The first whoami that worked: logged once.
static void s_ready (server_t *self, const char *user_id)
{
    crier_log (CRIER_LOG_INFO, "matrix.ready", "homeserver", self->config->display_homeserver,
               "user_id", user_id, "concurrency", CRIER_LOG_INT (self->config->concurrency),
               "autojoin", self->config->autojoin ? "on" : "off");
    if (self->config->user_id && user_id && strcmp (self->config->user_id, user_id) != 0)
        crier_log (CRIER_LOG_WARN, "matrix.user_mismatch", "configured", self->config->user_id,
                   "token_belongs_to", user_id, "hint",
                   "CRIER_MATRIX_USER_ID and the access token disagree; messages are sent as "
                   "the token's user");
    self->ready = true;
}

static void s_on_whoami (const crier_matrix_answer_t *answer, void *arg)
{
    server_t *self = arg;
    self->checking = false;
    if (answer->outcome == CRIER_MATRIX_OK) {
        if (!self->ready)
            s_ready (self, json_string_value (json_object_get (answer->body, "user_id")));
        self->whoami_failures = 0;
        free (self->last_whoami_problem);
        self->last_whoami_problem = NULL;
        crier_sender_credentials_accepted (self->io); //  logged when it had been refused
    } else if (answer->outcome == CRIER_MATRIX_UNAUTHORIZED)
        s_unauthorized (self, answer->reason);
    else {
        s_unreachable (self, answer->reason);
        s_whoami_later (self);
    }
    crier_sender_allow (self->io, self->ready);
    s_pump (self);
}

static void s_whoami (server_t *self)
{
    char reason[300];
    self->checking = true;
    if (crier_matrix_client_request (self->client, "GET", "/_matrix/client/v3/account/whoami", NULL,
                                     s_on_whoami, self, reason, sizeof reason) != 0) {
        s_unreachable (self, reason);
        s_whoami_later (self);
    }
}

//  The shared policy tries a refused token again: whoami, unless one is on its way.
static void s_probe (void *arg)
{
    server_t *self = arg;
    if (!self->checking)
        s_whoami (self);
}

static void s_on_directory (server_t *self, room_t *room, const crier_matrix_answer_t *answer)
{
    const char *room_id = json_string_value (json_object_get (answer->body, "room_id"));
    char problem[160] = "";
    if (answer->outcome == CRIER_MATRIX_OK && room_id &&
        (room_id[0] != '!' || crier_matrix_target_check (room_id, problem, sizeof problem) != 0)) {
        //  Checked like a room id of the mapping: a server's answer is input like any other.
        char reason[400];
        snprintf (reason, sizeof reason, "the room directory answered a room id crier refuses: %s",
                  problem[0] ? problem : "it does not start with '!'");
        while (room->head)
            s_failed (self, room, reason, "check the alias on the homeserver");
        return;
    }
    if (answer->outcome == CRIER_MATRIX_OK && room_id) {
        free (room->room_id);
        room->room_id = strdup (room_id);
        room->resolved_at = s_now ();
        crier_log (CRIER_LOG_INFO, "matrix.alias_resolved", "alias", room->target, "room_id",
                   room_id);
        return;
    }
    if (answer->outcome == CRIER_MATRIX_NOT_FOUND) {
        //  Nothing to send to: every delivery waiting for this alias fails.
        while (room->head)
            s_failed (self, room, "the room alias does not exist (M_NOT_FOUND)",
                      "fix the alias in the mapping document");
        return;
    }
    char reason[600];
    snprintf (reason, sizeof reason, "resolving the alias: %s", answer->reason);
    crier_sender_attempt (self->io, room->head);
    s_retry_later (self, room, reason);
}

static void s_on_send (server_t *self, room_t *room, const crier_matrix_answer_t *answer)
{
    const char *event_id = json_string_value (json_object_get (answer->body, "event_id"));
    switch (answer->outcome) {
        case CRIER_MATRIX_OK:
            if (event_id)
                s_delivered (self, room, event_id);
            else
                s_retry_later (self, room, "the homeserver's answer has no event_id");
            break;
        case CRIER_MATRIX_RATE_LIMITED:
            //  Only this room slows down: the homeserver's normal pacing, so it never fails a
            //  delivery and the same attempt is not counted. Said when it starts and ends.
            room->head->attempts--;
            s_rate_limited (room, answer->delay_ms);
            s_pause (room, answer->delay_ms);
            break;
        case CRIER_MATRIX_UNAUTHORIZED:
            //  Held, not counted: the token must be fixed, nothing is failed for it.
            room->head->attempts--;
            s_unauthorized (self, answer->reason);
            break;
        case CRIER_MATRIX_FORBIDDEN:
            if (self->config->autojoin && !room->join_tried) {
                room->join_tried = true;
                crier_log (CRIER_LOG_INFO, "matrix.joining", "room", room->room_id, "reason",
                           answer->reason);
                char path[1024], reason[300];
                if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/join/", room->room_id,
                                       (char *)NULL) != 0 ||
                    s_room_start (self, room, REQUEST_JOIN, "POST", path, "{}", reason,
                                  sizeof reason) != 0)
                    s_failed (self, room, "could not ask to join the room", "check the room id");
            } else
                s_failed (self, room, answer->reason,
                          self->config->autojoin
                              ? "the bot could not join the room: invite it, or check the room id"
                              : "invite the bot to the room, or set CRIER_MATRIX_AUTOJOIN=true");
            break;
        case CRIER_MATRIX_RETRYABLE:
            s_retry_later (self, room, answer->reason);
            break;
        case CRIER_MATRIX_NOT_FOUND:
        case CRIER_MATRIX_FATAL:
            s_failed (self, room, answer->reason,
                      "the homeserver refused this message; see the reason");
            break;
    }
}

static void s_on_join (server_t *self, room_t *room, const crier_matrix_answer_t *answer)
{
    if (answer->outcome == CRIER_MATRIX_OK) {
        crier_log (CRIER_LOG_INFO, "matrix.joined", "room", room->room_id);
        return; //  s_pump sends the waiting message next
    }
    char reason[600];
    snprintf (reason, sizeof reason, "could not join the room: %s", answer->reason);
    s_failed (self, room, reason, "invite the bot to the room, or check the room id");
}

static void s_on_room_answer (const crier_matrix_answer_t *answer, void *arg)
{
    room_t *room = arg;
    server_t *self = room->server;
    room->busy = false;
    switch (room->request) {
        case REQUEST_DIRECTORY:
            s_on_directory (self, room, answer);
            break;
        case REQUEST_SEND:
            s_on_send (self, room, answer);
            break;
        case REQUEST_JOIN:
            s_on_join (self, room, answer);
            break;
        case REQUEST_ENCRYPT: //  answered by s_on_encryption, not over HTTP
            break;
    }
    s_pump (self);
}

//  crier-matrix-watch's answer to an encryption request: the room whose head delivery asked.
static void s_on_encryption (const crier_e2ee_answer_t *answer, void *arg)
{
    server_t *self = arg;
    room_t *room = zhashx_first (self->rooms);
    while (room && !(room->busy && room->request == REQUEST_ENCRYPT && room->head &&
                     room->room_id && strcmp (room->room_id, answer->room_id) == 0 &&
                     strcmp (room->head->delivery->delivery_id, answer->delivery_id) == 0))
        room = zhashx_next (self->rooms);
    if (!room)
        return; //  late: that request timed out and was asked again, or it was given up
    room->busy = false;
    if (room->ask_timer != -1)
        zloop_timer_end (self->loop, room->ask_timer);
    room->ask_timer = -1;
    if (strcmp (answer->outcome, "encrypted") == 0 && answer->content)
        room->encrypted = strdup (answer->content);
    else if (strcmp (answer->outcome, "plaintext") == 0)
        room->plaintext = true;
    else if (strcmp (answer->outcome, "forbidden") == 0) {
        crier_matrix_answer_t forbidden = {.outcome = CRIER_MATRIX_FORBIDDEN};
        snprintf (forbidden.reason, sizeof forbidden.reason, "%s",
                  answer->reason ? answer->reason : "not in the room");
        room->head->attempts--; //  counted again when it is sent
        s_on_send (self, room, &forbidden);
    } else {
        char reason[600];
        snprintf (reason, sizeof reason, "cannot be encrypted: %s",
                  answer->reason ? answer->reason : "crier-matrix-watch said so");
        s_failed (self, room, reason,
                  "the room is encrypted and crier never sends there in plaintext: see the "
                  "reason (docs/matrix.md, End-to-end encryption)");
    }
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
    room->ask_timer = -1;
    zhashx_insert (self->rooms, target, room);
    return room;
}

//  A delivery from the resolver: queued behind the room's earlier deliveries.
static void s_queue (crier_job_t *job, void *arg)
{
    server_t *self = arg;
    room_t *room = s_room (self, job->delivery->target);
    job->data =
        job->delivery->replaces
            ? crier_matrix_edit_content (job->delivery->notification, job->delivery->replaces)
            : crier_matrix_content (job->delivery->notification, job->delivery->delivery_id);
    if (!room || !job->data) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", job->delivery->notification->id,
                   "reason", "out of memory", "hint",
                   "crier-ingest sends it again after CRIER_REDELIVER_AFTER");
        crier_sender_drop (self->io, &job);
        return;
    }
    job->next = NULL;
    if (room->tail)
        room->tail->next = job;
    else
        room->head = job;
    room->tail = job;
    room->queued++;
}

static void s_pump_rooms (void *arg)
{
    s_pump (arg);
}

// ---------------------------------------------------------------------------------------------
// Life cycle

//  The room's jobs are the shared sender's: it frees them.
static void s_room_destroy (void **item)
{
    room_t *room = *item;
    if (!room)
        return;
    if (room->timer != -1)
        zloop_timer_end (room->server->loop, room->timer);
    if (room->ask_timer != -1)
        zloop_timer_end (room->server->loop, room->ask_timer);
    free (room->encrypted);
    free (room->target);
    free (room->room_id);
    free (room);
    *item = NULL;
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    bool accepted = self->ready && !crier_sender_credentials_refused_now (self->io);
    crier_event_add_text (event, "token", accepted ? "accepted" : "not accepted (yet)");
    //  The first heartbeat goes before the client exists.
    size_t in_flight = self->client ? crier_matrix_client_in_flight (self->client) : 0;
    crier_event_add_int (event, "in_flight", (int64_t)in_flight);
    //  The rate-limited rooms with their queues ("!a:example.org=12,..."), the first few.
    char limited[512] = "";
    size_t shown = 0, more = 0;
    for (const room_t *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms)) {
        if (!room->limited)
            continue;
        size_t used = strlen (limited);
        int wrote = shown < 8 ? snprintf (limited + used, sizeof limited - used, "%s%s=%zu",
                                          used ? "," : "", room->room_id, room->queued)
                              : -1;
        if (wrote > 0 && (size_t)wrote < sizeof limited - used)
            shown++;
        else {
            limited[used] = '\0';
            more++;
        }
    }
    if (more)
        snprintf (limited + strlen (limited), sizeof limited - strlen (limited), "%s+%zu more",
                  shown ? "," : "", more);
    crier_event_add_text (event, "rate_limited", *limited ? limited : "none");
}

//  The homeserver refuses a repeated txnId itself: nothing to remember.
static const crier_sender_rules_t s_rules = {"matrix", BACKOFF_BASE_MS, BACKOFF_MAX_MS,
                                             "check the homeserver's health and logs", false};

//  A job's data is its m.room.message content.
static const crier_sender_hooks_t s_hooks = {.queue = s_queue,
                                             .pump = s_pump_rooms,
                                             .on_heartbeat = s_fill_heartbeat,
                                             .on_outcome = s_add_room,
                                             .probe = s_probe,
                                             .free_data = free};

static int s_start (server_t *self)
{
    const crier_matrix_config_t *config = self->config;
    size_t capacity = (size_t)config->concurrency * HELD_PER_SLOT;
    crier_sender_allow (self->io, false); //  until the token was checked
    if (crier_sender_open (self->io, &s_rules, &config->sender, capacity, &s_hooks, self) != 0)
        return -1;
    self->client = crier_matrix_client_new (crier_sender_transfers (self->io), config->homeserver,
                                            config->access_token, config->request_timeout_ms);
    if (!self->client)
        return -1;
    crier_matrix_client_http (self->client, config->http);
    if (config->e2ee &&
        !(self->e2ee = crier_e2ee_client_new (self->loop, config->e2ee_endpoint,
                                              &config->sender.links, s_on_encryption, self)))
        return -1;
    if (crier_matrix_client_ca_file (self->client, config->ca_file) != 0)
        return -1;
    s_whoami (self);
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (!self->io || !self->rooms || s_start (self) != 0)
        return NULL;
    crier_log (CRIER_LOG_INFO, "sender.ready", "channel", "matrix", "deliveries",
               self->config->sender.deliveries_endpoint, "homeserver",
               self->config->display_homeserver);
    return strdup (self->config->sender.deliveries_endpoint);
}

void crier_matrix_sender (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    self.rooms = zhashx_new ();
    if (self.rooms)
        zhashx_set_destructor (self.rooms, s_room_destroy);
    self.io = crier_sender_new (self.loop);
    if (self.io)
        crier_sender_run (self.io, pipe, s_on_start, &self, self.config->sender.stop_grace_ms);
    else
        crier_actor_run (pipe, self.loop, s_on_start, &self); //  START answers ERROR

    crier_matrix_client_destroy (&self.client);
    zhashx_destroy (&self.rooms);
    crier_e2ee_client_destroy (&self.e2ee);
    crier_sender_destroy (&self.io);
    zloop_destroy (&self.loop);
    free (self.last_whoami_problem);
}

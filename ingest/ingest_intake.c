/*  ingest_intake.c - crier-ingest takes notifications from services: the verdict on each frame,
    its journal record, and the answer, which goes only once the record is on disk (see
    ingest_state.h). A notification enters the ledger (and so can reach the resolver) only after
    its batch's sync succeeded: a batch whose sync failed is cut off the journal and its clients
    are told to try again, so nothing they were told to retry is ever delivered. */
#include "ingest_state.h"
#include "records.h"

#include "crier/array.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/id.h"
#include "crier/log.h"
#include "crier/reply.h"

#include <stdlib.h>
#include <string.h>

//  Frames handled per wake-up before looking at other sockets.
#define BATCH 1024

typedef enum {
    VERDICT_ACCEPTED,
    VERDICT_DUPLICATE,
    VERDICT_REJECTED,
    VERDICT_FULL,
    VERDICT_UNWRITTEN, //  the journal could not take it: try again
    VERDICT_DEAD_FULL, //  the client's dead letters fill its share: let them go, then again
    VERDICT_WAIT,      //  not a notification but a wait request (acknowledged endpoint only)
} verdict_t;

//  An accepted notification whose record waits for the next sync.
typedef struct {
    char id[CRIER_MAX_ID_BYTES + 1];
    crier_journal_position_t position;
    bool client_id;
    int64_t received_at_ms;
    size_t event_at; //  its notification.accepted in the batch's events (event_size 0: none)
    size_t event_size;
    bool admitted; //  on disk and in the ledger
} taken_t;

//  An answer on the acknowledged endpoint, waiting for the sync.
typedef struct {
    zmsg_t *message;
    bool promised; //  it says "on disk" (accepted, or a duplicate): only true after a sync
    size_t taken;  //  what it accepted: index + 1 in the batch, or 0
} reply_t;

//  Arrays reused from batch to batch, so that taking a notification allocates nothing that
//  lives until the sync (holding a batch's worth of small blocks made malloc and free a fifth of
//  ingest's CPU).
struct crier_ingest_batch_t {
    taken_t *taken;
    size_t taken_count;
    size_t taken_capacity;
    reply_t *replies;
    size_t reply_count;
    size_t reply_capacity;
    zhashx_t *client_ids; //  the taken client ids -> index + 1, for duplicates within a batch
    char *events;         //  the encoded notification.accepted events, one after another
    size_t events_size;
    size_t events_capacity;
};

static const char *s_unwritten_message =
    "crier-ingest could not write its journal (see its log); try again";

//  A frame refused: logged and published, but for each source and field once per
//  REJECTIONS_INTERVAL_MS, with how many more came (a client sending garbage as fast as it can
//  must not fill the disk with warnings). source is the client's CURVE key, else its address.
//  Rejected frames are said once per source and field in this long, with a count; at most this
//  many sources are told apart (past that, they share one line).
#define REJECTIONS_INTERVAL_MS 10000
#define REJECTIONS_SOURCES     1024

static void s_reject (ingest_server_t *self, const char *source, size_t bytes,
                      const crier_error_t *error)
{
    self->rejected++;
    //  The same mistake is the same source, field and message but for its numbers (sizes,
    //  offsets, indices): each different mistake is still said at least once.
    char key[CRIER_INGEST_SOURCE_BYTES + sizeof error->field + sizeof error->message + 2];
    int length = snprintf (key, sizeof key, "%s|%s|%s", source, error->field, error->message);
    size_t kept = strlen (source) + 1;
    for (size_t at = kept; at < (size_t)length && at < sizeof key - 1; at++)
        if (key[at] < '0' || key[at] > '9')
            key[kept++] = key[at];
    key[kept] = '\0';
    uint64_t unsaid = 0;
    if (self->rejections && !crier_repeats_occur (self->rejections, key, zclock_mono (), &unsaid))
        return;
    crier_log (CRIER_LOG_WARN, "frame.rejected", "from", source, "field", error->field, "error",
               error->message, "bytes", CRIER_LOG_INT (bytes), "more_like_it",
               CRIER_LOG_INT (unsaid), "rejected_total", CRIER_LOG_INT (self->rejected), "hint",
               "fix the sender; other notifications are not affected (the same mistake from the "
               "same sender: one line every 10 s, with how many more came)");
    crier_event_t *event = crier_event_new ("frame.rejected");
    if (event) {
        crier_event_add_text (event, "from", source);
        crier_event_add_text (event, "field", error->field);
        crier_event_add_text (event, "error", error->message);
        crier_event_add_int (event, "bytes", (int64_t)bytes);
        crier_event_add_int (event, "more_like_it", (int64_t)unsaid);
        crier_event_send (&event, self->events);
    }
}

//  What a flood left unsaid when it stopped: one line and one event with the count.
static void s_rejections_unsaid (const char *key, uint64_t unsaid, void *arg)
{
    ingest_server_t *self = arg;
    //  key is "source|field|message" without the message's numbers.
    const char *bar = strchr (key, '|');
    char source[CRIER_INGEST_SOURCE_BYTES];
    snprintf (source, sizeof source, "%.*s", bar ? (int)(bar - key) : 0, key);
    const char *mistake = bar ? bar + 1 : key;
    if (strncmp (mistake, "refused|", 8) == 0) {
        crier_log (CRIER_LOG_WARN, "notification.refused", "key", source, "error", mistake + 8,
                   "more_like_it", CRIER_LOG_INT (unsaid), "hint",
                   "the rest of a run of notifications refused for the same reason");
        return;
    }
    crier_log (CRIER_LOG_WARN, "frame.rejected", "from", source, "mistake", mistake, "more_like_it",
               CRIER_LOG_INT (unsaid), "hint",
               "the rest of a run of frames rejected for the same mistake");
    crier_event_t *event = crier_event_new ("frame.rejected");
    if (event) {
        crier_event_add_text (event, "from", source);
        crier_event_add_text (event, "mistake", mistake);
        crier_event_add_int (event, "more_like_it", (int64_t)unsaid);
        crier_event_send (&event, self->events);
    }
}

void crier_ingest_flush_rejections (ingest_server_t *self)
{
    if (self->rejections)
        crier_repeats_flush (self->rejections, zclock_mono (), s_rejections_unsaid, self);
}

//  Who sent a frame, for the rejection lines: its CURVE key, its address, or "unknown".
static const char *s_source (const char *key, const char *address)
{
    return key ? key : address ? address : "unknown";
}

//  Encodes notification.accepted into the batch's events, for taken (published once it is on
//  disk). An event that cannot be made is left out: the notification is not affected.
static void s_encode_accepted (crier_ingest_batch_t *batch, taken_t *taken,
                               const crier_notification_t *notification, size_t bytes)
{
    crier_event_t *event = crier_event_new ("notification.accepted");
    char *data = NULL;
    size_t size = 0;
    if (event) {
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_texts (event, "to", notification->to, notification->to_count);
        crier_event_add_text (event, "priority", crier_priority_name (notification->priority));
        crier_event_add_int (event, "bytes", (int64_t)bytes);
        if (crier_event_encode (event, 0, &data, &size) != 0)
            size = 0;
        crier_event_destroy (&event);
    }
    size_t needed = batch->events_size + size;
    size_t capacity = batch->events_capacity ? batch->events_capacity : 64 * 1024;
    while (capacity < needed)
        capacity *= 2;
    char *events =
        capacity != batch->events_capacity ? realloc (batch->events, capacity) : batch->events;
    if (size > 0 && events) {
        batch->events = events;
        batch->events_capacity = capacity;
        memcpy (events + batch->events_size, data, size);
        taken->event_at = batch->events_size;
        taken->event_size = size;
        batch->events_size += size;
    }
    free (data);
}

//  Journals a notification; it waits for the sync in the batch.
static verdict_t s_record (ingest_server_t *self, crier_notification_t *notification,
                           bool client_id, size_t bytes)
{
    notification->received_at_ms = zclock_time ();
    crier_ingest_batch_t *batch = self->batch;
    size_t length = strlen (notification->id);
    char *frame = NULL;
    size_t frame_size;
    crier_journal_position_t position;
    int rc = length <= CRIER_MAX_ID_BYTES &&
                     crier_array_reserve (&batch->taken, &batch->taken_capacity, batch->taken_count,
                                          sizeof *batch->taken, 64) == 0 &&
                     crier_frame_encode_notification (notification, &frame, &frame_size) == 0
                 ? crier_record_write_notification (self->journal, frame, frame_size, client_id,
                                                    &position)
                 : -1;
    free (frame);
    if (rc != 0) {
        crier_log (CRIER_LOG_ERROR, "journal.append_failed", "id", notification->id, "bytes",
                   CRIER_LOG_INT (bytes), "hint", "out of memory; the client is told to try again");
        crier_ingest_journal_failed (self);
        return VERDICT_UNWRITTEN;
    }
    taken_t *taken = &batch->taken[batch->taken_count++];
    *taken = (taken_t){.position = position,
                       .client_id = client_id,
                       .received_at_ms = notification->received_at_ms};
    memcpy (taken->id, notification->id, length + 1);
    s_encode_accepted (batch, taken, notification, bytes);
    //  Only a client's own id can come again; crier's are new each time.
    if (client_id)
        zhashx_insert (batch->client_ids, taken->id, (void *)(uintptr_t)batch->taken_count);
    if (crier_log_enabled (CRIER_LOG_DEBUG))
        crier_log (CRIER_LOG_DEBUG, "notification.taken", "id", notification->id, "groups",
                   CRIER_LOG_INT (notification->to_count), "bytes", CRIER_LOG_INT (bytes));
    return VERDICT_ACCEPTED;
}

//  With CURVE: whether the client that sent a notification (its public key, from the message's
//  "User-Id") may send to all of its groups. Returns true (*client_p: the client, NULL in plain
//  mode), or false with *error set and logged.
static bool s_allowed (ingest_server_t *self, const char *key,
                       const crier_notification_t *notification, const crier_client_t **client_p,
                       crier_error_t *error)
{
    *client_p = NULL;
    if (!self->zap)
        return true;
    const crier_client_t *client = crier_zap_client (self->zap, key);
    *client_p = client;
    const char *group = NULL;
    for (size_t index = 0; client && !group && index < notification->to_count; index++)
        if (!crier_client_may_send_to (client, notification->to[index]))
            group = notification->to[index];
    if (client && !group)
        return true;
    if (client) {
        char allowed[256];
        crier_error_set (
            error, "to", "client \"%.64s\" may not send to %.128s (its certificate allows: %.120s)",
            client->name, group, crier_client_groups_text (client, allowed, sizeof allowed));
    } else
        crier_error_set (error, "(client)",
                         "this client's certificate was removed from CRIER_CURVE_CLIENTS_DIR");
    self->refused++;
    //  Said once per client and message every REJECTIONS_INTERVAL_MS, as rejected frames are.
    char repeat[CRIER_INGEST_SOURCE_BYTES + sizeof error->message + 16];
    snprintf (repeat, sizeof repeat, "%s|refused|%s", key ? key : "", error->message);
    uint64_t unsaid = 0;
    if (!crier_repeats_occur (self->rejections, repeat, zclock_mono (), &unsaid))
        return false;
    crier_log (CRIER_LOG_WARN, "notification.refused", "client", client ? client->name : "", "key",
               key ? key : "", "error", error->message, "more_like_it", CRIER_LOG_INT (unsaid),
               "refused_total", CRIER_LOG_INT (self->refused), "hint",
               client
                   ? "send to a group the certificate's groups list, or add the group there "
                     "(CRIER_CURVE_CLIENTS_DIR)"
                   : "the client was revoked; it must reconnect with a certificate that is there");
    return false;
}

//  Whether the dead letters of the client (its CURVE key; NULL: the one plain client) fill its
//  share, so that it must let them go before sending more; the others go on. *error says so.
static bool s_dead_full (ingest_server_t *self, const char *tag, crier_error_t *error)
{
    crier_dead_share_t share = crier_ledger_dead_share (self->ledger, tag);
    if (share.count < self->config->max_dead_letters &&
        share.bytes < self->config->max_dead_letter_bytes)
        return false;
    crier_error_set (error, "(client)",
                     "this client's dead letters fill its share (%zu notifications, %llu bytes; "
                     "CRIER_MAX_DEAD_LETTERS, CRIER_MAX_DEAD_LETTER_BYTES): retry or drop them "
                     "(crier dead-letters), then send again",
                     share.count, (unsigned long long)share.bytes);
    return true;
}

static size_t s_backlog (const ingest_server_t *self)
{
    return crier_ledger_backlog (self->ledger) + self->batch->taken_count;
}

//  Decides on one frame from a service; id receives the notification id when there is one.
//  client_key is the sender's CURVE public key, NULL in plain mode.
static verdict_t s_take (ingest_server_t *self, const void *data, size_t size,
                         const char *client_key, const char *source, char *id, size_t id_size,
                         crier_wait_request_t *wait, crier_error_t *error)
{
    crier_notification_t *notification =
        crier_notification_decode (data, size, self->config->max_message_bytes, error);
    //  Only a frame that is no notification is looked at as a wait request: notifications pay
    //  nothing for it.
    crier_wait_request_t request;
    crier_error_t not_wait = {{0}, {0}};
    int wait_rc = notification || size > CRIER_WAIT_MAX_BYTES
                      ? -1
                      : crier_wait_request_decode (data, size, &request, &not_wait);
    if (wait_rc == 0 && wait) {
        *wait = request;
        return VERDICT_WAIT;
    }
    if (wait_rc == 0) {
        crier_wait_request_free (&request);
        crier_error_set (error, "(frame)",
                         "a wait request: send it to the acknowledged endpoint (REQ or DEALER), "
                         "where the answer can come back");
    } else if (!notification && size <= CRIER_WAIT_MAX_BYTES &&
               (strcmp (not_wait.field, "timeout_ms") == 0 ||
                (strcmp (not_wait.field, "wait") == 0 && strcmp (not_wait.message, "required"))))
        *error = not_wait; //  a wait request, but a wrong one: say what is wrong with it
    if (!notification) {
        s_reject (self, source, size, error);
        return VERDICT_REJECTED;
    }
    const crier_client_t *client;
    if (!s_allowed (self, client_key, notification, &client, error)) {
        crier_notification_destroy (&notification);
        return VERDICT_REJECTED;
    }
    verdict_t verdict;
    bool client_id = notification->id != NULL;
    const char *tag = client ? client->tag : ""; //  "": the one plain client
    //  The answer names the id as the client gave it; crier goes on with the scoped one.
    if (client_id)
        snprintf (id, id_size, "%s", notification->id);
    if (client_id && client && crier_ingest_scope_id (&notification->id, client->key, tag) != 0) {
        crier_notification_destroy (&notification);
        return VERDICT_UNWRITTEN; //  out of memory: the client tries again
    }
    if (client_id && (crier_ledger_seen (self->ledger, notification->id, zclock_time ()) ||
                      zhashx_lookup (self->batch->client_ids, notification->id))) {
        self->duplicates++;
        crier_log (CRIER_LOG_INFO, "notification.duplicate", "id", notification->id, "hint",
                   "this id was accepted before (CRIER_DEDUP_WINDOW); it is not sent again");
        verdict = VERDICT_DUPLICATE;
    } else if (self->journal_failing)
        verdict = VERDICT_UNWRITTEN;
    else if (s_backlog (self) >= self->config->max_backlog)
        verdict = VERDICT_FULL;
    else if (s_dead_full (self, tag, error)) {
        s_reject (self, source, size, error);
        verdict = VERDICT_DEAD_FULL;
    } else {
        if (!client_id) {
            char fresh[CRIER_ID_BYTES];
            crier_id_generate (fresh);
            crier_notification_set (&notification->id, fresh);
            //  Its client is known by the tag too (its dead letters are its own).
            if (notification->id && client &&
                crier_ingest_scope_id (&notification->id, client->key, tag) != 0)
                crier_notification_set (&notification->id, NULL);
        }
        verdict =
            notification->id ? s_record (self, notification, client_id, size) : VERDICT_UNWRITTEN;
    }
    if (notification->id && !client_id)
        snprintf (id, id_size, "%s", notification->id);
    crier_notification_destroy (&notification);
    return verdict;
}

int crier_ingest_scope_id (char **id_p, const char *client_key, const char *tag)
{
    char scoped[CRIER_MAX_ID_BYTES + 1];
    if (strlen (*id_p) + 1 + CRIER_CLIENT_TAG_BYTES <= CRIER_MAX_ID_BYTES)
        snprintf (scoped, sizeof scoped, "%s@%s", *id_p, tag);
    else {
        //  Too long to carry: a digest of both (the same each time), and the tag all the same.
        char digest[CRIER_DIGEST_BYTES];
        const char *const parts[] = {client_key, *id_p};
        crier_id_digest (digest, parts, 2);
        snprintf (scoped, sizeof scoped, "%.28s@%s", digest, tag);
    }
    char *copy = strdup (scoped);
    if (!copy)
        return -1;
    free (*id_p);
    *id_p = copy;
    return 0;
}

//  Admits what was taken into the ledger once it is on disk. Returns how many could not be.
static size_t s_admit (ingest_server_t *self, bool synced)
{
    crier_ingest_batch_t *batch = self->batch;
    size_t lost = 0;
    for (size_t index = 0; index < batch->taken_count; index++) {
        taken_t *taken = &batch->taken[index];
        taken->admitted =
            synced && crier_ledger_accept (self->ledger, taken->id, taken->position,
                                           taken->client_id, taken->received_at_ms) == 0;
        if (!taken->admitted) {
            lost++;
            continue;
        }
        self->accepted++;
        if (taken->event_size > 0)
            crier_event_send_encoded (self->events, "notification.accepted",
                                      batch->events + taken->event_at, taken->event_size);
    }
    //  On disk but not in the ledger (out of memory): the state is written anew without it.
    if (synced && lost > 0)
        crier_ingest_journal_failed (self);
    return lost;
}

//  Replaces the body of an answer that promised what the journal does not hold.
static void s_say_unwritten (zmsg_t *message)
{
    zframe_t *last = zmsg_last (message);
    zmsg_remove (message, last);
    zframe_destroy (&last);
    crier_reply_t failure = {.error = (char *)s_unwritten_message, .temporary = true};
    char *data;
    size_t size;
    if (crier_reply_encode (&failure, &data, &size) == 0) {
        zmsg_addmem (message, data, size);
        free (data);
    }
}

void crier_ingest_commit (ingest_server_t *self)
{
    crier_ingest_batch_t *batch = self->batch;
    bool synced = batch->taken_count == 0 && batch->reply_count == 0;
    if (!synced) {
        synced = !self->journal_failing && crier_journal_sync (self->journal) == 0;
        if (!synced)
            crier_ingest_journal_failed (self);
    }
    size_t lost = s_admit (self, synced);
    for (size_t index = 0; index < batch->reply_count; index++) {
        reply_t *reply = &batch->replies[index];
        bool kept =
            reply->taken ? batch->taken[reply->taken - 1].admitted : synced || !reply->promised;
        if (!kept)
            s_say_unwritten (reply->message);
        zmsg_send (&reply->message, self->router);
        zmsg_destroy (&reply->message);
    }
    if (lost > 0)
        crier_log (CRIER_LOG_ERROR, "notifications.not_accepted", "count", CRIER_LOG_INT (lost),
                   "hint",
                   "their journal records could not be made durable, so they were cut off: the "
                   "acknowledged endpoint's clients were told to try again; what came on the "
                   "PULL endpoint is lost (it has no answer: use the acknowledged endpoint)");
    batch->taken_count = batch->reply_count = batch->events_size = 0;
    if (zhashx_size (batch->client_ids) > 0)
        zhashx_purge (batch->client_ids);
    crier_ingest_step (self);
}

//  Takes one message from the PULL socket. Returns false when none was waiting.
static bool s_take_pulled (ingest_server_t *self)
{
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, zsock_resolve (self->pull), ZMQ_DONTWAIT) == -1) {
        zmq_msg_close (&part);
        return false;
    }
    size_t bytes = zmq_msg_size (&part);
    crier_error_t error;
    if (zmq_msg_more (&part)) {
        size_t parts = 1;
        //  A multi-part message is one client mistake: read all of it, reject it once.
        zmq_msg_t rest;
        zmq_msg_init (&rest);
        bool more = true;
        while (more && zmq_msg_recv (&rest, zsock_resolve (self->pull), 0) != -1) {
            parts++;
            bytes += zmq_msg_size (&rest);
            more = zmq_msg_more (&rest);
        }
        zmq_msg_close (&rest);
        crier_error_set (&error, "(frame)",
                         "a multi-part message of %zu frames: send each notification as one frame",
                         parts);
        const char *key = self->zap ? zmq_msg_gets (&part, "User-Id") : NULL;
        s_reject (self, s_source (key, zmq_msg_gets (&part, "Peer-Address")), bytes, &error);
    } else {
        char id[CRIER_MAX_ID_BYTES + 1];
        const char *key = self->zap ? zmq_msg_gets (&part, "User-Id") : NULL;
        s_take (self, zmq_msg_data (&part), bytes, key,
                s_source (key, zmq_msg_gets (&part, "Peer-Address")), id, sizeof id, NULL, &error);
    }
    zmq_msg_close (&part);
    return true;
}

int crier_ingest_on_pull (zloop_t *loop, zsock_t *socket, void *arg)
{
    ingest_server_t *self = arg;
    for (int count = 0; count < BATCH && s_take_pulled (self); count++)
        if (s_backlog (self) >= self->config->max_backlog || self->journal_failing)
            break;
    crier_ingest_commit (self);
    return 0;
}

zframe_t *crier_ingest_request_body (zmsg_t *request)
{
    if (zmsg_size (request) != 3)
        return NULL;
    zmsg_first (request); //  the routing id
    zframe_t *delimiter = zmsg_next (request);
    if (!delimiter || zframe_size (delimiter) != 0)
        return NULL;
    zframe_t *body = zmsg_last (request);
    zmsg_remove (request, body);
    return body;
}

//  A request whose frames are not [routing id][empty][notification]: refused with a reason,
//  answered only when the routing id and a delimiter can carry the answer.
static void s_refuse_envelope (ingest_server_t *self, zmsg_t **request_p)
{
    zmsg_t *request = *request_p;
    zframe_t *first = zmsg_first (request);
    crier_error_t error;
    crier_error_set (&error, "(frame)",
                     "a request of %zu frames: send one notification frame after the empty "
                     "delimiter (REQ adds it; DEALER clients send it themselves)",
                     zmsg_size (request) > 0 ? zmsg_size (request) - 1 : 0);
    const char *key = self->zap && first ? zframe_meta (first, "User-Id") : NULL;
    s_reject (self, s_source (key, first ? zframe_meta (first, "Peer-Address") : NULL),
              zmsg_content_size (request), &error);
    char message[300], *data;
    size_t size;
    snprintf (message, sizeof message, "%s: %s", error.field, error.message);
    crier_reply_t answer = {.ok = false, .error = message};
    zframe_t *identity = first ? zframe_dup (first) : NULL;
    zmsg_destroy (request_p);
    if (!identity || crier_reply_encode (&answer, &data, &size) != 0) {
        zframe_destroy (&identity);
        return;
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &identity);
    zmsg_addmem (reply, "", 0);
    zmsg_addmem (reply, data, size);
    free (data);
    zmsg_send (&reply, self->router);
}

//  Answers one request on the acknowledged endpoint: [routing id][empty][notification].
static void s_take_request (ingest_server_t *self, zmsg_t *request)
{
    zframe_t *frame = crier_ingest_request_body (request);
    if (!frame) {
        s_refuse_envelope (self, &request);
        return;
    }
    char id[CRIER_MAX_ID_BYTES + 1] = "";
    crier_error_t error;
    crier_ingest_batch_t *batch = self->batch;
    size_t taken_before = batch->taken_count;
    const char *key = self->zap ? zframe_meta (frame, "User-Id") : NULL;
    const char *source = s_source (key, zframe_meta (frame, "Peer-Address"));
    crier_wait_request_t wait;
    verdict_t verdict = s_take (self, zframe_data (frame), zframe_size (frame), key, source, id,
                                sizeof id, &wait, &error);
    zframe_destroy (&frame);
    if (verdict == VERDICT_WAIT) {
        //  Answered now (queued like the other answers, promising nothing), or held.
        zmsg_t *answer = crier_ingest_wait (self, request, &wait, key);
        crier_wait_request_free (&wait);
        if (answer && crier_array_reserve (&batch->replies, &batch->reply_capacity,
                                           batch->reply_count, sizeof *batch->replies, 64) == 0)
            batch->replies[batch->reply_count++] = (reply_t){answer, false, 0};
        else
            zmsg_destroy (&answer);
        return;
    }
    char message[300];
    crier_reply_t answer = {.ok = verdict == VERDICT_ACCEPTED || verdict == VERDICT_DUPLICATE,
                            .duplicate = verdict == VERDICT_DUPLICATE,
                            .temporary = verdict == VERDICT_FULL || verdict == VERDICT_UNWRITTEN ||
                                         verdict == VERDICT_DEAD_FULL,
                            .id = id,
                            .error = message};
    if (verdict == VERDICT_REJECTED || verdict == VERDICT_DEAD_FULL)
        snprintf (message, sizeof message, "%s: %s", error.field, error.message);
    else if (verdict == VERDICT_FULL)
        snprintf (message, sizeof message,
                  "backlog full: %zu notifications are waiting (CRIER_MAX_BACKLOG); try again "
                  "later",
                  s_backlog (self));
    else if (verdict == VERDICT_UNWRITTEN)
        snprintf (message, sizeof message, "%s", s_unwritten_message);
    char *data;
    size_t size;
    if (crier_array_reserve (&batch->replies, &batch->reply_capacity, batch->reply_count,
                             sizeof *batch->replies, 64) != 0 ||
        crier_reply_encode (&answer, &data, &size) != 0) {
        //  Out of memory: no answer (the client times out and sends again); what was taken is
        //  still admitted once synced.
        zmsg_destroy (&request);
        return;
    }
    zmsg_addmem (request, data, size);
    free (data);
    size_t taken = batch->taken_count > taken_before ? batch->taken_count : 0;
    batch->replies[batch->reply_count++] = (reply_t){request, answer.ok, taken};
}

int crier_ingest_on_router (zloop_t *loop, zsock_t *socket, void *arg)
{
    ingest_server_t *self = arg;
    for (int count = 0; count < BATCH && (zsock_events (self->router) & ZMQ_POLLIN); count++) {
        zmsg_t *request = zmsg_recv (self->router);
        if (!request)
            break;
        s_take_request (self, request);
    }
    crier_ingest_commit (self);
    return 0;
}

void crier_ingest_set_reading (ingest_server_t *self)
{
    bool room = crier_ledger_backlog (self->ledger) < self->config->max_backlog;
    bool read = room && !self->journal_failing && !self->stopping;
    if (read != self->pull_reading) {
        if (read)
            zloop_reader (self->loop, self->pull, crier_ingest_on_pull, self);
        else
            zloop_reader_end (self->loop, self->pull);
        self->pull_reading = read;
    }
    if (!room && !self->backlog_full) {
        crier_log (CRIER_LOG_WARN, "ingest.backlog_full", "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "hint",
                   "CRIER_MAX_BACKLOG notifications wait for senders; the PULL endpoint stops "
                   "reading and the acknowledged one answers \"backlog full\" until they drain");
        self->backlog_full = true;
    } else if (room && self->backlog_full) {
        crier_log (CRIER_LOG_INFO, "ingest.backlog_draining", "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)));
        self->backlog_full = false;
    }
}

int crier_ingest_intake_new (ingest_server_t *self)
{
    self->batch = calloc (1, sizeof *self->batch);
    if (!self->batch || !(self->batch->client_ids = zhashx_new ()))
        return -1;
    self->rejections = crier_repeats_new (REJECTIONS_INTERVAL_MS, REJECTIONS_SOURCES);
    return self->rejections ? 0 : -1;
}

void crier_ingest_intake_destroy (ingest_server_t *self)
{
    crier_repeats_destroy (&self->rejections);
    crier_ingest_batch_t *batch = self->batch;
    if (!batch)
        return;
    for (size_t index = 0; index < batch->reply_count; index++)
        zmsg_destroy (&batch->replies[index].message);
    free (batch->replies);
    free (batch->taken);
    free (batch->events);
    zhashx_destroy (&batch->client_ids);
    free (batch);
    self->batch = NULL;
}

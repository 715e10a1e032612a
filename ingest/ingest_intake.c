/*  ingest_intake.c - crier-ingest takes notifications from services: the verdict on each frame,
    its journal record, and the answer, which goes only once the record is on disk (see
    ingest_state.h). A notification enters the ledger (and so can reach the resolver) only after
    its batch's sync succeeded: a batch whose sync failed is cut off the journal and its clients
    are told to try again, so nothing they were told to retry is ever delivered. */
#include "ingest_state.h"
#include "records.h"

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
} verdict_t;

//  An accepted notification whose record waits for the next sync.
typedef struct {
    char id[CRIER_MAX_ID_BYTES + 1];
    crier_journal_position_t position;
    bool client_id;
    int64_t received_at_ms;
    crier_event_t *accepted; //  notification.accepted, published once it is on disk
    bool admitted;           //  on disk and in the ledger
} taken_t;

//  An answer on the acknowledged endpoint, waiting for the sync.
typedef struct {
    zmsg_t *message;
    bool promised;  //  it says "on disk" (accepted, or a duplicate): only true after a sync
    taken_t *taken; //  what it accepted, if anything
} reply_t;

static const char *s_unwritten_message =
    "crier-ingest could not write its journal (see its log); try again";

static void s_reject (ingest_server_t *self, size_t bytes, const crier_error_t *error)
{
    self->rejected++;
    crier_log (CRIER_LOG_WARN, "frame.rejected", "field", error->field, "error", error->message,
               "bytes", CRIER_LOG_INT (bytes), "rejected_total", CRIER_LOG_INT (self->rejected),
               "hint", "fix the sender; other notifications are not affected");
    crier_event_t *event = crier_event_new ("frame.rejected");
    if (event) {
        crier_event_add_text (event, "field", error->field);
        crier_event_add_text (event, "error", error->message);
        crier_event_add_int (event, "bytes", (int64_t)bytes);
        crier_event_send (&event, self->events);
    }
}

static crier_event_t *s_accepted_event (const crier_notification_t *notification, size_t bytes)
{
    crier_event_t *event = crier_event_new ("notification.accepted");
    if (event) {
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_texts (event, "to", notification->to, notification->to_count);
        crier_event_add_text (event, "priority", crier_priority_name (notification->priority));
        crier_event_add_int (event, "bytes", (int64_t)bytes);
    }
    return event;
}

static void s_taken_destroy (void **item)
{
    taken_t *taken = *item;
    if (taken)
        crier_event_destroy (&taken->accepted);
    free (taken);
    *item = NULL;
}

//  Journals a notification; it waits for the sync in the taken list.
static verdict_t s_record (ingest_server_t *self, crier_notification_t *notification,
                           bool client_id, size_t bytes)
{
    notification->received_at_ms = zclock_time ();
    taken_t *taken = calloc (1, sizeof *taken);
    char *frame = NULL;
    size_t frame_size;
    int rc = taken && crier_frame_encode_notification (notification, &frame, &frame_size) == 0
                 ? crier_record_write_notification (self->journal, frame, frame_size, client_id,
                                                    &taken->position)
                 : -1;
    free (frame);
    if (rc != 0) {
        free (taken);
        crier_log (CRIER_LOG_ERROR, "journal.append_failed", "id", notification->id, "bytes",
                   CRIER_LOG_INT (bytes), "hint", "out of memory; the client is told to try again");
        crier_ingest_journal_failed (self);
        return VERDICT_UNWRITTEN;
    }
    snprintf (taken->id, sizeof taken->id, "%s", notification->id);
    taken->client_id = client_id;
    taken->received_at_ms = notification->received_at_ms;
    taken->accepted = s_accepted_event (notification, bytes);
    zlistx_add_end (self->taken, taken);
    //  Only a client's own id can come again; crier's are new each time.
    if (client_id)
        zhashx_insert (self->taken_ids, taken->id, taken);
    if (crier_log_enabled (CRIER_LOG_DEBUG))
        crier_log (CRIER_LOG_DEBUG, "notification.taken", "id", notification->id, "groups",
                   CRIER_LOG_INT (notification->to_count), "bytes", CRIER_LOG_INT (bytes));
    return VERDICT_ACCEPTED;
}

//  With CURVE: whether the client that sent a notification (its public key, from the message's
//  "User-Id") may send to all of its groups. Returns true, or false with *error set and logged.
static bool s_allowed (ingest_server_t *self, const char *key,
                       const crier_notification_t *notification, crier_error_t *error)
{
    if (!self->zap)
        return true;
    const crier_client_t *client = crier_zap_client (self->zap, key);
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
    crier_log (CRIER_LOG_WARN, "notification.refused", "client", client ? client->name : "", "key",
               key ? key : "", "error", error->message, "refused_total",
               CRIER_LOG_INT (self->refused), "hint",
               client
                   ? "send to a group the certificate's groups list, or add the group there "
                     "(CRIER_CURVE_CLIENTS_DIR)"
                   : "the client was revoked; it must reconnect with a certificate that is there");
    return false;
}

static size_t s_backlog (const ingest_server_t *self)
{
    return crier_ledger_backlog (self->ledger) + zlistx_size (self->taken);
}

//  Decides on one frame from a service; id receives the notification id when there is one, and
//  taken_p what it accepted. client_key is the sender's CURVE public key, NULL in plain mode.
static verdict_t s_take (ingest_server_t *self, const void *data, size_t size,
                         const char *client_key, char *id, size_t id_size, taken_t **taken_p,
                         crier_error_t *error)
{
    *taken_p = NULL;
    crier_notification_t *notification =
        crier_notification_decode (data, size, self->config->max_message_bytes, error);
    if (!notification) {
        s_reject (self, size, error);
        return VERDICT_REJECTED;
    }
    if (!s_allowed (self, client_key, notification, error)) {
        crier_notification_destroy (&notification);
        return VERDICT_REJECTED;
    }
    verdict_t verdict;
    bool client_id = notification->id != NULL;
    if (client_id && (crier_ledger_seen (self->ledger, notification->id, zclock_time ()) ||
                      zhashx_lookup (self->taken_ids, notification->id))) {
        self->duplicates++;
        crier_log (CRIER_LOG_INFO, "notification.duplicate", "id", notification->id, "hint",
                   "this id was accepted before (CRIER_DEDUP_WINDOW); it is not sent again");
        verdict = VERDICT_DUPLICATE;
    } else if (self->journal_failing)
        verdict = VERDICT_UNWRITTEN;
    else if (s_backlog (self) >= self->config->max_backlog)
        verdict = VERDICT_FULL;
    else {
        if (!client_id) {
            char fresh[CRIER_ID_BYTES];
            crier_id_generate (fresh);
            crier_notification_set (&notification->id, fresh);
        }
        verdict =
            notification->id ? s_record (self, notification, client_id, size) : VERDICT_UNWRITTEN;
        if (verdict == VERDICT_ACCEPTED)
            *taken_p = zlistx_last (self->taken);
    }
    if (notification->id)
        snprintf (id, id_size, "%s", notification->id);
    crier_notification_destroy (&notification);
    return verdict;
}

//  Admits what was taken into the ledger once it is on disk. Returns how many could not be.
static size_t s_admit (ingest_server_t *self, bool synced)
{
    size_t lost = 0;
    for (taken_t *taken = zlistx_first (self->taken); taken; taken = zlistx_next (self->taken)) {
        taken->admitted =
            synced && crier_ledger_accept (self->ledger, taken->id, taken->position,
                                           taken->client_id, taken->received_at_ms) == 0;
        if (!taken->admitted) {
            lost++;
            continue;
        }
        self->accepted++;
        if (taken->accepted)
            crier_event_send (&taken->accepted, self->events);
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
    bool synced = zlistx_size (self->taken) == 0 && zlistx_size (self->replies) == 0;
    if (!synced) {
        synced = !self->journal_failing && crier_journal_sync (self->journal) == 0;
        if (!synced)
            crier_ingest_journal_failed (self);
    }
    size_t lost = s_admit (self, synced);
    for (reply_t *reply = zlistx_first (self->replies); reply;
         reply = zlistx_first (self->replies)) {
        zlistx_detach_cur (self->replies);
        bool kept = reply->taken ? reply->taken->admitted : synced || !reply->promised;
        if (!kept)
            s_say_unwritten (reply->message);
        zmsg_send (&reply->message, self->router);
        zmsg_destroy (&reply->message);
        free (reply);
    }
    if (lost > 0)
        crier_log (CRIER_LOG_ERROR, "notifications.not_accepted", "count", CRIER_LOG_INT (lost),
                   "hint",
                   "their journal records could not be made durable, so they were cut off: the "
                   "acknowledged endpoint's clients were told to try again; what came on the "
                   "PULL endpoint is lost (it has no answer: use the acknowledged endpoint)");
    zlistx_purge (self->taken);
    zhashx_purge (self->taken_ids);
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
        s_reject (self, bytes, &error);
    } else {
        char id[CRIER_MAX_ID_BYTES + 1];
        taken_t *taken;
        const char *key = self->zap ? zmq_msg_gets (&part, "User-Id") : NULL;
        s_take (self, zmq_msg_data (&part), bytes, key, id, sizeof id, &taken, &error);
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

//  Answers one request on the acknowledged endpoint: [envelope...][notification].
static void s_take_request (ingest_server_t *self, zmsg_t *request)
{
    zframe_t *frame = zmsg_last (request);
    if (!frame || zmsg_size (request) < 2) {
        zmsg_destroy (&request);
        return;
    }
    zmsg_remove (request, frame);
    char id[CRIER_MAX_ID_BYTES + 1] = "";
    crier_error_t error;
    taken_t *taken;
    const char *key = self->zap ? zframe_meta (frame, "User-Id") : NULL;
    verdict_t verdict =
        s_take (self, zframe_data (frame), zframe_size (frame), key, id, sizeof id, &taken, &error);
    zframe_destroy (&frame);
    char message[300];
    crier_reply_t answer = {.ok = verdict == VERDICT_ACCEPTED || verdict == VERDICT_DUPLICATE,
                            .duplicate = verdict == VERDICT_DUPLICATE,
                            .temporary = verdict == VERDICT_FULL || verdict == VERDICT_UNWRITTEN,
                            .id = id,
                            .error = message};
    if (verdict == VERDICT_REJECTED)
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
    reply_t *reply = calloc (1, sizeof *reply);
    if (!reply || crier_reply_encode (&answer, &data, &size) != 0) {
        //  Out of memory: no answer (the client times out and sends again); what was taken is
        //  still admitted once synced.
        free (reply);
        zmsg_destroy (&request);
        return;
    }
    zmsg_addmem (request, data, size);
    free (data);
    *reply = (reply_t){request, answer.ok, taken};
    zlistx_add_end (self->replies, reply);
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
    bool read = room && !self->journal_failing;
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
    self->taken = zlistx_new ();
    self->taken_ids = zhashx_new ();
    self->replies = zlistx_new ();
    if (!self->taken || !self->taken_ids || !self->replies)
        return -1;
    zlistx_set_destructor (self->taken, s_taken_destroy);
    return 0;
}

void crier_ingest_intake_destroy (ingest_server_t *self)
{
    for (reply_t *reply = zlistx_first (self->replies); reply;
         reply = zlistx_next (self->replies)) {
        zmsg_destroy (&reply->message);
        free (reply);
    }
    zlistx_destroy (&self->replies);
    zlistx_destroy (&self->taken);
    zhashx_destroy (&self->taken_ids);
}

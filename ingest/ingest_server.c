/*  ingest_server.c - see ingest_server.h. Everything runs on one zloop: the two ingest sockets,
    the receipts from the event bus, the wait for the resolver to take more, and a tick that
    syncs the journal, redelivers expired leases and compacts. */
#include "backlog.h"
#include "ingest_control.h"
#include "ingest_server.h"
#include "ledger.h"

#include "crier/curve.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/handshake_watch.h"
#include "crier/id.h"
#include "crier/log.h"
#include "crier/paced.h"
#include "crier/process.h"
#include "crier/receipt.h"
#include "crier/reply.h"
#include "crier/socket.h"
#include "crier/zap.h"

#include <errno.h>
#include <stdbool.h>

//  How often the counters are logged, when they changed.
#define STATS_INTERVAL_MS 60000
//  How often the journal is synced (for receipts; accepted notifications are synced before they
//  are acknowledged), leases checked and the journal's size looked at.
#define TICK_MS 100
//  Frames handled per wake-up before looking at other sockets.
#define BATCH 1024
//  Frames up to this many times CRIER_MAX_MESSAGE_BYTES are read and rejected with a log line;
//  ZeroMQ drops the connection of a peer sending anything larger, to bound memory.
#define HARD_LIMIT_FACTOR 4
//  The receipts socket queues this many events at most: a lost receipt costs a redelivery.
#define RECEIPTS_HWM 200000
//  Receipts are read in batches at most this often: a busy pipeline sends several per
//  notification, and waking for each was most of ingest's work. They only update the ledger,
//  so a few milliseconds of delay cost nothing (RECEIPTS_HWM holds 2 s at 100,000 a second).
#define RECEIPTS_INTERVAL_MS 5
//  Receipts taken per turn at most, so that a flood does not hold up the clients' answers.
#define RECEIPTS_BATCH 20000

typedef enum { VERDICT_ACCEPTED, VERDICT_DUPLICATE, VERDICT_REJECTED, VERDICT_FULL } verdict_t;

typedef struct {
    const crier_ingest_config_t *config;
    zloop_t *loop;
    zsock_t *pull;     //  services push here
    zsock_t *router;   //  services that want an answer send here
    zsock_t *control;  //  crier dead-letters asks here
    zsock_t *push;     //  to the resolver
    zsock_t *events;   //  to the event bus
    zsock_t *receipts; //  from the event bus
    crier_paced_t *receipts_reader;
    crier_journal_t *journal;
    crier_ledger_t *ledger;
    zlistx_t *replies; //  zmsg_t: answers waiting for the journal sync
    crier_heartbeat_t *heartbeat;
    crier_curve_t *curve;           //  CURVE keys of the three endpoints; NULL in plain mode
    crier_zap_t *zap;               //  who may connect, and send where; NULL in plain mode
    crier_handshake_watch_t *watch; //  logs clients that fail the CURVE handshake
    bool pull_reading;
    bool waiting_for_resolver; //  a POLLOUT poller is set on push
    bool window_full;          //  the in-flight window filled: refill it in a burst
    bool backlog_full;         //  logged once per episode
    uint64_t compact_at;       //  journal size that starts a compaction
    uint64_t accepted;
    uint64_t rejected;
    uint64_t duplicates;
    uint64_t refused; //  by a client certificate's groups
    uint64_t redelivered;
    uint64_t accepted_logged;
    uint64_t rejected_logged;
} server_t;

static void s_reject (server_t *self, size_t bytes, const crier_error_t *error)
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

static void s_publish_accepted (server_t *self, const crier_notification_t *notification,
                                size_t bytes)
{
    //  Per message: only format the numbers when the line is wanted.
    if (crier_log_enabled (CRIER_LOG_DEBUG))
        crier_log (CRIER_LOG_DEBUG, "notification.accepted", "id", notification->id, "groups",
                   CRIER_LOG_INT (notification->to_count), "bytes", CRIER_LOG_INT (bytes));
    crier_event_t *event = crier_event_new ("notification.accepted");
    if (event) {
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_texts (event, "to", notification->to, notification->to_count);
        crier_event_add_text (event, "priority", crier_priority_name (notification->priority));
        crier_event_add_int (event, "bytes", (int64_t)bytes);
        crier_event_send (&event, self->events);
    }
}

//  Journals a notification and adds it to the ledger (the caller syncs the journal).
static verdict_t s_record (server_t *self, crier_notification_t *notification, bool client_id,
                           size_t bytes, crier_error_t *error)
{
    notification->received_at_ms = zclock_time ();
    char *frame;
    size_t frame_size;
    if (crier_frame_encode_notification (notification, &frame, &frame_size) != 0) {
        crier_error_set (error, "(frame)", "out of memory");
        return VERDICT_REJECTED;
    }
    crier_journal_position_t position = {0, 0};
    int rc = crier_journal_append (
        self->journal, client_id ? CRIER_RECORD_CLIENT_NOTIFICATION : CRIER_RECORD_NOTIFICATION,
        frame, frame_size, &position);
    free (frame);
    if (rc != 0 || crier_ledger_accept (self->ledger, notification->id, position, client_id,
                                        notification->received_at_ms) != 0) {
        crier_error_set (error, "(frame)", "out of memory");
        return VERDICT_REJECTED;
    }
    self->accepted++;
    s_publish_accepted (self, notification, bytes);
    return VERDICT_ACCEPTED;
}

//  With CURVE: whether the client that sent a notification (its public key, from the message's
//  "User-Id") may send to all of its groups. Returns true, or false with *error set and logged.
static bool s_allowed (server_t *self, const char *key, const crier_notification_t *notification,
                       crier_error_t *error)
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

//  Decides on one frame from a service; id receives the notification id when there is one.
//  client_key is the sender's CURVE public key, NULL in plain mode.
static verdict_t s_take (server_t *self, const void *data, size_t size, const char *client_key,
                         char *id, size_t id_size, crier_error_t *error)
{
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
    if (client_id && crier_ledger_seen (self->ledger, notification->id, zclock_time ())) {
        self->duplicates++;
        crier_log (CRIER_LOG_INFO, "notification.duplicate", "id", notification->id, "hint",
                   "this id was accepted before (CRIER_DEDUP_WINDOW); it is not sent again");
        verdict = VERDICT_DUPLICATE;
    } else if (crier_ledger_backlog (self->ledger) >= self->config->max_backlog)
        verdict = VERDICT_FULL;
    else {
        if (!client_id) {
            char fresh[CRIER_ID_BYTES];
            crier_id_generate (fresh);
            crier_notification_set (&notification->id, fresh);
        }
        verdict = notification->id ? s_record (self, notification, client_id, size, error)
                                   : VERDICT_REJECTED;
    }
    if (notification->id)
        snprintf (id, id_size, "%s", notification->id);
    crier_notification_destroy (&notification);
    return verdict;
}

static void s_set_reading (server_t *self);
static void s_dispatch (server_t *self);

//  Makes what was taken durable, then answers and passes it on.
static void s_commit (server_t *self)
{
    bool synced = crier_journal_sync (self->journal) == 0;
    for (zmsg_t *reply = zlistx_first (self->replies); reply;
         reply = zlistx_first (self->replies)) {
        zlistx_detach_cur (self->replies);
        if (!synced) {
            //  Replace the answer: nothing is promised that is not on disk.
            zframe_t *last = zmsg_last (reply);
            zmsg_remove (reply, last);
            zframe_destroy (&last);
            crier_reply_t failure = {.error = "crier-ingest could not write its journal; try again",
                                     .temporary = true};
            char *data;
            size_t size;
            if (crier_reply_encode (&failure, &data, &size) == 0) {
                zmsg_addmem (reply, data, size);
                free (data);
            }
        }
        zmsg_send (&reply, self->router);
        zmsg_destroy (&reply);
    }
    s_dispatch (self);
    s_set_reading (self);
}

//  Takes one message from the PULL socket. Returns false when none was waiting.
static bool s_take_pulled (server_t *self)
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
        char id[256];
        const char *key = self->zap ? zmq_msg_gets (&part, "User-Id") : NULL;
        s_take (self, zmq_msg_data (&part), bytes, key, id, sizeof id, &error);
    }
    zmq_msg_close (&part);
    return true;
}

static int s_on_pull (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = arg;
    for (int count = 0; count < BATCH && s_take_pulled (self); count++)
        if (crier_ledger_backlog (self->ledger) >= self->config->max_backlog)
            break;
    s_commit (self);
    return 0;
}

//  Answers one request on the acknowledged endpoint: [envelope...][notification].
static void s_take_request (server_t *self, zmsg_t *request)
{
    zframe_t *frame = zmsg_last (request);
    if (!frame || zmsg_size (request) < 2) {
        zmsg_destroy (&request);
        return;
    }
    zmsg_remove (request, frame);
    char id[256] = "";
    crier_error_t error;
    const char *key = self->zap ? zframe_meta (frame, "User-Id") : NULL;
    verdict_t verdict =
        s_take (self, zframe_data (frame), zframe_size (frame), key, id, sizeof id, &error);
    zframe_destroy (&frame);
    char message[300];
    crier_reply_t reply = {.ok = verdict == VERDICT_ACCEPTED || verdict == VERDICT_DUPLICATE,
                           .duplicate = verdict == VERDICT_DUPLICATE,
                           .temporary = verdict == VERDICT_FULL,
                           .id = id,
                           .error = message};
    if (verdict == VERDICT_REJECTED)
        snprintf (message, sizeof message, "%s: %s", error.field, error.message);
    else if (verdict == VERDICT_FULL)
        snprintf (message, sizeof message,
                  "backlog full: %zu notifications are waiting (CRIER_MAX_BACKLOG); try again "
                  "later",
                  crier_ledger_backlog (self->ledger));
    char *data;
    size_t size;
    if (crier_reply_encode (&reply, &data, &size) != 0) {
        zmsg_destroy (&request);
        return;
    }
    zmsg_addmem (request, data, size);
    free (data);
    zlistx_add_end (self->replies, request);
}

static int s_on_router (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = arg;
    for (int count = 0; count < BATCH && (zsock_events (self->router) & ZMQ_POLLIN); count++) {
        zmsg_t *request = zmsg_recv (self->router);
        if (!request)
            break;
        s_take_request (self, request);
    }
    s_commit (self);
    return 0;
}

//  Services are read while the backlog has room; the acknowledged endpoint is always read (it
//  answers "backlog full"), the PULL endpoint is not, so its senders wait.
static void s_set_reading (server_t *self)
{
    bool room = crier_ledger_backlog (self->ledger) < self->config->max_backlog;
    if (room != self->pull_reading) {
        if (room)
            zloop_reader (self->loop, self->pull, s_on_pull, self);
        else
            zloop_reader_end (self->loop, self->pull);
        self->pull_reading = room;
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

static int s_on_writable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_dispatch (arg);
    return 0;
}

//  The frame to send for a piece of work: the journaled frame itself the first time, otherwise
//  rewritten with the attempt and what to send. Returns 0 with a malloc'ed buffer, or -1.
static int s_work_frame (server_t *self, const crier_ledger_work_t *work, char **frame_p,
                         size_t *size_p)
{
    size_t size = work->position.size;
    char *record = malloc (size ? size : 1);
    if (!record || crier_journal_read (self->journal, work->position, record) != 0) {
        free (record);
        return -1;
    }
    if (work->redelivery.attempt == 1 && work->redelivery.only_count == 0 && !work->groups) {
        *frame_p = record;
        *size_p = size;
        return 0;
    }
    crier_error_t error;
    crier_notification_t *notification =
        crier_frame_decode_notification (record, size, NULL, &error);
    free (record);
    int rc = -1;
    if (notification && work->groups) {
        for (size_t index = 0; index < notification->to_count; index++)
            free (notification->to[index]);
        notification->to_count = 0;
        for (size_t index = 0; index < work->group_count; index++)
            crier_notification_add_group (notification, work->groups[index]);
    }
    if (notification)
        rc = crier_frame_encode_redelivery (notification, &work->redelivery, frame_p, size_p);
    crier_notification_destroy (&notification);
    return rc;
}

//  Sends queued work to the resolver while the in-flight window and the resolver have room.
static void s_dispatch (server_t *self)
{
    crier_ledger_work_t work;
    bool blocked = false;
    //  Once the window is full, wait until a tenth of it is free and send that in one burst:
    //  one notification per receipt would wake every process once per notification.
    size_t in_flight = crier_ledger_in_flight (self->ledger);
    size_t max = self->config->max_in_flight;
    if (in_flight >= max)
        self->window_full = true;
    else if (self->window_full && in_flight <= max - (max + 9) / 10)
        self->window_full = false;
    while (!self->window_full && (crier_ledger_next (self->ledger, &work) ||
                                  (crier_backlog_refill (self->ledger, self->journal) > 0 &&
                                   crier_ledger_next (self->ledger, &work)))) {
        char *frame;
        size_t size;
        if (s_work_frame (self, &work, &frame, &size) != 0) {
            crier_log (CRIER_LOG_ERROR, "notification.unreadable", "id", work.id, "hint",
                       "its journal record could not be read back; it is dropped (see the "
                       "journal lines above)");
            crier_ledger_forget (self->ledger, work.id);
            continue;
        }
        int rc = crier_socket_send (self->push, frame, size, ZMQ_DONTWAIT);
        free (frame);
        if (rc != 0) {
            blocked = true;
            break;
        }
        crier_ledger_sent (self->ledger, zclock_time ());
        self->window_full = crier_ledger_in_flight (self->ledger) >= max;
    }
    if (blocked && !self->waiting_for_resolver) {
        crier_log (CRIER_LOG_WARN, "resolver.backpressure", "endpoint",
                   self->config->notifications_endpoint, "hint",
                   "crier-resolver is not running or not keeping up; accepted notifications "
                   "wait in the journal");
        zmq_pollitem_t item = {zsock_resolve (self->push), 0, ZMQ_POLLOUT, 0};
        zloop_poller (self->loop, &item, s_on_writable, self);
        self->waiting_for_resolver = true;
    } else if (!blocked && self->waiting_for_resolver) {
        zmq_pollitem_t item = {zsock_resolve (self->push), 0, ZMQ_POLLOUT, 0};
        zloop_poller_end (self->loop, &item);
        self->waiting_for_resolver = false;
        crier_log (CRIER_LOG_INFO, "resolver.flowing", "endpoint",
                   self->config->notifications_endpoint);
    }
}

//  Applies one receipt (from the bus, or replayed when journal is false).
static void s_apply_receipt (server_t *self, const void *data, size_t size, bool journal)
{
    crier_receipt_t receipt;
    crier_error_t error;
    int rc = crier_receipt_decode (data, size, &receipt, &error);
    if (rc < 0)
        crier_log (CRIER_LOG_WARN, "receipt.invalid", "field", error.field, "error", error.message,
                   "hint", "run the same crier version in every process");
    if (rc <= 0)
        return;
    crier_ledger_change_t change = crier_ledger_apply (self->ledger, &receipt, zclock_time ());
    if (journal && change >= CRIER_LEDGER_UPDATED)
        crier_journal_append (self->journal, CRIER_RECORD_RECEIPT, data, size, NULL);
    if (change == CRIER_LEDGER_FINISHED &&
        crier_ledger_finish (self->ledger, receipt.notification_id) && journal)
        crier_journal_append (self->journal, CRIER_RECORD_COMPLETE, receipt.notification_id,
                              strlen (receipt.notification_id), NULL);
    crier_receipt_free (&receipt);
}

static void s_on_receipts (zsock_t *socket, void *arg)
{
    server_t *self = arg;
    void *handle = zsock_resolve (self->receipts);
    for (int count = 0; count < RECEIPTS_BATCH; count++) {
        zmq_msg_t type, body;
        zmq_msg_init (&type);
        zmq_msg_init (&body);
        bool whole = zmq_msg_recv (&type, handle, ZMQ_DONTWAIT) != -1 && zmq_msg_more (&type) &&
                     zmq_msg_recv (&body, handle, 0) != -1;
        if (whole)
            s_apply_receipt (self, zmq_msg_data (&body), zmq_msg_size (&body), true);
        //  Anything else (an event of another shape) is drained and ignored.
        while (zmq_msg_more (&body) && zmq_msg_recv (&body, handle, 0) != -1)
            ;
        bool got = zmq_msg_size (&type) > 0;
        zmq_msg_close (&type);
        zmq_msg_close (&body);
        if (!got)
            break;
    }
    s_dispatch (self);
    s_set_reading (self);
}

//  Answers crier dead-letters: [envelope...][request] -> [envelope...][reply], once a retry is
//  on disk.
static int s_on_control (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = arg;
    zmsg_t *request = zmsg_recv (self->control);
    zframe_t *body = request ? zmsg_last (request) : NULL;
    if (!body || zmsg_size (request) < 2) {
        zmsg_destroy (&request);
        return 0;
    }
    zmsg_remove (request, body);
    char *reply;
    size_t size;
    int rc;
    const crier_client_t *client =
        self->zap ? crier_zap_client (self->zap, zframe_meta (body, "User-Id")) : NULL;
    if (self->zap && (!client || !client->operator)) {
        crier_log (CRIER_LOG_WARN, "control.refused", "client", client ? client->name : "", "hint",
                   "the control endpoint takes clients whose certificate says operator = "
                   "\"yes\" (crier keygen --operator)");
        crier_control_reply_t refusal = {.error = "this client is not an operator: its "
                                                  "certificate needs operator = \"yes\""};
        rc = crier_control_reply_encode (&refusal, &reply, &size);
    } else
        rc = crier_ingest_control_answer (self->ledger, self->journal, zframe_data (body),
                                          zframe_size (body), &reply, &size);
    zframe_destroy (&body);
    if (rc == 0 && crier_journal_unsynced (self->journal) > 0)
        crier_journal_sync (self->journal);
    if (rc == 0) {
        zmsg_addmem (request, reply, size);
        free (reply);
        zmsg_send (&request, self->control);
    }
    zmsg_destroy (&request);
    s_dispatch (self);
    s_set_reading (self);
    return 0;
}

static int s_rewrite (crier_journal_t *journal, void *arg)
{
    server_t *self = arg;
    return crier_ledger_write_live (self->ledger, journal, zclock_time ());
}

static void s_compact (server_t *self)
{
    uint64_t before = crier_journal_size (self->journal);
    int rc = crier_journal_rewrite (self->journal, s_rewrite, self);
    crier_ledger_rewritten (self->ledger, rc == 0);
    uint64_t after = crier_journal_size (self->journal);
    if (rc == 0)
        crier_log (CRIER_LOG_INFO, "journal.compacted", "bytes_before", CRIER_LOG_INT (before),
                   "bytes_after", CRIER_LOG_INT (after), "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "dead_letters",
                   CRIER_LOG_INT (crier_ledger_dead_count (self->ledger)));
    //  Compact again when the journal has doubled, so that the work stays proportional.
    self->compact_at =
        after * 2 > self->config->compact_bytes ? after * 2 : self->config->compact_bytes;
}

static int s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    size_t expired = crier_ledger_expire (self->ledger, zclock_time ());
    if (expired > 0) {
        self->redelivered += expired;
        crier_log (CRIER_LOG_WARN, "notifications.redelivering", "count", CRIER_LOG_INT (expired),
                   "hint",
                   "no news of them within CRIER_REDELIVER_AFTER; their pending deliveries go "
                   "again (same delivery ids)");
    }
    if (crier_journal_unsynced (self->journal) > 0)
        crier_journal_sync (self->journal);
    if (crier_journal_size (self->journal) >= self->compact_at)
        s_compact (self);
    s_dispatch (self);
    s_set_reading (self);
    return 0;
}

static int s_on_stats (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    if (self->accepted != self->accepted_logged || self->rejected != self->rejected_logged) {
        crier_log (CRIER_LOG_INFO, "ingest.stats", "accepted_total", CRIER_LOG_INT (self->accepted),
                   "rejected_total", CRIER_LOG_INT (self->rejected), "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)));
        self->accepted_logged = self->accepted;
        self->rejected_logged = self->rejected;
    }
    return 0;
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_int (event, "accepted", (int64_t)self->accepted);
    crier_event_add_int (event, "rejected", (int64_t)self->rejected);
    crier_event_add_int (event, "duplicates", (int64_t)self->duplicates);
    crier_event_add_int (event, "backlog", (int64_t)crier_ledger_backlog (self->ledger));
    crier_event_add_int (event, "in_flight", (int64_t)crier_ledger_in_flight (self->ledger));
    crier_event_add_int (event, "redelivered", (int64_t)self->redelivered);
    crier_event_add_int (event, "dead_letters", (int64_t)crier_ledger_dead_count (self->ledger));
    crier_event_add_text (event, "resolver", self->waiting_for_resolver ? "not taking" : "taking");
}

static void s_on_record (uint8_t type, const void *payload, size_t size,
                         crier_journal_position_t position, void *arg)
{
    server_t *self = arg;
    const char *bytes = payload;
    if (crier_record_is_notification (type))
        crier_backlog_load (self->ledger, type, payload, size, position);
    else if (type == CRIER_RECORD_RECEIPT)
        s_apply_receipt (self, payload, size, false);
    else if (type == CRIER_RECORD_COMPLETE && size < 512) {
        char id[512];
        memcpy (id, payload, size);
        id[size] = '\0';
        crier_ledger_forget (self->ledger, id);
    } else if (type == CRIER_RECORD_RETRY && size < 512) {
        char id[512];
        memcpy (id, payload, size);
        id[size] = '\0';
        crier_ledger_retry (self->ledger, size ? id : NULL);
    } else if (type == CRIER_RECORD_SEEN && size > 8 && size < 8 + 512) {
        int64_t at = 0;
        for (int index = 7; index >= 0; index--)
            at = (int64_t)((uint64_t)at << 8 | (unsigned char)bytes[index]);
        char id[512];
        memcpy (id, bytes + 8, size - 8);
        id[size - 8] = '\0';
        crier_ledger_remember (self->ledger, id, at);
    } else
        crier_log (CRIER_LOG_ERROR, "journal.bad_record", "offset", CRIER_LOG_INT (position.offset),
                   "type", CRIER_LOG_INT (type), "bytes", CRIER_LOG_INT (size), "hint",
                   "skipped; was the journal written by another crier version?");
}

static int s_open_journal (server_t *self)
{
    crier_ledger_options_t options = {
        self->config->redeliver_after_ms, self->config->dedup_window_ms,
        (size_t)self->config->dedup_max, (size_t)self->config->max_in_flight};
    self->ledger = crier_ledger_new (&options);
    if (!self->ledger)
        return -1;
    crier_journal_report_t report;
    self->journal = crier_journal_open (self->config->data_dir, s_on_record, self, &report);
    if (!self->journal)
        return -1;
    crier_ledger_replayed (self->ledger);
    uint64_t size = crier_journal_size (self->journal);
    self->compact_at =
        size * 2 > self->config->compact_bytes ? size * 2 : self->config->compact_bytes;
    crier_log (CRIER_LOG_INFO, "journal.opened", "path", self->config->data_dir, "bytes",
               CRIER_LOG_INT (size), "records", CRIER_LOG_INT (report.records), "backlog",
               CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "dead_letters",
               CRIER_LOG_INT (crier_ledger_dead_count (self->ledger)));
    return 0;
}

//  With CURVE, the keys and the ZAP handler, which must exist before the secured sockets bind.
static int s_open_curve (server_t *self)
{
    const crier_ingest_config_t *config = self->config;
    if (!config->curve_secret_key_file)
        return 0;
    self->curve =
        crier_curve_server_new (config->curve_secret_key_file, "CRIER_CURVE_SECRET_KEY_FILE");
    self->zap = self->curve ? crier_zap_new (self->loop, config->curve_clients_dir) : NULL;
    return self->zap ? 0 : -1;
}

//  In plain mode, one warning per endpoint that other hosts can reach.
static void s_warn_if_open (const server_t *self, zsock_t *socket, const char *setting)
{
    char *endpoint = crier_socket_endpoint (socket);
    if (!self->curve && endpoint && !crier_endpoint_is_local (endpoint))
        crier_log (CRIER_LOG_WARN, "ingest.unauthenticated", "endpoint", endpoint, "setting",
                   setting, "hint",
                   "anyone who can reach this address can send notifications through crier: set "
                   "CRIER_CURVE_SECRET_KEY_FILE and CRIER_CURVE_CLIENTS_DIR (docs/security.md), "
                   "or bind to 127.0.0.1");
    free (endpoint);
}

static int s_open_sockets (server_t *self)
{
    const crier_ingest_config_t *config = self->config;
    if (s_open_curve (self) != 0)
        return -1;
    self->pull =
        crier_socket_open_secured (ZMQ_PULL, CRIER_BIND, config->ingest_endpoint, config->hwm,
                                   "ingest endpoint for services", self->curve);
    self->router =
        crier_socket_open_secured (ZMQ_ROUTER, CRIER_BIND, config->ack_endpoint, config->hwm,
                                   "acknowledged ingest endpoint for services", self->curve);
    self->control =
        crier_socket_open_secured (ZMQ_ROUTER, CRIER_BIND, config->control_endpoint, 100,
                                   "control endpoint for crier dead-letters", self->curve);
    self->push = crier_socket_open (ZMQ_PUSH, CRIER_CONNECT, config->notifications_endpoint,
                                    config->hwm, "notifications to crier-resolver");
    self->events = crier_socket_open (ZMQ_PUB, CRIER_CONNECT, config->events_publish_endpoint,
                                      config->hwm, "event bus");
    self->receipts = crier_socket_open (ZMQ_SUB, CRIER_CONNECT, config->events_endpoint,
                                        RECEIPTS_HWM, "receipts from the event bus");
    if (!self->pull || !self->router || !self->control || !self->push || !self->events ||
        !self->receipts)
        return -1;
    if (self->curve) {
        static const char *hint = "the client needs CURVE with crier-ingest's public "
                                  "certificate (crier send --cert ... --server-cert ...; "
                                  "docs/security.md)";
        self->watch = crier_handshake_watch_new (self->loop);
        if (!self->watch ||
            crier_handshake_watch_add (self->watch, self->pull, "ingest endpoint", hint) != 0 ||
            crier_handshake_watch_add (self->watch, self->router, "acknowledged endpoint", hint) !=
                0 ||
            crier_handshake_watch_add (self->watch, self->control, "control endpoint", hint) != 0)
            return -1;
    }
    s_warn_if_open (self, self->pull, "CRIER_INGEST_ENDPOINT");
    s_warn_if_open (self, self->router, "CRIER_INGEST_ACK_ENDPOINT");
    s_warn_if_open (self, self->control, "CRIER_INGEST_CONTROL_ENDPOINT");
    for (size_t kind = 0; kind < CRIER_RECEIPT_KIND_COUNT; kind++)
        zsock_set_subscribe (self->receipts, crier_receipt_type ((crier_receipt_kind_t)kind));
    int64_t hard_limit = (int64_t)config->max_message_bytes * HARD_LIMIT_FACTOR;
    zsock_set_maxmsgsize (self->pull, hard_limit > INT32_MAX ? -1 : (int)hard_limit);
    zsock_set_maxmsgsize (self->router, hard_limit > INT32_MAX ? -1 : (int)hard_limit);
    zsock_set_maxmsgsize (self->control, 64 * 1024);
    //  Give notifications already handed to ZeroMQ a moment to reach the resolver when ingest
    //  stops (what does not is sent again after a restart: it is in the journal).
    zsock_set_linger (self->push, 2000);
    zsock_set_linger (self->router, 1000);
    zloop_reader (self->loop, self->router, s_on_router, self);
    zloop_reader (self->loop, self->control, s_on_control, self);
    self->receipts_reader =
        crier_paced_new (self->loop, self->receipts, RECEIPTS_INTERVAL_MS, s_on_receipts, self);
    zloop_timer (self->loop, TICK_MS, 0, s_on_tick, self);
    zloop_timer (self->loop, STATS_INTERVAL_MS, 0, s_on_stats, self);
    self->heartbeat = crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    s_set_reading (self);
    s_dispatch (self);
    return self->heartbeat && self->receipts_reader ? 0 : -1;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (s_open_journal (self) != 0 || s_open_sockets (self) != 0)
        return NULL;
    char *endpoint = crier_socket_endpoint (self->pull);
    char *ack_endpoint = crier_socket_endpoint (self->router);
    char *control_endpoint = crier_socket_endpoint (self->control);
    crier_log (CRIER_LOG_INFO, "ingest.ready", "endpoint", endpoint, "ack_endpoint", ack_endpoint,
               "control_endpoint", control_endpoint, "security", self->curve ? "curve" : "plain",
               "resolver", self->config->notifications_endpoint, "data_dir", self->config->data_dir,
               "max_message_bytes", CRIER_LOG_INT (self->config->max_message_bytes));
    free (ack_endpoint);
    free (control_endpoint);
    return endpoint;
}

void crier_ingest_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    self.replies = zlistx_new ();
    crier_actor_run (pipe, self.loop, s_on_start, &self);

    //  Anything taken but not yet answered is answered now (it is synced first).
    if (self.journal && self.heartbeat) {
        s_commit (&self);
        s_on_stats (self.loop, 0, &self);
    }
    crier_heartbeat_destroy (&self.heartbeat);
    crier_paced_destroy (&self.receipts_reader);
    crier_journal_close (&self.journal);
    crier_ledger_destroy (&self.ledger);
    zlistx_destroy (&self.replies);
    crier_handshake_watch_destroy (&self.watch);
    crier_zap_destroy (&self.zap);
    zloop_destroy (&self.loop);
    zsock_destroy (&self.pull);
    zsock_destroy (&self.router);
    zsock_destroy (&self.control);
    zsock_destroy (&self.push);
    zsock_destroy (&self.events);
    zsock_destroy (&self.receipts);
    crier_curve_destroy (&self.curve);
}

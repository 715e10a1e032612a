/*  ingest_dispatch.c - crier-ingest passes what it accepted to the resolver while its in-flight
    window and the resolver have room, and follows the receipts that say what became of it (see
    ingest_state.h). */
#include "backlog.h"
#include "ingest_state.h"

#include "crier/event.h"
#include "crier/frames.h"
#include "crier/log.h"
#include "crier/nag_text.h"
#include "crier/receipt.h"
#include "crier/socket.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  Receipts taken per turn at most, so that a flood does not hold up the clients' answers.
#define RECEIPTS_BATCH 20000

static int s_on_writable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    crier_ingest_dispatch (arg);
    return 0;
}

//  The frame to send for a piece of work: the journaled frame itself the first time when it
//  needs nothing more, otherwise rewritten with the attempt, what to send and the throttle
//  windows of its key. Returns 0 with a malloc'ed buffer, or -1.
static int s_work_frame (ingest_server_t *self, const crier_ledger_work_t *work, char **frame_p,
                         size_t *size_p)
{
    size_t size = work->position.size;
    char *record = malloc (size ? size : 1);
    if (!record || crier_journal_read (self->journal, work->position, record) != 0) {
        free (record);
        return -1;
    }
    bool first = work->redelivery.attempt == 1 && work->redelivery.only_count == 0 &&
                 !work->groups && !work->redelivery.nag_count;
    if (first && crier_throttle_windows_count (crier_ledger_throttles (self->ledger)) == 0) {
        *frame_p = record;
        *size_p = size;
        return 0;
    }
    crier_error_t error;
    crier_frame_redelivery_t stored;
    crier_notification_t *notification =
        crier_frame_decode_notification (record, size, &stored, &error);
    crier_frame_redelivery_t frame = work->redelivery;
    crier_frame_window_t windows[CRIER_MAX_GROUPS];
    int rc = -1;
    if (notification && work->groups) {
        for (size_t index = 0; index < notification->to_count; index++)
            free (notification->to[index]);
        notification->to_count = 0;
        for (size_t index = 0; index < work->group_count; index++)
            crier_notification_add_group (notification, work->groups[index]);
    }
    if (notification && !notification->key && first) {
        //  Nothing to add: the journaled frame as it is.
        *frame_p = record;
        *size_p = size;
        record = NULL;
        rc = 0;
    } else if (notification) {
        //  A summary stays one, whatever the attempt (docs/throttle.md).
        frame.summary = stored.summary;
        crier_ingest_add_windows (self, notification, &frame, windows);
        rc = crier_frame_encode_redelivery (notification, &frame, frame_p, size_p);
    }
    if (notification)
        crier_frame_redelivery_free (&stored);
    free (record);
    crier_notification_destroy (&notification);
    return rc;
}

//  Whether the receipts' subscription has taken, or waiting for it is over.
static bool s_receipts_ready (ingest_server_t *self)
{
    if (self->receipts_confirmed)
        return true;
    if (zclock_mono () < self->receipts_wait_until)
        return false;
    crier_log (CRIER_LOG_WARN, "receipts.unconfirmed", "endpoint", self->config->events_endpoint,
               "hint",
               "the event bus (crier-resolver) did not answer within 3 s; sending anyway: an "
               "outcome said before ingest's subscription takes is missed, and its delivery goes "
               "again after CRIER_REDELIVER_AFTER");
    self->receipts_confirmed = true;
    return true;
}

void crier_ingest_dispatch (ingest_server_t *self)
{
    if (self->stopping)
        return; //  nothing new goes out: it would be sent again at the next start
    if (!s_receipts_ready (self))
        return;
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
                       "its journal record could not be read back (see the journal lines "
                       "above); it is dropped");
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

//  nag.scheduled when a Matrix delivery with a nag was delivered, nag.sent when a nag email was
//  (docs/nag.md).
static void s_publish_nag (ingest_server_t *self, const crier_receipt_t *receipt,
                           const crier_ledger_nag_t *nag)
{
    crier_event_t *event = crier_event_new (nag->email ? "nag.sent" : "nag.scheduled");
    if (!event)
        return;
    crier_event_add_text (event, "notification_id", receipt->notification_id);
    crier_event_add_text (event, "delivery_id", receipt->delivery.delivery_id);
    crier_event_add_text (event, "target", receipt->delivery.target);
    if (nag->email) {
        char why[128];
        crier_nag_reason (nag->after_ms, nag->nag_of, why, sizeof why);
        crier_event_add_text (event, "nag_of", nag->nag_of);
        crier_event_add_text (event, "why", why);
        crier_log (CRIER_LOG_INFO, "nag.sent", "id", receipt->notification_id, "to",
                   receipt->delivery.target, "nag_of", nag->nag_of, "why", why);
    } else {
        crier_event_add_int (event, "after_ms", nag->after_ms);
        crier_event_add_int (event, "due_at", receipt->time_ms + nag->after_ms);
    }
    crier_event_send (&event, self->events);
}

//  Applies one receipt from the bus, journaling what it changed (unless the journal is failing:
//  then the ledger alone holds it until the state is written anew).
static void s_apply_receipt (ingest_server_t *self, const void *data, size_t size)
{
    crier_receipt_t receipt;
    crier_error_t error;
    int rc = crier_receipt_decode (data, size, &receipt, &error);
    if (rc < 0)
        crier_log (CRIER_LOG_WARN, "receipt.invalid", "field", error.field, "error", error.message,
                   "hint", "run the same crier version in every process");
    if (rc <= 0)
        return;
    self->receipts_applied++;
    crier_journal_t *journal = self->journal_failing ? NULL : self->journal;
    //  Asked before the receipt is applied: a finished notification is forgotten.
    crier_ledger_nag_t nag = {0};
    bool nagged = receipt.kind == CRIER_RECEIPT_DELIVERED &&
                  crier_ledger_nag_info (self->ledger, &receipt, &nag);
    char nag_of[512] = ""; //  a Matrix user id or an address: 255 bytes at most
    if (nagged && nag.email)
        snprintf (nag_of, sizeof nag_of, "%s", nag.nag_of);
    nag.nag_of = nag_of;
    crier_ledger_change_t change;
    if (crier_backlog_apply_receipt (self->ledger, journal, &receipt, data, size, zclock_time (),
                                     &change) != 0) {
        crier_log (CRIER_LOG_ERROR, "journal.append_failed", "id", receipt.notification_id, "hint",
                   "out of memory; the receipt is kept in memory and written later");
        crier_ingest_journal_failed (self);
    }
    if (nagged && change >= CRIER_LEDGER_UPDATED)
        s_publish_nag (self, &receipt, &nag);
    if (receipt.kind == CRIER_RECEIPT_ROUTED && change >= CRIER_LEDGER_UPDATED)
        crier_ingest_publish_throttled (self, &receipt);
    if (receipt.kind == CRIER_RECEIPT_READ && change >= CRIER_LEDGER_UPDATED)
        crier_log (CRIER_LOG_DEBUG, "nag.read", "id", receipt.notification_id, "reader",
                   receipt.reader);
    if (receipt.kind == CRIER_RECEIPT_SEEN)
        crier_log (CRIER_LOG_DEBUG, "nag.seen", "id", receipt.notification_id, "room",
                   receipt.room_id, "recorded", change >= CRIER_LEDGER_UPDATED ? "yes" : "no");
    crier_ingest_wait_outcome (self, receipt.notification_id);
    crier_receipt_free (&receipt);
}

//  A heartbeat from the bus. The first says the receipts' subscription has taken. The
//  resolver's name its instance: a new one has restarted and lost what it had not read, so
//  what it did not say it routed goes again now rather than after the lease.
static void s_on_heartbeat (ingest_server_t *self, const void *data, size_t size)
{
    if (!self->receipts_confirmed) {
        self->receipts_confirmed = true;
        crier_log (CRIER_LOG_DEBUG, "receipts.confirmed", "endpoint",
                   self->config->events_endpoint);
    }
    char *text = crier_event_to_json (data, size);
    json_t *heartbeat = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    const char *source = json_string_value (json_object_get (heartbeat, "source"));
    const char *host_pid = json_string_value (json_object_get (heartbeat, "instance"));
    //  Host and pid, and when it started: a restarted container keeps its host name and pid.
    char instance[sizeof self->resolver_instance];
    snprintf (instance, sizeof instance, "%s@%lld", host_pid ? host_pid : "",
              (long long)json_integer_value (json_object_get (heartbeat, "started_at")));
    if (source && host_pid && strcmp (source, "crier-resolver") == 0 &&
        strcmp (instance, self->resolver_instance) != 0) {
        if (self->resolver_instance[0]) {
            size_t again = crier_ledger_expire_unrouted (self->ledger);
            crier_log (CRIER_LOG_INFO, "resolver.restarted", "instance", instance, "before",
                       self->resolver_instance, "sent_again", CRIER_LOG_INT (again), "hint",
                       "what the old instance had not routed goes to the new one now");
            self->redelivered += again;
        }
        snprintf (self->resolver_instance, sizeof self->resolver_instance, "%s", instance);
    }
    json_decref (heartbeat);
}

//  A channel of the resolver that had stalled flows again: what it deferred goes now.
static void s_on_flowing (ingest_server_t *self)
{
    size_t again = crier_ledger_expire_deferred (self->ledger);
    if (again == 0)
        return;
    crier_log (CRIER_LOG_INFO, "deliveries.resumed", "sent_again", CRIER_LOG_INT (again), "hint",
               "a stalled channel flows again: what it deferred goes now, not after the lease");
    self->redelivered += again;
}

//  One event from the bus: a receipt, a heartbeat (ingest keeps that subscription), or a channel
//  flowing again.
static void s_on_event (const char *type, size_t type_size, const void *data, size_t size,
                        void *arg)
{
    ingest_server_t *self = arg;
    static const char heartbeat[] = "process.heartbeat";
    static const char flowing[] = CRIER_EVENT_DELIVERIES_FLOWING;
    if (type_size == sizeof heartbeat - 1 && memcmp (type, heartbeat, type_size) == 0)
        s_on_heartbeat (self, data, size);
    else if (type_size == sizeof flowing - 1 && memcmp (type, flowing, type_size) == 0)
        s_on_flowing (self);
    else
        s_apply_receipt (self, data, size);
}

void crier_ingest_on_receipts (zsock_t *socket, void *arg)
{
    ingest_server_t *self = arg;
    crier_event_receive (self->receipts, RECEIPTS_BATCH, s_on_event, self);
    crier_ingest_step (self);
}

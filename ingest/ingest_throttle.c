/*  ingest_throttle.c - crier-ingest's part of throttles (docs/throttle.md): the windows of a
    notification's key go with it to the resolver, the counts the resolver reports are said
    (notification.throttled), and each window that ends with something counted becomes a summary:
    a notification journaled like any accepted one (see ingest_state.h). */
#include "ingest_state.h"
#include "throttle_summary.h"

#include "crier/frames.h"
#include "crier/log.h"
#include "crier/socket.h"
#include "records.h"

#include <stdlib.h>
#include <string.h>

//  Summaries made per tick at most: one journal sync covers them all.
#define SUMMARIES_PER_TICK 256
//  Edits sent per second at most, whatever the number of windows: a homeserver limits the
//  messages of one sender across rooms, and edits are never worth a real message's wait.
#define EDITS_PER_SECOND 20

typedef struct {
    crier_throttle_entry_t *entry;
    crier_journal_position_t position;
    char id[CRIER_THROTTLE_SUMMARY_ID_BYTES];
} made_t;

//  Journals the summary of a window. Returns 0, or -1 when it could not be written.
static int s_write_summary (ingest_server_t *self, made_t *made, int64_t now_ms)
{
    crier_throttle_entry_read_latest (made->entry, self->journal);
    const crier_throttle_window_t *window = &made->entry->window;
    crier_notification_t *summary = crier_throttle_summary_new (window, now_ms);
    crier_frame_redelivery_t frame = {.attempt = 1,
                                      .summary = {.group = window->group,
                                                  .start_ms = window->start_ms,
                                                  .window_ms = window->window_ms,
                                                  .count = window->count}};
    char *data = NULL;
    size_t size = 0;
    int rc = summary ? crier_frame_encode_redelivery (summary, &frame, &data, &size) : -1;
    if (rc == 0)
        rc = crier_record_write_notification (self->journal, data, size, false, &made->position);
    if (rc == 0)
        snprintf (made->id, sizeof made->id, "%s", summary->id);
    free (data);
    crier_notification_destroy (&summary);
    return rc;
}

static void s_publish_summary (ingest_server_t *self, const made_t *made)
{
    const crier_throttle_window_t *window = &made->entry->window;
    crier_log (CRIER_LOG_INFO, "throttle.summary", "id", made->id, "group", window->group, "key",
               window->key, "count", CRIER_LOG_INT (window->count), "urgent",
               CRIER_LOG_INT (window->urgent), "window_start", CRIER_LOG_INT (window->start_ms));
    crier_event_t *event = crier_event_new ("throttle.summary");
    if (!event)
        return;
    crier_event_add_text (event, "notification_id", made->id);
    crier_event_add_text (event, "group", window->group);
    crier_event_add_text (event, "key", window->key);
    crier_event_add_int (event, "count", (int64_t)window->count);
    crier_event_add_int (event, "urgent", (int64_t)window->urgent);
    crier_event_add_int (event, "window_start", window->start_ms);
    crier_event_add_int (event, "window_ms", window->window_ms);
    crier_event_add_int (event, "first_at", window->first_ms);
    crier_event_add_int (event, "last_at", window->last_ms);
    crier_event_send (&event, self->events);
}

void crier_ingest_summarize (ingest_server_t *self)
{
    if (self->stopping || self->journal_failing)
        return;
    crier_throttle_windows_t *windows = crier_ledger_throttles (self->ledger);
    crier_throttle_entry_t *due[SUMMARIES_PER_TICK];
    int64_t now = zclock_time ();
    size_t count = crier_throttle_windows_due (windows, now, due, SUMMARIES_PER_TICK);
    if (count == 0)
        return;
    made_t *made = calloc (count, sizeof *made);
    size_t written = 0;
    while (made && written < count) {
        made[written].entry = due[written];
        if (s_write_summary (self, &made[written], now) != 0)
            break;
        written++;
    }
    //  Durable first; only then is the window moved on (a crash before makes the same summary,
    //  with the same id, again).
    if (written < count || crier_journal_sync (self->journal) != 0) {
        crier_log (CRIER_LOG_ERROR, "throttle.summary_unwritten", "count", CRIER_LOG_INT (count),
                   "hint",
                   "the journal could not take the summaries; they are made again once it "
                   "can (free space on the data directory's disk)");
        free (made);
        crier_ingest_journal_failed (self);
        return;
    }
    for (size_t index = 0; index < written; index++) {
        crier_throttle_window_t *window = &made[index].entry->window;
        if (crier_ledger_accept (self->ledger, made[index].id, made[index].position, false, now) !=
            0) {
            crier_ingest_journal_failed (self);
            break;
        }
        s_publish_summary (self, &made[index]);
        crier_throttle_windows_summarized (windows, window->group, window->key, window->start_ms);
    }
    free (made);
}

void crier_ingest_edit (ingest_server_t *self)
{
    int64_t now = zclock_time ();
    if (self->stopping || now < self->edits_at)
        return;
    self->edits_at = now + 1000; //  edits go every 30 s at most: look once a second
    crier_throttle_entry_t *due[EDITS_PER_SECOND];
    size_t count = crier_throttle_windows_edits_due (crier_ledger_throttles (self->ledger), now,
                                                     due, EDITS_PER_SECOND);
    for (size_t index = 0; index < count; index++) {
        crier_throttle_entry_t *entry = due[index];
        crier_throttle_entry_read_opener (entry, self->journal);
        crier_notification_t *edit = crier_throttle_edit_new (&entry->window, now);
        crier_frame_redelivery_t frame = {.attempt = 1,
                                          .edits = entry->window.messages,
                                          .edit_count = entry->window.message_count};
        char *data = NULL;
        size_t size = 0;
        int rc = edit ? crier_frame_encode_redelivery (edit, &frame, &data, &size) : -1;
        //  Cosmetic, so never waited for: a full socket leaves it to the next look.
        if (rc == 0)
            rc = crier_socket_send (self->push, data, size, ZMQ_DONTWAIT);
        if (rc == 0) {
            entry->edited_count = entry->window.count;
            entry->edited_at = now;
            crier_log (CRIER_LOG_DEBUG, "throttle.edited", "id", edit->id, "group",
                       entry->window.group, "key", entry->window.key, "count",
                       CRIER_LOG_INT (entry->window.count), "messages",
                       CRIER_LOG_INT (entry->window.message_count));
        }
        free (data);
        crier_notification_destroy (&edit);
        if (rc != 0)
            break;
    }
}

void crier_ingest_publish_throttled (ingest_server_t *self, const crier_receipt_t *receipt)
{
    crier_throttle_windows_t *windows = crier_ledger_throttles (self->ledger);
    for (size_t index = 0; index < receipt->throttle_count; index++) {
        const crier_receipt_throttle_t *decision = &receipt->throttles[index];
        if (decision->action == CRIER_THROTTLE_OPENED)
            continue;
        const crier_throttle_entry_t *entry =
            crier_throttle_windows_get (windows, decision->group, receipt->key);
        crier_event_t *event = entry ? crier_event_new ("notification.throttled") : NULL;
        if (!event)
            continue;
        crier_event_add_text (event, "notification_id", receipt->notification_id);
        crier_event_add_text (event, "group", decision->group);
        crier_event_add_text (event, "key", receipt->key);
        crier_event_add_text (event, "action", crier_throttle_action_name (decision->action));
        crier_event_add_int (event, "count", (int64_t)entry->window.count);
        crier_event_add_int (event, "window_start", entry->window.start_ms);
        crier_event_add_int (event, "window_ms", entry->window.window_ms);
        crier_event_send (&event, self->events);
        crier_log (CRIER_LOG_DEBUG, "notification.throttled", "id", receipt->notification_id,
                   "group", decision->group, "key", receipt->key, "count",
                   CRIER_LOG_INT (entry->window.count));
    }
}

void crier_ingest_add_windows (ingest_server_t *self, crier_notification_t *notification,
                               crier_frame_redelivery_t *frame, crier_frame_window_t *windows)
{
    frame->windows = windows;
    frame->window_count =
        crier_throttle_windows_of (crier_ledger_throttles (self->ledger), notification, windows);
}

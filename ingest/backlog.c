/*  backlog.c - see backlog.h. */
#include "backlog.h"

#include "crier/log.h"

#include <czmq.h>

//  Queues the notification of a record.
static int s_load (crier_ledger_t *ledger, const crier_record_t *record)
{
    return crier_ledger_load (ledger, record->notification->id, record->position, record->client_id,
                              record->notification->received_at_ms);
}

int crier_backlog_apply_receipt (crier_ledger_t *ledger, crier_journal_t *journal,
                                 const crier_receipt_t *receipt, const void *data, size_t size,
                                 int64_t now_ms, crier_ledger_change_t *change_p)
{
    int rc = 0;
    crier_ledger_change_t change = crier_ledger_apply (ledger, receipt, now_ms);
    if (change_p)
        *change_p = change;
    if (journal && change >= CRIER_LEDGER_UPDATED)
        rc = crier_record_write_receipt (journal, data, size);
    if (change == CRIER_LEDGER_FINISHED && crier_ledger_finish (ledger, receipt->notification_id) &&
        journal && rc == 0)
        rc = crier_record_write_complete (journal, receipt->notification_id);
    return rc;
}

bool crier_backlog_replay (const crier_record_t *record, void *arg)
{
    crier_ledger_t *ledger = arg;
    switch (record->type) {
        case CRIER_RECORD_NOTIFICATION:
        case CRIER_RECORD_CLIENT_NOTIFICATION:
            s_load (ledger, record);
            //  A summary on disk: its window is summed up (docs/throttle.md).
            if (record->summary.group && record->notification->key)
                crier_throttle_windows_summarized (crier_ledger_throttles (ledger),
                                                   record->summary.group, record->notification->key,
                                                   record->summary.start_ms);
            break;
        case CRIER_RECORD_WINDOW: {
            crier_error_t error;
            if (crier_throttle_windows_load (crier_ledger_throttles (ledger), record->payload,
                                             record->size, &error) != 0)
                crier_log (CRIER_LOG_ERROR, "journal.bad_record", "type", "W", "field", error.field,
                           "error", error.message, "hint",
                           "a throttle window could not be read back: its count is lost");
            break;
        }
        case CRIER_RECORD_RECEIPT:
            crier_backlog_apply_receipt (ledger, NULL, &record->receipt, NULL, 0, zclock_time (),
                                         NULL);
            break;
        case CRIER_RECORD_COMPLETE:
            crier_ledger_forget (ledger, record->id);
            break;
        case CRIER_RECORD_RETRY:
            crier_ledger_retry (ledger, record->id[0] ? record->id : NULL);
            break;
        case CRIER_RECORD_SEEN:
            crier_ledger_remember (ledger, record->id, record->at_ms);
            break;
        default:
            break;
    }
    return true;
}

typedef struct {
    crier_ledger_t *ledger;
    size_t loaded;
} refill_t;

static bool s_load_waiting (const crier_record_t *record, void *arg)
{
    refill_t *refill = arg;
    //  Receipts and the like in between belong to notifications already loaded.
    if (!crier_record_is_notification (record->type))
        return true;
    if (s_load (refill->ledger, record) == 0)
        refill->loaded++;
    return crier_ledger_in_journal (refill->ledger, NULL) > 0 &&
           crier_ledger_queued (refill->ledger) < crier_ledger_queued_max (refill->ledger);
}

size_t crier_backlog_refill (crier_ledger_t *ledger, crier_journal_t *journal)
{
    uint64_t offset;
    size_t max = crier_ledger_queued_max (ledger);
    if (crier_ledger_in_journal (ledger, &offset) == 0 || crier_ledger_queued (ledger) >= max)
        return 0;
    refill_t refill = {ledger, 0};
    crier_records_scan (journal, &offset, s_load_waiting, &refill);
    return refill.loaded;
}

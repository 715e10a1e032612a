/*  backlog.c - see backlog.h. */
#include "backlog.h"

#include "crier/frames.h"
#include "crier/log.h"

#include <stdbool.h>

int crier_backlog_load (crier_ledger_t *ledger, uint8_t type, const void *payload, size_t size,
                        crier_journal_position_t position)
{
    crier_error_t error;
    crier_notification_t *notification =
        crier_frame_decode_notification (payload, size, NULL, &error);
    if (!notification) {
        crier_log (CRIER_LOG_ERROR, "journal.bad_record", "offset", CRIER_LOG_INT (position.offset),
                   "field", error.field, "error", error.message, "hint",
                   "skipped; was the journal written by another crier version?");
        return -1;
    }
    int rc =
        crier_ledger_load (ledger, notification->id, position,
                           type == CRIER_RECORD_CLIENT_NOTIFICATION, notification->received_at_ms);
    crier_notification_destroy (&notification);
    return rc;
}

typedef struct {
    crier_ledger_t *ledger;
    size_t loaded;
} refill_t;

static bool s_load_waiting (uint8_t type, const void *payload, size_t size,
                            crier_journal_position_t position, void *arg)
{
    refill_t *refill = arg;
    //  Receipts and the like in between belong to notifications already loaded.
    if (!crier_record_is_notification (type))
        return true;
    if (crier_backlog_load (refill->ledger, type, payload, size, position) == 0)
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
    crier_journal_scan (journal, &offset, s_load_waiting, &refill);
    return refill.loaded;
}

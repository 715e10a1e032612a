/*  compaction.c - see compaction.h. */
#include "compaction.h"
#include "records.h"
#include "throttle_summary.h"

#include "crier/log.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct {
    crier_journal_t *journal;
    crier_ledger_t *ledger;
    int64_t now_ms;
    int rc;
    size_t waiting;  //  notifications still waiting in the journal only, to copy
    size_t copied;   //  of those, copied
    uint64_t cursor; //  where the first copied one starts in the new journal
} compaction_t;

static void s_write_seen (const char *id, int64_t at_ms, void *arg)
{
    compaction_t *self = arg;
    if (self->rc == 0)
        self->rc = crier_record_write_seen (self->journal, id, at_ms);
}

static int s_write_live (const crier_ledger_live_t *live, crier_journal_position_t *new_position_p,
                         void *arg)
{
    compaction_t *self = arg;
    char *payload = malloc (live->position.size ? live->position.size : 1);
    int rc = payload ? crier_journal_read (self->journal, live->position, payload) : -1;
    if (rc == 0)
        rc = crier_record_write_notification (self->journal, payload, live->position.size,
                                              live->client_id, new_position_p);
    free (payload);
    if (rc == 0 && live->routed)
        rc = crier_record_write_receipt_of (self->journal, live->routed);
    if (rc == 0 && live->unroutable)
        rc = crier_record_write_receipt_of (self->journal, live->unroutable);
    //  Retried groups: the retry comes right after, before any failed outcome is replayed.
    if (rc == 0 && live->unroutable && live->groups_retry)
        rc = crier_record_write_retry (self->journal, live->id);
    for (size_t index = 0; rc == 0 && index < live->nag_count; index++)
        rc = crier_record_write_receipt_of (self->journal, &live->nag_receipts[index]);
    for (size_t index = 0; rc == 0 && index < live->outcome_count; index++)
        rc = crier_record_write_receipt_of (self->journal, &live->outcomes[index]);
    return rc;
}

//  A throttle window, with the latest one's text copied out of its record, which compaction
//  may drop (docs/throttle.md).
static int s_write_window (crier_throttle_entry_t *entry, void *arg)
{
    compaction_t *self = arg;
    crier_throttle_entry_read_latest (entry, self->journal);
    crier_throttle_entry_read_opener (entry, self->journal);
    return crier_record_write_window (self->journal, &entry->window);
}

//  Copies the record of a notification waiting in the journal (every notification record from
//  the ledger's cursor on is one).
static bool s_copy_waiting (const crier_record_t *record, void *arg)
{
    compaction_t *self = arg;
    if (!crier_record_is_notification (record->type))
        return true;
    crier_journal_position_t copy;
    self->rc = crier_record_write_notification (self->journal, record->payload, record->size,
                                                record->client_id, &copy);
    if (self->rc != 0)
        return false;
    if (self->copied++ == 0)
        self->cursor = copy.offset - CRIER_JOURNAL_HEADER_BYTES;
    return self->copied < self->waiting;
}

static int s_rewrite (crier_journal_t *journal, void *arg)
{
    compaction_t *self = arg;
    self->rc = crier_record_write_version (journal);
    crier_ledger_each_seen (self->ledger, self->now_ms, s_write_seen, self);
    if (self->rc == 0)
        self->rc = crier_throttle_windows_each (crier_ledger_throttles (self->ledger),
                                                s_write_window, self);
    if (self->rc == 0)
        self->rc = crier_ledger_each_live (self->ledger, s_write_live, self);
    uint64_t offset;
    self->waiting = crier_ledger_in_journal (self->ledger, &offset);
    if (self->rc == 0 && self->waiting > 0 &&
        crier_records_scan (journal, &offset, s_copy_waiting, self) != 0)
        self->rc = -1;
    return self->rc;
}

int crier_compact (crier_journal_t *journal, crier_ledger_t *ledger, int64_t now_ms)
{
    compaction_t compaction = {journal, ledger, now_ms, 0, 0, 0, 0};
    if (crier_journal_rewrite (journal, s_rewrite, &compaction) != 0) {
        //  The journal logs its own I/O failures; a record that could not be buffered is ours.
        if (compaction.rc != 0)
            crier_log (CRIER_LOG_ERROR, "journal.compaction_failed", "error",
                       "a record could not be written (out of memory?)", "hint",
                       "the old journal stays in use; compaction is tried again later");
        return -1;
    }
    crier_ledger_rewritten (ledger, compaction.copied, compaction.cursor);
    return 0;
}

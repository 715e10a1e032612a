/*  backlog.h - the journal read back into the ledger: every record when crier-ingest starts
    (the notifications, what became of them, the ids it remembers), and later the notifications
    that waited in the journal only (the queue held CRIER_MAX_IN_FLIGHT when they came), once the
    queue has gone to the resolver, in the order they came. Receipts are applied the same way
    whether they come from the bus or from the journal.
*/
#ifndef CRIER_BACKLOG_H_INCLUDED
#define CRIER_BACKLOG_H_INCLUDED

#include "journal.h"
#include "ledger.h"
#include "records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Applies one record read back at start (crier_records_open's fn; arg is the ledger). Call
//  crier_ledger_replayed once the journal is read.
bool crier_backlog_replay (const crier_record_t *record, void *ledger);

//  Applies a receipt to the ledger and, when journal is not NULL, journals what it changed: the
//  receipt as it came (data, size), and a complete record when its notification is done.
//  *change_p (may be NULL) receives what the receipt changed. Returns 0, or -1 when a record
//  could not be buffered (the ledger has changed all the same).
int crier_backlog_apply_receipt (crier_ledger_t *ledger, crier_journal_t *journal,
                                 const crier_receipt_t *receipt, const void *data, size_t size,
                                 int64_t now_ms, crier_ledger_change_t *change_p);

//  When notifications wait in the journal and the queue has room, loads them back until it is
//  full (or the synced journal ends); crier-ingest calls it when the queue has run out. Returns
//  how many were loaded.
size_t crier_backlog_refill (crier_ledger_t *ledger, crier_journal_t *journal);

#endif

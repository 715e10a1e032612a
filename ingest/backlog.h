/*  backlog.h - notifications read back from the journal into the ledger's queue: every one when
    the journal is replayed at start, and those that waited in the journal only (the queue held
    CRIER_MAX_IN_FLIGHT when they came) once the queue has gone to the resolver, in the order
    they came.
*/
#ifndef CRIER_BACKLOG_H_INCLUDED
#define CRIER_BACKLOG_H_INCLUDED

#include "journal.h"
#include "ledger.h"

#include <stddef.h>
#include <stdint.h>

//  Queues the notification a journal record holds (type CRIER_RECORD_NOTIFICATION or
//  CRIER_RECORD_CLIENT_NOTIFICATION). Returns 0, or -1 after logging (an unreadable record).
int crier_backlog_load (crier_ledger_t *ledger, uint8_t type, const void *payload, size_t size,
                        crier_journal_position_t position);

//  When notifications wait in the journal and the queue has room, loads them back until it is
//  full (or the synced journal ends); crier-ingest calls it when the queue has run out. Returns
//  how many were loaded.
size_t crier_backlog_refill (crier_ledger_t *ledger, crier_journal_t *journal);

#endif

/*  compaction.h - rewriting crier-ingest's journal with only what is still needed: the client
    ids remembered for deduplication, each live notification's record and the receipts that
    rebuild its state (ledger.h), then the records of the notifications that wait in the journal
    only, in order. The new file replaces the old one atomically (journal.h).
*/
#ifndef CRIER_COMPACTION_H_INCLUDED
#define CRIER_COMPACTION_H_INCLUDED

#include "journal.h"
#include "ledger.h"

#include <stdint.h>

//  Compacts the journal and tells the ledger where its records now lie. Returns 0, or -1 after
//  logging (the old journal stays in use and the ledger unchanged).
int crier_compact (crier_journal_t *journal, crier_ledger_t *ledger, int64_t now_ms);

#endif

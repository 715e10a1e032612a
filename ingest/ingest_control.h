/*  ingest_control.h - crier-ingest's control endpoint: what `crier dead-letters` asks for
    (docs/protocol.md, section 5). Listing reads the ledger; a retry is journaled, so that it
    survives a restart, and puts the dead letters back in the queue. */
#ifndef CRIER_INGEST_CONTROL_H_INCLUDED
#define CRIER_INGEST_CONTROL_H_INCLUDED

#include "journal.h"
#include "ledger.h"

#include <stddef.h>

//  Answers one request. A retry is appended to the journal (the caller syncs it before
//  answering). Returns 0 with a malloc'ed reply, or -1 when out of memory.
int crier_ingest_control_answer (crier_ledger_t *ledger, crier_journal_t *journal,
                                 const void *request, size_t size, char **reply_p,
                                 size_t *reply_size_p);

#endif

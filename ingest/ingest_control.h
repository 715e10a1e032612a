/*  ingest_control.h - crier-ingest's control endpoint: what `crier dead-letters` asks for
    (docs/protocol.md, section 5). Listing reads the ledger; a retry is journaled, so that it
    survives a restart, and puts the dead letters back in the queue. */
#ifndef CRIER_INGEST_CONTROL_H_INCLUDED
#define CRIER_INGEST_CONTROL_H_INCLUDED

#include "journal.h"
#include "ledger.h"

#include "crier/control.h"

#include <stddef.h>

//  What the journal must do before a reply may go.
typedef enum {
    CRIER_CONTROL_NOTHING_WRITTEN, //  answer at once
    CRIER_CONTROL_SYNC,            //  a retry record was buffered: sync it, then answer
    CRIER_CONTROL_UNWRITTEN,       //  a retry record could not be buffered (the reply says so)
} crier_control_write_t;

//  Answers one request into *reply (free it with crier_control_reply_free). A retry puts the
//  dead letters back in the queue and is appended to the journal (NULL: the journal cannot be
//  written now, and the reply says so).
crier_control_write_t crier_ingest_control_answer (crier_ledger_t *ledger, crier_journal_t *journal,
                                                   const void *request, size_t size,
                                                   crier_control_reply_t *reply);

//  Turns a reply whose retry could not be made durable into a failure that says so.
void crier_ingest_control_unwritten (crier_control_reply_t *reply);

#endif

/*  sync_apply.h - one answer of the Client-Server API's GET /sync, applied to the read state:
    for each joined room, in order, its state and timeline events (membership, who sent what)
    and its ephemeral m.receipt events. Only the parts the nag needs are read; anything else is
    skipped, and a malformed part is skipped with a reason, never the whole answer. */
#ifndef CRIER_SYNC_APPLY_H_INCLUDED
#define CRIER_SYNC_APPLY_H_INCLUDED

#include "read_state.h"

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *next_batch; //  the answer's next_batch (borrowed from it), or NULL: malformed
    size_t events;          //  timeline events applied
    size_t receipts;        //  receipts applied (of every type)
    size_t limited;         //  rooms whose timeline was limited (events missed in between)
    size_t skipped;         //  malformed parts skipped
    char problem[160];      //  the first of them, for the log line
} crier_sync_summary_t;

//  Applies a /sync answer. Returns 0, or -1 when out of memory (the state may hold part of it:
//  apply the same answer again).
int crier_sync_apply (crier_read_state_t *state, const json_t *answer,
                      crier_sync_summary_t *summary);

#endif

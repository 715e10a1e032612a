/*  dead_shares.h - how much each client's dead letters hold: the notifications that only dead
    letters keep, counted and measured (journal bytes) per client, so that a client whose dead
    letters reach its share is refused new notifications while the others go on
    (CRIER_MAX_DEAD_LETTERS, CRIER_MAX_DEAD_LETTER_BYTES; docs/delivery.md).

    A notification's client is the tag its id carries with CURVE ("<id>@<12 hex>", see
    crier_ingest_scope_id); ids without one (plain mode, journals of older versions) all belong
    to one client. */
#ifndef CRIER_DEAD_SHARES_H_INCLUDED
#define CRIER_DEAD_SHARES_H_INCLUDED

#include "crier/id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_dead_shares_t crier_dead_shares_t;

typedef struct {
    size_t count;   //  notifications held by their dead letters only
    uint64_t bytes; //  their records in the journal
} crier_dead_share_t;

crier_dead_shares_t *crier_dead_shares_new (void);
void crier_dead_shares_destroy (crier_dead_shares_t **self_p);

//  A notification of id's client becomes (add) or stops being (remove) held by dead letters only.
void crier_dead_shares_add (crier_dead_shares_t *self, const char *id, uint64_t bytes);
void crier_dead_shares_remove (crier_dead_shares_t *self, const char *id, uint64_t bytes);

//  What the dead letters of a client (its tag, "" for untagged ids) hold.
crier_dead_share_t crier_dead_shares_of (const crier_dead_shares_t *self, const char *client);

//  The client part of an id: its tag, or "" (one client for untagged ids).
void crier_dead_shares_client (const char *id, char client[CRIER_CLIENT_TAG_BYTES + 1]);

#endif

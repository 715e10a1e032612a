/*  mapping_follower.h - keeps up with the mapping document through CouchDB's _changes feed.

    A continuous feed filtered to the one document, with the document included and heartbeats,
    driven by the resolver's zloop. It reconnects after any failure with capped exponential
    backoff and full jitter, resumes from the last seq it saw, detects a feed that has gone
    silent (no byte, not even a heartbeat, for three heartbeat intervals), and logs once per
    change of state, not once per retry.
*/
#ifndef CRIER_MAPPING_FOLLOWER_H_INCLUDED
#define CRIER_MAPPING_FOLLOWER_H_INCLUDED

#include "changes_parser.h"
#include "crier/couchdb.h"
#include "crier/transfers.h"

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct crier_follower_t crier_follower_t;

//  Called with each revision of the document: change->mapping is the document read as a
//  mapping (the callback may take it), or NULL with change->error; change->deleted when it was
//  deleted. change->kind is CRIER_CHANGE_TOO_LARGE (nothing else known) when a revision was
//  over the options' max_document_bytes: it was skipped.
typedef void (crier_follower_fn) (crier_change_t *change, void *arg);

typedef struct {
    uint64_t heartbeat_ms;     //  asked of the server; silence for 3x this means a dead feed
    uint64_t retry_max_ms;     //  backoff cap
    size_t max_document_bytes; //  a larger revision is skipped (its feed line is dropped)
} crier_follower_options_t;

//  Creates a follower; nothing happens until crier_follower_start. events may be NULL.
crier_follower_t *crier_follower_new (zloop_t *loop, crier_transfers_t *http,
                                      const crier_couchdb_t *couchdb,
                                      const crier_follower_options_t *options,
                                      crier_follower_fn *fn, void *arg, zsock_t *events);

//  Stops the feed and frees the follower. NULL-safe.
void crier_follower_destroy (crier_follower_t **self_p);

//  Connects. Returns 0, or -1 when the request could not even be built.
int crier_follower_start (crier_follower_t *self);

//  Whether the feed is connected now.
bool crier_follower_connected (const crier_follower_t *self);

//  The last seq seen, as it would go into since= ("0" before any). Belongs to the follower.
const char *crier_follower_seq (const crier_follower_t *self);

#endif

/*  watch_state.h - what crier-matrix-watch keeps in its state folder (CRIER_MATRIX_WATCH_DIR)
    across restarts: the /sync position, and the messages of crier's it follows, so that a read
    after a restart of a message sent before it is still said (docs/nag.md).

    "since" holds the position, written whole and renamed into place. "followed" holds one JSON
    object per line: one per message ({room, event, delivery, notification, sent_at, seen_at})
    and one per reader said ({event, reader}: said once, even across restarts),
    appended and synced before the position that follows them is saved: a position never runs
    ahead of the messages it showed. It is written anew at start (without the messages past
    their keep time) and whenever it holds more than twice what is followed. */
#ifndef CRIER_WATCH_STATE_H_INCLUDED
#define CRIER_WATCH_STATE_H_INCLUDED

#include "read_watch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct crier_watch_state_t crier_watch_state_t;

//  Opens (creating it) the state folder and reads the position. Returns NULL after logging
//  when the folder cannot be used.
crier_watch_state_t *crier_watch_state_open (const char *dir);

//  NULL-safe; sets *self_p to NULL.
void crier_watch_state_destroy (crier_watch_state_t **self_p);

//  The position kept by an earlier run, or NULL.
const char *crier_watch_state_since (const crier_watch_state_t *self);

//  Calls fn with each message an earlier run followed and saw within keep_ms of now_ms, in
//  the order they were seen (reader NULL), and each reader said of them (only event_id and
//  reader set), and writes the file anew with those. Returns how many messages; a line it
//  cannot read is logged and skipped.
typedef void (crier_watch_followed_fn) (const crier_read_report_t *message, int64_t seen_at_ms,
                                        void *arg);
size_t crier_watch_state_followed (crier_watch_state_t *self, int64_t now_ms, int64_t keep_ms,
                                   crier_watch_followed_fn *fn, void *arg);

//  A message followed from now on (reader NULL), or a reader said of it: kept with the next
//  save.
void crier_watch_state_follow (crier_watch_state_t *self, const crier_read_report_t *message,
                               int64_t seen_at_ms);

//  Keeps the messages followed since the last save, then the position. Failures are logged:
//  after a restart the watcher then starts from the homeserver's present state.
void crier_watch_state_save (crier_watch_state_t *self, const char *since);

//  Whether the followed file holds more than twice following (the messages followed now): then
//  write it anew with crier_watch_state_rewrite.
bool crier_watch_state_wants_rewrite (const crier_watch_state_t *self, size_t following);

//  Writes the followed file anew with the messages each gives (calling
//  crier_watch_state_follow for each one followed now, with the state as its argument).
typedef void (crier_watch_each_fn) (crier_watch_state_t *state, void *arg);
void crier_watch_state_rewrite (crier_watch_state_t *self, crier_watch_each_fn *each, void *arg);

#endif

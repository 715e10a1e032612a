/*  read_watch.h - what crier-matrix-watch makes of the bot's /sync: it follows crier's own
    messages (the bot's events tagged with their delivery, matrix_content.h) and says, once per
    message and person, when a joined member of the room has read one (read_state.h has the
    rule). Pure state: the caller does the I/O and publishes delivery.read. */
#ifndef CRIER_READ_WATCH_H_INCLUDED
#define CRIER_READ_WATCH_H_INCLUDED

#include "read_state.h"
#include "sync_apply.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_read_watch_t crier_read_watch_t;

//  One message read by one person (strings valid during the call).
typedef struct {
    const char *notification_id;
    const char *delivery_id;
    const char *room_id;
    const char *event_id;
    const char *reader;
    int64_t sent_at_ms; //  the message's origin_server_ts (0: not given)
} crier_read_report_t;

typedef void (crier_read_report_fn) (const crier_read_report_t *report, void *arg);

//  A message of crier's seen for the first time, with the room's joined members then (the bot
//  left out): who a nag may concern. members and strings valid during the call.
typedef void (crier_seen_report_fn) (const crier_read_report_t *message, char *const *members,
                                     size_t member_count, void *arg);

//  Follows the messages bot (its user id) sends: at most max_tracked at once, each for keep_ms
//  after it was seen (the oldest forgotten first). Returns NULL when out of memory.
crier_read_watch_t *crier_read_watch_new (const char *bot, size_t max_tracked, int64_t keep_ms);

//  NULL-safe; sets *self_p to NULL.
void crier_read_watch_destroy (crier_read_watch_t **self_p);

//  Applies a /sync answer at now_ms (crier_sync_apply), calls seen for each message of crier's
//  it shows for the first time (reader NULL), then fn for each message a member read since the
//  last answer. Returns 0, or -1 when out of memory.
int crier_read_watch_apply (crier_read_watch_t *self, const json_t *answer, int64_t now_ms,
                            crier_seen_report_fn *seen, crier_read_report_fn *fn, void *arg,
                            crier_sync_summary_t *summary);

//  A joined member of a room learnt outside /sync (joined_members, after a restart that kept
//  its position: /sync then gives only what changed). Returns 0, or -1 when out of memory.
int crier_read_watch_member (crier_read_watch_t *self, const char *room, const char *user);

//  Whether the timeline of room showed event_id (filling a gap stops there).
bool crier_read_watch_knows (crier_read_watch_t *self, const char *room, const char *event_id);

//  Says again what it said of every message followed now: seen (with the room's joined members
//  now), then each reader said. For a subscriber that may have missed it (crier-ingest while it
//  restarted). Returns how many messages.
size_t crier_read_watch_replay (crier_read_watch_t *self, crier_seen_report_fn *seen,
                                crier_read_report_fn *fn, void *arg);

//  A message an earlier run followed (watch_state.h), before any /sync answer: followed again,
//  first in its room's order (everything /sync shows from now on came after it); or, with
//  reader set (and only event_id), a reader said of it then, not said again. Returns 0, or -1
//  when out of memory.
int crier_read_watch_restore (crier_read_watch_t *self, const crier_read_report_t *message,
                              int64_t seen_at_ms);

//  Calls fn with each message followed now, oldest first (reader NULL), each followed by the
//  readers said of it (reader set).
typedef void (crier_read_each_fn) (const crier_read_report_t *message, int64_t seen_at_ms,
                                   void *arg);
void crier_read_watch_each (crier_read_watch_t *self, crier_read_each_fn *fn, void *arg);

//  Messages followed now.
size_t crier_read_watch_tracked (const crier_read_watch_t *self);

#endif

/*  throttle_windows.h - the throttle windows crier-ingest keeps (docs/throttle.md): per group
    and key, when the current window started, how long it is, what it counted (how many held
    back or, urgent, sent all the same; the first and last time; the latest one), until its
    summary is made. State only: the ledger feeds it the resolver's decisions from routed
    receipts, and replaying the journal rebuilds it (routed receipts, summaries, and the 'W'
    records compaction writes).

    A window ends at start + length. One that counted something is summed up (crier-ingest makes
    the summary, a notification of its own, and says so with crier_throttle_windows_summarized);
    the next window then starts where it ended, so that a storm gives one summary per window.
    One that counted nothing is forgotten: the key starts afresh.
*/
#ifndef CRIER_THROTTLE_WINDOWS_H_INCLUDED
#define CRIER_THROTTLE_WINDOWS_H_INCLUDED

#include "journal.h"

#include "crier/frames.h"
#include "crier/notification.h"
#include "crier/receipt.h"
#include "crier/throttle_window.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_throttle_windows_t crier_throttle_windows_t;

//  A window (its group, key, figures and, once copied, the latest one's text) and where the
//  latest one counted lies in the journal (size 0: nowhere, or copied).
typedef struct {
    crier_throttle_window_t window;
    crier_journal_position_t latest;
    crier_journal_position_t opener; //  the first one's record, until its text is copied
    uint64_t edited_count;           //  the count the last edit of its messages showed
    int64_t edited_at;               //  and when it went (not kept across restarts)
} crier_throttle_entry_t;

//  Edits of one message at most this often (docs/throttle.md).
#define CRIER_THROTTLE_EDIT_EVERY_MS 30000

crier_throttle_windows_t *crier_throttle_windows_new (void);
void crier_throttle_windows_destroy (crier_throttle_windows_t **self_p);

//  A routed receipt's decisions (the first for its notification), whose record lies at
//  position. Returns how many were counted (held back or urgent).
size_t crier_throttle_windows_routed (crier_throttle_windows_t *self,
                                      const crier_receipt_t *receipt,
                                      crier_journal_position_t position, int64_t time_ms);

//  The current window of (group, key), or NULL.
const crier_throttle_entry_t *crier_throttle_windows_get (const crier_throttle_windows_t *self,
                                                          const char *group, const char *key);

//  The summary of (group, key)'s window that started at start_ms was journaled: the next
//  window starts where it ended. Nothing when that is not the current window (said before).
void crier_throttle_windows_summarized (crier_throttle_windows_t *self, const char *group,
                                        const char *key, int64_t start_ms);

//  The windows that ended by now_ms with something counted (their summaries are due), at most
//  max of them into due[] (valid until the state changes otherwise than by their summaries).
//  Windows that ended with nothing counted are forgotten on the way. Returns how many.
size_t crier_throttle_windows_due (crier_throttle_windows_t *self, int64_t now_ms,
                                   crier_throttle_entry_t **due, size_t max);

//  A delivered Matrix message (target, event id) of notification_id: when it opened a window,
//  the window keeps it, to edit it.
void crier_throttle_windows_delivered (crier_throttle_windows_t *self, const char *notification_id,
                                       const char *target, const char *event_id);

//  The windows whose first message should be edited by now_ms: it has Matrix messages, the
//  count grew since the last edit, and that was CRIER_THROTTLE_EDIT_EVERY_MS ago. At most max
//  into due[]. Returns how many.
size_t crier_throttle_windows_edits_due (crier_throttle_windows_t *self, int64_t now_ms,
                                         crier_throttle_entry_t **due, size_t max);

//  The windows a notification's frame carries to the resolver: the current window of each of
//  its groups for its key (none without a key). windows[] has room for CRIER_MAX_GROUPS; the
//  strings are the state's. Returns how many.
size_t crier_throttle_windows_of (const crier_throttle_windows_t *self,
                                  const crier_notification_t *notification,
                                  crier_frame_window_t *windows);

//  The windows that counted the most, for crier status: "#ops:db1/backup=37,..." (the first
//  eight, then "+N more"), or "none".
void crier_throttle_windows_describe (crier_throttle_windows_t *self, char *text, size_t size);

//  Windows kept now.
size_t crier_throttle_windows_count (const crier_throttle_windows_t *self);

//  Calls fn with every window (compaction: it may copy the latest's text into the window).
//  Returns 0, or the first -1 of fn.
typedef int (crier_throttle_window_fn) (crier_throttle_entry_t *entry, void *arg);
int crier_throttle_windows_each (crier_throttle_windows_t *self, crier_throttle_window_fn *fn,
                                 void *arg);

//  A 'W' record read back: the window replaces the current one of its group and key. Returns 0,
//  or -1 with *error set.
int crier_throttle_windows_load (crier_throttle_windows_t *self, const void *data, size_t size,
                                 crier_error_t *error);

#endif

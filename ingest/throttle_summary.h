/*  throttle_summary.h - the summary of a throttle window (docs/throttle.md): "37 more like
    this in the last 10 minutes", with the first and last time and the latest one's subject and
    body. crier-ingest journals it as a notification of its own, to the window's group, so it is
    delivered (and retried, and kept as a dead letter) like any other; its id comes from the
    group, the key and the window's start, so that it can never be made or sent twice.
*/
#ifndef CRIER_THROTTLE_SUMMARY_H_INCLUDED
#define CRIER_THROTTLE_SUMMARY_H_INCLUDED

#include "journal.h"
#include "throttle_windows.h"

#include "crier/notification.h"
#include "crier/throttle_window.h"

#include <stddef.h>

//  How much of the latest one's text a window keeps for its summary.
#define CRIER_THROTTLE_SUBJECT_BYTES 200
#define CRIER_THROTTLE_BODY_BYTES    2000

//  The summary's id: "throttle-" and 40 hex digits of (group, key, start).
#define CRIER_THROTTLE_SUMMARY_ID_BYTES 50
void crier_throttle_summary_id (char id[CRIER_THROTTLE_SUMMARY_ID_BYTES],
                                const crier_throttle_window_t *window);

//  Copies what the summary says of the latest one (its title and the start of its text) into
//  the window. Returns 0, or -1 when out of memory.
int crier_throttle_window_take_latest (crier_throttle_window_t *window,
                                       const crier_notification_t *latest);

//  Copies the latest one's text out of its journal record into the entry's window, once (an
//  unreadable record leaves the key as the summary's title).
void crier_throttle_entry_read_latest (crier_throttle_entry_t *entry, crier_journal_t *journal);

//  The same for the window's first one (opener_subject and opener_body), once.
void crier_throttle_entry_read_opener (crier_throttle_entry_t *entry, crier_journal_t *journal);

//  The new content of the window's first message, edited to show the count (docs/throttle.md):
//  "×38 <its subject>", its text, and a line that says what the count is. Its id, from the
//  window and the count, makes the edit's transaction id. Returns NULL when out of memory.
crier_notification_t *crier_throttle_edit_new (const crier_throttle_window_t *window,
                                               int64_t now_ms);

//  The summary of a window that counted something, received at now_ms. Returns NULL when out
//  of memory.
crier_notification_t *crier_throttle_summary_new (const crier_throttle_window_t *window,
                                                  int64_t now_ms);

#endif

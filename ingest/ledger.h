/*  ledger.h - what crier-ingest knows of every notification it accepted and has not finished:
    where its journal record lies, whether it went to the resolver, which deliveries it became
    and the outcome of each, its lease, and the dead letters (docs/delivery.md).

    The ledger only keeps state; the ingest server feeds it receipts and journal positions and
    does the I/O. Replaying the journal through the same calls rebuilds it after a restart.

    Memory stays flat however long the queue grows: past queued_max, accepted notifications wait
    in the journal only (the ledger counts them and remembers where the first lies), and are
    loaded back in order once the queue has gone to the resolver (backlog.h).

    A notification's life: queued (waiting to go to the resolver) -> sent (leased: a receipt must
    come before CRIER_REDELIVER_AFTER) -> done when every delivery it became is delivered or
    failed, and every nag it has is decided (docs/nag.md: until then it waits, out of the
    backlog, and goes to the resolver again as a nag request when one falls due). When its lease
   runs out it is queued again with attempt + 1, to send only the deliveries still pending. Failed
   deliveries and unroutable groups are dead letters: they stay (with the notification's journal
   record) until retried.
*/
#ifndef CRIER_LEDGER_H_INCLUDED
#define CRIER_LEDGER_H_INCLUDED

#include "journal.h"

#include "crier/control.h"
#include "crier/frames.h"
#include "crier/receipt.h"
#include "crier/wait.h"
#include "dead_shares.h"
#include "throttle_windows.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_ledger_t crier_ledger_t;

typedef struct {
    uint64_t lease_ms;         //  CRIER_REDELIVER_AFTER
    uint64_t dedup_window_ms;  //  CRIER_DEDUP_WINDOW
    size_t dedup_max;          //  ids remembered at most (oldest forgotten first)
    size_t queued_max;         //  queued notifications kept in memory (0: all)
    uint64_t nag_seen_wait_ms; //  CRIER_NAG_SEEN_WAIT: how long past its deadline a nag waits
                               //  for crier-matrix-watch to report the message (nag_rooms.h)
    size_t nags_max;           //  CRIER_MAX_PENDING_NAGS: a notification whose nags would pass
                               //  it goes without them (counted: crier_ledger_nags_refused); 0:
                               //  no limit
} crier_ledger_options_t;

//  What a receipt changed.
typedef enum {
    CRIER_LEDGER_IGNORED,  //  nothing (unknown notification, or already known): do not journal it
    CRIER_LEDGER_RENEWED,  //  the lease was extended: nothing to journal
    CRIER_LEDGER_UPDATED,  //  state changed: journal the receipt
    CRIER_LEDGER_FINISHED, //  and the notification is done: journal it, then crier_ledger_finish
} crier_ledger_change_t;

//  The next piece of work for the resolver.
typedef struct {
    const char *id;
    crier_journal_position_t position;   //  the notification's record
    crier_frame_redelivery_t redelivery; //  attempt, and only (borrowed: valid until next call)
    const char *const *groups;           //  route only these groups (a retried dead letter)
    size_t group_count;
} crier_ledger_work_t;

crier_ledger_t *crier_ledger_new (const crier_ledger_options_t *options);
void crier_ledger_destroy (crier_ledger_t **self_p);

//  Whether a client's id was accepted within the dedup window (or is still being worked on).
bool crier_ledger_seen (crier_ledger_t *self, const char *id, int64_t now_ms);

//  Records an accepted notification, queued for the resolver (or, while the queue holds
//  queued_max, waiting in the journal only). client_id: the id came from the client (and is
//  remembered for the dedup window). Returns 0, or -1 when out of memory.
int crier_ledger_accept (crier_ledger_t *self, const char *id, crier_journal_position_t position,
                         bool client_id, int64_t received_at_ms);

//  Queues a notification read back from the journal: replayed at start, or waiting in the
//  journal and loaded back in its turn. Returns 0, or -1 when out of memory.
int crier_ledger_load (crier_ledger_t *self, const char *id, crier_journal_position_t position,
                       bool client_id, int64_t received_at_ms);

//  After the journal's replay at start: what is queued may have gone out before the restart
//  (its outcomes lost with the process), so it goes as a redelivery, attempt 2 at least. The
//  resolver and the senders answer a redelivery they know was delivered without sending it.
void crier_ledger_replayed (crier_ledger_t *self);

//  Notifications waiting in the journal only; *offset_p receives where the journal record of the
//  first of them starts (each notification record from there on is one of them).
size_t crier_ledger_in_journal (const crier_ledger_t *self, uint64_t *offset_p);

//  Notifications queued in memory, and how many may be (0: no limit).
size_t crier_ledger_queued (const crier_ledger_t *self);
size_t crier_ledger_queued_max (const crier_ledger_t *self);

//  Remembers an id for dedup only (a replayed "seen" record).
void crier_ledger_remember (crier_ledger_t *self, const char *id, int64_t received_at_ms);

//  The work at the head of the queue, or false when none is waiting.
bool crier_ledger_next (crier_ledger_t *self, crier_ledger_work_t *work);

//  The head of the queue went to the resolver: it is leased until now + lease.
void crier_ledger_sent (crier_ledger_t *self, int64_t now_ms);

//  Applies a receipt.
crier_ledger_change_t crier_ledger_apply (crier_ledger_t *self, const crier_receipt_t *receipt,
                                          int64_t now_ms);

//  Forgets a finished notification (after its receipt was journaled), or keeps it as a holder of
//  dead letters. Returns true when it is gone (journal a "complete" record).
bool crier_ledger_finish (crier_ledger_t *self, const char *id);

//  A "complete" record replayed: the notification is gone.
void crier_ledger_forget (crier_ledger_t *self, const char *id);

//  Queues again every sent notification whose lease ran out by now. Returns how many.
size_t crier_ledger_expire (crier_ledger_t *self, int64_t now_ms);

//  Queues again at once every sent notification the resolver has not said it routed: a
//  resolver that restarted lost what it had not read yet (crier-ingest sees a new instance in
//  its heartbeats). Returns how many.
size_t crier_ledger_expire_unrouted (crier_ledger_t *self);

//  Queues again at once every sent notification with a delivery deferred since it was sent:
//  the channel that stalled flows again (deliveries.flowing from the resolver), so what it
//  deferred goes now rather than after the lease. Returns how many.
size_t crier_ledger_expire_deferred (crier_ledger_t *self);

//  Queues every notification whose nag fell due by now, as a nag request (the work then carries
//  it). Returns how many.
size_t crier_ledger_nags_due (crier_ledger_t *self, int64_t now_ms);

//  The throttle windows (docs/throttle.md), which routed receipts feed: crier-ingest makes the
//  summaries of those that fall due, and the journal's replay and compaction go through them.
crier_throttle_windows_t *crier_ledger_throttles (crier_ledger_t *self);

//  Matrix deliveries whose nag is not decided yet; and nags not kept since the start because
//  there were nags_max already.
size_t crier_ledger_nags_pending (const crier_ledger_t *self);
uint64_t crier_ledger_nags_refused (const crier_ledger_t *self);

//  What a delivery.* receipt's delivery is to the nags: a Matrix delivery with one, or a nag
//  email (nag_of: whom for), and the after_ms it is about. False when neither (or unknown).
typedef struct {
    bool email;
    const char *nag_of; //  the ledger's: valid until the receipt is applied
    int64_t after_ms;
} crier_ledger_nag_t;
bool crier_ledger_nag_info (const crier_ledger_t *self, const crier_receipt_t *receipt,
                            crier_ledger_nag_t *nag);

//  Notifications accepted and not done (waiting in the journal, queued or sent), and of those,
//  sent.
size_t crier_ledger_backlog (const crier_ledger_t *self);
size_t crier_ledger_in_flight (const crier_ledger_t *self);
//  Dead letters: failed deliveries, and notifications with unroutable groups.
size_t crier_ledger_dead_count (const crier_ledger_t *self);

//  Notifications sent and routed whose deliveries are not all done: what senders may be working
//  on now (a stopping ingest waits for their outcomes).
size_t crier_ledger_routed_pending (const crier_ledger_t *self);

//  What the dead letters of a client (its tag; "" for untagged ids, dead_shares.h) hold: the
//  notifications that only dead letters keep, and their journal bytes.
crier_dead_share_t crier_ledger_dead_share (const crier_ledger_t *self, const char *client);

//  Called with the id of each notification dropped, before it is forgotten (journal a
//  "complete" record for it).
typedef void (crier_ledger_dropped_fn) (const char *id, void *arg);

//  Drops the dead letters of a notification that only they keep (id), or of every such
//  notification (id NULL): an operator's way to let them go. Returns how many notifications.
size_t crier_ledger_drop (crier_ledger_t *self, const char *id, crier_ledger_dropped_fn *fn,
                          void *arg);

//  Calls fn with every dead letter, oldest notification first (the letter's strings are the
//  ledger's: valid during the call).
typedef void (crier_dead_letter_fn) (const crier_dead_letter_t *letter, void *arg);
void crier_ledger_dead_letters (crier_ledger_t *self, crier_dead_letter_fn *fn, void *arg);

//  What became of a notification, for a wait request: pending while it is worked on (with its
//  deliveries so far, or none while it waits in the journal only: a client id accepted while
//  some do), failed when only its dead letters keep it (the first of them copied into
//  reply), delivered when it was done lately with every delivery delivered (the last 10,000, for
//  an hour, since this process started), else unknown. Fills state, routed, deliveries,
//  delivered and dead_letters of reply.
void crier_ledger_describe (crier_ledger_t *self, const char *id, int64_t now_ms,
                            crier_wait_reply_t *reply);

//  Puts dead letters back to be tried again: every one of a notification when id is a
//  notification id, the one delivery when it is a delivery id, all when id is NULL. Returns how
//  many.
size_t crier_ledger_retry (crier_ledger_t *self, const char *id);

//  One live notification as the journal records that rebuild it, in order: its notification
//  record, the routed receipt, the unroutable receipt (followed by a retry record when its groups
//  were retried), the receipts of its nags, then the outcome of each delivery that has one. Valid
//  during the call.
typedef struct {
    const char *id;
    bool client_id;
    crier_journal_position_t position; //  its notification record in the journal now
    const crier_receipt_t *routed;     //  NULL when not routed yet
    const crier_receipt_t *unroutable; //  NULL unless some groups were unroutable
    bool groups_retry;
    const crier_receipt_t *nag_receipts; //  what rebuilds its nags (nag_rooms.h), after the retry
    size_t nag_count;
    const crier_receipt_t *outcomes;
    size_t outcome_count;
} crier_ledger_live_t;

//  Called with each live notification (compaction); *new_position_p receives where its record
//  was copied. Returns 0, or -1 to stop.
typedef int (crier_ledger_live_fn) (const crier_ledger_live_t *live,
                                    crier_journal_position_t *new_position_p, void *arg);

//  Calls fn with every notification held in memory (dead letters first, then sent, then
//  queued). Returns 0, or the first -1 (out of memory, or fn's).
int crier_ledger_each_live (crier_ledger_t *self, crier_ledger_live_fn *fn, void *arg);

//  Calls fn with every client id remembered for the dedup window at now_ms.
typedef void (crier_ledger_seen_fn) (const char *id, int64_t at_ms, void *arg);
void crier_ledger_each_seen (crier_ledger_t *self, int64_t now_ms, crier_ledger_seen_fn *fn,
                             void *arg);

//  After a successful compaction: every entry's record now lies where fn said, and in_journal
//  notifications wait in the journal only from cursor on (the start of the first's record).
void crier_ledger_rewritten (crier_ledger_t *self, size_t in_journal, uint64_t cursor);

#endif

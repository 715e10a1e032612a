/*  nag_rooms.h - the pending nags of one notification, as crier-ingest keeps them (docs/nag.md):
    for each Matrix delivery of a group with a nag, how long it may stay unread, when the
    homeserver took it, the room's members and who read it (across all its rooms), and whether
    it was decided. State only: the ledger feeds it receipts, and replaying the journal's
    receipts rebuilds it.

    A room is due when its delivery is delivered and after_ms has passed. Its nag is decided
    once the resolver has said which nag emails it became (nag.routed), or when the delivery
    failed (nothing to nag about). A room crier-matrix-watch never reported is decided
    seen_wait_ms later without members: only the escalation can then go.
*/
#ifndef CRIER_NAG_ROOMS_H_INCLUDED
#define CRIER_NAG_ROOMS_H_INCLUDED

#include "crier/frames.h"
#include "crier/receipt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_nag_rooms_t crier_nag_rooms_t;

//  From notification.routed's nags. Returns NULL when out of memory.
crier_nag_rooms_t *crier_nag_rooms_new (const crier_receipt_nag_t *nags, size_t count);
void crier_nag_rooms_destroy (crier_nag_rooms_t **self_p);

//  Adds the nags of a later part's notification.routed (docs/delivery.md, Large groups), those
//  it does not have. Returns how many it added, or -1 when out of memory.
int crier_nag_rooms_add (crier_nag_rooms_t *self, const crier_receipt_nag_t *nags, size_t count);

//  Whether delivery_id is one of the Matrix deliveries with a nag; *after_ms_p receives its
//  after_ms.
bool crier_nag_rooms_has (const crier_nag_rooms_t *self, const char *delivery_id,
                          int64_t *after_ms_p);

//  An outcome of one of its Matrix deliveries (delivered at time_ms, or failed). Returns true
//  when it changed something.
bool crier_nag_rooms_outcome (crier_nag_rooms_t *self, const char *delivery_id, bool delivered,
                              int64_t time_ms);

//  delivery.seen and delivery.read. Return true when they changed something.
bool crier_nag_rooms_seen (crier_nag_rooms_t *self, const crier_receipt_t *seen);
bool crier_nag_rooms_read (crier_nag_rooms_t *self, const crier_receipt_t *read);

//  nag.routed: its decided rooms, and its nag emails (whom each is for, where, about which
//  room; an escalation address makes the notification escalated). Returns true when it changed
//  something.
bool crier_nag_rooms_routed (crier_nag_rooms_t *self, const crier_receipt_t *routed);

//  Whether delivery_id is one of the nag emails; *nag_of_p and *after_ms_p (may be NULL)
//  receive whom it is for and its room's after_ms.
bool crier_nag_rooms_is_email (const crier_nag_rooms_t *self, const char *delivery_id,
                               const char **nag_of_p, int64_t *after_ms_p);

//  Rooms not decided yet.
size_t crier_nag_rooms_undecided (const crier_nag_rooms_t *self);

//  When the first undecided room falls due (INT64_MAX: none can yet, its delivery pending).
int64_t crier_nag_rooms_due_at (const crier_nag_rooms_t *self, int64_t seen_wait_ms);

//  Fills a nag request into redelivery (its strings are the state's, valid until the next call):
//  when decide, every room due at now_ms with the members to nag (joined members who read it in
//  none of its rooms and were not nagged before) and escalate when nobody read it and it was not
//  escalated before; and the nag emails among pending (delivery ids still pending) to send
//  again, with the rooms they are about. Returns 0, or -1 when out of memory.
int crier_nag_rooms_request (crier_nag_rooms_t *self, bool decide, int64_t now_ms,
                             int64_t seen_wait_ms, const char *const *pending, size_t pending_count,
                             crier_frame_redelivery_t *redelivery);

//  The receipts that rebuild this state (compaction), in order: delivery.seen of each room
//  seen, delivery.read of each reader, then nag.routed with the decided rooms and every nag
//  email. Valid until the next call. Returns 0, or -1 when out of memory.
int crier_nag_rooms_describe (crier_nag_rooms_t *self, const char *notification_id,
                              const crier_receipt_t **receipts_p, size_t *count_p);

#endif

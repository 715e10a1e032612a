/*  receipt.h - the events crier-ingest follows to know what became of what it accepted
    (docs/delivery.md): which deliveries a notification became, and the outcome of each.

    A receipt is an event's msgpack map (event.h) read back. crier-ingest also keeps receipts in
    its journal as they came, so the same decoder reads both.
*/
#ifndef CRIER_RECEIPT_H_INCLUDED
#define CRIER_RECEIPT_H_INCLUDED

#include "crier/event.h"
#include "crier/id.h"
#include "crier/notification.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CRIER_RECEIPT_ROUTED,     //  notification.routed: deliveries (possibly none)
    CRIER_RECEIPT_UNROUTABLE, //  notification.unroutable: groups, reason
    CRIER_RECEIPT_DELIVERED,  //  delivery.delivered: delivery
    CRIER_RECEIPT_FAILED,     //  delivery.failed: delivery, reason (permanent)
    CRIER_RECEIPT_RETRYING,   //  delivery.retrying: delivery, reason (still being worked on)
    CRIER_RECEIPT_RELEASED,   //  delivery.released: delivery, reason (a stopping sender let go)
    CRIER_RECEIPT_DEFERRED,   //  delivery.deferred: delivery, reason (its channel is stalled)
    //  The nags (docs/nag.md): of the Matrix deliveries that have one.
    CRIER_RECEIPT_SEEN,       //  delivery.seen: delivery (id only), room_id, event_id, members
    CRIER_RECEIPT_READ,       //  delivery.read: delivery (id only), reader
    CRIER_RECEIPT_NAG_ROUTED, //  nag.routed: nags (the decided deliveries), deliveries (nag_of, of)
} crier_receipt_kind_t;

#define CRIER_RECEIPT_KIND_COUNT (CRIER_RECEIPT_NAG_ROUTED + 1)

typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    char *channel;
    char *target;
    //  nag.routed's deliveries: whom the nag email is for (a person's Matrix user id, or an
    //  escalation address), and the Matrix delivery it is about.
    char *nag_of;
    char of[CRIER_DIGEST_BYTES];
} crier_receipt_delivery_t;

//  A Matrix delivery with a nag: how long it may stay unread (0 in nag.routed's decided list).
typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    int64_t after_ms;
} crier_receipt_nag_t;

//  What the resolver did with a notification for one of its groups with a throttle
//  (docs/throttle.md): delivered it and opened a window, held it back, or delivered it (urgent)
//  and counted it.
typedef enum {
    CRIER_THROTTLE_OPENED,
    CRIER_THROTTLE_HELD,
    CRIER_THROTTLE_COUNTED,
} crier_throttle_action_t;

//  The action's name in notification.routed ("opened", "held", "counted").
const char *crier_throttle_action_name (crier_throttle_action_t action);

typedef struct {
    char *group;
    int64_t start_ms;  //  the window's start: the one opened, or the one it was counted in
    int64_t window_ms; //  its length
    crier_throttle_action_t action;
} crier_receipt_throttle_t;

typedef struct {
    crier_receipt_kind_t kind;
    char *notification_id;
    int64_t time_ms;
    crier_receipt_delivery_t delivery;    //  delivery.* receipts
    char *reason;                         //  failed, retrying, released, deferred, unroutable
    crier_receipt_delivery_t *deliveries; //  notification.routed
    size_t delivery_count;
    char **groups; //  notification.unroutable; notification.routed in parts: the groups routed
    size_t group_count;
    //  notification.routed of a notification sent in parts (docs/delivery.md, Large groups):
    //  how many parts of part_size deliveries, and which part these deliveries are. parts 0: not
    //  in parts.
    uint32_t parts;
    uint32_t part;
    uint32_t part_size;
    uint64_t forgotten; //  in crier-ingest's compacted journal: deliveries done and forgotten
    crier_receipt_nag_t *nags; //  notification.routed's nags; nag.routed's decided deliveries
    size_t nag_count;
    char *room_id;  //  delivery.seen
    char *event_id; //  delivery.seen; delivery.delivered of a Matrix message
    char **members; //  delivery.seen: the room's joined members, the bot left out
    size_t member_count;
    char *reader; //  delivery.read
    char *key;    //  notification.routed of a notification with a key and throttled groups
    crier_receipt_throttle_t *throttles;
    size_t throttle_count;
} crier_receipt_t;

//  Decodes an event's map. Returns 1 with *receipt filled (free it with crier_receipt_free), 0
//  when the event is of another type (nothing to free), or -1 with *error set.
int crier_receipt_decode (const void *data, size_t size, crier_receipt_t *receipt,
                          crier_error_t *error);

//  Reads only the delivery_id and channel of a delivery.* event's map, copying nothing else (the
//  resolver does it for every delivered event on the bus). Returns 0, or -1 when either is
//  missing or malformed.
int crier_receipt_peek (const void *data, size_t size, char delivery_id[CRIER_DIGEST_BYTES],
                        char *channel, size_t channel_size);

//  Adds notification.routed's "parts", "part", "part_size" and "groups" of a notification sent in
//  parts (nothing when parts is 0).
void crier_receipt_add_parts (crier_event_t *event, uint32_t parts, uint32_t part,
                              uint32_t part_size, char *const *groups, size_t group_count);

//  Adds notification.routed's "key" and "throttle" (nothing when count is 0), as the resolver
//  says them. Returns 0, or -1 when out of memory.
int crier_receipt_add_throttles (crier_event_t *event, const char *key,
                                 const crier_receipt_throttle_t *throttles, size_t count);

//  Frees what crier_receipt_decode allocated. NULL-safe.
void crier_receipt_free (crier_receipt_t *receipt);

//  The event type of a kind, e.g. "delivery.failed".
const char *crier_receipt_type (crier_receipt_kind_t kind);

//  Encodes a receipt as the map of its event (time and the fields above), as crier-ingest writes
//  one again when it compacts its journal. Returns 0 with a malloc'ed buffer, or -1.
int crier_receipt_encode (const crier_receipt_t *receipt, char **data_p, size_t *size_p);

#endif

/*  frames.h - the internal frames between crier processes (docs/protocol.md, "Internal frames").

    Each is one ZeroMQ frame holding one msgpack map with "v" (the frame version, 1) and "type".
    A process that receives a version it does not speak logs it and drops the frame; versions only
    change when a field changes meaning, and unknown keys are ignored, so adding fields is safe.
*/
#ifndef CRIER_FRAMES_H_INCLUDED
#define CRIER_FRAMES_H_INCLUDED

#include "crier/id.h"
#include "crier/notification.h"

#include <stdbool.h>
#include <stdint.h>

#define CRIER_FRAME_VERSION 1

//  One notification to one target of one channel: what a sender works on.
typedef struct {
    char
        delivery_id[CRIER_DIGEST_BYTES]; //  crier_delivery_id of (notification id, channel, target)
    char *channel;                       //  "matrix", "email"
    char *target;                        //  room id or alias, email address
    uint32_t attempt;                    //  1 for the first try; redeliveries count up
    crier_notification_t *notification;  //  content; to[] holds the groups that led here
    char *nag_of;   //  a nag email (docs/nag.md): whom it is for, a person's Matrix user id or an
                    //  escalation address; NULL otherwise
    char *replaces; //  a Matrix edit (docs/throttle.md): the event id of the message it
                    //  replaces; NULL otherwise
} crier_delivery_t;

//  Encodes a notification that ingest accepted (id and received_at_ms set) for the resolver.
//  Returns 0 with a malloc'ed buffer in *data_p, or -1 when id is missing or memory ran out.
int crier_frame_encode_notification (const crier_notification_t *notification, char **data_p,
                                     size_t *size_p);

//  One delivery named by its channel and target.
typedef struct {
    char *channel;
    char *target;
} crier_frame_target_t;

//  A Matrix delivery with a nag, in a nag request (docs/nag.md).
typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    char *room_id;
    char *event_id; //  "" when crier-matrix-watch never saw the message
    int64_t after_ms;
    char **unread; //  decide: nag these members who have not read it; NULL: only referenced
    size_t unread_count;
} crier_frame_nag_t;

//  A nag email to send again: for whom, where, about which of the frame's nags.
typedef struct {
    char *nag_of;
    char *target;
    char of[CRIER_DIGEST_BYTES];
} crier_frame_nag_delivery_t;

//  A throttle window crier-ingest keeps for one of a notification's groups and its key
//  (docs/throttle.md), carried in the notification frame so that the resolver decides with it.
typedef struct {
    char *group;
    int64_t start_ms;  //  Unix ms
    int64_t window_ms; //  its length
    uint64_t count;    //  repeats counted in it so far
    char *opener;      //  the notification that opened it (NULL: not known)
} crier_frame_window_t;

//  A Matrix message to edit: the first of a throttle window, in one room (docs/throttle.md).
typedef struct {
    char *room_id;
    char *event_id;
} crier_frame_edit_t;

//  What a notification frame says beyond the notification when crier-ingest sends it again.
typedef struct {
    uint32_t attempt;           //  1 for the first time, then 2, 3, ...
    crier_frame_target_t *only; //  send only these deliveries (no routing); NULL: route it all
    size_t only_count;
    bool route; //  with only: route the frame's groups as well (retried unroutable groups)
    //  A nag request: with nags or nag_deliveries, the notification is not routed (only, when
    //  given, is still sent).
    crier_frame_nag_t *nags;
    size_t nag_count;
    bool escalate; //  nobody read it: the groups' nag.email addresses too, about the first nag
    crier_frame_nag_delivery_t *nag_deliveries;
    size_t nag_delivery_count;
    //  Throttles (docs/throttle.md): the open windows of the notification's key, and, in a
    //  summary that crier-ingest made, the window it sums up (summary.group NULL: not one).
    crier_frame_window_t *windows;
    size_t window_count;
    crier_frame_window_t summary;
    //  An edit request: the notification is the new content of these messages (nothing is
    //  routed; the resolver sends one Matrix edit per message).
    crier_frame_edit_t *edits;
    size_t edit_count;
    //  A part request (docs/delivery.md, Large groups): route only the part'th part_size
    //  deliveries of the notification's groups. part_size 0: not one.
    uint32_t part;
    uint32_t part_size;
} crier_frame_redelivery_t;

//  Encodes a notification frame for a redelivery: "attempt" when not 1 and, when only_count > 0,
//  "only" (an array of maps {channel, target}) and "route" when set; a nag request's "nags",
//  "escalate" and "nag_deliveries" when given; "windows" and "summary" when given (maps
//  {group, start_ms, window_ms, count}). Returns 0 with a malloc'ed buffer, or -1.
int crier_frame_encode_redelivery (const crier_notification_t *notification,
                                   const crier_frame_redelivery_t *redelivery, char **data_p,
                                   size_t *size_p);

//  Decodes a notification frame. Returns a new notification, or NULL with *error set. When
//  redelivery is not NULL it receives attempt (1 when absent) and only (free it with
//  crier_frame_redelivery_free).
crier_notification_t *crier_frame_decode_notification (const void *data, size_t size,
                                                       crier_frame_redelivery_t *redelivery,
                                                       crier_error_t *error);

//  Frees a decoded redelivery's targets. NULL-safe.
void crier_frame_redelivery_free (crier_frame_redelivery_t *redelivery);

//  The stable id of a delivery: the same notification, channel and target always give the same
//  40 hex characters, whichever process computes it.
void crier_delivery_id (char id[CRIER_DIGEST_BYTES], const char *notification_id,
                        const char *channel, const char *target);

//  Creates a delivery that takes ownership of *notification_p (set to NULL) and copies channel
//  and target. Returns NULL when out of memory (the notification is then destroyed).
crier_delivery_t *crier_delivery_new (crier_notification_t **notification_p, const char *channel,
                                      const char *target);

//  NULL-safe; sets *self_p to NULL.
void crier_delivery_destroy (crier_delivery_t **self_p);

int crier_frame_encode_delivery (const crier_delivery_t *delivery, char **data_p, size_t *size_p);

//  Encodes a delivery straight from a notification without building a crier_delivery_t (the
//  resolver's fan-out): groups replace the notification's to[] in the frame, and the delivery id
//  is written to delivery_id. Returns 0 with a malloc'ed buffer, or -1 when out of memory.
int crier_frame_encode_delivery_of (const crier_notification_t *notification, const char *channel,
                                    const char *target, const char *const *groups,
                                    size_t group_count, uint32_t attempt,
                                    char delivery_id[CRIER_DIGEST_BYTES], char **data_p,
                                    size_t *size_p);

//  The stable id of a nag email: the same notification and person (or escalation address)
//  always give the same id, unlike any delivery of the notification itself.
void crier_delivery_id_of_nag (char id[CRIER_DIGEST_BYTES], const char *notification_id,
                               const char *nag_of);

//  Encodes a nag email's delivery frame: notification is the nag's content (its id the original
//  notification's), nag_of whom it is for. Fills delivery_id. Returns 0 with a malloc'ed buffer,
//  or -1 when out of memory.
int crier_frame_encode_nag_delivery (const crier_notification_t *notification, const char *target,
                                     const char *nag_of, uint32_t attempt,
                                     char delivery_id[CRIER_DIGEST_BYTES], char **data_p,
                                     size_t *size_p);

//  Encodes a Matrix edit of event_id in room_id, whose new content is the notification's: its
//  delivery id (the transaction id) comes from the notification id and the room, so an edit
//  sent twice is one. Fills delivery_id. Returns 0 with a malloc'ed buffer, or -1.
int crier_frame_encode_edit_delivery (const crier_notification_t *notification, const char *room_id,
                                      const char *event_id, char delivery_id[CRIER_DIGEST_BYTES],
                                      char **data_p, size_t *size_p);

//  Decodes a delivery frame, checking that its delivery_id matches its contents. Returns a new
//  delivery, or NULL with *error set.
crier_delivery_t *crier_frame_decode_delivery (const void *data, size_t size, crier_error_t *error);

#endif

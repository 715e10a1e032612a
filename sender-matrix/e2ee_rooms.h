/*  e2ee_rooms.h - crier-matrix-watch encrypting for the Matrix senders (docs/matrix.md,
    End-to-end encryption).

    A sender asks for each message: {"delivery_id", "room_id", "type", "content"}. The answer
    ({"delivery_id", "room_id", "outcome", ...}) is "encrypted" with the m.room.encrypted
    "content" to send, "plaintext" for a room that is not encrypted, "forbidden" when the bot is
    not in the room (the sender joins or fails as for a message), or "failed" with a "reason"
    when nobody in the room can be encrypted for. Nothing is answered while a step it needs
    fails (the homeserver, the disk): the sender's request times out and it tries again, never
    sending plaintext meanwhile.

    Per encrypted room: its members (/joined_members, then /sync), their devices
    (e2ee_devices.h), an Olm session with each (a one-time key claimed with /keys/claim), and an
    outbound Megolm session whose key goes to every device of every joined member that lacks
    it, as an Olm-encrypted m.room_key to-device message, before any message under it. The
    Megolm session is replaced after rotation_period_msgs messages or rotation_period_ms (the
    room's m.room.encryption), and when a member leaves. Its state is saved (synced) after each
    batch of messages and before they are answered: a crash never reuses a message index.
*/
#ifndef CRIER_E2EE_ROOMS_H_INCLUDED
#define CRIER_E2EE_ROOMS_H_INCLUDED

#include "e2ee_device.h"
#include "matrix_client.h"

#include <czmq.h>
#include <jansson.h>

//  Where an answer goes: to the sender (peer: its routing id) that asked.
typedef void (crier_e2ee_reply_fn) (const void *peer, size_t peer_size, json_t *reply, void *arg);

typedef struct {
    zloop_t *loop;
    crier_matrix_client_t *client;
    zsock_t *events; //  e2ee.keys_shared goes there (may be NULL)
    const char *dir; //  the state folder
    const char *key; //  CRIER_MATRIX_STATE_KEY
    crier_e2ee_device_t *device;
    crier_e2ee_reply_fn *reply;
    void *arg;
} crier_e2ee_rooms_options_t;

typedef struct crier_e2ee_rooms_t crier_e2ee_rooms_t;

//  NULL after logging when the kept Olm sessions cannot be read.
crier_e2ee_rooms_t *crier_e2ee_rooms_new (const crier_e2ee_rooms_options_t *options);

//  NULL-safe; sets *self_p to NULL. Requests not answered are dropped (their senders ask again).
void crier_e2ee_rooms_destroy (crier_e2ee_rooms_t **self_p);

//  A sender's request (see above), answered through the reply function, maybe later.
void crier_e2ee_rooms_request (crier_e2ee_rooms_t *self, const void *peer, size_t peer_size,
                               const json_t *request);

//  A /sync answer: rooms' encryption and members, whose devices changed.
void crier_e2ee_rooms_on_sync (crier_e2ee_rooms_t *self, const json_t *body);

#endif

/*  e2ee_inbox.h - what the bot's device receives: Olm-encrypted to-device messages (from
    sessions other devices start with its one-time keys), the room keys they carry (m.room_key),
    kept as inbound Megolm sessions, and the encrypted room messages those keys open: how a
    verification request sent as a room message reaches the watcher (docs/matrix.md).

    Kept in the state folder (e2ee-inbox.json), encrypted with the state key like the rest; a
    one-time key used up is saved with the account before anything of the message is acted on.
*/
#ifndef CRIER_E2EE_INBOX_H_INCLUDED
#define CRIER_E2EE_INBOX_H_INCLUDED

#include "e2ee_device.h"

#include <jansson.h>

typedef struct {
    const char *dir; //  the state folder
    const char *key; //  CRIER_MATRIX_STATE_KEY
    crier_e2ee_device_t *device;
} crier_e2ee_inbox_options_t;

typedef struct crier_e2ee_inbox_t crier_e2ee_inbox_t;

//  NULL after logging when what is kept cannot be read.
crier_e2ee_inbox_t *crier_e2ee_inbox_new (const crier_e2ee_inbox_options_t *options);

//  NULL-safe; sets *self_p to NULL.
void crier_e2ee_inbox_destroy (crier_e2ee_inbox_t **self_p);

//  A room message decrypted: its room, sender, event id, and the event as its sender wrote it
//  ({"type", "content", "room_id"}). Valid during the call.
typedef void (crier_e2ee_decrypted_fn) (const char *room_id, const char *sender,
                                        const char *event_id, const json_t *event, void *arg);

//  A /sync answer: its to-device room keys first, then the encrypted room messages they open
//  (fn, may be NULL).
void crier_e2ee_inbox_on_sync (crier_e2ee_inbox_t *self, const json_t *body,
                               crier_e2ee_decrypted_fn *fn, void *arg);

#endif

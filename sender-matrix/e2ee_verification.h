/*  e2ee_verification.h - crier-matrix-watch answering a person's interactive verification of the
    bot's device (the emoji Element shows, SAS: m.key.verification.start, .key, .mac and .cancel
    to-device messages, method m.sas.v1 with curve25519-hkdf-sha256, sha256 and
    hkdf-hmac-sha256).

    A bot cannot look at emoji: crier-matrix-watch logs them and says them as an event
    (e2ee.verification_sas), and confirms on its side at once. Whoever verifies compares what
    their client shows with that line, which the operator reads out; the person's side decides
    (docs/matrix.md, Verification).
*/
#ifndef CRIER_E2EE_VERIFICATION_H_INCLUDED
#define CRIER_E2EE_VERIFICATION_H_INCLUDED

#include "e2ee_device.h"
#include "matrix_client.h"

#include <czmq.h>
#include <jansson.h>

//  Asks the watcher's rooms engine to encrypt a room event ({"room_id", "delivery_id", "type",
//  "content"}); its answer goes to crier_e2ee_verification_on_encrypted.
typedef void (crier_e2ee_encrypt_fn) (const json_t *request, void *arg);

typedef struct {
    crier_matrix_client_t *client;
    zsock_t *events; //  may be NULL
    crier_e2ee_device_t *device;
    crier_e2ee_encrypt_fn *encrypt; //  for requests made as room messages
    void *arg;
} crier_e2ee_verification_options_t;

typedef struct crier_e2ee_verification_t crier_e2ee_verification_t;

crier_e2ee_verification_t *
crier_e2ee_verification_new (const crier_e2ee_verification_options_t *options);

//  NULL-safe; sets *self_p to NULL.
void crier_e2ee_verification_destroy (crier_e2ee_verification_t **self_p);

//  A /sync answer: its to-device verification messages, and those in rooms that are not
//  encrypted.
void crier_e2ee_verification_on_sync (crier_e2ee_verification_t *self, const json_t *body);

//  A room event ({"type", "content"}), decrypted or plain: a verification request addressed
//  to the bot (an m.room.message of msgtype m.key.verification.request), or a step of one
//  (related to the request with m.reference).
void crier_e2ee_verification_on_room_event (crier_e2ee_verification_t *self, const char *room,
                                            const char *sender, const char *event_id,
                                            const json_t *event);

//  The rooms engine's answer to an encryption crier_e2ee_encrypt_fn asked for.
void crier_e2ee_verification_on_encrypted (crier_e2ee_verification_t *self, const json_t *answer);

//  The 64 emoji of the SAS, by index, as the specification names them ("Dog", ...).
const char *crier_e2ee_emoji_name (unsigned index);

#endif

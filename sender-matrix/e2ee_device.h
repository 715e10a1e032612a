/*  e2ee_device.h - the bot's one lasting Matrix device for end-to-end encryption, owned by
    crier-matrix-watch (the device's one /sync client, docs/matrix.md).

    Its keys are kept in the state folder (CRIER_MATRIX_WATCH_DIR/e2ee-device.json), encrypted
    with CRIER_MATRIX_STATE_KEY, so that a restart keeps the device and its identity. They are
    published with /keys/upload: the device keys signed by the device, and signed one-time keys
    up to half of what the account can hold, topped up when /sync says the homeserver hands them
    out (device_one_time_keys_count). New one-time keys are saved before they are uploaded, and
    marked published (saved again) once the homeserver has them: a crash in between uploads the
    same keys again, never different ones under the same ids. Once published, the device says
    e2ee.device_ready.
*/
#ifndef CRIER_E2EE_DEVICE_H_INCLUDED
#define CRIER_E2EE_DEVICE_H_INCLUDED

#include "matrix_client.h"

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>

typedef struct crier_e2ee_device_t crier_e2ee_device_t;

typedef struct {
    zloop_t *loop;
    crier_matrix_client_t *client;
    zsock_t *events; //  where e2ee.device_ready goes (may be NULL)
    const char *dir; //  the state folder
    const char *key; //  CRIER_MATRIX_STATE_KEY
} crier_e2ee_device_options_t;

//  Reads the device kept in the folder, if any. NULL after logging why when it is there but
//  cannot be read (another key, a damaged file): the process should not start.
crier_e2ee_device_t *crier_e2ee_device_open (const crier_e2ee_device_options_t *options);

//  NULL-safe; sets *self_p to NULL. A request still running is cancelled with the client.
void crier_e2ee_device_destroy (crier_e2ee_device_t **self_p);

//  The access token's user and device are known (whoami): makes the device's keys if it has
//  none (or had another device's: e2ee.device_changed), and publishes them. Returns 0, or -1
//  after logging when the keys cannot be made or kept.
int crier_e2ee_device_publish (crier_e2ee_device_t *self, const char *user_id,
                               const char *device_id);

//  A /sync answer: tops the one-time keys up when the homeserver runs low.
void crier_e2ee_device_on_sync (crier_e2ee_device_t *self, const json_t *body);

//  Whether the keys are published (e2ee.device_ready was said).
bool crier_e2ee_device_ready (const crier_e2ee_device_t *self);

//  The device's user, id and identity keys, once publishing; NULL before.
const char *crier_e2ee_device_user (const crier_e2ee_device_t *self);
const char *crier_e2ee_device_id (const crier_e2ee_device_t *self);
const char *crier_e2ee_device_curve25519 (const crier_e2ee_device_t *self);
const char *crier_e2ee_device_ed25519 (const crier_e2ee_device_t *self);

//  Keeps the account after a change made through crier_e2ee_device_account (a one-time key
//  used up by a session another device started). Returns 0, or -1 after logging.
int crier_e2ee_device_save (crier_e2ee_device_t *self);

//  The device's keys, to start Olm sessions with (NULL before publishing).
struct crier_e2ee_account_t *crier_e2ee_device_account (crier_e2ee_device_t *self);

#endif

/*  e2ee_devices.h - the devices of the users the bot encrypts for, as /keys/query told them:
    each device's identity keys, kept only when the device keys are signed by the device itself
    (one that is not is left out and said once). A user's list is read again when /sync says it
    changed (device_lists.changed); nothing is kept across restarts, so a restarted watcher
    reads every list again before it next shares a room key. */
#ifndef CRIER_E2EE_DEVICES_H_INCLUDED
#define CRIER_E2EE_DEVICES_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *user;
    const char *device;
    const char *curve25519;
    const char *ed25519;
} crier_e2ee_recipient_t;

typedef struct crier_e2ee_devices_t crier_e2ee_devices_t;

crier_e2ee_devices_t *crier_e2ee_devices_new (void);

//  NULL-safe; sets *self_p to NULL.
void crier_e2ee_devices_destroy (crier_e2ee_devices_t **self_p);

//  The users among users (a JSON array of user ids) whose devices are unknown or out of date,
//  as a /keys/query body ({"device_keys": {"@user": []}}), or NULL when none is.
json_t *crier_e2ee_devices_query (crier_e2ee_devices_t *self, const json_t *users);

//  A /keys/query answer for the users of query: their devices replace what was known.
void crier_e2ee_devices_apply (crier_e2ee_devices_t *self, const json_t *query,
                               const json_t *answer);

//  Users whose devices changed (/sync's device_lists.changed, a JSON array): read again before
//  the next share.
void crier_e2ee_devices_outdated (crier_e2ee_devices_t *self, const json_t *users);

//  Calls fn with each known device of user (valid during the call).
typedef void (crier_e2ee_recipient_fn) (const crier_e2ee_recipient_t *recipient, void *arg);
void crier_e2ee_devices_each (crier_e2ee_devices_t *self, const char *user,
                              crier_e2ee_recipient_fn *fn, void *arg);

//  A device's Ed25519 key, or NULL when it is not known.
const char *crier_e2ee_devices_ed25519 (crier_e2ee_devices_t *self, const char *user,
                                        const char *device);

#endif

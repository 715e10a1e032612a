/*  e2ee_devices.c - see e2ee_devices.h. Kept as JSON: user -> {"outdated": bool, "devices":
    {device: {"curve25519", "ed25519"}}}. */
#include "e2ee_devices.h"
#include "e2ee_signing.h"

#include "crier/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct crier_e2ee_devices_t {
    json_t *users;
};

crier_e2ee_devices_t *crier_e2ee_devices_new (void)
{
    crier_e2ee_devices_t *self = calloc (1, sizeof *self);
    if (self && !(self->users = json_object ())) {
        free (self);
        self = NULL;
    }
    return self;
}

void crier_e2ee_devices_destroy (crier_e2ee_devices_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref ((*self_p)->users);
    free (*self_p);
    *self_p = NULL;
}

json_t *crier_e2ee_devices_query (crier_e2ee_devices_t *self, const json_t *users)
{
    json_t *asked = json_object ();
    size_t index;
    const json_t *user;
    json_array_foreach (users, index, user)
    {
        const json_t *known = json_object_get (self->users, json_string_value (user));
        if (json_is_string (user) && (!known || json_is_true (json_object_get (known, "outdated"))))
            json_object_set_new (asked, json_string_value (user), json_array ());
    }
    if (json_object_size (asked) == 0) {
        json_decref (asked);
        return NULL;
    }
    return json_pack ("{s:o}", "device_keys", asked);
}

//  One device of a /keys/query answer: its keys when they are its own and signed by it.
static json_t *s_device (const char *user, const char *device, const json_t *keys)
{
    char curve_name[300], ed_name[300];
    snprintf (curve_name, sizeof curve_name, "curve25519:%s", device);
    snprintf (ed_name, sizeof ed_name, "ed25519:%s", device);
    const char *curve =
        json_string_value (json_object_get (json_object_get (keys, "keys"), curve_name));
    const char *ed = json_string_value (json_object_get (json_object_get (keys, "keys"), ed_name));
    const char *problem = NULL;
    if (!json_is_string (json_object_get (keys, "user_id")) ||
        strcmp (json_string_value (json_object_get (keys, "user_id")), user) != 0 ||
        !json_is_string (json_object_get (keys, "device_id")) ||
        strcmp (json_string_value (json_object_get (keys, "device_id")), device) != 0)
        problem = "the device keys name another user or device";
    else if (!curve || !ed)
        problem = "the device keys lack a curve25519 or ed25519 key";
    else if (!crier_e2ee_signed_by (keys, user, device, ed))
        problem = "the device keys are not signed by the device";
    if (problem) {
        crier_log (CRIER_LOG_WARN, "e2ee.device_refused", "user", user, "device", device, "reason",
                   problem, "hint",
                   "this device gets no room keys: it cannot read crier's encrypted messages");
        return NULL;
    }
    return json_pack ("{s:s, s:s}", "curve25519", curve, "ed25519", ed);
}

void crier_e2ee_devices_apply (crier_e2ee_devices_t *self, const json_t *query,
                               const json_t *answer)
{
    const json_t *answered = json_object_get (answer, "device_keys");
    const char *user;
    const json_t *ignored;
    json_object_foreach ((json_t *)json_object_get (query, "device_keys"), user, ignored)
    {
        json_t *devices = json_object ();
        const char *device;
        const json_t *keys;
        json_object_foreach ((json_t *)json_object_get (answered, user), device, keys)
        {
            json_t *kept = s_device (user, device, keys);
            if (kept)
                json_object_set_new (devices, device, kept);
        }
        json_object_set_new (self->users, user,
                             json_pack ("{s:b, s:o}", "outdated", false, "devices", devices));
    }
}

void crier_e2ee_devices_outdated (crier_e2ee_devices_t *self, const json_t *users)
{
    size_t index;
    const json_t *user;
    json_array_foreach (users, index, user)
    {
        json_t *known = json_object_get (self->users, json_string_value (user));
        if (known)
            json_object_set_new (known, "outdated", json_true ());
    }
}

void crier_e2ee_devices_each (crier_e2ee_devices_t *self, const char *user,
                              crier_e2ee_recipient_fn *fn, void *arg)
{
    const char *device;
    const json_t *keys;
    json_object_foreach ((json_t *)json_object_get (json_object_get (self->users, user), "devices"),
                         device, keys)
    {
        crier_e2ee_recipient_t recipient = {
            user, device, json_string_value (json_object_get (keys, "curve25519")),
            json_string_value (json_object_get (keys, "ed25519"))};
        fn (&recipient, arg);
    }
}

const char *crier_e2ee_devices_ed25519 (crier_e2ee_devices_t *self, const char *user,
                                        const char *device)
{
    return json_string_value (json_object_get (
        json_object_get (json_object_get (json_object_get (self->users, user), "devices"), device),
        "ed25519"));
}

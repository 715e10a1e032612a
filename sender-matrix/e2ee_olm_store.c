/*  e2ee_olm_store.c - see e2ee_olm_store.h. */
#include "e2ee_olm_store.h"

#include "e2ee_state.h"

#include "crier/durable_file.h"
#include "crier/log.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define STORE_FILE  "e2ee-olm.json"
#define STORE_BYTES (64 * 1024 * 1024)

struct crier_e2ee_olm_store_t {
    char *path;
    const char *key;
    zhashx_t *sessions; //  curve25519 -> crier_e2ee_olm_t
};

static void s_destroy_session (void **item)
{
    crier_e2ee_olm_destroy ((crier_e2ee_olm_t **)item);
}

crier_e2ee_olm_store_t *crier_e2ee_olm_store_open (const char *dir, const char *key)
{
    crier_e2ee_olm_store_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->key = key;
    self->path = zsys_sprintf ("%s/%s", dir, STORE_FILE);
    self->sessions = zhashx_new ();
    if (!self->path || !self->sessions) {
        crier_e2ee_olm_store_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->sessions, s_destroy_session);
    char *text = crier_durable_read (self->path, STORE_BYTES, NULL);
    if (!text && errno == ENOENT)
        return self;
    json_t *file = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    const char *curve;
    const json_t *saved;
    bool damaged = !json_is_object (file);
    json_object_foreach (file, curve, saved)
    {
        char reason[160];
        crier_e2ee_olm_t *session = json_is_string (saved)
                                        ? crier_e2ee_olm_load (json_string_value (saved), key,
                                                               strlen (key), reason, sizeof reason)
                                        : NULL;
        if (!session) {
            damaged = true;
            break;
        }
        zhashx_insert (self->sessions, curve, session);
    }
    json_decref (file);
    if (damaged) {
        crier_log (CRIER_LOG_ERROR, "e2ee.state_unreadable", "file", self->path, "hint",
                   "give the CRIER_MATRIX_STATE_KEY it was saved with, or remove the file (the "
                   "bot then starts new Olm sessions)");
        crier_e2ee_olm_store_destroy (&self);
    }
    return self;
}

void crier_e2ee_olm_store_destroy (crier_e2ee_olm_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->sessions);
    zstr_free (&(*self_p)->path);
    free (*self_p);
    *self_p = NULL;
}

crier_e2ee_olm_t *crier_e2ee_olm_store_get (crier_e2ee_olm_store_t *self, const char *curve25519)
{
    return zhashx_lookup (self->sessions, curve25519);
}

int crier_e2ee_olm_store_put (crier_e2ee_olm_store_t *self, const char *curve25519,
                              crier_e2ee_olm_t *session)
{
    zhashx_update (self->sessions, curve25519, session);
    return zhashx_lookup (self->sessions, curve25519) == session ? 0 : -1;
}

int crier_e2ee_olm_store_save (crier_e2ee_olm_store_t *self)
{
    json_t *file = json_object ();
    int rc = file ? 0 : -1;
    for (crier_e2ee_olm_t *session = zhashx_first (self->sessions); session && rc == 0;
         session = zhashx_next (self->sessions)) {
        char *saved = crier_e2ee_olm_save (session, self->key, strlen (self->key));
        rc = saved ? json_object_set_new (file, zhashx_cursor (self->sessions), json_string (saved))
                   : -1;
        free (saved);
    }
    rc = crier_e2ee_state_write (self->path, rc == 0 ? file : NULL,
                                 "room keys are not shared until the Olm sessions can be kept");
    json_decref (file);
    return rc;
}

/*  e2ee_olm_store.h - the bot device's Olm sessions, one per other device (by its Curve25519
    key), kept in the state folder (e2ee-olm.json) encrypted with the state key. Saved after the
    sessions encrypted something and before what they encrypted is sent, so that a session never
    goes back to a state the other device has moved past. */
#ifndef CRIER_E2EE_OLM_STORE_H_INCLUDED
#define CRIER_E2EE_OLM_STORE_H_INCLUDED

#include "e2ee_sessions.h"

typedef struct crier_e2ee_olm_store_t crier_e2ee_olm_store_t;

//  Reads the sessions kept in dir. NULL after logging when the file is there but unreadable.
crier_e2ee_olm_store_t *crier_e2ee_olm_store_open (const char *dir, const char *key);

//  NULL-safe; sets *self_p to NULL.
void crier_e2ee_olm_store_destroy (crier_e2ee_olm_store_t **self_p);

//  The session with the device whose identity key is curve25519, or NULL.
crier_e2ee_olm_t *crier_e2ee_olm_store_get (crier_e2ee_olm_store_t *self, const char *curve25519);

//  Keeps a new session (taking it). Returns 0, or -1 when out of memory (it is freed).
int crier_e2ee_olm_store_put (crier_e2ee_olm_store_t *self, const char *curve25519,
                              crier_e2ee_olm_t *session);

//  Saves every session, synced. Returns 0, or -1 after logging.
int crier_e2ee_olm_store_save (crier_e2ee_olm_store_t *self);

#endif

/*  e2ee_signing.h - signed JSON as the Matrix specification has it (Appendices, "Signing JSON"):
    the object's canonical JSON (keys sorted, no white space, UTF-8), without its "signatures"
    and "unsigned", signed with Ed25519; the signature goes under
    signatures[user]["ed25519:<key id>"]. Device keys, one-time keys and (later) cross-signing
    keys are signed this way. */
#ifndef CRIER_E2EE_SIGNING_H_INCLUDED
#define CRIER_E2EE_SIGNING_H_INCLUDED

#include "e2ee_account.h"
#include "e2ee_sessions.h"

#include <jansson.h>

//  The canonical JSON of object without "signatures" and "unsigned" (the caller frees it), or
//  NULL when out of memory.
char *crier_e2ee_canonical (const json_t *object);

//  Signs object as user's key key_id (a device id): adds the signature to its "signatures".
//  Returns 0, or -1 when out of memory.
int crier_e2ee_sign (crier_e2ee_account_t *account, json_t *object, const char *user,
                     const char *key_id);

//  The same with a cross-signing key (its key id is its public key).
int crier_e2ee_sign_with_key (crier_e2ee_signing_t *key, json_t *object, const char *user);

//  Adds a signature to object's "signatures" under user and "ed25519:<key_id>". 0 or -1.
int crier_e2ee_add_signature (json_t *object, const char *user, const char *key_id,
                              const char *signature);

//  Whether object carries a valid signature of user's key key_id, whose public key is
//  ed25519 (unpadded base64).
bool crier_e2ee_signed_by (const json_t *object, const char *user, const char *key_id,
                           const char *ed25519);

#endif

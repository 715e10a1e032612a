/*  e2ee_account.h - the long-term keys of the bot's Matrix device (end-to-end encryption): its
    identity keys (Curve25519 for Olm, Ed25519 for signatures), its signature, and its one-time
    keys. Kept as one opaque text encrypted with a key from a secret (CRIER_MATRIX_STATE_KEY).

    The interface names no library: e2ee_olm.c implements it with libolm, the only C
    implementation Debian packages. The Matrix project deprecated libolm in 2024 in favour of
    vodozemac, which has no C API; keeping every use of it behind this interface lets it be
    swapped (docs/security.md).
*/
#ifndef CRIER_E2EE_ACCOUNT_H_INCLUDED
#define CRIER_E2EE_ACCOUNT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_e2ee_account_t crier_e2ee_account_t;

//  New identity keys, from the kernel's random source. NULL with reason when that fails.
crier_e2ee_account_t *crier_e2ee_account_new (char *reason, size_t reason_size);

//  An account saved by crier_e2ee_account_save with the same key. NULL with reason when the key
//  is not the one it was saved with, or the text is damaged.
crier_e2ee_account_t *crier_e2ee_account_load (const char *saved, const void *key,
                                               size_t key_length, char *reason, size_t reason_size);

//  The account as text encrypted with key (the caller frees it), or NULL when out of memory.
char *crier_e2ee_account_save (crier_e2ee_account_t *self, const void *key, size_t key_length);

//  Wipes the keys from memory and frees the account. NULL-safe; sets *self_p to NULL.
void crier_e2ee_account_destroy (crier_e2ee_account_t **self_p);

//  The public identity keys, unpadded base64. They belong to the account.
const char *crier_e2ee_account_curve25519 (const crier_e2ee_account_t *self);
const char *crier_e2ee_account_ed25519 (const crier_e2ee_account_t *self);

//  The Ed25519 signature of message, unpadded base64 (the caller frees it), or NULL.
char *crier_e2ee_account_sign (crier_e2ee_account_t *self, const char *message, size_t length);

//  How many one-time keys the account holds at most (published or not).
size_t crier_e2ee_account_max_one_time_keys (const crier_e2ee_account_t *self);

//  Makes count new one-time keys. Returns 0, or -1 (no randomness, out of memory).
int crier_e2ee_account_generate_one_time_keys (crier_e2ee_account_t *self, size_t count);

//  The one-time keys not yet published: {"AAAAAQ": "<curve25519 key>", ...} (the caller owns
//  it), or NULL when out of memory.
json_t *crier_e2ee_account_unpublished_keys (crier_e2ee_account_t *self);

//  The keys crier_e2ee_account_unpublished_keys gave were published (save the account after).
void crier_e2ee_account_mark_published (crier_e2ee_account_t *self);

//  Whether an Ed25519 signature of message by key (all unpadded base64) is valid.
bool crier_e2ee_ed25519_verify (const char *key, const char *message, size_t length,
                                const char *signature);

#endif

/*  e2ee_sessions.h - the encrypting sessions of the bot's device, part of the same module as
    e2ee_account.h (implemented in e2ee_olm.c, names no library):

    - an Olm session with one other device: the one-to-one channel a room key travels in (an
      m.room_key to-device message), started from that device's identity key and one of its
      one-time keys;
    - a Megolm outbound session: the room key. Each message advances its index; whoever holds the
      key at index n can read messages n and later. It must be saved after each message and
      before that message leaves, so that no index is ever used twice.

    Each is kept as text encrypted with the state key, like the account.
*/
#ifndef CRIER_E2EE_SESSIONS_H_INCLUDED
#define CRIER_E2EE_SESSIONS_H_INCLUDED

#include "e2ee_account.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_e2ee_olm_t crier_e2ee_olm_t;

//  A new Olm session to the device with identity key their_curve25519, from one of its one-time
//  keys (all unpadded base64). NULL with reason.
crier_e2ee_olm_t *crier_e2ee_olm_new (crier_e2ee_account_t *account, const char *their_curve25519,
                                      const char *their_one_time_key, char *reason,
                                      size_t reason_size);

//  As crier_e2ee_account_load and _save.
crier_e2ee_olm_t *crier_e2ee_olm_load (const char *saved, const void *key, size_t key_length,
                                       char *reason, size_t reason_size);
char *crier_e2ee_olm_save (crier_e2ee_olm_t *self, const void *key, size_t key_length);
void crier_e2ee_olm_destroy (crier_e2ee_olm_t **self_p);

//  The session's id (belongs to the session).
const char *crier_e2ee_olm_id (const crier_e2ee_olm_t *self);

//  Encrypts plaintext: the ciphertext, base64 (the caller frees it), and in *type_p 0 for a
//  pre-key message (until the other device answered) or 1. NULL when out of memory or
//  randomness.
char *crier_e2ee_olm_encrypt (crier_e2ee_olm_t *self, const char *plaintext, size_t length,
                              int *type_p);

//  A session another device started with one of our one-time keys (its first, pre-key,
//  message, from the device whose identity key is their_curve25519): the one-time key is used
//  up (save the account after). NULL with reason.
crier_e2ee_olm_t *crier_e2ee_olm_new_inbound (crier_e2ee_account_t *account,
                                              const char *their_curve25519, const char *message,
                                              char *reason, size_t reason_size);

//  Whether a pre-key message belongs to this session.
bool crier_e2ee_olm_matches (crier_e2ee_olm_t *self, const char *message);

//  Decrypts a message of type (0 pre-key, 1 normal): the plaintext (the caller frees it), or
//  NULL when it is not this session's.
char *crier_e2ee_olm_decrypt (crier_e2ee_olm_t *self, int type, const char *message);

typedef struct crier_e2ee_megolm_t crier_e2ee_megolm_t;

//  A new room key. NULL with reason.
crier_e2ee_megolm_t *crier_e2ee_megolm_new (char *reason, size_t reason_size);

//  As crier_e2ee_account_load and _save.
crier_e2ee_megolm_t *crier_e2ee_megolm_load (const char *saved, const void *key, size_t key_length,
                                             char *reason, size_t reason_size);
char *crier_e2ee_megolm_save (crier_e2ee_megolm_t *self, const void *key, size_t key_length);
void crier_e2ee_megolm_destroy (crier_e2ee_megolm_t **self_p);

//  The session's id (belongs to the session).
const char *crier_e2ee_megolm_id (const crier_e2ee_megolm_t *self);

//  The index the next message gets.
uint32_t crier_e2ee_megolm_index (const crier_e2ee_megolm_t *self);

//  The session key from the next index on, to share (the caller wipes and frees it), or NULL.
char *crier_e2ee_megolm_key (crier_e2ee_megolm_t *self);

//  Encrypts plaintext with the next index: the ciphertext, base64 (the caller frees it), or NULL.
char *crier_e2ee_megolm_encrypt (crier_e2ee_megolm_t *self, const char *plaintext, size_t length);

//  An inbound Megolm session: a room key another device shared, to read its room messages.
typedef struct crier_e2ee_megolm_in_t crier_e2ee_megolm_in_t;

//  From a shared session key. NULL with reason.
crier_e2ee_megolm_in_t *crier_e2ee_megolm_in_new (const char *session_key, char *reason,
                                                  size_t reason_size);
crier_e2ee_megolm_in_t *crier_e2ee_megolm_in_load (const char *saved, const void *key,
                                                   size_t key_length, char *reason,
                                                   size_t reason_size);
char *crier_e2ee_megolm_in_save (crier_e2ee_megolm_in_t *self, const void *key, size_t key_length);
void crier_e2ee_megolm_in_destroy (crier_e2ee_megolm_in_t **self_p);

//  The session's id (belongs to it).
const char *crier_e2ee_megolm_in_id (const crier_e2ee_megolm_in_t *self);

//  Decrypts a room message: the plaintext (the caller frees it) and its index in *index_p, or
//  NULL (not this session's, or an index before the key shared).
char *crier_e2ee_megolm_in_decrypt (crier_e2ee_megolm_in_t *self, const char *message,
                                    uint32_t *index_p);

//  A cross-signing key (master, self-signing, user-signing): Ed25519 from a seed kept by
//  `crier matrix cross-sign` (docs/matrix.md).
typedef struct crier_e2ee_signing_t crier_e2ee_signing_t;

//  How many bytes a seed has.
size_t crier_e2ee_signing_seed_length (void);

//  Fills buffer with size random bytes from the kernel. Returns 0, or -1.
int crier_e2ee_random (void *buffer, size_t size);

//  The key of a seed. NULL when out of memory or the seed's length is wrong.
crier_e2ee_signing_t *crier_e2ee_signing_new (const void *seed, size_t seed_length);
void crier_e2ee_signing_destroy (crier_e2ee_signing_t **self_p);

//  The public key, unpadded base64 (belongs to the key).
const char *crier_e2ee_signing_public (const crier_e2ee_signing_t *self);

//  The signature of message, unpadded base64 (the caller frees it), or NULL.
char *crier_e2ee_signing_sign (crier_e2ee_signing_t *self, const char *message, size_t length);

//  A short authentication string (SAS) exchange: interactive verification of the bot's device
//  by a person (Element's emoji).
typedef struct crier_e2ee_sas_t crier_e2ee_sas_t;

//  A new exchange with a fresh key. NULL when out of memory or randomness.
crier_e2ee_sas_t *crier_e2ee_sas_new (void);
void crier_e2ee_sas_destroy (crier_e2ee_sas_t **self_p);

//  The exchange's public key, unpadded base64 (belongs to it).
const char *crier_e2ee_sas_public (const crier_e2ee_sas_t *self);

//  The other side's public key. Returns 0, or -1 when it is not a key.
int crier_e2ee_sas_their_key (crier_e2ee_sas_t *self, const char *key);

//  length bytes derived from the shared secret and info (the SAS itself). Returns 0, or -1.
int crier_e2ee_sas_bytes (crier_e2ee_sas_t *self, const char *info, unsigned char *bytes,
                          size_t length);

//  The MAC of input with info ("hkdf-hmac-sha256"), unpadded base64 (the caller frees it).
char *crier_e2ee_sas_mac (crier_e2ee_sas_t *self, const char *input, const char *info);

//  The SHA-256 of text, unpadded base64 (the caller frees it): a SAS commitment.
char *crier_e2ee_sha256 (const char *text, size_t length);

#endif

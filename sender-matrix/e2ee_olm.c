/*  e2ee_olm.c - e2ee_account.h and e2ee_sessions.h with libolm. libolm works in buffers its callers
   allocate and takes its randomness from them: getrandom(2) gives it. Every buffer that held a
   secret is wiped before it is freed. */
//  explicit_bzero (glibc, BSD): wiping secrets that the compiler must not optimise away.
#define _DEFAULT_SOURCE
#include "e2ee_account.h"
#include "e2ee_sessions.h"

#include <olm/inbound_group_session.h>
#include <olm/olm.h>
#include <olm/outbound_group_session.h>
#include <olm/pk.h>
#include <olm/sas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct crier_e2ee_account_t {
    OlmAccount *olm; //  in memory, olm_account_size () bytes
    void *memory;
    char *identity;   //  olm's identity keys JSON, kept for its two keys below
    char *curve25519; //  unpadded base64
    char *ed25519;
};

//  Frees size bytes at memory after wiping them. NULL-safe.
static void s_wipe_free (void *memory, size_t size)
{
    if (!memory)
        return;
    explicit_bzero (memory, size);
    free (memory);
}

//  size random bytes from the kernel (blocking until it has entropy). NULL when it fails.
static void *s_random (size_t size)
{
    unsigned char *bytes = malloc (size ? size : 1);
    size_t filled = 0;
    while (bytes && filled < size) {
        ssize_t got = getrandom (bytes + filled, size - filled, 0);
        if (got <= 0) {
            s_wipe_free (bytes, size);
            return NULL;
        }
        filled += (size_t)got;
    }
    return bytes;
}

static crier_e2ee_account_t *s_account (void)
{
    crier_e2ee_account_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->memory = malloc (olm_account_size ());
    if (!self->memory) {
        free (self);
        return NULL;
    }
    self->olm = olm_account (self->memory);
    return self;
}

//  Reads the identity keys olm holds: 0, or -1.
static int s_identity (crier_e2ee_account_t *self)
{
    size_t length = olm_account_identity_keys_length (self->olm);
    self->identity = calloc (1, length + 1);
    if (!self->identity ||
        olm_account_identity_keys (self->olm, self->identity, length) == olm_error ())
        return -1;
    json_t *keys = json_loads (self->identity, 0, NULL);
    const char *curve = json_string_value (json_object_get (keys, "curve25519"));
    const char *ed = json_string_value (json_object_get (keys, "ed25519"));
    self->curve25519 = curve ? strdup (curve) : NULL;
    self->ed25519 = ed ? strdup (ed) : NULL;
    json_decref (keys);
    return self->curve25519 && self->ed25519 ? 0 : -1;
}

crier_e2ee_account_t *crier_e2ee_account_new (char *reason, size_t reason_size)
{
    crier_e2ee_account_t *self = s_account ();
    if (!self) {
        snprintf (reason, reason_size, "out of memory");
        return NULL;
    }
    size_t size = olm_create_account_random_length (self->olm);
    void *random = s_random (size);
    size_t rc = random ? olm_create_account (self->olm, random, size) : olm_error ();
    s_wipe_free (random, size);
    if (rc == olm_error () || s_identity (self) != 0) {
        snprintf (reason, reason_size, "could not make the device's keys: %s",
                  random ? olm_account_last_error (self->olm) : "no random bytes from the kernel");
        crier_e2ee_account_destroy (&self);
    }
    return self;
}

crier_e2ee_account_t *crier_e2ee_account_load (const char *saved, const void *key,
                                               size_t key_length, char *reason, size_t reason_size)
{
    crier_e2ee_account_t *self = s_account ();
    char *copy = self ? strdup (saved) : NULL; //  olm decodes in place
    if (!copy) {
        snprintf (reason, reason_size, "out of memory");
        crier_e2ee_account_destroy (&self);
        return NULL;
    }
    size_t rc = olm_unpickle_account (self->olm, key, key_length, copy, strlen (copy));
    s_wipe_free (copy, strlen (saved));
    if (rc == olm_error ()) {
        const char *error = olm_account_last_error (self->olm);
        snprintf (reason, reason_size, "%s",
                  strcmp (error, "BAD_ACCOUNT_KEY") == 0
                      ? "the key (CRIER_MATRIX_STATE_KEY) is not the one the device was saved with"
                      : error);
        crier_e2ee_account_destroy (&self);
    } else if (s_identity (self) != 0) {
        snprintf (reason, reason_size, "out of memory");
        crier_e2ee_account_destroy (&self);
    }
    return self;
}

char *crier_e2ee_account_save (crier_e2ee_account_t *self, const void *key, size_t key_length)
{
    size_t length = olm_pickle_account_length (self->olm);
    char *saved = calloc (1, length + 1);
    if (saved && olm_pickle_account (self->olm, key, key_length, saved, length) == olm_error ()) {
        free (saved);
        saved = NULL;
    }
    return saved;
}

void crier_e2ee_account_destroy (crier_e2ee_account_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_account_t *self = *self_p;
    if (self->olm)
        olm_clear_account (self->olm);
    s_wipe_free (self->memory, olm_account_size ());
    free (self->identity);
    free (self->curve25519);
    free (self->ed25519);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_account_curve25519 (const crier_e2ee_account_t *self)
{
    return self->curve25519;
}

const char *crier_e2ee_account_ed25519 (const crier_e2ee_account_t *self)
{
    return self->ed25519;
}

char *crier_e2ee_account_sign (crier_e2ee_account_t *self, const char *message, size_t length)
{
    size_t size = olm_account_signature_length (self->olm);
    char *signature = calloc (1, size + 1);
    if (signature &&
        olm_account_sign (self->olm, message, length, signature, size) == olm_error ()) {
        free (signature);
        signature = NULL;
    }
    return signature;
}

size_t crier_e2ee_account_max_one_time_keys (const crier_e2ee_account_t *self)
{
    return olm_account_max_number_of_one_time_keys (self->olm);
}

int crier_e2ee_account_generate_one_time_keys (crier_e2ee_account_t *self, size_t count)
{
    size_t size = olm_account_generate_one_time_keys_random_length (self->olm, count);
    void *random = s_random (size);
    size_t rc =
        random ? olm_account_generate_one_time_keys (self->olm, count, random, size) : olm_error ();
    s_wipe_free (random, size);
    return rc == olm_error () ? -1 : 0;
}

json_t *crier_e2ee_account_unpublished_keys (crier_e2ee_account_t *self)
{
    size_t length = olm_account_one_time_keys_length (self->olm);
    char *text = calloc (1, length + 1);
    json_t *keys = NULL;
    if (text && olm_account_one_time_keys (self->olm, text, length) != olm_error ()) {
        //  {"curve25519": {"AAAAAQ": "key", ...}}
        json_t *all = json_loads (text, 0, NULL);
        keys = json_incref (json_object_get (all, "curve25519"));
        json_decref (all);
    }
    free (text);
    return keys;
}

void crier_e2ee_account_mark_published (crier_e2ee_account_t *self)
{
    olm_account_mark_keys_as_published (self->olm);
}

bool crier_e2ee_ed25519_verify (const char *key, const char *message, size_t length,
                                const char *signature)
{
    void *memory = malloc (olm_utility_size ());
    char *copy = signature ? strdup (signature) : NULL; //  olm decodes it in place
    bool valid = false;
    if (memory && copy && key && message) {
        OlmUtility *utility = olm_utility (memory);
        valid = olm_ed25519_verify (utility, key, strlen (key), message, length, copy,
                                    strlen (copy)) != olm_error ();
        olm_clear_utility (utility);
    }
    free (copy);
    free (memory);
    return valid;
}

//  --- Olm sessions -------------------------------------------------------------------------

struct crier_e2ee_olm_t {
    OlmSession *olm;
    void *memory;
    char *id;
};

static crier_e2ee_olm_t *s_olm (void)
{
    crier_e2ee_olm_t *self = calloc (1, sizeof *self);
    if (self && !(self->memory = malloc (olm_session_size ()))) {
        free (self);
        return NULL;
    }
    if (self)
        self->olm = olm_session (self->memory);
    return self;
}

static int s_olm_id (crier_e2ee_olm_t *self)
{
    size_t length = olm_session_id_length (self->olm);
    self->id = calloc (1, length + 1);
    return self->id && olm_session_id (self->olm, self->id, length) != olm_error () ? 0 : -1;
}

crier_e2ee_olm_t *crier_e2ee_olm_new (crier_e2ee_account_t *account, const char *their_curve25519,
                                      const char *their_one_time_key, char *reason,
                                      size_t reason_size)
{
    crier_e2ee_olm_t *self = s_olm ();
    if (!self) {
        snprintf (reason, reason_size, "out of memory");
        return NULL;
    }
    size_t size = olm_create_outbound_session_random_length (self->olm);
    void *random = s_random (size);
    size_t rc = random ? olm_create_outbound_session (self->olm, account->olm, their_curve25519,
                                                      strlen (their_curve25519), their_one_time_key,
                                                      strlen (their_one_time_key), random, size)
                       : olm_error ();
    s_wipe_free (random, size);
    if (rc == olm_error () || s_olm_id (self) != 0) {
        snprintf (reason, reason_size, "could not start an Olm session: %s",
                  random ? olm_session_last_error (self->olm) : "no random bytes from the kernel");
        crier_e2ee_olm_destroy (&self);
    }
    return self;
}

crier_e2ee_olm_t *crier_e2ee_olm_load (const char *saved, const void *key, size_t key_length,
                                       char *reason, size_t reason_size)
{
    crier_e2ee_olm_t *self = s_olm ();
    char *copy = self ? strdup (saved) : NULL;
    size_t rc = copy ? olm_unpickle_session (self->olm, key, key_length, copy, strlen (copy))
                     : olm_error ();
    if (copy)
        s_wipe_free (copy, strlen (saved));
    if (rc == olm_error () || s_olm_id (self) != 0) {
        snprintf (reason, reason_size, "%s",
                  self ? olm_session_last_error (self->olm) : "out of memory");
        crier_e2ee_olm_destroy (&self);
    }
    return self;
}

char *crier_e2ee_olm_save (crier_e2ee_olm_t *self, const void *key, size_t key_length)
{
    size_t length = olm_pickle_session_length (self->olm);
    char *saved = calloc (1, length + 1);
    if (saved && olm_pickle_session (self->olm, key, key_length, saved, length) == olm_error ()) {
        free (saved);
        saved = NULL;
    }
    return saved;
}

void crier_e2ee_olm_destroy (crier_e2ee_olm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_olm_t *self = *self_p;
    if (self->olm)
        olm_clear_session (self->olm);
    s_wipe_free (self->memory, olm_session_size ());
    free (self->id);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_olm_id (const crier_e2ee_olm_t *self)
{
    return self->id;
}

char *crier_e2ee_olm_encrypt (crier_e2ee_olm_t *self, const char *plaintext, size_t length,
                              int *type_p)
{
    *type_p = (int)olm_encrypt_message_type (self->olm);
    size_t size = olm_encrypt_random_length (self->olm);
    size_t message_length = olm_encrypt_message_length (self->olm, length);
    void *random = s_random (size);
    char *message = random ? calloc (1, message_length + 1) : NULL;
    if (message && olm_encrypt (self->olm, plaintext, length, random, size, message,
                                message_length) == olm_error ()) {
        free (message);
        message = NULL;
    }
    s_wipe_free (random, size);
    return message;
}

crier_e2ee_olm_t *crier_e2ee_olm_new_inbound (crier_e2ee_account_t *account,
                                              const char *their_curve25519, const char *message,
                                              char *reason, size_t reason_size)
{
    crier_e2ee_olm_t *self = s_olm ();
    char *copy = self ? strdup (message) : NULL; //  olm decodes it in place
    size_t rc =
        copy ? olm_create_inbound_session_from (self->olm, account->olm, their_curve25519,
                                                strlen (their_curve25519), copy, strlen (copy))
             : olm_error ();
    free (copy);
    if (rc != olm_error ())
        rc = olm_remove_one_time_keys (account->olm, self->olm);
    if (rc == olm_error () || s_olm_id (self) != 0) {
        snprintf (reason, reason_size, "could not open an Olm session: %s",
                  self ? olm_session_last_error (self->olm) : "out of memory");
        crier_e2ee_olm_destroy (&self);
    }
    return self;
}

bool crier_e2ee_olm_matches (crier_e2ee_olm_t *self, const char *message)
{
    char *copy = strdup (message);
    size_t rc = copy ? olm_matches_inbound_session (self->olm, copy, strlen (copy)) : 0;
    free (copy);
    return rc == 1;
}

char *crier_e2ee_olm_decrypt (crier_e2ee_olm_t *self, int type, const char *message)
{
    char *copy = strdup (message);
    size_t max =
        copy ? olm_decrypt_max_plaintext_length (self->olm, (size_t)type, copy, strlen (copy))
             : olm_error ();
    free (copy);
    copy = max != olm_error () ? strdup (message) : NULL;
    char *plaintext = copy ? calloc (1, max + 1) : NULL;
    size_t length = plaintext
                        ? olm_decrypt (self->olm, (size_t)type, copy, strlen (copy), plaintext, max)
                        : olm_error ();
    free (copy);
    if (length == olm_error ()) {
        free (plaintext);
        return NULL;
    }
    plaintext[length] = '\0';
    return plaintext;
}

//  --- Megolm outbound sessions ---------------------------------------------------------------

struct crier_e2ee_megolm_t {
    OlmOutboundGroupSession *olm;
    void *memory;
    char *id;
};

static crier_e2ee_megolm_t *s_megolm (void)
{
    crier_e2ee_megolm_t *self = calloc (1, sizeof *self);
    if (self && !(self->memory = malloc (olm_outbound_group_session_size ()))) {
        free (self);
        return NULL;
    }
    if (self)
        self->olm = olm_outbound_group_session (self->memory);
    return self;
}

static int s_megolm_id (crier_e2ee_megolm_t *self)
{
    size_t length = olm_outbound_group_session_id_length (self->olm);
    self->id = calloc (1, length + 1);
    return self->id && olm_outbound_group_session_id (self->olm, (uint8_t *)self->id, length) !=
                           olm_error ()
               ? 0
               : -1;
}

crier_e2ee_megolm_t *crier_e2ee_megolm_new (char *reason, size_t reason_size)
{
    crier_e2ee_megolm_t *self = s_megolm ();
    if (!self) {
        snprintf (reason, reason_size, "out of memory");
        return NULL;
    }
    size_t size = olm_init_outbound_group_session_random_length (self->olm);
    void *random = s_random (size);
    size_t rc = random ? olm_init_outbound_group_session (self->olm, random, size) : olm_error ();
    s_wipe_free (random, size);
    if (rc == olm_error () || s_megolm_id (self) != 0) {
        snprintf (reason, reason_size, "could not make a room key: %s",
                  random ? olm_outbound_group_session_last_error (self->olm)
                         : "no random bytes from the kernel");
        crier_e2ee_megolm_destroy (&self);
    }
    return self;
}

crier_e2ee_megolm_t *crier_e2ee_megolm_load (const char *saved, const void *key, size_t key_length,
                                             char *reason, size_t reason_size)
{
    crier_e2ee_megolm_t *self = s_megolm ();
    char *copy = self ? strdup (saved) : NULL;
    size_t rc =
        copy ? olm_unpickle_outbound_group_session (self->olm, key, key_length, copy, strlen (copy))
             : olm_error ();
    if (copy)
        s_wipe_free (copy, strlen (saved));
    if (rc == olm_error () || s_megolm_id (self) != 0) {
        snprintf (reason, reason_size, "%s",
                  self ? olm_outbound_group_session_last_error (self->olm) : "out of memory");
        crier_e2ee_megolm_destroy (&self);
    }
    return self;
}

char *crier_e2ee_megolm_save (crier_e2ee_megolm_t *self, const void *key, size_t key_length)
{
    size_t length = olm_pickle_outbound_group_session_length (self->olm);
    char *saved = calloc (1, length + 1);
    if (saved && olm_pickle_outbound_group_session (self->olm, key, key_length, saved, length) ==
                     olm_error ()) {
        free (saved);
        saved = NULL;
    }
    return saved;
}

void crier_e2ee_megolm_destroy (crier_e2ee_megolm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_megolm_t *self = *self_p;
    if (self->olm)
        olm_clear_outbound_group_session (self->olm);
    s_wipe_free (self->memory, olm_outbound_group_session_size ());
    free (self->id);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_megolm_id (const crier_e2ee_megolm_t *self)
{
    return self->id;
}

uint32_t crier_e2ee_megolm_index (const crier_e2ee_megolm_t *self)
{
    return olm_outbound_group_session_message_index (self->olm);
}

char *crier_e2ee_megolm_key (crier_e2ee_megolm_t *self)
{
    size_t length = olm_outbound_group_session_key_length (self->olm);
    char *key = calloc (1, length + 1);
    if (key && olm_outbound_group_session_key (self->olm, (uint8_t *)key, length) == olm_error ()) {
        free (key);
        key = NULL;
    }
    return key;
}

char *crier_e2ee_megolm_encrypt (crier_e2ee_megolm_t *self, const char *plaintext, size_t length)
{
    size_t message_length = olm_group_encrypt_message_length (self->olm, length);
    char *message = calloc (1, message_length + 1);
    if (message && olm_group_encrypt (self->olm, (const uint8_t *)plaintext, length,
                                      (uint8_t *)message, message_length) == olm_error ()) {
        free (message);
        message = NULL;
    }
    return message;
}

//  --- Megolm inbound sessions ----------------------------------------------------------------

struct crier_e2ee_megolm_in_t {
    OlmInboundGroupSession *olm;
    void *memory;
    char *id;
};

static crier_e2ee_megolm_in_t *s_megolm_in (void)
{
    crier_e2ee_megolm_in_t *self = calloc (1, sizeof *self);
    if (self && !(self->memory = malloc (olm_inbound_group_session_size ()))) {
        free (self);
        return NULL;
    }
    if (self)
        self->olm = olm_inbound_group_session (self->memory);
    return self;
}

static int s_megolm_in_id (crier_e2ee_megolm_in_t *self)
{
    size_t length = olm_inbound_group_session_id_length (self->olm);
    self->id = calloc (1, length + 1);
    return self->id && olm_inbound_group_session_id (self->olm, (uint8_t *)self->id, length) !=
                           olm_error ()
               ? 0
               : -1;
}

crier_e2ee_megolm_in_t *crier_e2ee_megolm_in_new (const char *session_key, char *reason,
                                                  size_t reason_size)
{
    crier_e2ee_megolm_in_t *self = s_megolm_in ();
    size_t rc = self ? olm_init_inbound_group_session (self->olm, (const uint8_t *)session_key,
                                                       strlen (session_key))
                     : olm_error ();
    if (rc == olm_error () || s_megolm_in_id (self) != 0) {
        snprintf (reason, reason_size, "not a room key: %s",
                  self ? olm_inbound_group_session_last_error (self->olm) : "out of memory");
        crier_e2ee_megolm_in_destroy (&self);
    }
    return self;
}

crier_e2ee_megolm_in_t *crier_e2ee_megolm_in_load (const char *saved, const void *key,
                                                   size_t key_length, char *reason,
                                                   size_t reason_size)
{
    crier_e2ee_megolm_in_t *self = s_megolm_in ();
    char *copy = self ? strdup (saved) : NULL;
    size_t rc =
        copy ? olm_unpickle_inbound_group_session (self->olm, key, key_length, copy, strlen (copy))
             : olm_error ();
    if (copy)
        s_wipe_free (copy, strlen (saved));
    if (rc == olm_error () || s_megolm_in_id (self) != 0) {
        snprintf (reason, reason_size, "%s",
                  self ? olm_inbound_group_session_last_error (self->olm) : "out of memory");
        crier_e2ee_megolm_in_destroy (&self);
    }
    return self;
}

char *crier_e2ee_megolm_in_save (crier_e2ee_megolm_in_t *self, const void *key, size_t key_length)
{
    size_t length = olm_pickle_inbound_group_session_length (self->olm);
    char *saved = calloc (1, length + 1);
    if (saved && olm_pickle_inbound_group_session (self->olm, key, key_length, saved, length) ==
                     olm_error ()) {
        free (saved);
        saved = NULL;
    }
    return saved;
}

void crier_e2ee_megolm_in_destroy (crier_e2ee_megolm_in_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_megolm_in_t *self = *self_p;
    if (self->olm)
        olm_clear_inbound_group_session (self->olm);
    s_wipe_free (self->memory, olm_inbound_group_session_size ());
    free (self->id);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_megolm_in_id (const crier_e2ee_megolm_in_t *self)
{
    return self->id;
}

char *crier_e2ee_megolm_in_decrypt (crier_e2ee_megolm_in_t *self, const char *message,
                                    uint32_t *index_p)
{
    char *copy = strdup (message);
    size_t max =
        copy ? olm_group_decrypt_max_plaintext_length (self->olm, (uint8_t *)copy, strlen (copy))
             : olm_error ();
    free (copy);
    copy = max != olm_error () ? strdup (message) : NULL;
    uint8_t *plaintext = copy ? calloc (1, max + 1) : NULL;
    size_t length = plaintext ? olm_group_decrypt (self->olm, (uint8_t *)copy, strlen (copy),
                                                   plaintext, max, index_p)
                              : olm_error ();
    free (copy);
    if (length == olm_error ()) {
        free (plaintext);
        return NULL;
    }
    plaintext[length] = '\0';
    return (char *)plaintext;
}

//  --- Cross-signing keys ---------------------------------------------------------------------

struct crier_e2ee_signing_t {
    OlmPkSigning *olm;
    void *memory;
    char *public_key;
};

size_t crier_e2ee_signing_seed_length (void)
{
    return olm_pk_signing_seed_length ();
}

int crier_e2ee_random (void *buffer, size_t size)
{
    void *random = s_random (size);
    if (!random)
        return -1;
    memcpy (buffer, random, size);
    s_wipe_free (random, size);
    return 0;
}

crier_e2ee_signing_t *crier_e2ee_signing_new (const void *seed, size_t seed_length)
{
    crier_e2ee_signing_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->memory = malloc (olm_pk_signing_size ());
    size_t length = olm_pk_signing_public_key_length ();
    self->public_key = calloc (1, length + 1);
    if (self->memory)
        self->olm = olm_pk_signing (self->memory);
    if (!self->memory || !self->public_key || seed_length != olm_pk_signing_seed_length () ||
        olm_pk_signing_key_from_seed (self->olm, self->public_key, length, seed, seed_length) ==
            olm_error ())
        crier_e2ee_signing_destroy (&self);
    return self;
}

void crier_e2ee_signing_destroy (crier_e2ee_signing_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_signing_t *self = *self_p;
    if (self->olm)
        olm_clear_pk_signing (self->olm);
    s_wipe_free (self->memory, olm_pk_signing_size ());
    free (self->public_key);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_signing_public (const crier_e2ee_signing_t *self)
{
    return self->public_key;
}

char *crier_e2ee_signing_sign (crier_e2ee_signing_t *self, const char *message, size_t length)
{
    size_t size = olm_pk_signature_length ();
    char *signature = calloc (1, size + 1);
    if (signature && olm_pk_sign (self->olm, (const uint8_t *)message, length, (uint8_t *)signature,
                                  size) == olm_error ()) {
        free (signature);
        signature = NULL;
    }
    return signature;
}

//  --- Short authentication strings -----------------------------------------------------------

struct crier_e2ee_sas_t {
    OlmSAS *olm;
    void *memory;
    char *public_key;
};

crier_e2ee_sas_t *crier_e2ee_sas_new (void)
{
    crier_e2ee_sas_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->memory = malloc (olm_sas_size ());
    if (self->memory)
        self->olm = olm_sas (self->memory);
    size_t size = self->olm ? olm_create_sas_random_length (self->olm) : 0;
    void *random = self->olm ? s_random (size) : NULL;
    size_t length = self->olm ? olm_sas_pubkey_length (self->olm) : 0;
    self->public_key = self->olm ? calloc (1, length + 1) : NULL;
    if (!random || !self->public_key || olm_create_sas (self->olm, random, size) == olm_error () ||
        olm_sas_get_pubkey (self->olm, self->public_key, length) == olm_error ())
        crier_e2ee_sas_destroy (&self);
    s_wipe_free (random, size);
    return self;
}

void crier_e2ee_sas_destroy (crier_e2ee_sas_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_sas_t *self = *self_p;
    if (self->olm)
        olm_clear_sas (self->olm);
    s_wipe_free (self->memory, olm_sas_size ());
    free (self->public_key);
    free (self);
    *self_p = NULL;
}

const char *crier_e2ee_sas_public (const crier_e2ee_sas_t *self)
{
    return self->public_key;
}

int crier_e2ee_sas_their_key (crier_e2ee_sas_t *self, const char *key)
{
    char *copy = strdup (key); //  olm decodes it in place
    size_t rc = copy ? olm_sas_set_their_key (self->olm, copy, strlen (copy)) : olm_error ();
    free (copy);
    return rc == olm_error () ? -1 : 0;
}

int crier_e2ee_sas_bytes (crier_e2ee_sas_t *self, const char *info, unsigned char *bytes,
                          size_t length)
{
    return olm_sas_generate_bytes (self->olm, info, strlen (info), bytes, length) == olm_error ()
               ? -1
               : 0;
}

char *crier_e2ee_sas_mac (crier_e2ee_sas_t *self, const char *input, const char *info)
{
    size_t length = olm_sas_mac_length (self->olm);
    char *mac = calloc (1, length + 1);
    if (mac && olm_sas_calculate_mac (self->olm, input, strlen (input), info, strlen (info), mac,
                                      length) == olm_error ()) {
        free (mac);
        mac = NULL;
    }
    return mac;
}

char *crier_e2ee_sha256 (const char *text, size_t length)
{
    void *memory = malloc (olm_utility_size ());
    OlmUtility *utility = memory ? olm_utility (memory) : NULL;
    size_t size = utility ? olm_sha256_length (utility) : 0;
    char *digest = utility ? calloc (1, size + 1) : NULL;
    if (digest && olm_sha256 (utility, text, length, digest, size) == olm_error ()) {
        free (digest);
        digest = NULL;
    }
    if (utility)
        olm_clear_utility (utility);
    free (memory);
    return digest;
}

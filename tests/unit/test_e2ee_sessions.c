/*  test_e2ee_sessions.c - the bot's Olm and Megolm sessions, read back by a recipient built with
    libolm directly: a room key sent over Olm opens, Megolm messages decrypt in order, and a
    session saved and loaded goes on from the next index (never an index twice). And the other
    way, for what the bot receives: a session another device starts, a room key it shares. */
#include "e2ee_account.h"
#include "e2ee_sessions.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <olm/inbound_group_session.h>
#include <olm/olm.h>
#include <stdlib.h>
#include <string.h>

#define KEY "0123456789abcdef0123456789abcdef"

//  A recipient's device, with libolm directly.
typedef struct {
    OlmAccount *account;
    void *memory;
    char curve25519[64];
    char one_time_key[64];
} recipient_t;

static void s_random (void *buffer, size_t size)
{
    unsigned char *bytes = buffer;
    for (size_t index = 0; index < size; index++)
        bytes[index] = (unsigned char)rand ();
}

static void s_recipient (recipient_t *self)
{
    self->memory = malloc (olm_account_size ());
    self->account = olm_account (self->memory);
    size_t size = olm_create_account_random_length (self->account);
    void *random = malloc (size);
    s_random (random, size);
    assert_int_not_equal (olm_create_account (self->account, random, size), olm_error ());
    free (random);
    char keys[256] = "";
    olm_account_identity_keys (self->account, keys, sizeof keys - 1);
    json_t *identity = json_loads (keys, 0, NULL);
    snprintf (self->curve25519, sizeof self->curve25519, "%s",
              json_string_value (json_object_get (identity, "curve25519")));
    json_decref (identity);
    size = olm_account_generate_one_time_keys_random_length (self->account, 1);
    random = malloc (size);
    s_random (random, size);
    olm_account_generate_one_time_keys (self->account, 1, random, size);
    free (random);
    char otks[256] = "";
    olm_account_one_time_keys (self->account, otks, sizeof otks - 1);
    json_t *all = json_loads (otks, 0, NULL);
    const char *id;
    json_t *value;
    json_object_foreach (json_object_get (all, "curve25519"), id, value)
    {
        snprintf (self->one_time_key, sizeof self->one_time_key, "%s", json_string_value (value));
    }
    json_decref (all);
}

static void test_a_room_key_goes_over_olm (void **state)
{
    char reason[160];
    crier_e2ee_account_t *bot = crier_e2ee_account_new (reason, sizeof reason);
    assert_non_null (bot);
    recipient_t recipient;
    s_recipient (&recipient);
    crier_e2ee_olm_t *session = crier_e2ee_olm_new (bot, recipient.curve25519,
                                                    recipient.one_time_key, reason, sizeof reason);
    assert_non_null (session);
    const char *secret = "{\"type\":\"m.room_key\",\"content\":{}}";
    int type = -1;
    char *message = crier_e2ee_olm_encrypt (session, secret, strlen (secret), &type);
    assert_non_null (message);
    assert_int_equal (type, 0); //  a pre-key message: the recipient has not answered yet
    //  Saved and loaded, the session is the same one.
    char *saved = crier_e2ee_olm_save (session, KEY, strlen (KEY));
    crier_e2ee_olm_t *loaded =
        crier_e2ee_olm_load (saved, KEY, strlen (KEY), reason, sizeof reason);
    assert_non_null (loaded);
    assert_string_equal (crier_e2ee_olm_id (loaded), crier_e2ee_olm_id (session));
    free (saved);

    void *memory = malloc (olm_session_size ());
    OlmSession *inbound = olm_session (memory);
    char *copy = strdup (message);
    assert_int_not_equal (
        olm_create_inbound_session (inbound, recipient.account, copy, strlen (copy)), olm_error ());
    free (copy);
    copy = strdup (message);
    char plaintext[256];
    size_t length = olm_decrypt (inbound, 0, copy, strlen (copy), plaintext, sizeof plaintext - 1);
    assert_int_not_equal (length, olm_error ());
    plaintext[length] = '\0';
    assert_string_equal (plaintext, secret);
    free (copy);
    free (message);
    olm_clear_session (inbound);
    free (memory);
    olm_clear_account (recipient.account);
    free (recipient.memory);
    crier_e2ee_olm_destroy (&loaded);
    crier_e2ee_olm_destroy (&session);
    crier_e2ee_account_destroy (&bot);
}

//  Decrypts message with the inbound session: the plaintext's index.
static uint32_t s_decrypt (OlmInboundGroupSession *inbound, const char *message,
                           const char *expected)
{
    char *copy = strdup (message);
    uint8_t plaintext[256];
    uint32_t index = 0;
    size_t length = olm_group_decrypt (inbound, (uint8_t *)copy, strlen (copy), plaintext,
                                       sizeof plaintext - 1, &index);
    free (copy);
    assert_int_not_equal (length, olm_error ());
    plaintext[length] = '\0';
    assert_string_equal ((char *)plaintext, expected);
    return index;
}

static void test_megolm_never_uses_an_index_twice (void **state)
{
    char reason[160];
    crier_e2ee_megolm_t *room = crier_e2ee_megolm_new (reason, sizeof reason);
    assert_non_null (room);
    assert_int_equal (crier_e2ee_megolm_index (room), 0);
    char *key = crier_e2ee_megolm_key (room);
    char *first = crier_e2ee_megolm_encrypt (room, "one", 3);
    assert_int_equal (crier_e2ee_megolm_index (room), 1);
    //  Saved after each message, as crier-matrix-watch does, then loaded after a "crash".
    char *saved = crier_e2ee_megolm_save (room, KEY, strlen (KEY));
    crier_e2ee_megolm_t *loaded =
        crier_e2ee_megolm_load (saved, KEY, strlen (KEY), reason, sizeof reason);
    assert_non_null (loaded);
    assert_string_equal (crier_e2ee_megolm_id (loaded), crier_e2ee_megolm_id (room));
    assert_int_equal (crier_e2ee_megolm_index (loaded), 1);
    char *second = crier_e2ee_megolm_encrypt (loaded, "two", 3);

    void *memory = malloc (olm_inbound_group_session_size ());
    OlmInboundGroupSession *inbound = olm_inbound_group_session (memory);
    assert_int_not_equal (olm_init_inbound_group_session (inbound, (uint8_t *)key, strlen (key)),
                          olm_error ());
    assert_int_equal (s_decrypt (inbound, first, "one"), 0);
    assert_int_equal (s_decrypt (inbound, second, "two"), 1);
    olm_clear_inbound_group_session (inbound);
    free (memory);
    free (saved);
    free (first);
    free (second);
    free (key);
    crier_e2ee_megolm_destroy (&loaded);
    crier_e2ee_megolm_destroy (&room);
}

//  The other way: a device starts a session with the bot (as Element does to send it a room
//  key); the bot opens it from the pre-key message, once only, and reads what follows.
static void test_the_bot_opens_a_session_another_device_started (void **state)
{
    char reason[160];
    crier_e2ee_account_t *bot = crier_e2ee_account_new (reason, sizeof reason);
    crier_e2ee_account_t *other = crier_e2ee_account_new (reason, sizeof reason);
    assert_int_equal (crier_e2ee_account_generate_one_time_keys (bot, 1), 0);
    json_t *keys = crier_e2ee_account_unpublished_keys (bot);
    const char *one_time = json_string_value (json_object_iter_value (json_object_iter (keys)));
    crier_e2ee_olm_t *outbound = crier_e2ee_olm_new (other, crier_e2ee_account_curve25519 (bot),
                                                     one_time, reason, sizeof reason);
    json_decref (keys);
    assert_non_null (outbound);
    int type = -1;
    char *first = crier_e2ee_olm_encrypt (outbound, "room key", 8, &type);
    assert_int_equal (type, 0);
    crier_e2ee_olm_t *inbound = crier_e2ee_olm_new_inbound (
        bot, crier_e2ee_account_curve25519 (other), first, reason, sizeof reason);
    assert_non_null (inbound);
    assert_true (crier_e2ee_olm_matches (inbound, first));
    char *plaintext = crier_e2ee_olm_decrypt (inbound, 0, first);
    assert_string_equal (plaintext, "room key");
    free (plaintext);
    //  The one-time key is used up: the same pre-key message opens nothing new.
    crier_e2ee_olm_t *again = crier_e2ee_olm_new_inbound (
        bot, crier_e2ee_account_curve25519 (other), first, reason, sizeof reason);
    assert_null (again);
    char *second = crier_e2ee_olm_encrypt (outbound, "more", 4, &type);
    plaintext = crier_e2ee_olm_decrypt (inbound, type, second);
    assert_string_equal (plaintext, "more");
    free (plaintext);
    free (first);
    free (second);
    crier_e2ee_olm_destroy (&inbound);
    crier_e2ee_olm_destroy (&outbound);
    crier_e2ee_account_destroy (&other);
    crier_e2ee_account_destroy (&bot);
}

//  A room key another device shared: its messages decrypt with their index, saved and loaded
//  the session still reads, and another session's message does not.
static void test_an_inbound_room_key_reads_its_messages (void **state)
{
    char reason[160];
    crier_e2ee_megolm_t *theirs = crier_e2ee_megolm_new (reason, sizeof reason);
    crier_e2ee_megolm_t *unrelated = crier_e2ee_megolm_new (reason, sizeof reason);
    char *key = crier_e2ee_megolm_key (theirs);
    crier_e2ee_megolm_in_t *inbound = crier_e2ee_megolm_in_new (key, reason, sizeof reason);
    assert_non_null (inbound);
    assert_string_equal (crier_e2ee_megolm_in_id (inbound), crier_e2ee_megolm_id (theirs));
    char *first = crier_e2ee_megolm_encrypt (theirs, "verify me", 9);
    char *second = crier_e2ee_megolm_encrypt (theirs, "please", 6);
    char *other = crier_e2ee_megolm_encrypt (unrelated, "not yours", 9);
    char *saved = crier_e2ee_megolm_in_save (inbound, KEY, strlen (KEY));
    crier_e2ee_megolm_in_t *loaded =
        crier_e2ee_megolm_in_load (saved, KEY, strlen (KEY), reason, sizeof reason);
    assert_non_null (loaded);
    uint32_t index = 99;
    char *plaintext = crier_e2ee_megolm_in_decrypt (loaded, second, &index);
    assert_string_equal (plaintext, "please");
    assert_int_equal (index, 1);
    free (plaintext);
    plaintext = crier_e2ee_megolm_in_decrypt (inbound, first, &index);
    assert_string_equal (plaintext, "verify me");
    assert_int_equal (index, 0);
    free (plaintext);
    assert_null (crier_e2ee_megolm_in_decrypt (inbound, other, &index));
    free (first);
    free (second);
    free (other);
    free (saved);
    free (key);
    crier_e2ee_megolm_in_destroy (&loaded);
    crier_e2ee_megolm_in_destroy (&inbound);
    crier_e2ee_megolm_destroy (&unrelated);
    crier_e2ee_megolm_destroy (&theirs);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_room_key_goes_over_olm),
        cmocka_unit_test (test_megolm_never_uses_an_index_twice),
        cmocka_unit_test (test_the_bot_opens_a_session_another_device_started),
        cmocka_unit_test (test_an_inbound_room_key_reads_its_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

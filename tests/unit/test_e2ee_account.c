/*  test_e2ee_account.c - the bot device's keys: signed canonical JSON that verifies (and stops
    verifying when a byte changes), kept under one key and unreadable under another, and
    one-time keys published once. */
#include "e2ee_account.h"
#include "e2ee_signing.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#define KEY       "0123456789abcdef0123456789abcdef"
#define OTHER_KEY "fedcba9876543210fedcba9876543210"

static crier_e2ee_account_t *s_new (void)
{
    char reason[128];
    crier_e2ee_account_t *account = crier_e2ee_account_new (reason, sizeof reason);
    if (!account)
        fail_msg ("%s", reason);
    return account;
}

static void test_canonical_json_is_signed_and_verified (void **state)
{
    crier_e2ee_account_t *account = s_new ();
    json_t *object =
        json_pack ("{s:s, s:[s], s:{s:s}, s:{s:i}}", "user_id", "@crier:example.org", "algorithms",
                   "m.olm.v1.curve25519-aes-sha2", "keys", "é", "ü", "unsigned", "age", 5);
    //  Sorted keys, no white space, UTF-8 as it is, without "unsigned".
    char *canonical = crier_e2ee_canonical (object);
    assert_string_equal (canonical, "{\"algorithms\":[\"m.olm.v1.curve25519-aes-sha2\"],"
                                    "\"keys\":{\"é\":\"ü\"},\"user_id\":\"@crier:example.org\"}");
    free (canonical);
    assert_int_equal (crier_e2ee_sign (account, object, "@crier:example.org", "DEV"), 0);
    const char *ed25519 = crier_e2ee_account_ed25519 (account);
    assert_true (crier_e2ee_signed_by (object, "@crier:example.org", "DEV", ed25519));
    assert_false (crier_e2ee_signed_by (object, "@crier:example.org", "OTHER", ed25519));
    //  "unsigned" is not signed; anything else is.
    json_object_set_new (json_object_get (object, "unsigned"), "age", json_integer (6));
    assert_true (crier_e2ee_signed_by (object, "@crier:example.org", "DEV", ed25519));
    json_object_set_new (object, "user_id", json_string ("@mallory:example.org"));
    assert_false (crier_e2ee_signed_by (object, "@crier:example.org", "DEV", ed25519));
    json_decref (object);
    crier_e2ee_account_destroy (&account);
}

static void test_an_account_is_kept_under_its_key_only (void **state)
{
    crier_e2ee_account_t *account = s_new ();
    char *saved = crier_e2ee_account_save (account, KEY, strlen (KEY));
    assert_non_null (saved);
    assert_null (strstr (saved, crier_e2ee_account_curve25519 (account)));
    char reason[128];
    crier_e2ee_account_t *loaded =
        crier_e2ee_account_load (saved, KEY, strlen (KEY), reason, sizeof reason);
    assert_non_null (loaded);
    assert_string_equal (crier_e2ee_account_curve25519 (loaded),
                         crier_e2ee_account_curve25519 (account));
    assert_string_equal (crier_e2ee_account_ed25519 (loaded), crier_e2ee_account_ed25519 (account));
    assert_null (
        crier_e2ee_account_load (saved, OTHER_KEY, strlen (OTHER_KEY), reason, sizeof reason));
    assert_non_null (strstr (reason, "CRIER_MATRIX_STATE_KEY"));
    saved[10] ^= 1;
    assert_null (crier_e2ee_account_load (saved, KEY, strlen (KEY), reason, sizeof reason));
    free (saved);
    crier_e2ee_account_destroy (&loaded);
    crier_e2ee_account_destroy (&account);
}

static void test_one_time_keys_are_published_once (void **state)
{
    crier_e2ee_account_t *account = s_new ();
    assert_int_equal (crier_e2ee_account_max_one_time_keys (account), 100);
    assert_int_equal (crier_e2ee_account_generate_one_time_keys (account, 5), 0);
    json_t *keys = crier_e2ee_account_unpublished_keys (account);
    assert_int_equal (json_object_size (keys), 5);
    json_decref (keys);
    crier_e2ee_account_mark_published (account);
    keys = crier_e2ee_account_unpublished_keys (account);
    assert_int_equal (json_object_size (keys), 0);
    json_decref (keys);
    crier_e2ee_account_destroy (&account);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_canonical_json_is_signed_and_verified),
        cmocka_unit_test (test_an_account_is_kept_under_its_key_only),
        cmocka_unit_test (test_one_time_keys_are_published_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

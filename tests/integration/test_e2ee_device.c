/*  test_e2ee_device.c - crier-matrix-watch's end-to-end encryption device against the homeserver
    double: its device keys and one-time keys are published and signed (the double checks each
    signature with olm), kept encrypted in the state folder, the same after a crash (no new
    identity, no flood of one-time keys), topped up when claimed, and a wrong key stops it. */
#include "test_homeserver.h"
#include "test_support.h"

#include "crier/event.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "c3RhdGUta2V5LW9mLXRoZS1ib3QtZm9yLXRoZS10ZXN0cw=="
#define OTHER_KEY "YW5vdGhlci1rZXktdGhhdC1kb2VzLW5vdC1vcGVuLWl0IQ=="

static test_homeserver_t *s_homeserver;
static zsock_t *s_bus;
static char s_env[4][256];

static int s_setup (void **state)
{
    s_homeserver = test_homeserver_start ((const char *[]){NULL});
    s_bus = zsock_new (ZMQ_XSUB);
    assert_true (zsock_bind (s_bus, "tcp://127.0.0.1:*") > 0);
    assert_int_equal (zsock_send (s_bus, "s", "\001e2ee.device_ready"), 0);
    char *endpoint = zsock_last_endpoint (s_bus);
    snprintf (s_env[0], sizeof s_env[0], "CRIER_EVENTS_PUBLISH_ENDPOINT=%s", endpoint);
    zstr_free (&endpoint);
    snprintf (s_env[1], sizeof s_env[1], "CRIER_MATRIX_HOMESERVER=%s", s_homeserver->url);
    snprintf (s_env[2], sizeof s_env[2], "CRIER_MATRIX_WATCH_DIR=%s/watch", test_scratch_dir ());
    return 0;
}

static int s_teardown (void **state)
{
    zsock_destroy (&s_bus);
    test_homeserver_destroy (&s_homeserver);
    return 0;
}

static test_process_t *s_start_watch (const char *key)
{
    snprintf (s_env[3], sizeof s_env[3], "CRIER_MATRIX_STATE_KEY=%s", key);
    const char *env[] = {s_env[0],
                         s_env[1],
                         s_env[2],
                         s_env[3],
                         "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN,
                         "CRIER_MATRIX_USER_ID=" TEST_MATRIX_USER,
                         "CRIER_MATRIX_SYNC_TIMEOUT=1s",
                         "CRIER_HEARTBEAT_INTERVAL=1h",
                         NULL};
    test_process_t *watch = test_process_start ("crier-matrix-watch", NULL, env);
    assert_non_null (watch);
    return watch;
}

//  The next e2ee.device_ready on the bus (decref).
static json_t *s_device_ready (void)
{
    zsock_set_rcvtimeo (s_bus, 15000);
    char *type = NULL;
    zframe_t *body = NULL;
    assert_int_equal (zsock_recv (s_bus, "sf", &type, &body), 0);
    assert_string_equal (type, "e2ee.device_ready");
    char *text = crier_event_to_json (zframe_data (body), zframe_size (body));
    json_t *event = json_loads (text, 0, NULL);
    assert_non_null (event);
    free (text);
    zstr_free (&type);
    zframe_destroy (&body);
    return event;
}

static const char *s_text (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  The one-time keys the double holds for the bot's device.
static size_t s_keys_on_server (void)
{
    json_t *keys = test_homeserver_get (s_homeserver, "keys");
    size_t count = json_object_size (
        json_object_get (json_object_get (keys, "one_time_keys"), TEST_MATRIX_USER " CRIERTEST"));
    json_decref (keys);
    return count;
}

static void test_the_device_is_published_kept_and_topped_up (void **state)
{
    test_process_t *watch = s_start_watch (STATE_KEY);
    json_t *ready = s_device_ready ();
    assert_string_equal (s_text (ready, "device_id"), "CRIERTEST");
    assert_string_equal (s_text (ready, "user_id"), TEST_MATRIX_USER);
    assert_int_equal (json_integer_value (json_object_get (ready, "one_time_keys")), 50);
    char curve[64], ed[64];
    snprintf (curve, sizeof curve, "%s", s_text (ready, "curve25519"));
    snprintf (ed, sizeof ed, "%s", s_text (ready, "ed25519"));
    json_decref (ready);

    //  Published: the device keys, signed by the device, and 50 signed one-time keys.
    json_t *keys = test_homeserver_get (s_homeserver, "keys");
    json_t *uploads = json_object_get (keys, "uploads");
    assert_true (json_array_size (uploads) >= 1);
    json_t *first = json_array_get (uploads, 0);
    assert_true (json_is_true (json_object_get (first, "device_keys_signed")));
    json_t *device_keys = json_incref (json_object_get (first, "device_keys"));
    json_t *published = json_object_get (device_keys, "keys");
    assert_string_equal (s_text (published, "curve25519:CRIERTEST"), curve);
    assert_string_equal (s_text (published, "ed25519:CRIERTEST"), ed);
    size_t index;
    json_t *upload;
    size_t one_time = 0;
    json_array_foreach (uploads, index, upload)
    {
        assert_true (json_is_true (json_object_get (upload, "one_time_keys_signed")));
        one_time += json_array_size (json_object_get (upload, "one_time_keys"));
    }
    assert_int_equal (one_time, 50);
    size_t uploads_before = json_array_size (uploads);
    json_decref (keys);
    assert_int_equal (s_keys_on_server (), 50);

    //  Kept encrypted: the file never shows the keys.
    char path[512];
    snprintf (path, sizeof path, "%s/watch/e2ee-device.json", test_scratch_dir ());
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char content[16384] = "";
    size_t length = fread (content, 1, sizeof content - 1, file);
    content[length] = '\0';
    fclose (file);
    assert_non_null (strstr (content, "CRIERTEST"));
    assert_null (strstr (content, curve));
    assert_null (strstr (content, ed));

    //  A crash, and the same device comes back: same identity, no new one-time keys.
    assert_int_equal (test_process_stop (watch, SIGKILL, 10000), 128 + SIGKILL);
    test_process_destroy (&watch);
    watch = s_start_watch (STATE_KEY);
    ready = s_device_ready ();
    assert_string_equal (s_text (ready, "curve25519"), curve);
    assert_string_equal (s_text (ready, "ed25519"), ed);
    json_decref (ready);
    keys = test_homeserver_get (s_homeserver, "keys");
    uploads = json_object_get (keys, "uploads");
    assert_int_equal (json_array_size (uploads), uploads_before + 1);
    json_t *again = json_array_get (uploads, uploads_before);
    assert_true (json_equal (json_object_get (again, "device_keys"), device_keys));
    assert_int_equal (json_array_size (json_object_get (again, "one_time_keys")), 0);
    json_decref (keys);
    json_decref (device_keys);
    assert_int_equal (s_keys_on_server (), 50);

    //  Others claim 30 (each starting an Olm session with the bot): topped up to 50 again, with
    //  keys of new ids.
    char url[160];
    snprintf (url, sizeof url, "%s/_matrix/client/v3/keys/claim", s_homeserver->url);
    const char *headers[] = {"Authorization: Bearer " TEST_MATRIX_TOKEN,
                             "Content-Type: application/json", NULL};
    for (int claim = 0; claim < 30; claim++)
        assert_int_equal (test_http_full ("POST", url, headers,
                                          "{\"one_time_keys\": {\"" TEST_MATRIX_USER
                                          "\": {\"CRIERTEST\": \"signed_curve25519\"}}}",
                                          NULL, NULL, NULL),
                          200);
    for (int waited = 0; s_keys_on_server () < 50 && waited < 15000; waited += 50)
        zclock_sleep (50); //  polling the double's state: there is nothing to wait on
    assert_int_equal (s_keys_on_server (), 50);
    assert_int_equal (test_process_stop (watch, SIGTERM, 10000), 0);
    test_process_destroy (&watch);
}

//  Another key cannot open the kept device: the watcher says so and does not start.
static void test_a_wrong_key_stops_the_watcher (void **state)
{
    test_process_t *watch = s_start_watch (OTHER_KEY);
    assert_true (test_process_wait_log (watch, "e2ee.state_unreadable", 15000, NULL, NULL, 0));
    assert_true (test_process_wait_log (watch, "CRIER_MATRIX_STATE_KEY", 1000, NULL, NULL, 0));
    assert_int_not_equal (test_process_stop (watch, 0, 10000), 0);
    test_process_destroy (&watch);
}

//  crier matrix cross-sign with the given extra arguments; its exit status, output in *out_p.
static int s_cross_sign (const char *password, const char *extra, char **out_p, char **err_p)
{
    char homeserver[128], keys[512], secret[128];
    snprintf (homeserver, sizeof homeserver, "CRIER_MATRIX_HOMESERVER=%s", s_homeserver->url);
    snprintf (keys, sizeof keys, "%s/cross-signing.json", test_scratch_dir ());
    snprintf (secret, sizeof secret, "CRIER_MATRIX_PASSWORD=%s", password);
    const char *env[] = {homeserver, "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN, secret, NULL};
    const char *args[] = {"matrix", "cross-sign", "--keys", keys, extra, NULL};
    return test_run ("crier", args, env, NULL, 30000, out_p, err_p);
}

//  The bot's signature chain as the double checks it with olm (decref).
static json_t *s_chain (void)
{
    return test_homeserver_get (s_homeserver, "cross_signing");
}

//  crier matrix cross-sign: the master key signs the self-signing and user-signing keys, the
//  self-signing key signs the bot's device; a second run reuses the kept keys, --reset makes
//  new ones, and a wrong password says what to check.
static void test_cross_signing_signs_the_device (void **state)
{
    char *out = NULL, *err = NULL;
    assert_int_equal (s_cross_sign ("wrong", NULL, &out, &err), 2);
    assert_non_null (strstr (err, "CRIER_MATRIX_PASSWORD"));
    free (out);
    free (err);
    assert_int_equal (s_cross_sign ("bot-password", NULL, &out, &err), 0);
    assert_non_null (strstr (out, "device CRIERTEST signed by the self-signing key"));
    free (out);
    free (err);
    json_t *chain = s_chain ();
    assert_true (json_is_true (json_object_get (chain, "self_signing_signed_by_master")));
    assert_true (json_is_true (json_object_get (chain, "user_signing_signed_by_master")));
    assert_true (json_is_true (
        json_object_get (json_object_get (chain, "devices_signed_by_self_signing"), "CRIERTEST")));
    char master[64];
    snprintf (master, sizeof master, "%s", json_string_value (json_object_get (chain, "master")));
    json_decref (chain);

    //  Again: the same keys, nothing uploaded anew.
    assert_int_equal (s_cross_sign ("bot-password", NULL, &out, &err), 0);
    assert_non_null (strstr (out, "already on the homeserver"));
    assert_non_null (strstr (out, "device CRIERTEST is signed already"));
    free (out);
    free (err);
    chain = s_chain ();
    assert_string_equal (json_string_value (json_object_get (chain, "master")), master);
    json_decref (chain);

    //  --reset: new keys, and the device signed by the new self-signing key.
    assert_int_equal (s_cross_sign ("bot-password", "--reset", &out, &err), 0);
    free (out);
    free (err);
    chain = s_chain ();
    assert_string_not_equal (json_string_value (json_object_get (chain, "master")), master);
    assert_true (json_is_true (json_object_get (chain, "self_signing_signed_by_master")));
    assert_true (json_is_true (
        json_object_get (json_object_get (chain, "devices_signed_by_self_signing"), "CRIERTEST")));
    json_decref (chain);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_device_is_published_kept_and_topped_up),
        cmocka_unit_test (test_a_wrong_key_stops_the_watcher),
        cmocka_unit_test (test_cross_signing_signs_the_device),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

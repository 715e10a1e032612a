/*  test_e2ee_rooms.c - end-to-end encrypted messages: crier-sender-matrix (CRIER_MATRIX_E2EE=on)
    and crier-matrix-watch against the homeserver double, with a real E2EE client in the room
    (matrix-nio with olm: tests/matrix/e2ee_member.py) that decrypts what crier sent. An
    encrypted room gets m.room.encrypted only, never m.room.message; a room that is not
    encrypted gets plaintext as before. */
#include "test_homeserver.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENCRYPTED "!secret:example.org"
#define PLAIN     "!open:example.org"
#define LONELY    "!lonely:example.org" //  encrypted, and nobody else in it
#define STATE_KEY "c3RhdGUta2V5LW9mLXRoZS1ib3QtZm9yLXRoZS10ZXN0cw=="

static test_homeserver_t *s_homeserver;
static char s_env[6][400];
static test_process_t *s_member;
static test_process_t *s_watch;
static test_process_t *s_sender;
static zsock_t *s_push;
static size_t s_member_cursor;

//  A member with an E2EE client (e2ee_member.py): it publishes its keys and joins; ready.
//  option and value: --verify USER (its devices verified interactively), --say TEXT (sent to
//  the room), or NULL.
static test_process_t *s_start_member_verifying (const char *name, const char *device,
                                                 size_t *cursor, const char *option,
                                                 const char *value)
{
    char homeserver[96], user[64], token[64], store[300];
    snprintf (homeserver, sizeof homeserver, "%s", s_homeserver->url);
    snprintf (user, sizeof user, "@%s:example.org", name);
    snprintf (token, sizeof token, "%s-token", name);
    snprintf (store, sizeof store, "%s/%s", test_scratch_dir (), name);
    zsys_dir_create ("%s", store);
    const char *args[] = {CRIER_SOURCE_DIR "/tests/matrix/e2ee_member.py",
                          "--homeserver",
                          homeserver,
                          "--user",
                          user,
                          "--device",
                          device,
                          "--token",
                          token,
                          "--room",
                          ENCRYPTED,
                          "--store",
                          store,
                          option,
                          value,
                          NULL};
    test_process_t *member = test_process_start ("/usr/bin/python3", args, NULL);
    assert_non_null (member);
    assert_true (test_process_wait_log (member, "\"ready\": true", 30000, cursor, NULL, 0));
    return member;
}

static test_process_t *s_start_member (const char *name, const char *device, size_t *cursor)
{
    return s_start_member_verifying (name, device, cursor, NULL, NULL);
}

static test_process_t *s_start_watch (void)
{
    const char *watch[] = {s_env[0],
                           s_env[1],
                           s_env[2],
                           s_env[3],
                           "CRIER_MATRIX_STATE_KEY=" STATE_KEY,
                           "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN,
                           "CRIER_MATRIX_SYNC_TIMEOUT=1s",
                           "CRIER_LOG_LEVEL=debug",
                           NULL};
    test_process_t *process = test_process_start ("crier-matrix-watch", NULL, watch);
    assert_non_null (process);
    assert_true (test_process_wait_log (process, "e2ee.device_ready", 15000, NULL, NULL, 0));
    return process;
}

static test_process_t *s_start_sender (void)
{
    const char *sender[] = {s_env[0],
                            s_env[2],
                            s_env[3],
                            s_env[5],
                            "CRIER_MATRIX_E2EE=on",
                            "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN,
                            "CRIER_LOG_LEVEL=debug",
                            NULL};
    test_process_t *process = test_process_start ("crier-sender-matrix", NULL, sender);
    assert_non_null (process);
    assert_true (test_process_wait_log (process, "matrix.ready", 10000, NULL, NULL, 0));
    return process;
}

static int s_setup (void **state)
{
    const char *args[] = {"--joined", ENCRYPTED, "--joined", PLAIN, "--joined", LONELY, NULL};
    s_homeserver = test_homeserver_start (args);
    const char *encrypted[] = {ENCRYPTED, LONELY};
    for (size_t index = 0; index < 2; index++) {
        char order[512];
        snprintf (order, sizeof order,
                  "{\"room\": \"%s\", \"sender\": \"" TEST_MATRIX_USER "\", "
                  "\"type\": \"m.room.encryption\", \"state_key\": \"\", \"content\": "
                  "{\"algorithm\": \"m.megolm.v1.aes-sha2\"}}",
                  encrypted[index]);
        test_homeserver_post (s_homeserver, "timeline", order);
    }
    s_member = s_start_member ("anna", "ANNA", &s_member_cursor);
    snprintf (s_env[0], sizeof s_env[0], "CRIER_MATRIX_HOMESERVER=%s", s_homeserver->url);
    snprintf (s_env[1], sizeof s_env[1], "CRIER_MATRIX_WATCH_DIR=%s/watch", test_scratch_dir ());
    snprintf (s_env[2], sizeof s_env[2], "CRIER_MATRIX_E2EE_ENDPOINT=ipc://%s/e2ee",
              test_scratch_dir ());
    snprintf (s_env[3], sizeof s_env[3], "CRIER_EVENTS_PUBLISH_ENDPOINT=ipc://%s/nobody-listens",
              test_scratch_dir ());
    snprintf (s_env[4], sizeof s_env[4], "ipc://%s/deliveries", test_scratch_dir ());
    snprintf (s_env[5], sizeof s_env[5], "CRIER_MATRIX_DELIVERIES_ENDPOINT=%.300s", s_env[4]);
    s_watch = s_start_watch ();
    char bind[420];
    snprintf (bind, sizeof bind, "@%s", s_env[4]);
    s_push = zsock_new_push (bind);
    assert_non_null (s_push);
    s_sender = s_start_sender ();
    return 0;
}

static int s_teardown (void **state)
{
    test_process_t **processes[] = {&s_sender, &s_watch, &s_member};
    for (size_t index = 0; index < 3; index++) {
        if (*processes[index])
            test_process_stop (*processes[index], SIGTERM, 10000);
        test_process_destroy (processes[index]);
    }
    zsock_destroy (&s_push);
    test_homeserver_destroy (&s_homeserver);
    return 0;
}

//  A member's next received message from the bot (its JSON line from e2ee_member.py), decref.
static json_t *s_received_by (test_process_t *member, size_t *cursor)
{
    char line[4096];
    if (!test_process_wait_log (member, "\"sender\": \"" TEST_MATRIX_USER "\"", 20000, cursor, line,
                                sizeof line))
        return NULL;
    json_t *message = json_loads (strchr (line, '{'), 0, NULL);
    assert_non_null (message);
    return message;
}

static json_t *s_received (void)
{
    return s_received_by (s_member, &s_member_cursor);
}

//  Asserts that the member's next message is body, decrypted.
static void s_expect_decrypted (test_process_t *member, size_t *cursor, const char *body)
{
    json_t *message = s_received_by (member, cursor);
    assert_non_null (message);
    if (!json_is_true (json_object_get (message, "decrypted")))
        fail_msg ("not decrypted: %s", json_string_value (json_object_get (message, "session_id")));
    assert_non_null (strstr (json_string_value (json_object_get (message, "body")), body));
    json_decref (message);
}

//  The stored events of a room, as the double recorded them (decref).
static json_t *s_room_events (const char *room)
{
    json_t *all = test_homeserver_get (s_homeserver, "events");
    json_t *events = json_array ();
    size_t index;
    json_t *event;
    json_array_foreach (all, index, event)
    {
        if (strcmp (json_string_value (json_object_get (event, "room_id")), room) == 0)
            json_array_append (events, event);
    }
    json_decref (all);
    return events;
}

static void test_the_member_decrypts_and_nothing_is_plaintext (void **state)
{
    test_push_delivery (s_push, "matrix", "n-secret-1", ENCRYPTED, "Disk full", "on db-1", NULL);
    json_t *message = s_received ();
    assert_non_null (message);
    assert_true (json_is_true (json_object_get (message, "decrypted")));
    assert_string_equal (json_string_value (json_object_get (message, "sender")), TEST_MATRIX_USER);
    assert_non_null (strstr (json_string_value (json_object_get (message, "body")), "Disk full"));
    json_decref (message);
    //  A second message, under the same room key: decrypted too.
    test_push_delivery (s_push, "matrix", "n-secret-2", ENCRYPTED, "Disk fine", "again", NULL);
    message = s_received ();
    assert_non_null (message);
    assert_true (json_is_true (json_object_get (message, "decrypted")));
    assert_non_null (strstr (json_string_value (json_object_get (message, "body")), "Disk fine"));
    json_decref (message);

    //  What the homeserver got in the encrypted room: m.room.encrypted only.
    json_t *events = s_room_events (ENCRYPTED);
    size_t index;
    json_t *event;
    size_t encrypted = 0;
    json_array_foreach (events, index, event)
    {
        const char *type = json_string_value (json_object_get (event, "type"));
        if (strcmp (type, "m.room.message") == 0)
            fail_msg (
                "plaintext in the encrypted room: %s",
                json_string_value (json_object_get (json_object_get (event, "content"), "body")));
        encrypted += strcmp (type, "m.room.encrypted") == 0;
    }
    assert_int_equal (encrypted, 2);
    json_decref (events);
    //  The room key went to the member's device as an Olm-encrypted to-device message.
    json_t *to_device = test_homeserver_get (s_homeserver, "to_device");
    assert_true (json_array_size (to_device) >= 1);
    json_t *first = json_array_get (to_device, 0);
    assert_string_equal (json_string_value (json_object_get (first, "device")), "ANNA");
    assert_string_equal (json_string_value (json_object_get (first, "type")), "m.room.encrypted");
    json_decref (to_device);

    //  A room that is not encrypted gets plaintext, as before.
    test_push_delivery (s_push, "matrix", "n-open-1", PLAIN, "Hello", "everyone", NULL);
    json_t *stored = NULL;
    for (int waited = 0; waited < 15000; waited += 50) {
        stored = s_room_events (PLAIN);
        if (json_array_size (stored) > 0)
            break;
        json_decref (stored);
        stored = NULL;
        zclock_sleep (50); //  polling the double's record: there is nothing to wait on
    }
    assert_non_null (stored);
    assert_string_equal (json_string_value (json_object_get (json_array_get (stored, 0), "type")),
                         "m.room.message");
    json_decref (stored);
}

//  crier-matrix-watch killed right after it encrypted a message, started again on its folder:
//  the next message uses the next index (a reused one is a replay nio refuses to decrypt).
static void test_a_killed_watcher_reuses_no_index (void **state)
{
    test_push_delivery (s_push, "matrix", "n-before-kill", ENCRYPTED, "Before", "kill", NULL);
    s_expect_decrypted (s_member, &s_member_cursor, "Before");
    assert_int_equal (test_process_stop (s_watch, SIGKILL, 10000), 128 + SIGKILL);
    test_process_destroy (&s_watch);
    s_watch = s_start_watch ();
    test_push_delivery (s_push, "matrix", "n-after-kill", ENCRYPTED, "After", "kill", NULL);
    s_expect_decrypted (s_member, &s_member_cursor, "After");
    //  The same room key went on: nothing new was shared.
    assert_int_equal (test_process_count_log (s_watch, "e2ee.room_key_new"), 0);
}

//  A member who joins reads the next messages; once one leaves, the room key is replaced and
//  the new one goes to those still there only.
static void test_a_joining_member_reads_on_and_a_leaving_one_does_not (void **state)
{
    size_t bob_cursor = 0;
    test_process_t *bob = s_start_member ("bob", "BOB", &bob_cursor);
    test_push_delivery (s_push, "matrix", "n-with-bob", ENCRYPTED, "Welcome", "bob", NULL);
    s_expect_decrypted (bob, &bob_cursor, "Welcome");
    s_expect_decrypted (s_member, &s_member_cursor, "Welcome");
    test_homeserver_post (s_homeserver, "member",
                          "{\"room\": \"" ENCRYPTED "\", \"user\": \"@bob:example.org\", "
                          "\"membership\": \"leave\"}");
    assert_true (test_process_wait_log (s_watch, "e2ee.member_left", 15000, NULL, NULL, 0));
    json_t *before = test_homeserver_get (s_homeserver, "to_device");
    size_t shared_before = json_array_size (before);
    json_decref (before);
    test_push_delivery (s_push, "matrix", "n-without-bob", ENCRYPTED, "Bye", "bob", NULL);
    s_expect_decrypted (s_member, &s_member_cursor, "Bye");
    assert_true (test_process_wait_log (s_watch, "e2ee.room_key_new", 1000, NULL, NULL, 0));
    json_t *after = test_homeserver_get (s_homeserver, "to_device");
    assert_true (json_array_size (after) > shared_before);
    for (size_t index = shared_before; index < json_array_size (after); index++)
        assert_string_equal (
            json_string_value (json_object_get (json_array_get (after, index), "device")), "ANNA");
    json_decref (after);
    assert_int_equal (test_process_stop (bob, SIGTERM, 10000), 0);
    test_process_destroy (&bob);
}

//  How many requests of kind the double received for room.
static size_t s_requests (const char *kind, const char *room)
{
    json_t *requests = test_homeserver_get (s_homeserver, "requests");
    size_t index, count = 0;
    json_t *request;
    json_array_foreach (requests, index, request)
    {
        count += strcmp (json_string_value (json_object_get (request, "kind")), kind) == 0 &&
                 json_is_string (json_object_get (request, "room")) &&
                 strcmp (json_string_value (json_object_get (request, "room")), room) == 0;
    }
    json_decref (requests);
    return count;
}

//  A sender killed right after its PUT reached the homeserver: the redelivery goes through
//  another sender, encrypted again (another ciphertext), with the same transaction id: the
//  homeserver keeps one event, and the member reads the message once.
static void test_a_sender_killed_after_its_put_sends_once (void **state)
{
    json_t *before = s_room_events (ENCRYPTED);
    size_t stored_before = json_array_size (before);
    json_decref (before);
    size_t sends_before = s_requests ("send", ENCRYPTED);
    test_homeserver_post (s_homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ENCRYPTED "\", \"delay_ms\": 1500}");
    test_push_delivery (s_push, "matrix", "n-killed", ENCRYPTED, "Once", "only", NULL);
    for (int waited = 0; s_requests ("send", ENCRYPTED) == sends_before && waited < 15000;
         waited += 20)
        zclock_sleep (20); //  polling the double's record: there is nothing to wait on
    assert_int_equal (test_process_stop (s_sender, SIGKILL, 10000), 128 + SIGKILL);
    test_process_destroy (&s_sender);
    //  The homeserver stores it meanwhile: the message went out, the sender never knew.
    for (int waited = 0; waited < 15000; waited += 20) {
        json_t *events = s_room_events (ENCRYPTED);
        size_t stored = json_array_size (events);
        json_decref (events);
        if (stored > stored_before)
            break;
        zclock_sleep (20); //  polling the double's record: there is nothing to wait on
    }
    s_sender = s_start_sender ();
    test_push_redelivery (s_push, "matrix", "n-killed", ENCRYPTED, 2);
    assert_true (test_process_wait_log (s_sender, "delivery.delivered", 15000, NULL, NULL, 0));
    json_t *after = s_room_events (ENCRYPTED);
    assert_int_equal (json_array_size (after), stored_before + 1);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (after, stored_before), "type")),
        "m.room.encrypted");
    json_decref (after);
    //  Two PUTs with one transaction id, and the member read the first one's message once.
    assert_int_equal (s_requests ("send", ENCRYPTED), sends_before + 2);
    s_expect_decrypted (s_member, &s_member_cursor, "Once");
}

//  The emoji names a client showed, as the watcher's log line writes them ("Dog, Cat, ...").
static void s_emoji_line (const json_t *names, char *line, size_t size)
{
    line[0] = '\0';
    size_t index;
    const json_t *name;
    json_array_foreach (names, index, name)
    {
        snprintf (line + strlen (line), size - strlen (line), "%s%s", index ? ", " : "",
                  json_string_value (name));
    }
    assert_int_equal (index, 7);
}

//  A person verifies the bot's device with emoji (SAS, here matrix-nio's): the watcher says the
//  same emoji in its log, and the client ends with the device verified.
static void test_a_person_verifies_the_bot_interactively (void **state)
{
    size_t cursor = 0;
    test_process_t *carol =
        s_start_member_verifying ("carol", "CAROL", &cursor, "--verify", TEST_MATRIX_USER);
    char line[2048];
    assert_true (test_process_wait_log (carol, "\"sas\"", 30000, &cursor, line, sizeof line));
    json_t *shown = json_loads (strchr (line, '{'), 0, NULL);
    assert_non_null (shown);
    assert_string_equal (json_string_value (json_object_get (shown, "device")), "CRIERTEST");
    //  What the watcher says, to be read out: the same seven emoji.
    char said[2048];
    assert_true (
        test_process_wait_log (s_watch, "e2ee.verification_sas", 15000, NULL, said, sizeof said));
    char expected[512];
    s_emoji_line (json_object_get (shown, "sas"), expected, sizeof expected);
    if (!strstr (said, expected))
        fail_msg ("the client shows %s, the watcher says: %s", expected, said);
    char decimals[64];
    snprintf (decimals, sizeof decimals, "decimals=\"%s\"",
              json_string_value (json_object_get (shown, "decimals")));
    if (!strstr (said, decimals))
        fail_msg ("the client shows %s, the watcher says: %s", decimals, said);
    json_decref (shown);
    assert_true (
        test_process_wait_log (carol, "\"verified\": \"CRIERTEST\"", 30000, &cursor, NULL, 0));
    assert_true (test_process_wait_log (s_watch, "e2ee.verification_done", 15000, NULL, NULL, 0));
    assert_int_equal (test_process_stop (carol, SIGTERM, 10000), 0);
    test_process_destroy (&carol);
}

//  The request flow Element starts with (m.key.verification.request as a to-device message):
//  the watcher answers ready, offering SAS.
static void test_a_verification_request_is_answered_ready (void **state)
{
    char url[160];
    snprintf (url, sizeof url, "%s/_matrix/client/v3/sendToDevice/m.key.verification.request/t1",
              s_homeserver->url);
    const char *headers[] = {"Authorization: Bearer anna-token", "Content-Type: application/json",
                             NULL};
    assert_int_equal (test_http_full ("PUT", url, headers,
                                      "{\"messages\": {\"" TEST_MATRIX_USER "\": {\"CRIERTEST\": {"
                                      "\"transaction_id\": \"req-1\", \"from_device\": \"ANNA\", "
                                      "\"methods\": [\"m.sas.v1\"], \"timestamp\": 1}}}}",
                                      NULL, NULL, NULL),
                      200);
    json_t *ready = NULL;
    for (int waited = 0; !ready && waited < 15000; waited += 50) {
        json_t *messages = test_homeserver_get (s_homeserver, "to_device");
        size_t index;
        json_t *message;
        json_array_foreach (messages, index, message)
        {
            if (strcmp (json_string_value (json_object_get (message, "type")),
                        "m.key.verification.ready") == 0)
                ready = json_incref (message);
        }
        json_decref (messages);
        if (!ready)
            zclock_sleep (50); //  polling the double's record: there is nothing to wait on
    }
    assert_non_null (ready);
    assert_string_equal (json_string_value (json_object_get (ready, "device")), "ANNA");
    json_t *content = json_object_get (ready, "content");
    assert_string_equal (json_string_value (json_object_get (content, "transaction_id")), "req-1");
    assert_string_equal (json_string_value (json_object_get (content, "from_device")), "CRIERTEST");
    assert_string_equal (
        json_string_value (json_array_get (json_object_get (content, "methods"), 0)), "m.sas.v1");
    json_decref (ready);
}

//  A member writes in the encrypted room: its client shares its room key with the bot's
//  device too (Olm, from one of the bot's one-time keys), and the watcher reads the message.
static void test_the_bot_reads_what_members_write (void **state)
{
    size_t cursor = 0;
    test_process_t *dave =
        s_start_member_verifying ("dave", "DAVE", &cursor, "--say", "Hello crier");
    assert_true (test_process_wait_log (dave, "\"said\": \"$", 30000, &cursor, NULL, 0));
    char line[2048];
    assert_true (
        test_process_wait_log (s_watch, "e2ee.room_key_received", 15000, NULL, line, sizeof line));
    assert_non_null (strstr (line, "sender=@dave:example.org"));
    assert_true (
        test_process_wait_log (s_watch, "e2ee.message_decrypted", 15000, NULL, line, sizeof line));
    assert_non_null (strstr (line, "sender=@dave:example.org"));
    assert_non_null (strstr (line, "type=m.room.message"));
    assert_int_equal (test_process_stop (dave, SIGTERM, 10000), 0);
    test_process_destroy (&dave);
}

//  A verification requested as a room message in the encrypted room, as Element's "Verify
//  user" does: the watcher reads the request (decrypted), answers each step in the room
//  (encrypted), and both sides show the same emoji.
static void test_a_verification_requested_in_the_room (void **state)
{
    //  The bot cross-signed first, so that its MAC names its master key too (the user
    //  verified, not only the device).
    char homeserver[128], keys[512];
    snprintf (homeserver, sizeof homeserver, "CRIER_MATRIX_HOMESERVER=%s", s_homeserver->url);
    snprintf (keys, sizeof keys, "%s/cross-signing.json", test_scratch_dir ());
    const char *env[] = {homeserver, "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN,
                         "CRIER_MATRIX_PASSWORD=bot-password", NULL};
    const char *args[] = {"matrix", "cross-sign", "--keys", keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (test_run ("crier", args, env, NULL, 30000, &out, &err), 0);
    free (out);
    free (err);
    size_t cursor = 0;
    test_process_t *erin =
        s_start_member_verifying ("erin", "ERIN", &cursor, "--verify-in-room", TEST_MATRIX_USER);
    char line[2048];
    assert_true (
        test_process_wait_log (erin, "\"sas_in_room\"", 30000, &cursor, line, sizeof line));
    json_t *shown = json_loads (strchr (line, '{'), 0, NULL);
    assert_non_null (shown);
    char expected[512];
    s_emoji_line (json_object_get (shown, "sas_in_room"), expected, sizeof expected);
    json_decref (shown);
    char said[2048];
    assert_true (test_process_wait_log (s_watch, "e2ee.verification_sas user=@erin:example.org",
                                        15000, NULL, said, sizeof said));
    if (!strstr (said, expected))
        fail_msg ("the client shows %s, the watcher says: %s", expected, said);
    assert_true (test_process_wait_log (erin,
                                        "\"verified_in_room\": \"CRIERTEST\", "
                                        "\"master_verified\": true",
                                        30000, &cursor, NULL, 0));
    //  The bot's steps went into the room encrypted, like everything it sends there.
    json_t *events = s_room_events (ENCRYPTED);
    size_t index;
    json_t *event;
    json_array_foreach (events, index, event)
    {
        assert_string_equal (json_string_value (json_object_get (event, "type")),
                             "m.room.encrypted");
    }
    json_decref (events);
    assert_int_equal (test_process_stop (erin, SIGTERM, 10000), 0);
    test_process_destroy (&erin);
}

//  An encrypted room where nobody has a device to encrypt for: the delivery fails with that
//  reason, and nothing goes there in plaintext.
static void test_a_room_nobody_can_read_fails_clearly (void **state)
{
    size_t cursor = 0;
    test_process_wait_log (s_sender, "matrix.ready", 0, &cursor, NULL, 0);
    test_push_delivery (s_push, "matrix", "n-lonely", LONELY, "Anyone", "there?", NULL);
    char line[2048];
    assert_true (
        test_process_wait_log (s_sender, "delivery.failed", 20000, &cursor, line, sizeof line));
    assert_non_null (strstr (line, "n-lonely"));
    assert_non_null (strstr (line, "cannot be encrypted"));
    assert_non_null (strstr (line, "no member of the room has a device"));
    json_t *events = s_room_events (LONELY);
    assert_int_equal (json_array_size (events), 0);
    json_decref (events);
}

//  A 429 on an encrypted room's send: the room waits as asked and the message goes once.
static void test_rate_limits_hold_for_encrypted_rooms (void **state)
{
    json_t *before = s_room_events (ENCRYPTED);
    size_t stored_before = json_array_size (before);
    json_decref (before);
    test_homeserver_post (s_homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ENCRYPTED "\", \"status\": 429, "
                          "\"retry_after_ms\": 300, \"count\": 2}");
    test_push_delivery (s_push, "matrix", "n-paced", ENCRYPTED, "Paced", "message", NULL);
    s_expect_decrypted (s_member, &s_member_cursor, "Paced");
    json_t *after = s_room_events (ENCRYPTED);
    assert_int_equal (json_array_size (after), stored_before + 1);
    json_decref (after);
}

//  The room's rotation_period_msgs: a new room key after that many messages.
static void test_the_room_key_rotates_after_its_message_count (void **state)
{
    size_t cursor = 0;
    test_process_wait_log (s_watch, "e2ee.device_ready", 0, &cursor, NULL, 0);
    test_homeserver_post (
        s_homeserver, "timeline",
        "{\"room\": \"" ENCRYPTED "\", \"sender\": \"" TEST_MATRIX_USER "\", "
        "\"type\": \"m.room.encryption\", \"state_key\": \"\", \"content\": "
        "{\"algorithm\": \"m.megolm.v1.aes-sha2\", \"rotation_period_msgs\": 2}}");
    assert_true (
        test_process_wait_log (s_watch, "rotation_period_msgs=2", 15000, &cursor, NULL, 0));
    int keys_before = test_process_count_log (s_watch, "e2ee.room_key_new");
    const char *ids[] = {"n-rotate-1", "n-rotate-2", "n-rotate-3", "n-rotate-4", "n-rotate-5"};
    for (size_t index = 0; index < 5; index++) {
        test_push_delivery (s_push, "matrix", ids[index], ENCRYPTED, "Rotating", ids[index], NULL);
        s_expect_decrypted (s_member, &s_member_cursor, ids[index]);
    }
    //  Five messages, two per key: at least two new keys (the first may be a leftover's).
    assert_true (test_process_count_log (s_watch, "e2ee.room_key_new") - keys_before >= 2);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_member_decrypts_and_nothing_is_plaintext),
        cmocka_unit_test (test_a_killed_watcher_reuses_no_index),
        cmocka_unit_test (test_a_sender_killed_after_its_put_sends_once),
        cmocka_unit_test (test_a_joining_member_reads_on_and_a_leaving_one_does_not),
        cmocka_unit_test (test_a_person_verifies_the_bot_interactively),
        cmocka_unit_test (test_a_verification_request_is_answered_ready),
        cmocka_unit_test (test_the_bot_reads_what_members_write),
        cmocka_unit_test (test_a_verification_requested_in_the_room),
        cmocka_unit_test (test_a_room_nobody_can_read_fails_clearly),
        cmocka_unit_test (test_rate_limits_hold_for_encrypted_rooms),
        cmocka_unit_test (test_the_room_key_rotates_after_its_message_count),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

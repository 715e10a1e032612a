/*  test_sender_matrix.c - the real crier-sender-matrix against the homeserver double: message
    bodies, exactly once, rate limits, failures, order, scale-out, tokens, membership, aliases. */
#include "crier/frames.h"
#include "test_homeserver.h"

#include <curl/curl.h>
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROOM_A "!roomA:example.org"
#define ROOM_B "!roomB:example.org"
#define ROOM_C "!roomC:example.org"

typedef struct {
    test_homeserver_t *homeserver;
    test_process_t *senders[2];
    zsock_t *push;
    char endpoint[112];
    size_t cursor;
} fixture_t;

static int s_group_setup (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    return 0;
}

static int s_group_teardown (void **state)
{
    curl_global_cleanup ();
    return 0;
}

static test_process_t *s_start_sender (fixture_t *fixture, const char *token,
                                       const char *const *extra)
{
    char homeserver[96], access[96], deliveries[160];
    snprintf (homeserver, sizeof homeserver, "CRIER_MATRIX_HOMESERVER=%s",
              fixture->homeserver->url);
    snprintf (access, sizeof access, "CRIER_MATRIX_ACCESS_TOKEN=%s", token);
    snprintf (deliveries, sizeof deliveries, "CRIER_MATRIX_DELIVERIES_ENDPOINT=%s",
              fixture->endpoint);
    const char *env[16] = {NULL};
    size_t count = 0;
    for (size_t index = 0; extra && extra[index] && count < 10; index++)
        env[count++] = extra[index];
    env[count++] = homeserver;
    env[count++] = access;
    env[count++] = deliveries;
    char events[300];
    snprintf (events, sizeof events, "CRIER_EVENTS_PUBLISH_ENDPOINT=ipc://%s/nobody-listens",
              test_scratch_dir ());
    env[count++] = events;
    env[count++] = "CRIER_LOG_LEVEL=debug";
    test_process_t *sender = test_process_start ("crier-sender-matrix", NULL, env);
    assert_non_null (sender);
    return sender;
}

//  The double with rooms A, B and C joined (plus args), one sender (token, env), ready.
static fixture_t *s_start (const char *const *homeserver_args, const char *token,
                           const char *const *env, bool wait_ready)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    const char *args[24] = {"--joined", ROOM_A, "--joined", ROOM_B, "--joined", ROOM_C};
    size_t count = 6;
    for (size_t index = 0; homeserver_args && homeserver_args[index] && count < 23; index++)
        args[count++] = homeserver_args[index];
    fixture->homeserver = test_homeserver_start (args);
    snprintf (fixture->endpoint, sizeof fixture->endpoint, "ipc://%s/matrix-%d",
              test_scratch_dir (), counter++);
    char bind[128];
    snprintf (bind, sizeof bind, "@%s", fixture->endpoint);
    fixture->push = zsock_new_push (bind);
    assert_non_null (fixture->push);
    fixture->senders[0] = s_start_sender (fixture, token, env);
    if (wait_ready)
        assert_true (test_process_wait_log (fixture->senders[0], "matrix.ready", 10000,
                                            &fixture->cursor, NULL, 0));
    return fixture;
}

static void s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    for (int index = 0; index < 2; index++) {
        if (fixture->senders[index]) {
            assert_int_equal (test_process_stop (fixture->senders[index], SIGTERM, 10000), 0);
            test_process_destroy (&fixture->senders[index]);
        }
    }
    zsock_destroy (&fixture->push);
    unlink (fixture->endpoint + strlen ("ipc://"));
    test_homeserver_destroy (&fixture->homeserver);
    free (fixture);
    *fixture_p = NULL;
}

static void s_push (fixture_t *fixture, const char *id, const char *target, const char *subject,
                    const char *body, const char *html)
{
    test_push_delivery (fixture->push, "matrix", id, target, subject, body, html);
}

static void s_expect_log (fixture_t *fixture, const char *needle, char *line, size_t size)
{
    if (!test_process_wait_log (fixture->senders[0], needle, 15000, &fixture->cursor, line, size))
        fail_msg ("crier-sender-matrix never logged \"%s\"", needle);
}

static json_t *s_events (fixture_t *fixture, size_t count)
{
    json_t *events = test_homeserver_wait_events (fixture->homeserver, count, 15000);
    if (json_array_size (events) < count)
        fail_msg ("%zu events stored, expected %zu", json_array_size (events), count);
    return events;
}

//  The content as expected, besides the delivery tag (which names the notification).
static void s_expect_content (const json_t *event, const char *room, const char *json)
{
    assert_string_equal (json_string_value (json_object_get (event, "room_id")), room);
    json_t *expected = json_loads (json, 0, NULL);
    assert_non_null (expected);
    json_t *content = json_deep_copy (json_object_get (event, "content"));
    const json_t *tag = json_object_get (content, "org.crier.delivery");
    assert_int_equal (strlen (json_string_value (json_object_get (tag, "id"))),
                      CRIER_DIGEST_BYTES - 1);
    assert_true (strlen (json_string_value (json_object_get (tag, "notification"))) > 0);
    json_object_del (content, "org.crier.delivery");
    if (!json_equal (content, expected)) {
        char *got = json_dumps (content, JSON_COMPACT);
        fail_msg ("content %s, expected %s", got, json);
    }
    json_decref (content);
    json_decref (expected);
}

//  Requests of a kind (send, join, directory, whoami) the double received.
static size_t s_count_requests (fixture_t *fixture, const char *kind, json_t **list_p)
{
    json_t *requests = test_homeserver_get (fixture->homeserver, "requests");
    json_t *matching = json_array ();
    size_t index;
    json_t *request;
    json_array_foreach (requests, index, request)
    {
        if (strcmp (json_string_value (json_object_get (request, "kind")), kind) == 0)
            json_array_append (matching, request);
    }
    json_decref (requests);
    size_t count = json_array_size (matching);
    if (list_p)
        *list_p = matching;
    else
        json_decref (matching);
    return count;
}

//  A homeserver whose certificate a private CA signed: reached with CRIER_MATRIX_CA_FILE,
//  refused (with the reason) without it.
static void test_a_private_ca_is_trusted_with_its_file (void **state)
{
    char dir[] = "/tmp/crier-test-matrix-tls-XXXXXX", command[512], cert[96], key[96], ca[128];
    assert_non_null (mkdtemp (dir));
    snprintf (command, sizeof command,
              "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
              "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
              ">/dev/null 2>&1",
              dir, dir);
    assert_int_equal (system (command), 0);
    snprintf (cert, sizeof cert, "%s/cert.pem", dir);
    snprintf (key, sizeof key, "%s/key.pem", dir);
    snprintf (ca, sizeof ca, "CRIER_MATRIX_CA_FILE=%s", cert);
    const char *tls[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    const char *with[] = {ca, NULL};
    fixture_t *fixture = s_start (tls, TEST_MATRIX_TOKEN, with, true);
    assert_non_null (strstr (fixture->homeserver->url, "https://"));
    s_push (fixture, "tls-1", ROOM_A, NULL, "over TLS", NULL);
    assert_true (test_process_wait_log (fixture->senders[0], "delivery.delivered id=tls-1", 10000,
                                        &fixture->cursor, NULL, 0));
    //  Without the file, the system's CAs do not know it: said, and nothing is sent.
    assert_int_equal (test_process_stop (fixture->senders[0], SIGTERM, 10000), 0);
    test_process_destroy (&fixture->senders[0]);
    fixture->senders[0] = s_start_sender (fixture, TEST_MATRIX_TOKEN, NULL);
    assert_true (test_process_wait_log (
        fixture->senders[0], "give its certificate in CRIER_MATRIX_CA_FILE", 10000, NULL, NULL, 0));
    s_stop (&fixture);
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert_int_equal (system (command), 0);
}

static void test_message_bodies (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    s_push (fixture, "plain", ROOM_A, NULL, "Disk full on db1", NULL);
    s_push (fixture, "html", ROOM_A, "Backup failed", NULL,
            "<p>See <a href=\"https://ci.example.org/42\" onclick=\"steal()\">job 42</a>"
            "<script>alert(1)</script> and <a href=\"javascript:evil()\">this</a></p>"
            "<iframe src=\"https://evil.example\"></iframe>");
    s_push (fixture, "unicode", ROOM_A, NULL, "Grüße 🔔 \"quoted\"\nsecond line", NULL);
    s_push (fixture, "subject", ROOM_A, "Heads <up>", "line 1\nline 2", NULL);
    json_t *events = s_events (fixture, 4);
    s_expect_content (json_array_get (events, 0), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"body\": \"Disk full on db1\"}");
    s_expect_content (
        json_array_get (events, 1), ROOM_A,
        "{\"msgtype\": \"m.text\", \"format\": \"org.matrix.custom.html\","
        " \"body\": \"Backup failed\\nSee job 42 (https://ci.example.org/42) and this\","
        " \"formatted_body\": \"<strong>Backup failed</strong><br><p>See <a "
        "href=\\\"https://ci.example.org/42\\\">job 42</a> and <a>this</a></p>\"}");
    s_expect_content (json_array_get (events, 2), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"body\": \"Grüße 🔔 \\\"quoted\\\"\\nsecond "
                      "line\"}");
    s_expect_content (json_array_get (events, 3), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"format\": \"org.matrix.custom.html\","
                      " \"body\": \"Heads <up>\\nline 1\\nline 2\","
                      " \"formatted_body\": \"<strong>Heads &lt;up&gt;</strong><br>line "
                      "1<br>line 2\"}");
    //  The room id is percent-encoded in the path; the transaction id is the delivery id.
    json_t *sends = NULL;
    s_count_requests (fixture, "send", &sends);
    const char *path = json_string_value (json_object_get (json_array_get (sends, 0), "path"));
    assert_non_null (strstr (path, "/rooms/%21roomA%3Aexample.org/send/m.room.message/"));
    char delivery_id[CRIER_DIGEST_BYTES];
    crier_delivery_id (delivery_id, "plain", "matrix", ROOM_A);
    assert_string_equal (json_string_value (json_object_get (json_array_get (events, 0), "txn_id")),
                         delivery_id);
    json_decref (sends);
    json_decref (events);
    s_stop (&fixture);
}

static void test_rate_limit_pauses_only_that_room (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    test_homeserver_post (fixture->homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ROOM_A "\", \"status\": 429,"
                          " \"retry_after_ms\": 700}");
    s_push (fixture, "limited", ROOM_A, NULL, "wait for it", NULL);
    s_expect_log (fixture, "matrix.rate_limited room=!roomA:example.org wait_ms=700", NULL, 0);
    s_push (fixture, "other-room", ROOM_B, NULL, "not slowed", NULL);
    json_t *events = s_events (fixture, 2);
    //  Room B went first; room A waited at least retry_after_ms between its two tries.
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (events, 0), "room_id")), ROOM_B);
    json_t *sends = NULL;
    s_count_requests (fixture, "send", &sends);
    double first = 0, second = 0;
    bool seen_first = false;
    size_t index;
    json_t *request;
    json_array_foreach (sends, index, request)
    {
        if (strcmp (json_string_value (json_object_get (request, "room")), ROOM_A) == 0) {
            double time = json_real_value (json_object_get (request, "time"));
            if (!seen_first)
                first = time, seen_first = true;
            else
                second = time;
        }
    }
    assert_true (second - first >= 0.7);
    json_decref (sends);
    json_decref (events);
    s_stop (&fixture);
}

static void test_server_errors_resets_and_timeouts_still_send_once (void **state)
{
    const char *env[] = {"CRIER_MATRIX_TIMEOUT=300ms", NULL};
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, env, true);
    test_homeserver_post (fixture->homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ROOM_A "\", \"status\": 502,"
                          " \"count\": 2}");
    test_homeserver_post (fixture->homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ROOM_B "\", \"reset\": true}");
    //  A slow answer: the first try times out, but the homeserver stores the event anyway;
    //  the retry, with the same transaction id, gets the same event back.
    test_homeserver_post (fixture->homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ROOM_C "\", \"delay_ms\": 1000}");
    s_push (fixture, "flaky", ROOM_A, NULL, "x", NULL);
    s_push (fixture, "reset", ROOM_B, NULL, "y", NULL);
    s_push (fixture, "slow", ROOM_C, NULL, "z", NULL);
    json_t *events = s_events (fixture, 3);
    s_expect_log (fixture, "delivery.delivered id=flaky", NULL, 0);
    char line[1024];
    size_t cursor = 0;
    assert_true (test_process_wait_log (fixture->senders[0], "delivery.delivered id=slow", 15000,
                                        &cursor, line, sizeof line));
    assert_true (test_process_wait_log (fixture->senders[0], "delivery.delivered id=reset", 15000,
                                        NULL, NULL, 0));
    json_t *all = test_homeserver_wait_events (fixture->homeserver, 99, 500);
    assert_int_equal (json_array_size (all), 3);
    json_decref (all);
    assert_int_equal (s_count_requests (fixture, "send", NULL), 3 + 2 + 1 + 1);
    //  Two for the 502s, one for the timeout; libcurl itself may retry the reset connection.
    assert_true (test_process_count_log (fixture->senders[0], "delivery.retrying") >= 3);
    json_decref (events);
    s_stop (&fixture);
}

static void test_same_delivery_twice_is_one_message (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    s_push (fixture, "twice", ROOM_A, NULL, "only once", NULL);
    s_expect_log (fixture, "delivery.delivered id=twice", NULL, 0);
    s_push (fixture, "twice", ROOM_A, NULL, "only once", NULL);
    s_expect_log (fixture, "delivery.delivered id=twice", NULL, 0);
    json_t *events = test_homeserver_wait_events (fixture->homeserver, 99, 300);
    assert_int_equal (json_array_size (events), 1);
    assert_int_equal (s_count_requests (fixture, "send", NULL), 2);
    json_decref (events);
    s_stop (&fixture);
}

static void test_order_per_room_under_concurrency (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    test_homeserver_post (fixture->homeserver, "delay", "{\"ms\": 5}");
    const char *rooms[] = {ROOM_A, ROOM_B, ROOM_C};
    for (int index = 0; index < 60; index++) {
        char id[16];
        snprintf (id, sizeof id, "%d", index);
        s_push (fixture, id, rooms[index % 3], NULL, id, NULL);
    }
    json_t *events = s_events (fixture, 60);
    int last[3] = {-1, -1, -1};
    size_t index;
    json_t *event;
    json_array_foreach (events, index, event)
    {
        const char *room = json_string_value (json_object_get (event, "room_id"));
        int number =
            atoi (json_string_value (json_object_get (json_object_get (event, "content"), "body")));
        int slot = strcmp (room, ROOM_A) == 0 ? 0 : strcmp (room, ROOM_B) == 0 ? 1 : 2;
        assert_int_equal (number % 3, slot);
        assert_true (number > last[slot]); //  in the order they arrived, per room
        last[slot] = number;
    }
    json_decref (events);
    s_stop (&fixture);
}

static void test_two_senders_share_deliveries_each_exactly_once (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    fixture->senders[1] = s_start_sender (fixture, TEST_MATRIX_TOKEN, NULL);
    assert_true (test_process_wait_log (fixture->senders[1], "matrix.ready", 10000, NULL, NULL, 0));
    //  "ready" comes before its connection is up: until then PUSH gives everything to the first
    //  sender. Probes, one at a time, until the second one has taken one.
    int probes = 0;
    bool connected = false;
    while (!connected && probes < 100) {
        char id[32];
        snprintf (id, sizeof id, "probe-%d", probes++);
        s_push (fixture, id, ROOM_C, NULL, id, NULL);
        json_decref (s_events (fixture, (size_t)probes));
        connected = test_process_count_log (fixture->senders[1], "delivery.delivered") > 0;
    }
    assert_true (connected);
    const char *rooms[] = {ROOM_A, ROOM_B, ROOM_C};
    for (int index = 0; index < 1000; index++) {
        char id[16];
        snprintf (id, sizeof id, "m-%d", index);
        s_push (fixture, id, rooms[index % 3], NULL, id, NULL);
    }
    size_t total = 1000 + (size_t)probes;
    json_t *events = s_events (fixture, total);
    json_t *all = test_homeserver_wait_events (fixture->homeserver, total + 1000, 300);
    assert_int_equal (json_array_size (all), total);
    json_decref (all);
    zhashx_t *seen = zhashx_new ();
    size_t index;
    json_t *event;
    json_array_foreach (events, index, event)
    {
        const char *body =
            json_string_value (json_object_get (json_object_get (event, "content"), "body"));
        assert_int_equal (zhashx_insert (seen, body, (void *)1), 0); //  never twice
    }
    assert_int_equal (zhashx_size (seen), total);
    zhashx_destroy (&seen);
    //  Both took a share of the burst.
    for (int sender = 0; sender < 2; sender++) {
        test_process_wait_log (fixture->senders[sender], "no such line", 200, NULL, NULL, 0);
        assert_true (test_process_count_log (fixture->senders[sender], "delivery.delivered id=m-") >
                     0);
    }
    json_decref (events);
    s_stop (&fixture);
}

static void test_bad_token_holds_deliveries_until_it_works (void **state)
{
    fixture_t *fixture = s_start (NULL, "revoked-token", NULL, false);
    char line[1024];
    s_expect_log (fixture, "matrix.unauthorized", line, sizeof line);
    assert_non_null (strstr (line, "M_UNKNOWN_TOKEN"));
    assert_non_null (strstr (line, "deliveries are held"));
    assert_int_equal (test_process_count_log (fixture->senders[0], "revoked-token"),
                      0); //  never logged
    s_push (fixture, "held-1", ROOM_A, NULL, "one", NULL);
    s_push (fixture, "held-2", ROOM_A, NULL, "two", NULL);
    json_t *events = test_homeserver_wait_events (fixture->homeserver, 1, 500);
    assert_int_equal (json_array_size (events), 0);
    json_decref (events);
    //  The operator fixes the token on the homeserver's side: the held ones go out, in order.
    test_homeserver_post (fixture->homeserver, "token", "{\"token\": \"revoked-token\"}");
    s_expect_log (fixture, "matrix.ready", NULL, 0);
    events = s_events (fixture, 2);
    s_expect_content (json_array_get (events, 0), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"body\": \"one\"}");
    s_expect_content (json_array_get (events, 1), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"body\": \"two\"}");
    json_decref (events);
    s_stop (&fixture);
}

static void test_not_in_room (void **state)
{
    const char *args[] = {"--joinable", "!open:example.org", NULL};
    fixture_t *fixture = s_start (args, TEST_MATRIX_TOKEN, NULL, true);
    s_push (fixture, "outsider", "!open:example.org", NULL, "x", NULL);
    char line[1024];
    s_expect_log (fixture, "delivery.failed id=outsider", line, sizeof line);
    assert_non_null (strstr (line, "M_FORBIDDEN"));
    assert_non_null (strstr (line, "set CRIER_MATRIX_AUTOJOIN=true"));
    assert_int_equal (s_count_requests (fixture, "join", NULL), 0);
    s_stop (&fixture);

    const char *env[] = {"CRIER_MATRIX_AUTOJOIN=true", NULL};
    fixture = s_start (args, TEST_MATRIX_TOKEN, env, true);
    s_push (fixture, "joiner", "!open:example.org", NULL, "after joining", NULL);
    s_push (fixture, "closed", "!closed:example.org", NULL, "x", NULL);
    json_t *events = s_events (fixture, 1);
    s_expect_content (json_array_get (events, 0), "!open:example.org",
                      "{\"msgtype\": \"m.text\", \"body\": \"after joining\"}");
    size_t cursor = 0;
    assert_true (test_process_wait_log (fixture->senders[0], "delivery.failed id=closed", 15000,
                                        &cursor, line, sizeof line));
    assert_non_null (strstr (line, "could not join the room"));
    assert_int_equal (s_count_requests (fixture, "join", NULL), 2);
    json_decref (events);
    s_stop (&fixture);
}

static void test_aliases_are_resolved_once (void **state)
{
    //  A hostile directory answer: a "room id" of 400 slashes (a path too long to send to) and
    //  one that is not a room id at all. Each fails its deliveries; the other rooms go on.
    char slashes[480] = "#slashes:example.org=!";
    for (int index = 0; index < 400; index++)
        strcat (slashes, "/");
    strcat (slashes, ":example.org");
    const char *args[] = {"--alias", "#ops:example.org=" ROOM_B,    "--alias", slashes,
                          "--alias", "#odd:example.org=not a room", NULL};
    fixture_t *fixture = s_start (args, TEST_MATRIX_TOKEN, NULL, true);
    s_push (fixture, "via-alias-1", "#ops:example.org", NULL, "first", NULL);
    s_push (fixture, "via-alias-2", "#ops:example.org", NULL, "second", NULL);
    s_push (fixture, "nowhere", "#missing:example.org", NULL, "x", NULL);
    json_t *events = s_events (fixture, 2);
    s_expect_content (json_array_get (events, 0), ROOM_B,
                      "{\"msgtype\": \"m.text\", \"body\": \"first\"}");
    s_expect_content (json_array_get (events, 1), ROOM_B,
                      "{\"msgtype\": \"m.text\", \"body\": \"second\"}");
    char line[1024];
    s_expect_log (fixture, "delivery.failed id=nowhere", line, sizeof line);
    assert_non_null (strstr (line, "room alias does not exist"));
    s_push (fixture, "slashed", "#slashes:example.org", NULL, "x", NULL);
    s_expect_log (fixture, "delivery.failed id=slashed", line, sizeof line);
    assert_non_null (strstr (line, "the room directory answered a room id crier refuses"));
    s_push (fixture, "odd", "#odd:example.org", NULL, "x", NULL);
    s_expect_log (fixture, "delivery.failed id=odd", line, sizeof line);
    assert_non_null (strstr (line, "the room directory answered a room id crier refuses"));
    s_push (fixture, "after", "#ops:example.org", NULL, "still flowing", NULL);
    json_decref (events);
    events = s_events (fixture, 3);
    s_expect_content (json_array_get (events, 2), ROOM_B,
                      "{\"msgtype\": \"m.text\", \"body\": \"still flowing\"}");
    assert_int_equal (s_count_requests (fixture, "directory", NULL), 4); //  one per alias
    json_decref (events);
    s_stop (&fixture);
}

static void test_gives_up_at_the_deadline (void **state)
{
    const char *env[] = {"CRIER_MATRIX_RETRY_DEADLINE=2s", NULL};
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, env, true);
    test_homeserver_post (fixture->homeserver, "fault",
                          "{\"kind\": \"send\", \"status\": 503, \"count\": 1000}");
    s_push (fixture, "doomed", ROOM_A, NULL, "x", NULL);
    char line[1024];
    s_expect_log (fixture, "delivery.failed id=doomed", line, sizeof line);
    assert_non_null (strstr (line, "HTTP 503"));
    assert_non_null (strstr (line, "CRIER_MATRIX_RETRY_DEADLINE"));
    s_stop (&fixture);
}

//  A room id too long for a request path: that delivery fails with the reason, at once, and the
//  room after it is served (it used to stall the whole channel without a word).
static void test_a_room_id_no_request_can_carry_fails_alone (void **state)
{
    fixture_t *fixture = s_start (NULL, TEST_MATRIX_TOKEN, NULL, true);
    char target[1200] = "!";
    memset (target + 1, 'x', 1100);
    strcpy (target + 1101, ":example.org");
    s_push (fixture, "too-long", target, NULL, "x", NULL);
    s_push (fixture, "after-it", ROOM_A, NULL, "still flowing", NULL);
    char line[2048];
    s_expect_log (fixture, "delivery.failed id=too-long", line, sizeof line);
    assert_non_null (strstr (line, "request path over"));
    json_t *events = s_events (fixture, 1);
    s_expect_content (json_array_get (events, 0), ROOM_A,
                      "{\"msgtype\": \"m.text\", \"body\": \"still flowing\"}");
    json_decref (events);
    s_stop (&fixture);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_private_ca_is_trusted_with_its_file),
        cmocka_unit_test (test_message_bodies),
        cmocka_unit_test (test_rate_limit_pauses_only_that_room),
        cmocka_unit_test (test_server_errors_resets_and_timeouts_still_send_once),
        cmocka_unit_test (test_same_delivery_twice_is_one_message),
        cmocka_unit_test (test_order_per_room_under_concurrency),
        cmocka_unit_test (test_two_senders_share_deliveries_each_exactly_once),
        cmocka_unit_test (test_bad_token_holds_deliveries_until_it_works),
        cmocka_unit_test (test_not_in_room),
        cmocka_unit_test (test_aliases_are_resolved_once),
        cmocka_unit_test (test_gives_up_at_the_deadline),
        cmocka_unit_test (test_a_room_id_no_request_can_carry_fails_alone),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}

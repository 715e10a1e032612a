/*  test_matrix_watch.c - crier-matrix-watch against the homeserver double: it follows the bot's
    /sync, publishes delivery.read once per crier message and joined member who read it (a
    public receipt, or a message of theirs after it; never a private receipt, never the bot, never
    a message crier did not tag), and goes on from its kept position after a restart. */
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

#define ROOM "!watched:example.org"

static test_homeserver_t *s_homeserver;
static zsock_t *s_bus; //  the event bus's publisher side, as the resolver binds it
static test_process_t *s_watch;
static char s_env[4][256];

static json_t *s_next_event (int timeout_ms);

static test_process_t *s_start_watch (void)
{
    const char *env[] = {s_env[0],
                         s_env[1],
                         s_env[2],
                         s_env[3],
                         "CRIER_MATRIX_ACCESS_TOKEN=" TEST_MATRIX_TOKEN,
                         "CRIER_MATRIX_SYNC_TIMEOUT=1s",
                         "CRIER_HEARTBEAT_INTERVAL=1h",
                         "CRIER_LOG_LEVEL=debug",
                         NULL};
    test_process_t *watch = test_process_start ("crier-matrix-watch", NULL, env);
    assert_non_null (watch);
    assert_true (test_process_wait_log (watch, "watch.synced", 15000, NULL, NULL, 0));
    //  Its answer to the heartbeat subscription: the bus link is up, nothing it says is lost.
    //  Before it, what a restarted watcher says again of the messages it followed (to this
    //  bus's subscription to delivery.seen): skipped.
    zsock_set_rcvtimeo (s_bus, 15000);
    for (bool heartbeat = false; !heartbeat;) {
        char *type = NULL;
        zframe_t *body = NULL;
        assert_int_equal (zsock_recv (s_bus, "sf", &type, &body), 0);
        heartbeat = strcmp (type, "process.heartbeat") == 0;
        if (!heartbeat && strcmp (type, "delivery.seen") != 0 &&
            strcmp (type, "delivery.read") != 0)
            fail_msg ("%s before the heartbeat", type);
        zstr_free (&type);
        zframe_destroy (&body);
    }
    return watch;
}

static int s_setup (void **state)
{
    const char *args[] = {"--joined", ROOM, NULL};
    s_homeserver = test_homeserver_start (args);
    s_bus = zsock_new (ZMQ_XSUB);
    assert_true (zsock_bind (s_bus, "tcp://127.0.0.1:*") > 0); //  the port
    //  An XSUB subscribes by sending the subscription itself.
    assert_int_equal (zsock_send (s_bus, "s", "\001delivery.read"), 0);
    assert_int_equal (zsock_send (s_bus, "s", "\001delivery.seen"), 0);
    //  Which also asks for a heartbeat: once it comes, the watcher has the subscriptions.
    assert_int_equal (zsock_send (s_bus, "s", "\001process.heartbeat"), 0);
    char *endpoint = zsock_last_endpoint (s_bus);
    snprintf (s_env[0], sizeof s_env[0], "CRIER_EVENTS_PUBLISH_ENDPOINT=%s", endpoint);
    zstr_free (&endpoint);
    snprintf (s_env[1], sizeof s_env[1], "CRIER_MATRIX_HOMESERVER=%s", s_homeserver->url);
    snprintf (s_env[2], sizeof s_env[2], "CRIER_MATRIX_WATCH_DIR=%s/watch", test_scratch_dir ());
    snprintf (s_env[3], sizeof s_env[3], "CRIER_MATRIX_USER_ID=%s", TEST_MATRIX_USER);
    s_watch = s_start_watch ();
    test_homeserver_post (s_homeserver, "member",
                          "{\"room\": \"" ROOM "\", \"user\": \"@will:example.org\", "
                          "\"membership\": \"join\"}");
    test_homeserver_post (s_homeserver, "member",
                          "{\"room\": \"" ROOM "\", \"user\": \"@anna:example.org\", "
                          "\"membership\": \"join\"}");
    return 0;
}

static int s_teardown (void **state)
{
    if (s_watch)
        assert_int_equal (test_process_stop (s_watch, SIGTERM, 10000), 0);
    test_process_destroy (&s_watch);
    zsock_destroy (&s_bus);
    test_homeserver_destroy (&s_homeserver);
    return 0;
}

//  A message of the bot's in the room, tagged as crier tags its deliveries (delivery NULL: not
//  tagged); returns its event id (caller frees).
static char *s_bot_message (const char *delivery)
{
    char order[512];
    if (delivery)
        snprintf (order, sizeof order,
                  "{\"room\": \"" ROOM "\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"x\","
                  " \"org.crier.delivery\": {\"id\": \"%s\", \"notification\": \"n-%s\"}}}",
                  delivery, delivery);
    else
        snprintf (order, sizeof order,
                  "{\"room\": \"" ROOM "\", \"content\": {\"msgtype\": \"m.text\", \"body\": "
                  "\"not crier's\"}}");
    json_t *answer = test_homeserver_call (s_homeserver, "as_bot", order);
    char *event_id = strdup (json_string_value (json_object_get (answer, "event_id")));
    json_decref (answer);
    return event_id;
}

static void s_receipt (const char *user, const char *event_id, const char *type)
{
    char order[256];
    snprintf (order, sizeof order,
              "{\"room\": \"" ROOM "\", \"user\": \"%s\", \"event_id\": \"%s\", \"type\": \"%s\"}",
              user, event_id, type);
    test_homeserver_post (s_homeserver, "receipt", order);
}

//  The next delivery.read or delivery.seen on the bus, as JSON (decref), or NULL after
//  timeout_ms.
static json_t *s_next_event (int timeout_ms)
{
    zsock_set_rcvtimeo (s_bus, timeout_ms);
    for (;;) {
        char *type = NULL;
        zframe_t *body = NULL;
        if (zsock_recv (s_bus, "sf", &type, &body) != 0)
            return NULL;
        //  Heartbeats (asked for by the subscription) are not what the tests look at.
        bool heartbeat = strcmp (type, "process.heartbeat") == 0;
        char *text =
            heartbeat ? NULL : crier_event_to_json (zframe_data (body), zframe_size (body));
        json_t *event = text ? json_loads (text, 0, NULL) : NULL;
        free (text);
        zstr_free (&type);
        zframe_destroy (&body);
        if (!heartbeat)
            return event;
    }
}

//  The next event, which must be of type.
static json_t *s_expect (const char *type)
{
    json_t *event = s_next_event (15000);
    if (!event)
        fail_msg ("no %s", type);
    assert_string_equal (json_string_value (json_object_get (event, "type")), type);
    return event;
}

//  The next event about delivery, which must be of type. Events about other messages are
//  skipped: what a restarted watcher says again of the messages it followed before (to a
//  subscriber of delivery.seen, as this test's bus is) comes first.
static json_t *s_expect_about (const char *type, const char *delivery)
{
    int64_t deadline = zclock_mono () + 15000;
    while (zclock_mono () < deadline) {
        json_t *event = s_next_event ((int)(deadline - zclock_mono ()));
        if (!event)
            break;
        if (strcmp (json_string_value (json_object_get (event, "delivery_id")), delivery) == 0) {
            assert_string_equal (json_string_value (json_object_get (event, "type")), type);
            return event;
        }
        json_decref (event);
    }
    fail_msg ("no %s about %s", type, delivery);
    return NULL;
}

//  crier's message was seen, with the room's members then (never the bot).
static void s_expect_seen (const char *delivery, const char *event_id)
{
    json_t *seen = s_expect_about ("delivery.seen", delivery);
    assert_string_equal (json_string_value (json_object_get (seen, "delivery_id")), delivery);
    assert_string_equal (json_string_value (json_object_get (seen, "event_id")), event_id);
    char *members = json_dumps (json_object_get (seen, "members"), JSON_COMPACT);
    if (!strstr (members, "@will:example.org") || !strstr (members, "@anna:example.org") ||
        strstr (members, TEST_MATRIX_USER))
        fail_msg ("members %s", members);
    free (members);
    json_decref (seen);
}

static void s_expect_read (const char *reader, const char *delivery, const char *event_id)
{
    json_t *read = s_expect_about ("delivery.read", delivery);
    assert_string_equal (json_string_value (json_object_get (read, "reader")), reader);
    assert_string_equal (json_string_value (json_object_get (read, "delivery_id")), delivery);
    assert_string_equal (json_string_value (json_object_get (read, "event_id")), event_id);
    assert_string_equal (json_string_value (json_object_get (read, "room_id")), ROOM);
    char notification[64];
    snprintf (notification, sizeof notification, "n-%s", delivery);
    assert_string_equal (json_string_value (json_object_get (read, "notification_id")),
                         notification);
    json_decref (read);
}

static void test_readers_are_said_once_each (void **state)
{
    char *untagged = s_bot_message (NULL);
    char *alert = s_bot_message ("d1");
    s_expect_seen ("d1", alert);
    //  The bot's own receipt, a private one, a receipt on a message crier did not tag: nothing.
    s_receipt (TEST_MATRIX_USER, alert, "m.read");
    s_receipt ("@anna:example.org", alert, "m.read.private");
    s_receipt ("@will:example.org", untagged, "m.read");
    //  Will reads it: said once, however many receipts follow.
    s_receipt ("@will:example.org", alert, "m.read");
    s_expect_read ("@will:example.org", "d1", alert);
    s_receipt ("@will:example.org", alert, "m.read");
    //  Anna answers in the room: she read it.
    test_homeserver_post (s_homeserver, "timeline",
                          "{\"room\": \"" ROOM "\", \"sender\": \"@anna:example.org\", "
                          "\"content\": {\"msgtype\": \"m.text\", \"body\": \"on it\"}}");
    s_expect_read ("@anna:example.org", "d1", alert);
    assert_null (s_next_event (1500));
    free (untagged);
    free (alert);
}

static void test_a_restart_goes_on_from_the_kept_position (void **state)
{
    assert_int_equal (test_process_stop (s_watch, SIGTERM, 10000), 0);
    test_process_destroy (&s_watch);
    char path[512], since[64] = "";
    snprintf (path, sizeof path, "%s/watch/since", test_scratch_dir ());
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (since, sizeof since, file));
    fclose (file);
    since[strcspn (since, "\n")] = '\0';
    assert_true (strlen (since) > 1);
    s_watch = s_start_watch ();
    assert_true (test_process_wait_log (s_watch, "from=\"the kept position\"", 0, NULL, NULL, 0));
    //  Its first /sync asked from there.
    json_t *requests = test_homeserver_get (s_homeserver, "requests");
    bool resumed = false;
    size_t index;
    json_t *request;
    json_array_foreach (requests, index, request)
    {
        const char *asked = json_string_value (json_object_get (request, "since"));
        resumed |= asked && strcmp (asked, since) == 0;
    }
    json_decref (requests);
    assert_true (resumed);
    //  And it follows what comes next.
    char *alert = s_bot_message ("d2");
    s_expect_seen ("d2", alert);
    s_receipt ("@will:example.org", alert, "m.read");
    s_expect_read ("@will:example.org", "d2", alert);
    free (alert);
}

//  Missed events (a limited timeline: three events at once, only the last one given) are
//  paged back with /messages: crier's message in the gap is followed, and a receipt on it
//  placed.
//  A message followed before a SIGKILL is followed after it: a read that comes after the
//  restart is said (the state folder keeps the messages with the position).
static void test_a_message_followed_before_a_kill_is_followed_after_it (void **state)
{
    char *alert = s_bot_message ("d4");
    s_expect_seen ("d4", alert);
    assert_int_equal (test_process_stop (s_watch, SIGKILL, 10000), 137);
    test_process_destroy (&s_watch);
    s_watch = s_start_watch ();
    assert_true (test_process_wait_log (s_watch, "watch.restored", 0, NULL, NULL, 0));
    s_receipt ("@anna:example.org", alert, "m.read");
    s_expect_read ("@anna:example.org", "d4", alert);
    free (alert);
}

static void test_a_gap_is_filled_with_messages (void **state)
{
    test_homeserver_post (s_homeserver, "limit", "{\"room\": \"" ROOM "\", \"keep\": 1}");
    json_t *answer = test_homeserver_call (
        s_homeserver, "batch",
        "{\"room\": \"" ROOM "\", \"events\": ["
        " {\"sender\": \"" TEST_MATRIX_USER "\", \"content\": {\"msgtype\": \"m.text\","
        "  \"body\": \"x\", \"org.crier.delivery\": {\"id\": \"d3\", \"notification\": \"n-d3\"}}},"
        " {\"sender\": \"@anna:example.org\", \"content\": {\"body\": \"in the gap\"}},"
        " {\"sender\": \"@anna:example.org\", \"content\": {\"body\": \"given\"}}]}");
    char *alert =
        strdup (json_string_value (json_array_get (json_object_get (answer, "event_ids"), 0)));
    json_decref (answer);
    //  The gap applied: d3 seen; Anna's messages there say she read d2 and d3 (in that order).
    s_expect_seen ("d3", alert);
    json_t *read = s_expect ("delivery.read");
    assert_string_equal (json_string_value (json_object_get (read, "delivery_id")), "d2");
    assert_string_equal (json_string_value (json_object_get (read, "reader")), "@anna:example.org");
    json_decref (read);
    s_expect_read ("@anna:example.org", "d3", alert);
    s_receipt ("@will:example.org", alert, "m.read");
    s_expect_read ("@will:example.org", "d3", alert);
    //  It paged back with /messages.
    json_t *requests = test_homeserver_get (s_homeserver, "requests");
    size_t paged = 0, index;
    json_t *request;
    json_array_foreach (requests, index, request)
    {
        paged += strcmp (json_string_value (json_object_get (request, "kind")), "messages") == 0;
    }
    json_decref (requests);
    assert_true (paged > 0);
    free (alert);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_readers_are_said_once_each),
        cmocka_unit_test (test_a_restart_goes_on_from_the_kept_position),
        cmocka_unit_test (test_a_gap_is_filled_with_messages),
        cmocka_unit_test (test_a_message_followed_before_a_kill_is_followed_after_it),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

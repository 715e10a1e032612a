/*  test_resolver.c - the real crier-resolver against a real CouchDB-API server (pouchdb-server):
    initial load, live edits, bad edits, a document created late, messages that wait for the
    first mapping, CouchDB stopped, frozen and restarted underneath, fan-out, unroutable groups, a
    stalled channel that does not hold up the others. */
#include "crier/event.h"
#include "crier/frames.h"
#include "test_couch.h"

#include <curl/curl.h>
#include <czmq.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static test_couch_t *s_couch;

typedef struct {
    test_process_t *resolver;
    char database[32];
    char endpoints[5][112]; //  notifications, matrix, email, events in, events out
    zsock_t *push;
    zsock_t *matrix;
    zsock_t *email;
    zsock_t *events;
    size_t cursor; //  how far the log has been read
} fixture_t;

static int s_group_setup (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_couch = test_couch_start ();
    return 0;
}

static int s_group_teardown (void **state)
{
    test_couch_destroy (&s_couch);
    curl_global_cleanup ();
    return 0;
}

static void s_create_database (const char *database)
{
    char path[64];
    snprintf (path, sizeof path, "/%s", database);
    assert_int_equal (test_couch_request (s_couch, "PUT", path, NULL, NULL), 201);
}

//  Starts crier-resolver on database (which the test prepared) and waits until it is ready.
//  Unless without_email_sender, the test connects as a sender of both channels at once.
static fixture_t *s_start_with (const char *database, const char *password,
                                bool without_email_sender)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    snprintf (fixture->database, sizeof fixture->database, "%s", database);
    const char *names[] = {"notifications", "matrix", "email", "events-in", "events-out"};
    for (int index = 0; index < 5; index++)
        snprintf (fixture->endpoints[index], sizeof fixture->endpoints[index],
                  "ipc://%s/resolver-%d-%s", test_scratch_dir (), counter, names[index]);
    counter++;
    char env[10][200];
    snprintf (env[0], 200, "CRIER_COUCHDB_URL=%s", s_couch->url);
    snprintf (env[1], 200, "CRIER_COUCHDB_USER=%s", TEST_COUCH_USER);
    snprintf (env[2], 200, "CRIER_COUCHDB_PASSWORD=%s", password);
    snprintf (env[3], 200, "CRIER_COUCHDB_DB=%s", database);
    snprintf (env[4], 200, "CRIER_NOTIFICATIONS_ENDPOINT=%s", fixture->endpoints[0]);
    snprintf (env[5], 200, "CRIER_MATRIX_DELIVERIES_ENDPOINT=%s", fixture->endpoints[1]);
    snprintf (env[6], 200, "CRIER_EMAIL_DELIVERIES_ENDPOINT=%s", fixture->endpoints[2]);
    snprintf (env[7], 200, "CRIER_EVENTS_PUBLISH_ENDPOINT=%s", fixture->endpoints[3]);
    snprintf (env[8], 200, "CRIER_EVENTS_ENDPOINT=%s", fixture->endpoints[4]);
    const char *envp[] = {env[0],
                          env[1],
                          env[2],
                          env[3],
                          env[4],
                          env[5],
                          env[6],
                          env[7],
                          env[8],
                          "CRIER_COUCHDB_HEARTBEAT=300ms",
                          "CRIER_COUCHDB_RETRY_MAX=1s",
                          "CRIER_STALLED_AFTER=3s",
                          "CRIER_HEARTBEAT_INTERVAL=200ms",
                          "CRIER_LOG_LEVEL=debug",
                          NULL};
    fixture->resolver = test_process_start ("crier-resolver", NULL, envp);
    assert_non_null (fixture->resolver);
    assert_true (test_process_wait_log (fixture->resolver, "resolver.ready", 10000,
                                        &fixture->cursor, NULL, 0));
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[0]);
    fixture->push = zsock_new_push (endpoint);
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[1]);
    fixture->matrix = zsock_new_pull (endpoint);
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[2]);
    fixture->email = without_email_sender ? NULL : zsock_new_pull (endpoint);
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[4]);
    fixture->events = zsock_new_sub (endpoint, "");
    return fixture;
}

static fixture_t *s_start (const char *database, const char *password)
{
    return s_start_with (database, password, false);
}

static void s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    assert_int_equal (test_process_stop (fixture->resolver, SIGTERM, 10000), 0);
    assert_true (
        test_process_wait_log (fixture->resolver, "resolver.stopped", 1000, NULL, NULL, 0));
    test_process_destroy (&fixture->resolver);
    zsock_destroy (&fixture->push);
    zsock_destroy (&fixture->matrix);
    zsock_destroy (&fixture->email);
    zsock_destroy (&fixture->events);
    for (int index = 0; index < 5; index++)
        unlink (fixture->endpoints[index] + strlen ("ipc://"));
    free (fixture);
    *fixture_p = NULL;
}

//  Waits for a log line containing both fragments (the second may be NULL), after the cursor.
static void s_expect_log (fixture_t *fixture, const char *first, const char *second, char *line,
                          size_t line_size)
{
    char found[2048];
    while (test_process_wait_log (fixture->resolver, first, 15000, &fixture->cursor, found,
                                  sizeof found)) {
        if (!second || strstr (found, second)) {
            if (line)
                snprintf (line, line_size, "%s", found);
            return;
        }
    }
    fail_msg ("crier-resolver never logged \"%s\" with \"%s\"", first, second ? second : "");
}

//  Creates database with mapping_json as its mapping, starts crier-resolver on it and waits
//  until the mapping has loaded.
static fixture_t *s_start_mapped (const char *database, const char *mapping_json,
                                  bool without_email_sender)
{
    s_create_database (database);
    char *revision = test_couch_put_mapping (s_couch, database, mapping_json);
    fixture_t *fixture = s_start_with (database, TEST_COUCH_PASSWORD, without_email_sender);
    s_expect_log (fixture, "mapping.loaded", revision, NULL, 0);
    free (revision);
    return fixture;
}

static void s_put_mapping_and_wait (fixture_t *fixture, const char *mapping_json)
{
    char *revision = test_couch_put_mapping (s_couch, fixture->database, mapping_json);
    s_expect_log (fixture, "mapping.loaded", revision, NULL, 0);
    free (revision);
}

static void s_send (fixture_t *fixture, const char *id, const char *const *groups)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, id);
    crier_notification_set (&notification->body, "something happened");
    for (size_t index = 0; groups[index]; index++)
        crier_notification_add_group (notification, groups[index]);
    notification->received_at_ms = zclock_time ();
    char *frame;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (notification, &frame, &size), 0);
    zframe_t *message = zframe_new (frame, size);
    assert_int_equal (zframe_send (&message, fixture->push, 0), 0);
    free (frame);
    crier_notification_destroy (&notification);
}

//  Receives the next delivery on a channel's socket, or NULL after timeout_ms.
static crier_delivery_t *s_receive (zsock_t *socket, int timeout_ms)
{
    zsock_set_rcvtimeo (socket, timeout_ms);
    zframe_t *frame = zframe_recv (socket);
    if (!frame)
        return NULL;
    crier_error_t error;
    crier_delivery_t *delivery =
        crier_frame_decode_delivery (zframe_data (frame), zframe_size (frame), &error);
    if (!delivery)
        fail_msg ("bad delivery frame: %s: %s", error.field, error.message);
    zframe_destroy (&frame);
    return delivery;
}

//  Expects the next delivery on socket to be notification id to target.
static void s_expect_delivery (zsock_t *socket, const char *id, const char *target)
{
    crier_delivery_t *delivery = s_receive (socket, 10000);
    if (!delivery)
        fail_msg ("no delivery of %s to %s", id, target);
    assert_string_equal (delivery->notification->id, id);
    assert_string_equal (delivery->target, target);
    char expected_id[CRIER_DIGEST_BYTES];
    crier_delivery_id (expected_id, id, delivery->channel, target);
    assert_string_equal (delivery->delivery_id, expected_id);
    crier_delivery_destroy (&delivery);
}

static void s_expect_nothing (zsock_t *socket)
{
    crier_delivery_t *delivery = s_receive (socket, 300);
    if (delivery)
        fail_msg ("unexpected delivery of %s to %s", delivery->notification->id, delivery->target);
}

static const char *s_mapping_a =
    "{\"#admins\": {\"matrix\": [\"!ops:example.org\"], \"email\": [\"a@example.org\"]},"
    " \"#users\": {\"matrix\": [\"!ops:example.org\", \"!users:example.org\"],"
    "              \"email\": [\"a@example.org\", \"u@example.org\"]}}";

//  An email sender connects (for fixtures started without one).
static void s_connect_email_sender (fixture_t *fixture)
{
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[2]);
    fixture->email = zsock_new_pull (endpoint);
    assert_non_null (fixture->email);
}

static void test_initial_load_fan_out_and_unroutable (void **state)
{
    s_create_database ("initial");
    char *revision = test_couch_put_mapping (s_couch, "initial", s_mapping_a);
    fixture_t *fixture = s_start ("initial", TEST_COUCH_PASSWORD);
    s_expect_log (fixture, "mapping.loaded", revision, NULL, 0);
    free (revision);

    //  The event path through the bus: retry until the subscription is in place.
    zsock_set_rcvtimeo (fixture->events, 100);
    bool routed_event = false;
    for (int attempt = 0; attempt < 100 && !routed_event; attempt++) {
        s_send (fixture, "probe", (const char *[]){"#admins", NULL});
        s_expect_delivery (fixture->matrix, "probe", "!ops:example.org");
        s_expect_delivery (fixture->email, "probe", "a@example.org");
        char *topic = NULL;
        zframe_t *body = NULL;
        while (!routed_event && zsock_recv (fixture->events, "sf", &topic, &body) == 0) {
            routed_event = streq (topic, "notification.routed");
            zstr_free (&topic);
            zframe_destroy (&body);
        }
    }
    assert_true (routed_event);

    //  #admins and #users share !ops and a@: one delivery each; #ghosts is unroutable.
    s_send (fixture, "n1", (const char *[]){"#admins", "#users", "#ghosts", NULL});
    s_expect_delivery (fixture->matrix, "n1", "!ops:example.org");
    s_expect_delivery (fixture->matrix, "n1", "!users:example.org");
    s_expect_delivery (fixture->email, "n1", "a@example.org");
    s_expect_delivery (fixture->email, "n1", "u@example.org");
    s_expect_nothing (fixture->matrix);
    s_expect_nothing (fixture->email);
    s_expect_log (fixture, "notification.unroutable id=n1 groups=#ghosts", NULL, NULL, 0);

    //  The events say the same, in order: unroutable part, then the deliveries.
    zsock_set_rcvtimeo (fixture->events, 5000);
    char *topic = NULL;
    zframe_t *body = NULL;
    do {
        zstr_free (&topic);
        zframe_destroy (&body);
        assert_int_equal (zsock_recv (fixture->events, "sf", &topic, &body), 0);
    } while (!streq (topic, "notification.unroutable"));
    char *json = crier_event_to_json (zframe_data (body), zframe_size (body));
    assert_non_null (strstr (json, "\"notification_id\":\"n1\",\"groups\":[\"#ghosts\"]"));
    free (json);
    zstr_free (&topic);
    zframe_destroy (&body);
    assert_int_equal (zsock_recv (fixture->events, "sf", &topic, &body), 0);
    assert_string_equal (topic, "notification.routed");
    json = crier_event_to_json (zframe_data (body), zframe_size (body));
    assert_non_null (strstr (json, "\"channel\":\"email\",\"target\":\"u@example.org\""));
    free (json);
    zstr_free (&topic);
    zframe_destroy (&body);

    //  Only unknown groups: nothing is sent, and it is said.
    s_send (fixture, "n2", (const char *[]){"#nobody", NULL});
    s_expect_log (fixture, "notification.unroutable id=n2 groups=#nobody", NULL, NULL, 0);
    s_expect_nothing (fixture->email);
    s_stop (&fixture);
}

static void test_edits_apply_to_the_next_message_and_bad_edits_are_rejected (void **state)
{
    s_create_database ("edits");
    fixture_t *fixture = s_start ("edits", TEST_COUCH_PASSWORD);
    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"a@example.org\"]}}");
    s_send (fixture, "before", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "before", "a@example.org");

    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"b@example.org\"]}}");
    s_send (fixture, "after", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "after", "b@example.org");

    //  A bad edit: reported with its JSON path, and the last good mapping goes on routing.
    char *bad = test_couch_put_mapping (
        s_couch, "edits", "{\"#admins\": {\"email\": [\"c@example.org\", \"nobody\"]}}");
    char line[2048];
    s_expect_log (fixture, "mapping.rejected", bad, line, sizeof line);
    assert_non_null (strstr (line, "path=\"mapping[\\\"#admins\\\"].email[1]\""));
    assert_non_null (strstr (line, "error=\"not an email address"));
    free (bad);
    s_send (fixture, "still", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "still", "b@example.org");

    //  A deleted document: said loudly, and routing goes on with the last mapping.
    char *document = NULL;
    assert_int_equal (test_couch_request (s_couch, "GET", "/edits/mapping", NULL, &document), 200);
    json_t *parsed = json_loads (document, 0, NULL);
    char path[128];
    snprintf (path, sizeof path, "/edits/mapping?rev=%s",
              json_string_value (json_object_get (parsed, "_rev")));
    json_decref (parsed);
    free (document);
    assert_int_equal (test_couch_request (s_couch, "DELETE", path, NULL, NULL), 200);
    s_expect_log (fixture, "mapping.deleted", NULL, NULL, 0);
    s_send (fixture, "orphan", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "orphan", "b@example.org");
    s_stop (&fixture);
}

static void test_messages_wait_for_a_document_created_late (void **state)
{
    s_create_database ("late");
    fixture_t *fixture = s_start ("late", TEST_COUCH_PASSWORD);
    s_expect_log (fixture, "mapping_feed.connected", NULL, NULL, 0);
    for (int index = 0; index < 3; index++) {
        char id[16];
        snprintf (id, sizeof id, "early-%d", index);
        s_send (fixture, id, (const char *[]){"#admins", NULL});
    }
    s_expect_nothing (fixture->email); //  no mapping yet: they wait, none is lost
    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"a@example.org\"]}}");
    for (int index = 0; index < 3; index++) {
        char id[16];
        snprintf (id, sizeof id, "early-%d", index);
        s_expect_delivery (fixture->email, id, "a@example.org");
    }
    s_stop (&fixture);
}

static void test_missing_database_and_bad_credentials_are_explained (void **state)
{
    fixture_t *fixture = s_start ("absent", TEST_COUCH_PASSWORD);
    char line[2048];
    s_expect_log (fixture, "mapping_feed.down", "HTTP 404", line, sizeof line);
    assert_non_null (strstr (line, "crier mapping put FILE"));
    //  Once the database and document exist, the retries find them.
    s_create_database ("absent");
    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"a@example.org\"]}}");
    //  One line per state, not one per retry.
    assert_int_equal (test_process_count_log (fixture->resolver, "mapping_feed.down"), 1);
    s_stop (&fixture);

    fixture = s_start ("absent", "wrong-password");
    s_expect_log (fixture, "mapping_feed.down", "HTTP 401", line, sizeof line);
    assert_non_null (strstr (line, "check CRIER_COUCHDB_USER and CRIER_COUCHDB_PASSWORD"));
    assert_int_equal (test_process_count_log (fixture->resolver, "wrong-password"),
                      0); //  never logged
    s_stop (&fixture);
}

static void test_couchdb_frozen_stopped_and_restarted_underneath (void **state)
{
    s_create_database ("restart");
    fixture_t *fixture = s_start ("restart", TEST_COUCH_PASSWORD);
    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"a@example.org\"]}}");

    //  Frozen: the connection stays open but nothing comes, not even heartbeats.
    kill (s_couch->server->pid, SIGSTOP);
    s_expect_log (fixture, "mapping_feed.down", "not even a heartbeat", NULL, 0);
    kill (s_couch->server->pid, SIGCONT);
    s_expect_log (fixture, "mapping_feed.connected", NULL, NULL, 0);

    //  Stopped: routing goes on with the mapping in memory.
    test_couch_stop (s_couch);
    s_expect_log (fixture, "mapping_feed.down", NULL, NULL, 0);
    s_send (fixture, "during", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "during", "a@example.org");

    //  Restarted: the feed resumes, and a new edit applies.
    test_couch_restart (s_couch);
    s_expect_log (fixture, "mapping_feed.connected", NULL, NULL, 0);
    s_put_mapping_and_wait (fixture, "{\"#admins\": {\"email\": [\"z@example.org\"]}}");
    s_send (fixture, "after", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, "after", "z@example.org");
    s_stop (&fixture);
}

static void test_senders_of_a_channel_share_deliveries_exactly_once (void **state)
{
    fixture_t *fixture =
        s_start_mapped ("share", "{\"#admins\": {\"email\": [\"a@example.org\"]}}", false);
    //  A second sender connects to the same channel.
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[2]);
    zsock_t *second = zsock_new_pull (endpoint);
    zsock_t *senders[2] = {fixture->email, second};
    int received[2] = {0, 0};
    bool seen[200] = {false};
    int sent = 0;
    //  Send until both have had a share (the second one's connection is asynchronous).
    while (sent < 200 && (received[0] < 5 || received[1] < 5)) {
        char id[16];
        snprintf (id, sizeof id, "s-%d", sent++);
        s_send (fixture, id, (const char *[]){"#admins", NULL});
        zpoller_t *poller = zpoller_new (senders[0], senders[1], NULL);
        void *which = zpoller_wait (poller, 5000);
        zpoller_destroy (&poller);
        assert_non_null (which);
        int index = which == senders[0] ? 0 : 1;
        crier_delivery_t *delivery = s_receive (senders[index], 1000);
        assert_non_null (delivery);
        int number = atoi (delivery->notification->id + 2);
        assert_false (seen[number]); //  never twice
        seen[number] = true;
        received[index]++;
        crier_delivery_destroy (&delivery);
    }
    assert_true (received[0] >= 5 && received[1] >= 5);
    assert_int_equal (received[0] + received[1], sent); //  none lost
    s_expect_nothing (senders[0]);
    s_expect_nothing (senders[1]);
    zsock_destroy (&second);
    s_stop (&fixture);
}

static void test_no_sender_holds_deliveries_until_one_connects (void **state)
{
    //  No email sender at all. (One that connects and goes away would take with it what was
    //  already in its pipe: ZeroMQ's PUSH/PULL promises no more, which the journal will fix.)
    fixture_t *fixture =
        s_start_mapped ("held", "{\"#admins\": {\"email\": [\"a@example.org\"]}}", true);
    for (int index = 0; index < 5; index++) {
        char id[32];
        snprintf (id, sizeof id, "held-%d", index);
        s_send (fixture, id, (const char *[]){"#admins", NULL});
    }
    s_expect_log (fixture, "deliveries.backpressure", "channel=email", NULL, 0);
    s_connect_email_sender (fixture);
    for (int index = 0; index < 5; index++) {
        char id[32];
        snprintf (id, sizeof id, "held-%d", index);
        s_expect_delivery (fixture->email, id, "a@example.org");
    }
    s_expect_log (fixture, "deliveries.flowing", "channel=email", NULL, 0);
    s_stop (&fixture);
}

//  Reads events until one of type whose JSON holds needle comes (fails after 10 s).
static void s_expect_event (fixture_t *fixture, const char *type, const char *needle)
{
    zsock_set_rcvtimeo (fixture->events, 500);
    int64_t deadline = zclock_mono () + 10000;
    while (zclock_mono () < deadline) {
        char *topic = NULL;
        zframe_t *body = NULL;
        if (zsock_recv (fixture->events, "sf", &topic, &body) != 0)
            continue;
        char *json = crier_event_to_json (zframe_data (body), zframe_size (body));
        bool found = streq (topic, type) && json && strstr (json, needle);
        free (json);
        zstr_free (&topic);
        zframe_destroy (&body);
        if (found)
            return;
    }
    fail_msg ("no %s event with %s", type, needle);
}

static void test_a_stalled_channel_does_not_hold_up_the_others (void **state)
{
    fixture_t *fixture = s_start_mapped (
        "stall",
        "{\"#admins\": {\"matrix\": [\"!ops:example.org\"], \"email\": [\"a@example.org\"]}}",
        true);
    //  No email sender: st-0's email waits and holds up the intake (back-pressure)...
    s_send (fixture, "st-0", (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->matrix, "st-0", "!ops:example.org");
    s_expect_log (fixture, "deliveries.backpressure", "channel=email", NULL, 0);
    s_send (fixture, "st-1", (const char *[]){"#admins", NULL});
    s_expect_nothing (fixture->matrix);
    //  ...until CRIER_STALLED_AFTER: then it is deferred to crier-ingest, and Matrix goes on.
    s_expect_log (fixture, "deliveries.stalled", "channel=email", NULL, 0);
    s_expect_event (fixture, "delivery.deferred", "\"notification_id\":\"st-0\"");
    s_expect_delivery (fixture->matrix, "st-1", "!ops:example.org");
    s_expect_event (fixture, "delivery.deferred", "\"notification_id\":\"st-1\"");
    for (int index = 2; index < 5; index++) {
        char id[32];
        snprintf (id, sizeof id, "st-%d", index);
        s_send (fixture, id, (const char *[]){"#admins", NULL});
        s_expect_delivery (fixture->matrix, id, "!ops:example.org");
        char needle[64];
        snprintf (needle, sizeof needle, "\"notification_id\":\"%s\"", id);
        s_expect_event (fixture, "delivery.deferred", needle);
    }
    s_expect_event (fixture, "process.heartbeat", "\"stalled\":\"email\"");
    //  An email sender connects: the next email goes to it, and the channel flows again. The
    //  deferred ones are crier-ingest's to send again (they are not kept here).
    s_connect_email_sender (fixture);
    for (int round = 0; round < 100; round++) {
        char id[32];
        snprintf (id, sizeof id, "after-%d", round);
        s_send (fixture, id, (const char *[]){"#admins", NULL});
        s_expect_delivery (fixture->matrix, id, "!ops:example.org");
        crier_delivery_t *delivery = s_receive (fixture->email, 200);
        if (delivery) {
            assert_string_equal (delivery->notification->id, id);
            crier_delivery_destroy (&delivery);
            break;
        }
    }
    s_expect_log (fixture, "deliveries.flowing", "channel=email", NULL, 0);
    s_expect_nothing (fixture->email);
    s_stop (&fixture);
}

//  Pushes a notification frame sent again (as crier-ingest does) and destroys the notification.
static void s_push_again (fixture_t *fixture, crier_notification_t **notification_p,
                          const crier_frame_redelivery_t *redelivery)
{
    char *frame;
    size_t size;
    assert_int_equal (crier_frame_encode_redelivery (*notification_p, redelivery, &frame, &size),
                      0);
    zframe_t *message = zframe_new (frame, size);
    assert_int_equal (zframe_send (&message, fixture->push, 0), 0);
    free (frame);
    crier_notification_destroy (notification_p);
}

//  Sends notification id again as crier-ingest does: attempt 2, only its email to target.
static void s_send_again (fixture_t *fixture, const char *id, const char *target)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, id);
    crier_notification_set (&notification->body, "something happened");
    crier_notification_add_group (notification, "#admins");
    notification->received_at_ms = zclock_time ();
    crier_frame_target_t only = {"email", (char *)target};
    crier_frame_redelivery_t redelivery = {.attempt = 2, .only = &only, .only_count = 1};
    s_push_again (fixture, &notification, &redelivery);
}

static void test_a_redelivery_already_delivered_is_answered_not_sent (void **state)
{
    fixture_t *fixture =
        s_start_mapped ("repeat", "{\"#admins\": {\"email\": [\"a@example.org\"]}}", false);
    //  Nobody watches the bus (crier-ingest is restarting): the resolver still sees what the
    //  senders say.
    zsock_destroy (&fixture->events);
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->endpoints[3]);
    zsock_t *sender = zsock_new_pub (endpoint);
    assert_non_null (sender);
    //  A sender says it delivered rd-N's email; crier-ingest, which missed it, sends rd-N again.
    //  Until the sender's connection is up its events are lost and the email goes out again.
    bool repeated = false;
    char id[24];
    //  Rounds take a millisecond each once connected: bounded by time, not by count, so that a
    //  slow connection (a loaded machine) still gets its 15 s.
    int64_t deadline = zclock_mono () + 15000;
    for (int round = 0; zclock_mono () < deadline && !repeated; round++) {
        char delivery_id[CRIER_DIGEST_BYTES];
        snprintf (id, sizeof id, "rd-%d", round);
        crier_delivery_id (delivery_id, id, "email", "a@example.org");
        crier_event_t *event = crier_event_new_outcome_of ("delivery.delivered", delivery_id, id,
                                                           "email", "a@example.org", 1);
        assert_int_equal (crier_event_send (&event, sender), 0);
        s_send_again (fixture, id, "a@example.org");
        crier_delivery_t *delivery = s_receive (fixture->email, 300);
        repeated = delivery == NULL;
        if (repeated)
            s_expect_log (fixture, "delivery.repeated id=", id, NULL, 0);
        crier_delivery_destroy (&delivery);
    }
    assert_true (repeated);
    //  A first attempt with that id is a new notification (a client used the id again): sent.
    s_send (fixture, id, (const char *[]){"#admins", NULL});
    s_expect_delivery (fixture->email, id, "a@example.org");
    zsock_destroy (&sender);
    s_stop (&fixture);
}

//  Sends crier-ingest's nag request for "n-nag": a decision about ROOM's message with the
//  members unread (NULL: only referring to the room), escalate, and the nag emails to send again.
#define NAG_ROOM "!r:example.org"
static void s_send_nag_request (fixture_t *fixture, uint32_t attempt, char **unread,
                                size_t unread_count, bool escalate,
                                crier_frame_nag_delivery_t *again, size_t again_count)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, "n-nag");
    crier_notification_set (&notification->subject, "Disk full");
    crier_notification_set (&notification->body, "db1 has no room left");
    crier_notification_add_group (notification, "#admins");
    notification->received_at_ms = zclock_time ();
    crier_frame_nag_t nag = {.room_id = NAG_ROOM,
                             .event_id = "$e/1",
                             .after_ms = 15 * 60000,
                             .unread = unread,
                             .unread_count = unread_count};
    crier_delivery_id (nag.delivery_id, "n-nag", "matrix", NAG_ROOM);
    for (size_t index = 0; index < again_count; index++)
        memcpy (again[index].of, nag.delivery_id, CRIER_DIGEST_BYTES);
    crier_frame_redelivery_t request = {.attempt = attempt,
                                        .nags = &nag,
                                        .nag_count = 1,
                                        .escalate = escalate,
                                        .nag_deliveries = again,
                                        .nag_delivery_count = again_count};
    s_push_again (fixture, &notification, &request);
}

//  Expects a nag email for nag_of to target, saying why, with the link to the message.
static void s_expect_nag (crier_delivery_t *delivery, const char *nag_of, const char *target,
                          const char *why)
{
    assert_non_null (delivery);
    assert_string_equal (delivery->channel, "email");
    assert_string_equal (delivery->nag_of, nag_of);
    assert_string_equal (delivery->target, target);
    char expected_id[CRIER_DIGEST_BYTES];
    crier_delivery_id_of_nag (expected_id, "n-nag", nag_of);
    assert_string_equal (delivery->delivery_id, expected_id);
    const crier_notification_t *nag = delivery->notification;
    assert_string_equal (nag->id, "n-nag");
    assert_string_equal (nag->subject, "Unread: Disk full");
    if (!strstr (nag->body, why) ||
        !strstr (nag->body, "https://matrix.to/#/" NAG_ROOM "/$e%2F1") ||
        !strstr (nag->body, "db1 has no room left") || !strstr (nag->html, "Open it in Matrix"))
        fail_msg ("the nag to %s says:\n%s\n%s", target, nag->body, nag->html);
}

//  A nag request becomes one email per person among the unread members (a member who is not a
//  person gets none), and one per escalation address when the request escalates; nag.routed says
//  so first. A request to send one again sends that one only.
static void test_a_nag_request_becomes_nag_emails (void **state)
{
    s_create_database ("nag");
    char *revision = test_couch_put_document (
        s_couch, "nag",
        "\"mapping\": {\"#admins\": {\"matrix\": [\"" NAG_ROOM "\"], \"nag\": {\"after\": \"15m\","
        " \"email\": [\"oncall@example.org\"]}}}, \"people\": {\"@will:example.org\": {\"email\":"
        " \"will@example.org\"}, \"@anna:example.org\": {\"email\": \"anna@example.org\"}}");
    fixture_t *fixture = s_start_with ("nag", TEST_COUCH_PASSWORD, false);
    s_expect_log (fixture, "mapping.loaded", revision, NULL, 0);
    free (revision);
    char *unread[] = {"@will:example.org", "@stranger:example.org", "@anna:example.org"};
    s_send_nag_request (fixture, 1, unread, 3, true, NULL, 0);
    s_expect_event (fixture, "nag.routed", "oncall@example.org");
    const char *why = "Not read in Matrix for 15 minutes.";
    crier_delivery_t *delivery = s_receive (fixture->email, 10000);
    s_expect_nag (delivery, "@will:example.org", "will@example.org", why);
    crier_delivery_destroy (&delivery);
    delivery = s_receive (fixture->email, 10000);
    s_expect_nag (delivery, "@anna:example.org", "anna@example.org", why);
    crier_delivery_destroy (&delivery);
    delivery = s_receive (fixture->email, 10000);
    s_expect_nag (delivery, "oncall@example.org", "oncall@example.org",
                  "Nobody read it in Matrix for 15 minutes.");
    crier_delivery_destroy (&delivery);
    s_expect_nothing (fixture->email);
    s_expect_nothing (fixture->matrix);
    //  crier-ingest sends anna's again (its lease ran out): only hers goes.
    crier_frame_nag_delivery_t again = {.nag_of = "@anna:example.org",
                                        .target = "anna@example.org"};
    s_send_nag_request (fixture, 2, NULL, 0, false, &again, 1);
    delivery = s_receive (fixture->email, 10000);
    s_expect_nag (delivery, "@anna:example.org", "anna@example.org", why);
    assert_int_equal (delivery->attempt, 2);
    crier_delivery_destroy (&delivery);
    s_expect_nothing (fixture->email);
    s_stop (&fixture);
}

static void test_couchdb_down_at_start (void **state)
{
    //  Point a resolver at a port nothing listens on: it says so once, stays up, keeps trying.
    char unused[128];
    test_unused_endpoint (unused, sizeof unused);
    char url[160];
    snprintf (url, sizeof url, "CRIER_COUCHDB_URL=http://127.0.0.1:%s", strrchr (unused, ':') + 1);
    //  Links of its own in this test's scratch folder.
    const char *links[] = {"CRIER_NOTIFICATIONS_ENDPOINT", "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                           "CRIER_EMAIL_DELIVERIES_ENDPOINT", "CRIER_EVENTS_PUBLISH_ENDPOINT",
                           "CRIER_EVENTS_ENDPOINT"};
    char link_env[5][300];
    for (int index = 0; index < 5; index++)
        snprintf (link_env[index], sizeof link_env[index], "%s=ipc://%s/down-%d", links[index],
                  test_scratch_dir (), index);
    const char *env[] = {url,         "CRIER_COUCHDB_RETRY_MAX=500ms",
                         link_env[0], link_env[1],
                         link_env[2], link_env[3],
                         link_env[4], NULL};
    test_process_t *resolver = test_process_start ("crier-resolver", NULL, env);
    size_t cursor = 0;
    char line[1024];
    assert_true (
        test_process_wait_log (resolver, "mapping_feed.down", 10000, &cursor, line, sizeof line));
    assert_non_null (strstr (line, "Couldn't connect to server"));
    //  Several retries later (backoff capped at 500 ms), still one line.
    assert_false (test_process_wait_log (resolver, "mapping_feed.down", 2000, &cursor, NULL, 0));
    assert_int_equal (test_process_stop (resolver, SIGTERM, 10000), 0);
    test_process_destroy (&resolver);
}

//  Runs crier tail with a bad command line: exit status 2 and a line naming the problem.
static void s_expect_tail_usage (const char *const *args, const char *problem)
{
    char *out = NULL, *err = NULL;
    assert_int_equal (test_run ("crier", args, NULL, NULL, 10000, &out, &err), 2);
    if (!strstr (err, problem))
        fail_msg ("crier tail said \"%s\", not \"%s\"", err, problem);
    free (out);
    free (err);
}

static void test_crier_tail_prints_events (void **state)
{
    s_expect_tail_usage ((const char *[]){"tail", "--count", "many", NULL},
                         "crier tail: --count needs a number of events, 1 or more: many");
    s_expect_tail_usage ((const char *[]){"tail", "--count", "0", NULL},
                         "--count needs a number of events");
    s_expect_tail_usage ((const char *[]){"tail", "--frob", NULL},
                         "crier tail: unknown or incomplete option: --frob");
    //  Nothing there: said, not a silent exit 1.
    char *out = NULL, *err = NULL, unused[128];
    test_unused_endpoint (unused, sizeof unused);
    const char *nothing[] = {"tail", "--endpoint", unused, "--timeout", "300ms", NULL};
    assert_int_equal (test_run ("crier", nothing, NULL, NULL, 10000, &out, &err), 1);
    assert_non_null (strstr (err, "crier tail: no event from"));
    assert_non_null (strstr (err, "is crier-resolver running there"));
    free (out);
    free (err);
    s_create_database ("tail");
    fixture_t *fixture = s_start ("tail", TEST_COUCH_PASSWORD);
    const char *args[] = {"tail", "--filter",   "mapping.loaded",      "--count", "1", "--timeout",
                          "60s",  "--endpoint", fixture->endpoints[4], NULL};
    test_process_t *tail = test_process_start ("crier", args, NULL);
    assert_non_null (tail);
    //  A subscriber misses what is published before its subscription arrives: edit until one
    //  edit's event reaches it.
    bool printed = false;
    for (int attempt = 0; attempt < 50 && !printed; attempt++) {
        char mapping[128];
        snprintf (mapping, sizeof mapping, "{\"#admins\": {\"email\": [\"a%d@example.org\"]}}",
                  attempt);
        s_put_mapping_and_wait (fixture, mapping);
        printed = test_process_wait_log (tail, "\"type\":\"mapping.loaded\"", 300, NULL, NULL, 0);
    }
    assert_true (printed);
    assert_true (test_process_count_log (tail, "\"source\":\"crier-resolver\"") > 0);
    assert_true (test_process_count_log (tail, "\"groups\":1") > 0);
    assert_int_equal (test_process_stop (tail, 0, 10000), 0); //  --count 1: it exits by itself
    test_process_destroy (&tail);
    s_stop (&fixture);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_initial_load_fan_out_and_unroutable),
        cmocka_unit_test (test_edits_apply_to_the_next_message_and_bad_edits_are_rejected),
        cmocka_unit_test (test_messages_wait_for_a_document_created_late),
        cmocka_unit_test (test_missing_database_and_bad_credentials_are_explained),
        cmocka_unit_test (test_senders_of_a_channel_share_deliveries_exactly_once),
        cmocka_unit_test (test_no_sender_holds_deliveries_until_one_connects),
        cmocka_unit_test (test_a_stalled_channel_does_not_hold_up_the_others),
        cmocka_unit_test (test_a_redelivery_already_delivered_is_answered_not_sent),
        cmocka_unit_test (test_a_nag_request_becomes_nag_emails),
        cmocka_unit_test (test_couchdb_down_at_start),
        cmocka_unit_test (test_crier_tail_prints_events),
        cmocka_unit_test (test_couchdb_frozen_stopped_and_restarted_underneath),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}

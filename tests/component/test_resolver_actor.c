/*  test_resolver_actor.c - crier-resolver's actor in this process, on inproc:// endpoints,
    following a real CouchDB-API server (pouchdb-server): the test is crier-ingest (a PUSH
    socket), the senders of both channels (PULL sockets) and a watcher of the event bus (a SUB
    socket), and asserts on frames and events. */
#include "component.h"
#include "resolver_config.h"
#include "resolver_server.h"
#include "test_couch.h"

#include "crier/frames.h"
#include "crier/notification.h"

#include <curl/curl.h>
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    test_couch_t *couch;
    crier_resolver_config_t config;
    zactor_t *resolver;
    zsock_t *ingest;                       //  notifications in
    zsock_t *senders[CRIER_CHANNEL_COUNT]; //  deliveries out, per channel
    zsock_t *events;                       //  the bus, as a watcher
} fixture_t;

//  Waits until a heartbeat says the mapping in use has count groups.
static void s_await_groups (fixture_t *fixture, json_int_t count)
{
    for (int64_t deadline = zclock_mono () + 20000; zclock_mono () < deadline;) {
        json_t *heartbeat = component_next_event (fixture->events, "process.heartbeat", 1000);
        bool applied = heartbeat && component_int (heartbeat, "mapping_groups") == count;
        json_decref (heartbeat);
        if (applied)
            return;
    }
    fail_msg ("no heartbeat said the mapping has %d groups within 20 s", (int)count);
}

//  Starts pouchdb-server with the mapping, the resolver, and its neighbours; returns once the
//  mapping is applied (the heartbeat says so: events flow from then on).
static fixture_t *s_start (const char *mapping)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->couch = test_couch_start ();
    assert_int_equal (test_couch_request (fixture->couch, "PUT", "/crier", NULL, NULL), 201);
    free (test_couch_put_mapping (fixture->couch, "crier", mapping));
    char name[5][64];
    const char *kinds[] = {"notifications", "matrix", "email", "bus-in", "bus-out"};
    for (int index = 0; index < 5; index++)
        snprintf (name[index], sizeof name[index], "inproc://resolver-%s-%d", kinds[index],
                  counter);
    counter++;
    const char *settings[] = {"CRIER_NOTIFICATIONS_ENDPOINT",
                              name[0],
                              "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                              name[1],
                              "CRIER_EMAIL_DELIVERIES_ENDPOINT",
                              name[2],
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              name[3],
                              "CRIER_EVENTS_ENDPOINT",
                              name[4],
                              "CRIER_COUCHDB_URL",
                              fixture->couch->url,
                              "CRIER_COUCHDB_USER",
                              TEST_COUCH_USER,
                              "CRIER_COUCHDB_PASSWORD",
                              TEST_COUCH_PASSWORD,
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (settings);
    assert_int_equal (crier_resolver_config_load (&fixture->config), 0);
    component_settings_clear (settings);
    fixture->resolver = component_start (crier_resolver_server, &fixture->config, NULL, 0);

    char endpoint[72];
    snprintf (endpoint, sizeof endpoint, ">%s", name[0]);
    fixture->ingest = zsock_new_push (endpoint);
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
        snprintf (endpoint, sizeof endpoint, ">%s", fixture->config.deliveries_endpoint[channel]);
        fixture->senders[channel] = zsock_new_pull (endpoint);
        assert_non_null (fixture->senders[channel]);
        zsock_set_rcvtimeo (fixture->senders[channel], 5000);
    }
    snprintf (endpoint, sizeof endpoint, ">%s", name[4]);
    fixture->events = zsock_new_sub (endpoint, "");
    assert_non_null (fixture->ingest);
    assert_non_null (fixture->events);
    zsock_set_rcvtimeo (fixture->events, 100);
    s_await_groups (fixture, 1);
    return fixture;
}

static void s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    zactor_destroy (&fixture->resolver);
    zsock_destroy (&fixture->ingest);
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        zsock_destroy (&fixture->senders[channel]);
    zsock_destroy (&fixture->events);
    crier_resolver_config_free (&fixture->config);
    test_couch_destroy (&fixture->couch);
    free (fixture);
    *fixture_p = NULL;
}

//  Sends a notification to one group, as crier-ingest does.
static void s_send (fixture_t *fixture, const char *id, const char *group)
{
    crier_notification_t *notification = crier_notification_new ();
    assert_int_equal (crier_notification_set (&notification->id, id), 0);
    assert_int_equal (crier_notification_add_group (notification, group), 0);
    assert_int_equal (crier_notification_set (&notification->body, "the body"), 0);
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (notification, &data, &size), 0);
    crier_notification_destroy (&notification);
    assert_int_equal (zmq_send (zsock_resolve (fixture->ingest), data, size, 0), (int)size);
    free (data);
}

//  The next delivery a channel's sender gets, or NULL within 5 s.
static crier_delivery_t *s_delivery (fixture_t *fixture, crier_channel_t channel)
{
    zframe_t *frame = zframe_recv (fixture->senders[channel]);
    if (!frame)
        return NULL;
    crier_error_t error;
    crier_delivery_t *delivery =
        crier_frame_decode_delivery (zframe_data (frame), zframe_size (frame), &error);
    zframe_destroy (&frame);
    assert_non_null (delivery);
    return delivery;
}

static void s_expect_delivery (fixture_t *fixture, crier_channel_t channel, const char *id,
                               const char *target)
{
    crier_delivery_t *delivery = s_delivery (fixture, channel);
    if (!delivery)
        fail_msg ("no %s delivery of %s", crier_channel_name (channel), id);
    assert_string_equal (delivery->notification->id, id);
    assert_string_equal (delivery->target, target);
    assert_string_equal (delivery->channel, crier_channel_name (channel));
    crier_delivery_destroy (&delivery);
}

static void test_a_notification_is_routed_to_every_channel_of_its_group (void **state)
{
    fixture_t *fixture = s_start ("{\"#ops\": {\"matrix\": [\"!room:example.org\"], "
                                  "\"email\": [\"a@example.org\", \"b@example.org\"]}}");
    s_send (fixture, "routed-1", "#ops");
    s_expect_delivery (fixture, CRIER_CHANNEL_MATRIX, "routed-1", "!room:example.org");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "routed-1", "a@example.org");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "routed-1", "b@example.org");
    json_t *event = component_next_event (fixture->events, "notification.routed", 5000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "routed-1");
    assert_int_equal (json_array_size (json_object_get (event, "deliveries")), 3);
    json_decref (event);
    s_stop (&fixture);
}

//  A Matrix delivery of a group with a nag carries how long it may stay unread, in
//  notification.routed (what crier-ingest journals; docs/nag.md); its email delivery does not.
static void test_a_nag_is_told_with_the_routing (void **state)
{
    fixture_t *fixture =
        s_start ("{\"#ops\": {\"matrix\": [\"!room:example.org\"], \"email\": [\"a@example.org\"],"
                 " \"nag\": {\"after\": \"15m\"}}}");
    s_send (fixture, "nagged-1", "#ops");
    json_t *event = component_next_event (fixture->events, "notification.routed", 5000);
    assert_non_null (event);
    const json_t *nags = json_object_get (event, "nags");
    assert_int_equal (json_array_size (nags), 1);
    char delivery_id[CRIER_DIGEST_BYTES];
    crier_delivery_id (delivery_id, "nagged-1", "matrix", "!room:example.org");
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (nags, 0), "delivery_id")), delivery_id);
    assert_int_equal (json_integer_value (json_object_get (json_array_get (nags, 0), "after_ms")),
                      15 * 60000);
    json_decref (event);
    s_stop (&fixture);
}

static void test_a_mapping_edit_applies_without_a_restart (void **state)
{
    fixture_t *fixture = s_start ("{\"#ops\": {\"email\": [\"old@example.org\"]}}");
    free (test_couch_put_mapping (fixture->couch, "crier",
                                  "{\"#ops\": {\"email\": [\"new@example.org\"]}, "
                                  "\"#staff\": {\"email\": [\"staff@example.org\"]}}"));
    s_await_groups (fixture, 2);
    s_send (fixture, "after-edit", "#ops");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "after-edit", "new@example.org");
    s_stop (&fixture);
}

static void test_an_unknown_group_is_unroutable_and_others_flow (void **state)
{
    fixture_t *fixture = s_start ("{\"#ops\": {\"email\": [\"ops@example.org\"]}}");
    s_send (fixture, "lost", "#nobody");
    s_send (fixture, "found", "#ops");
    json_t *event = component_next_event (fixture->events, "notification.unroutable", 5000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "lost");
    assert_string_equal (json_string_value (json_array_get (json_object_get (event, "groups"), 0)),
                         "#nobody");
    assert_non_null (component_text (event, "reason"));
    json_decref (event);
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "found", "ops@example.org");
    s_stop (&fixture);
}

//  A revision with a \u0000 (even in a field crier ignores) is rejected with its path; the last
//  good mapping stays, and the feed does not reconnect over it (it once did, five times a
//  second, downloading the document each time).
static void test_a_poison_revision_is_rejected_once_and_the_feed_stays (void **state)
{
    fixture_t *fixture = s_start ("{\"#ops\": {\"email\": [\"ops@example.org\"]}}");
    //  Written by hand: test_couch_put_mapping writes "mapping" only.
    char *current = NULL;
    assert_int_equal (test_couch_request (fixture->couch, "GET", "/crier/mapping", NULL, &current),
                      200);
    json_t *document = json_loads (current, 0, NULL);
    free (current);
    json_object_set_new (document, "description", json_stringn ("ops\0team", 8));
    json_object_set_new (document, "mapping",
                         json_pack ("{s{s[s]}}", "#ops", "email", "new@example.org"));
    char *body = json_dumps (document, JSON_COMPACT);
    json_decref (document);
    assert_int_equal (test_couch_request (fixture->couch, "PUT", "/crier/mapping", body, NULL),
                      201);
    free (body);
    json_t *event = component_next_event (fixture->events, "mapping.rejected", 10000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "path"), "description");
    assert_non_null (strstr (component_text (event, "error"), "NUL"));
    json_decref (event);
    //  Routing goes on with the last good mapping...
    s_send (fixture, "kept", "#ops");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "kept", "ops@example.org");
    //  ...and the feed stays connected: no reconnection within two seconds.
    assert_null (component_next_event (fixture->events, "mapping_feed.down", 2000));
    s_stop (&fixture);
}

//  A revision over CRIER_MAPPING_MAX_BYTES is skipped as it streams by, with the setting named;
//  the last good mapping routes meanwhile, and the next revision within the limit loads.
static void test_a_revision_over_the_limit_is_skipped_and_the_next_loads (void **state)
{
    setenv ("CRIER_MAPPING_MAX_BYTES", "4KiB", 1);
    fixture_t *fixture = s_start ("{\"#ops\": {\"email\": [\"ops@example.org\"]}}");
    unsetenv ("CRIER_MAPPING_MAX_BYTES");
    char large[16384] = "{";
    for (int group = 0; group < 200; group++)
        snprintf (large + strlen (large), sizeof large - strlen (large),
                  "%s\"#g%d\": {\"email\": [\"user%d@example.org\"]}", group ? ", " : "", group,
                  group);
    strcat (large, "}");
    assert_true (strlen (large) > 4096 + 4096); //  past the limit and the feed line's allowance
    free (test_couch_put_mapping (fixture->couch, "crier", large));
    json_t *event = component_next_event (fixture->events, "mapping.rejected", 10000);
    assert_non_null (event);
    assert_non_null (strstr (component_text (event, "error"), "CRIER_MAPPING_MAX_BYTES (4096"));
    json_decref (event);
    s_send (fixture, "kept", "#ops");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "kept", "ops@example.org");
    free (test_couch_put_mapping (fixture->couch, "crier",
                                  "{\"#ops\": {\"email\": [\"new@example.org\"]}, "
                                  "\"#staff\": {\"email\": [\"staff@example.org\"]}}"));
    s_await_groups (fixture, 2);
    s_send (fixture, "after", "#ops");
    s_expect_delivery (fixture, CRIER_CHANNEL_EMAIL, "after", "new@example.org");
    s_stop (&fixture);
}

int main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_notification_is_routed_to_every_channel_of_its_group),
        cmocka_unit_test (test_a_nag_is_told_with_the_routing),
        cmocka_unit_test (test_a_mapping_edit_applies_without_a_restart),
        cmocka_unit_test (test_an_unknown_group_is_unroutable_and_others_flow),
        cmocka_unit_test (test_a_poison_revision_is_rejected_once_and_the_feed_stays),
        cmocka_unit_test (test_a_revision_over_the_limit_is_skipped_and_the_next_loads),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}

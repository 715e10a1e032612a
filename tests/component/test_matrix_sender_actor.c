/*  test_matrix_sender_actor.c - crier-sender-matrix's actor in this process, on inproc://
    endpoints, against the homeserver double: the shared policy for refused credentials when a
    token is revoked while deliveries flow, asserted on the events the sender publishes. */
#include "component.h"
#include "crier/log.h"
#include "matrix_config.h"
#include "matrix_sender.h"
#include "test_homeserver.h"

#include <curl/curl.h>
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#define ROOM "!ops:example.org"

static void test_a_revoked_token_holds_deliveries_until_it_works_again (void **state)
{
    const char *args[] = {"--joined", ROOM, NULL};
    test_homeserver_t *homeserver = test_homeserver_start (args);
    zsock_t *deliveries = zsock_new_push ("@inproc://matrix-deliveries");
    assert_non_null (deliveries);
    zsock_t *events = component_events ("inproc://matrix-events");
    //  A user and password in the homeserver's URL, percent-encoded: never logged.
    char url[128];
    snprintf (url, sizeof url, "http://bot:p%%40ss-word@%s", homeserver->url + strlen ("http://"));
    FILE *log = tmpfile ();
    crier_log_set_stream (log);
    const char *settings[] = {"CRIER_MATRIX_HOMESERVER",
                              url,
                              "CRIER_MATRIX_ACCESS_TOKEN",
                              TEST_MATRIX_TOKEN,
                              "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                              "inproc://matrix-deliveries",
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              "inproc://matrix-events",
                              "CRIER_MATRIX_RETRY_DEADLINE",
                              "1s",
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (settings);
    crier_matrix_config_t config = {0};
    assert_int_equal (crier_matrix_config_load (&config), 0);
    component_settings_clear (settings);
    zactor_t *sender = component_start (crier_matrix_sender, &config, NULL, 0);
    component_await_bus (events);
    json_t *heartbeat = component_heartbeat_saying (events, "token", "accepted", 10000);
    assert_non_null (heartbeat);
    json_decref (heartbeat);

    //  The token is revoked on the homeserver: what comes is held, past the retry deadline.
    test_homeserver_post (homeserver, "token", "{\"token\": \"another\"}");
    test_push_delivery (deliveries, "matrix", "held", ROOM, NULL, "while revoked", NULL);
    int64_t since = zclock_mono ();
    for (int renewals = 0; renewals < 3;) {
        json_t *event = component_next_event (events, "delivery.retrying", 15000);
        assert_non_null (event);
        assert_string_equal (component_text (event, "notification_id"), "held");
        assert_non_null (strstr (component_text (event, "reason"), "M_UNKNOWN_TOKEN"));
        json_decref (event);
        renewals++;
    }
    assert_true (zclock_mono () - since > 1000);
    heartbeat = component_heartbeat_after (events, zclock_time (), 5000);
    assert_non_null (heartbeat);
    assert_string_equal (component_text (heartbeat, "credentials"), "refused");
    assert_int_equal (component_int (heartbeat, "held"), 1);
    assert_int_equal (component_int (heartbeat, "failed"), 0);
    json_decref (heartbeat);

    //  The operator restores it: delivered once, into the room.
    test_homeserver_post (homeserver, "token", "{\"token\": \"" TEST_MATRIX_TOKEN "\"}");
    json_t *event = component_next_event (events, "delivery.delivered", 60000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "held");
    assert_string_equal (component_text (event, "room_id"), ROOM);
    assert_non_null (component_text (event, "event_id"));
    json_decref (event);
    json_t *sent = test_homeserver_wait_events (homeserver, 1, 1000);
    assert_int_equal (json_array_size (sent), 1);
    json_decref (sent);

    zactor_destroy (&sender);
    crier_matrix_config_free (&config);
    crier_log_set_stream (NULL);
    rewind (log);
    char line[2048];
    int unauthorized = 0, accepted = 0;
    while (fgets (line, sizeof line, log)) {
        assert_null (strstr (line, "p%40ss-word"));
        assert_null (strstr (line, "p@ss-word"));
        assert_null (strstr (line, "bot:"));
        unauthorized += strstr (line, " matrix.unauthorized ") != NULL;
        accepted += strstr (line, " sender.credentials_accepted ") != NULL;
    }
    fclose (log);
    //  One line when refused, one when accepted again: not one per attempt.
    assert_int_equal (unauthorized, 1);
    assert_int_equal (accepted, 1);
    zsock_destroy (&deliveries);
    zsock_destroy (&events);
    test_homeserver_destroy (&homeserver);
}

//  A room the homeserver keeps rate-limiting: nothing fails however long it lasts (past the
//  retry deadline here), crier status shows the room and its queue, and the log says when it
//  starts and when it ends, not at every 429.
static void test_a_rate_limited_room_is_visible_and_never_fails (void **state)
{
    const char *args[] = {"--joined", ROOM, NULL};
    test_homeserver_t *homeserver = test_homeserver_start (args);
    test_homeserver_post (homeserver, "fault",
                          "{\"kind\": \"send\", \"room\": \"" ROOM "\", \"status\": 429,"
                          " \"retry_after_ms\": 300, \"count\": 8}");
    zsock_t *deliveries = zsock_new_push ("@inproc://limited-deliveries");
    assert_non_null (deliveries);
    zsock_t *events = component_events ("inproc://limited-events");
    FILE *log = tmpfile ();
    crier_log_set_stream (log);
    const char *settings[] = {"CRIER_MATRIX_HOMESERVER",
                              homeserver->url,
                              "CRIER_MATRIX_ACCESS_TOKEN",
                              TEST_MATRIX_TOKEN,
                              "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                              "inproc://limited-deliveries",
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              "inproc://limited-events",
                              "CRIER_MATRIX_RETRY_DEADLINE",
                              "1s",
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (settings);
    crier_matrix_config_t config = {0};
    assert_int_equal (crier_matrix_config_load (&config), 0);
    component_settings_clear (settings);
    zactor_t *sender = component_start (crier_matrix_sender, &config, NULL, 0);
    component_await_bus (events);
    for (int index = 0; index < 3; index++) {
        char id[16];
        snprintf (id, sizeof id, "paced-%d", index);
        test_push_delivery (deliveries, "matrix", id, ROOM, NULL, "paced", NULL);
    }
    json_t *heartbeat = component_heartbeat_saying (events, "rate_limited", ROOM "=3", 10000);
    assert_non_null (heartbeat);
    json_decref (heartbeat);
    //  Eight 429s of 300 ms: well past the one-second retry deadline, and all three arrive.
    for (int index = 0; index < 3; index++) {
        json_t *event = component_next_event (events, "delivery.delivered", 20000);
        assert_non_null (event);
        json_decref (event);
    }
    heartbeat = component_heartbeat_after (events, zclock_time (), 5000);
    assert_non_null (heartbeat);
    assert_string_equal (component_text (heartbeat, "rate_limited"), "none");
    assert_int_equal (component_int (heartbeat, "failed"), 0);
    json_decref (heartbeat);

    zactor_destroy (&sender);
    crier_matrix_config_free (&config);
    crier_log_set_stream (NULL);
    rewind (log);
    char line[2048];
    int started = 0, ended = 0;
    while (fgets (line, sizeof line, log)) {
        started += strstr (line, " matrix.rate_limited ") != NULL;
        if (strstr (line, " matrix.rate_limit_ended ")) {
            ended++;
            assert_non_null (strstr (line, "answers_429=8"));
        }
    }
    fclose (log);
    assert_int_equal (started, 1);
    assert_int_equal (ended, 1);
    zsock_destroy (&deliveries);
    zsock_destroy (&events);
    test_homeserver_destroy (&homeserver);
}

int main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_revoked_token_holds_deliveries_until_it_works_again),
        cmocka_unit_test (test_a_rate_limited_room_is_visible_and_never_fails),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}

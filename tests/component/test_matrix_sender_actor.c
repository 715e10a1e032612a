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

typedef struct {
    test_homeserver_t *homeserver;
    crier_matrix_config_t config;
    zactor_t *sender;
    zsock_t *deliveries; //  the resolver's side
    zsock_t *events;     //  the bus's side
    FILE *log;           //  what the sender logged
} fixture_t;

//  The homeserver double with ROOM joined (then fault, a JSON fault, unless NULL), and the sender
//  actor on inproc endpoints, with userinfo ("user:password@" or "") in its homeserver URL and a
//  one-second retry deadline; its log goes to a file.
static fixture_t *s_start (const char *fault, const char *userinfo)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    const char *args[] = {"--joined", ROOM, NULL};
    fixture->homeserver = test_homeserver_start (args);
    if (fault)
        test_homeserver_post (fixture->homeserver, "fault", fault);
    char deliveries[64], events[64], bind[72], url[160];
    snprintf (deliveries, sizeof deliveries, "inproc://matrix-deliveries-%d", counter);
    snprintf (events, sizeof events, "inproc://matrix-events-%d", counter++);
    snprintf (bind, sizeof bind, "@%s", deliveries);
    fixture->deliveries = zsock_new_push (bind);
    assert_non_null (fixture->deliveries);
    fixture->events = component_events (events);
    snprintf (url, sizeof url, "http://%s%s", userinfo,
              fixture->homeserver->url + strlen ("http://"));
    fixture->log = tmpfile ();
    crier_log_set_stream (fixture->log);
    const char *settings[] = {"CRIER_MATRIX_HOMESERVER",
                              url,
                              "CRIER_MATRIX_ACCESS_TOKEN",
                              TEST_MATRIX_TOKEN,
                              "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                              deliveries,
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              events,
                              "CRIER_MATRIX_RETRY_DEADLINE",
                              "1s",
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (settings);
    assert_int_equal (crier_matrix_config_load (&fixture->config), 0);
    component_settings_clear (settings);
    fixture->sender = component_start (crier_matrix_sender, &fixture->config, NULL, 0);
    component_await_bus (fixture->events);
    return fixture;
}

//  Stops everything; the log file stays for the test to read (component_log_count), then it
//  closes it.
static FILE *s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    zactor_destroy (&fixture->sender);
    crier_matrix_config_free (&fixture->config);
    crier_log_set_stream (NULL);
    zsock_destroy (&fixture->deliveries);
    zsock_destroy (&fixture->events);
    test_homeserver_destroy (&fixture->homeserver);
    FILE *log = fixture->log;
    free (fixture);
    *fixture_p = NULL;
    return log;
}

static void test_a_revoked_token_holds_deliveries_until_it_works_again (void **state)
{
    //  A user and password in the homeserver's URL, percent-encoded: never logged.
    fixture_t *fixture = s_start (NULL, "bot:p%40ss-word@");
    zsock_t *events = fixture->events;
    test_homeserver_t *homeserver = fixture->homeserver;
    json_t *heartbeat = component_heartbeat_saying (events, "token", "accepted", 10000);
    assert_non_null (heartbeat);
    json_decref (heartbeat);

    //  The token is revoked on the homeserver: what comes is held, past the retry deadline.
    test_homeserver_post (homeserver, "token", "{\"token\": \"another\"}");
    test_push_delivery (fixture->deliveries, "matrix", "held", ROOM, NULL, "while revoked", NULL);
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

    FILE *log = s_stop (&fixture);
    //  One line when refused, one when accepted again: not one per attempt; never the password.
    const char *never[] = {"p%40ss-word", "p@ss-word", "bot:", NULL};
    assert_int_equal (component_log_count (log, " matrix.unauthorized ", never), 1);
    assert_int_equal (component_log_count (log, " sender.credentials_accepted ", never), 1);
    fclose (log);
}

//  A room the homeserver keeps rate-limiting: nothing fails however long it lasts (past the
//  retry deadline here), crier status shows the room and its queue, and the log says when it
//  starts and when it ends, not at every 429.
static void test_a_rate_limited_room_is_visible_and_never_fails (void **state)
{
    fixture_t *fixture = s_start ("{\"kind\": \"send\", \"room\": \"" ROOM "\", \"status\": 429,"
                                  " \"retry_after_ms\": 300, \"count\": 8}",
                                  "");
    zsock_t *events = fixture->events;
    for (int index = 0; index < 3; index++) {
        char id[16];
        snprintf (id, sizeof id, "paced-%d", index);
        test_push_delivery (fixture->deliveries, "matrix", id, ROOM, NULL, "paced", NULL);
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

    FILE *log = s_stop (&fixture);
    assert_int_equal (component_log_count (log, " matrix.rate_limited ", NULL), 1);
    assert_int_equal (component_log_count (log, " matrix.rate_limit_ended ", NULL), 1);
    assert_int_equal (component_log_count (log, "answers_429=8", NULL), 1);
    fclose (log);
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

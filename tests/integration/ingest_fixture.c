/*  ingest_fixture.c - see ingest_fixture.h. */
#include "ingest_fixture.h"

#include "crier/event.h"
#include "crier/frames.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

ingest_fixture_t *ingest_fixture_start (const char *const *extra_env)
{
    ingest_fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->resolver = zsock_new_pull ("@tcp://127.0.0.1:*");
    fixture->events = zsock_new_sub ("@tcp://127.0.0.1:*", "");
    fixture->receipts = zsock_new_pub ("@tcp://127.0.0.1:*");
    assert_non_null (fixture->resolver);
    assert_non_null (fixture->events);
    assert_non_null (fixture->receipts);
    char *resolver_endpoint = zsock_last_endpoint (fixture->resolver);
    char *events_endpoint = zsock_last_endpoint (fixture->events);
    char *receipts_endpoint = zsock_last_endpoint (fixture->receipts);
    char notifications_env[160], events_env[160], receipts_env[160];
    snprintf (receipts_env, sizeof receipts_env, "CRIER_EVENTS_ENDPOINT=%s", receipts_endpoint);
    snprintf (notifications_env, sizeof notifications_env, "CRIER_NOTIFICATIONS_ENDPOINT=%s",
              resolver_endpoint);
    snprintf (events_env, sizeof events_env, "CRIER_EVENTS_PUBLISH_ENDPOINT=%s", events_endpoint);
    //  The first entry of a name wins, so the test's own entries go first.
    const char *env[16] = {NULL};
    size_t count = 0;
    for (size_t index = 0; extra_env && extra_env[index] && count < 12; index++)
        env[count++] = extra_env[index];
    env[count++] = "CRIER_INGEST_ENDPOINT=tcp://127.0.0.1:*";
    env[count++] = notifications_env;
    env[count++] = events_env;
    env[count++] = receipts_env;
    fixture->ingest = test_process_start ("crier-ingest", NULL, env);
    zstr_free (&resolver_endpoint);
    zstr_free (&events_endpoint);
    zstr_free (&receipts_endpoint);
    assert_non_null (fixture->ingest);

    char line[512];
    assert_true (test_process_wait_log (fixture->ingest, "ingest.ready", 10000,
                                        &fixture->log_cursor, line, sizeof line));
    assert_true (test_log_value (line, "endpoint", fixture->ingest_endpoint,
                                 sizeof fixture->ingest_endpoint));
    assert_true (
        test_log_value (line, "ack_endpoint", fixture->ack_endpoint, sizeof fixture->ack_endpoint));
    assert_true (test_log_value (line, "control_endpoint", fixture->control_endpoint,
                                 sizeof fixture->control_endpoint));
    return fixture;
}

void ingest_fixture_stop (ingest_fixture_t **fixture_p, const char *expected_log)
{
    ingest_fixture_t *fixture = *fixture_p;
    int status = test_process_stop (fixture->ingest, SIGTERM, 10000);
    assert_int_equal (status, 0);
    assert_true (test_process_wait_log (fixture->ingest, "ingest.stopped", 1000, NULL, NULL, 0));
    if (expected_log && !test_process_wait_log (fixture->ingest, expected_log, 1000, NULL, NULL, 0))
        fail_msg ("crier-ingest never logged \"%s\"", expected_log);
    test_process_destroy (&fixture->ingest);
    zsock_destroy (&fixture->resolver);
    zsock_destroy (&fixture->events);
    zsock_destroy (&fixture->receipts);
    free (fixture);
    *fixture_p = NULL;
}

crier_notification_t *ingest_fixture_receive_again (ingest_fixture_t *fixture, int timeout_ms,
                                                    crier_frame_redelivery_t *redelivery)
{
    zsock_set_rcvtimeo (fixture->resolver, timeout_ms);
    zframe_t *frame = zframe_recv (fixture->resolver);
    if (!frame)
        return NULL;
    crier_error_t error;
    crier_notification_t *notification = crier_frame_decode_notification (
        zframe_data (frame), zframe_size (frame), redelivery, &error);
    if (!notification)
        fail_msg ("the resolver side got a bad frame: %s: %s", error.field, error.message);
    zframe_destroy (&frame);
    return notification;
}

crier_notification_t *ingest_fixture_receive (ingest_fixture_t *fixture, int timeout_ms)
{
    return ingest_fixture_receive_again (fixture, timeout_ms, NULL);
}

crier_reply_t ingest_fixture_ask (ingest_fixture_t *fixture, const char *to, const char *body,
                                  const char *id)
{
    return test_ask (fixture->ack_endpoint, to, body, id);
}

void ingest_fixture_publish (ingest_fixture_t *fixture, const crier_receipt_t *receipt)
{
    char *data;
    size_t size;
    assert_int_equal (crier_receipt_encode (receipt, &data, &size), 0);
    zmsg_t *message = zmsg_new ();
    zmsg_addstr (message, crier_receipt_type (receipt->kind));
    zmsg_addmem (message, data, size);
    free (data);
    assert_int_equal (zmsg_send (&message, fixture->receipts), 0);
}

bool ingest_fixture_await_heartbeat (ingest_fixture_t *fixture, const char *key, int64_t value,
                                     int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    zsock_set_rcvtimeo (fixture->events, 100);
    while (zclock_mono () < deadline) {
        char *topic = NULL;
        zframe_t *body = NULL;
        if (zsock_recv (fixture->events, "sf", &topic, &body) != 0)
            continue;
        bool found = false;
        if (strcmp (topic, "process.heartbeat") == 0) {
            char *text = crier_event_to_json (zframe_data (body), zframe_size (body));
            json_t *heartbeat = text ? json_loads (text, 0, NULL) : NULL;
            json_t *field = json_object_get (heartbeat, key);
            found = json_is_integer (field) && json_integer_value (field) == value;
            json_decref (heartbeat);
            free (text);
        }
        zstr_free (&topic);
        zframe_destroy (&body);
        if (found)
            return true;
    }
    return false;
}

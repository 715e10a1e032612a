/*  ingest_fixture.c - see ingest_fixture.h. */
#include "ingest_fixture.h"

#include "crier/frames.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

ingest_fixture_t *ingest_fixture_start (const char *const *extra_env)
{
    ingest_fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->resolver = zsock_new_pull ("@tcp://127.0.0.1:*");
    fixture->events = zsock_new_sub ("@tcp://127.0.0.1:*", "");
    assert_non_null (fixture->resolver);
    assert_non_null (fixture->events);
    char *resolver_endpoint = zsock_last_endpoint (fixture->resolver);
    char *events_endpoint = zsock_last_endpoint (fixture->events);
    char notifications_env[160], events_env[160];
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
    fixture->ingest = test_process_start ("crier-ingest", NULL, env);
    zstr_free (&resolver_endpoint);
    zstr_free (&events_endpoint);
    assert_non_null (fixture->ingest);

    char line[512];
    assert_true (test_process_wait_log (fixture->ingest, "ingest.ready", 10000,
                                        &fixture->log_cursor, line, sizeof line));
    assert_true (test_log_value (line, "endpoint", fixture->ingest_endpoint,
                                 sizeof fixture->ingest_endpoint));
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
    free (fixture);
    *fixture_p = NULL;
}

crier_notification_t *ingest_fixture_receive (ingest_fixture_t *fixture, int timeout_ms)
{
    zsock_set_rcvtimeo (fixture->resolver, timeout_ms);
    zframe_t *frame = zframe_recv (fixture->resolver);
    if (!frame)
        return NULL;
    crier_error_t error;
    crier_notification_t *notification =
        crier_frame_decode_notification (zframe_data (frame), zframe_size (frame), NULL, &error);
    if (!notification)
        fail_msg ("the resolver side got a bad frame: %s: %s", error.field, error.message);
    zframe_destroy (&frame);
    return notification;
}

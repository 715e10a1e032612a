/*  test_email_sender_actor.c - crier-sender-email's actor in this process, on inproc://
    endpoints, against the real SMTP double: the test is the resolver (it pushes delivery frames)
    and the event bus (it reads the events the sender publishes), and asserts on those events,
    not on log wording. Covers the senders' shared job life (common/src/sender_job.c) and its
    policy for refused credentials. */
#include "component.h"
#include "crier/event.h"
#include "crier/log.h"
#include "email_config.h"
#include "email_sender.h"
#include "test_smtp.h"

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
    test_smtp_t *smtp;
    crier_email_config_t config;
    zactor_t *sender;
    zsock_t *deliveries; //  the resolver's side
    zsock_t *events;     //  the bus's side
} fixture_t;

//  Starts the SMTP double (smtp_args) and the sender actor on inproc endpoints, with settings
//  (NULL-ended name, value pairs) on top of the defaults here.
static fixture_t *s_start (const char *const *smtp_args, const char *const *settings)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->smtp = test_smtp_start (smtp_args);
    char deliveries[64], events[64], url[64], bind[72];
    snprintf (deliveries, sizeof deliveries, "inproc://deliveries-%d", counter);
    snprintf (events, sizeof events, "inproc://events-%d", counter++);
    snprintf (url, sizeof url, "smtp://127.0.0.1:%d", fixture->smtp->smtp_port);
    snprintf (bind, sizeof bind, "@%s", deliveries);
    fixture->deliveries = zsock_new_push (bind);
    assert_non_null (fixture->deliveries);
    fixture->events = component_events (events);
    const char *defaults[] = {"CRIER_SMTP_URL",
                              url,
                              "CRIER_EMAIL_DELIVERIES_ENDPOINT",
                              deliveries,
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              events,
                              "CRIER_SMTP_TLS",
                              "none",
                              "CRIER_EMAIL_FROM",
                              "Crier <alerts@example.org>",
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (defaults);
    component_settings_set (settings);
    assert_int_equal (crier_email_config_load (&fixture->config), 0);
    component_settings_clear (defaults);
    component_settings_clear (settings);
    fixture->sender = component_start (crier_email_sender, &fixture->config, NULL, 0);
    component_await_bus (fixture->events);
    return fixture;
}

static void s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    zactor_destroy (&fixture->sender);
    zsock_destroy (&fixture->deliveries);
    zsock_destroy (&fixture->events);
    crier_email_config_free (&fixture->config);
    test_smtp_destroy (&fixture->smtp);
    free (fixture);
    *fixture_p = NULL;
}

static json_t *s_next_event (fixture_t *fixture, const char *type, int timeout_ms)
{
    return component_next_event (fixture->events, type, timeout_ms);
}

static json_t *s_heartbeat_saying (fixture_t *fixture, const char *name, const char *value,
                                   int timeout_ms)
{
    return component_heartbeat_saying (fixture->events, name, value, timeout_ms);
}

static void test_a_delivery_is_delivered_once_with_the_servers_reply (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    test_push_delivery (fixture->deliveries, "email", "plain", "ops@example.org", "s", "b", NULL);
    json_t *event = s_next_event (fixture, "delivery.delivered", 15000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "plain");
    assert_string_equal (component_text (event, "target"), "ops@example.org");
    assert_non_null (strstr (component_text (event, "reply"), "queued as CRIER0001"));
    assert_int_equal (component_int (event, "attempts"), 1);
    json_decref (event);
    //  Sent again by crier-ingest (attempt 2): answered from memory, not emailed twice.
    test_push_redelivery (fixture->deliveries, "email", "plain", "ops@example.org", 2);
    event = s_next_event (fixture, "delivery.delivered", 15000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "plain");
    assert_non_null (component_text (event, "repeated"));
    json_decref (event);
    json_t *messages = test_smtp_wait_messages (fixture->smtp, 1, 1000);
    assert_int_equal (json_array_size (messages), 1);
    json_decref (messages);
    s_stop (&fixture);
}

static void test_a_temporary_failure_is_retried_then_fails_at_the_deadline (void **state)
{
    const char *settings[] = {"CRIER_SMTP_RETRY_DEADLINE", "3s", NULL};
    fixture_t *fixture = s_start (NULL, settings);
    test_smtp_fault (fixture->smtp, "RCPT", "451 try later", 100);
    test_push_delivery (fixture->deliveries, "email", "greylisted", "ops@example.org", "s", "b",
                        NULL);
    json_t *event = s_next_event (fixture, "delivery.retrying", 15000);
    assert_non_null (event);
    assert_non_null (strstr (component_text (event, "reason"), "451 try later"));
    assert_true (component_int (event, "wait_ms") > 0);
    json_decref (event);
    event = s_next_event (fixture, "delivery.failed", 15000);
    assert_non_null (event);
    assert_non_null (strstr (component_text (event, "reason"), "CRIER_SMTP_RETRY_DEADLINE"));
    json_decref (event);
    s_stop (&fixture);
}

//  base64 of "\0crier\0wrong": what AUTH PLAIN sends for that user and password.
#define BLOB "AGNyaWVyAHdyb25n"

static void test_refused_credentials_hold_deliveries_until_they_work (void **state)
{
    //  The server answers a refused login with the AUTH PLAIN blob (base64 of the user and
    //  password), as some do: it must not reach a log line or an event.
    const char *smtp_args[] = {"--user", "crier", "--password", "right", "--echo-auth", NULL};
    //  A short retry deadline: refused credentials must not run into it.
    const char *settings[] = {"CRIER_SMTP_USER",
                              "crier",
                              "CRIER_SMTP_PASSWORD",
                              "wrong",
                              "CRIER_SMTP_RETRY_DEADLINE",
                              "1s",
                              "CRIER_SMTP_CONNECTIONS",
                              "1",
                              NULL};
    fixture_t *fixture = s_start (smtp_args, settings);
    FILE *log = tmpfile ();
    crier_log_set_stream (log);
    for (int index = 0; index < 2; index++) {
        char id[16];
        snprintf (id, sizeof id, "held-%d", index);
        test_push_delivery (fixture->deliveries, "email", id, "ops@example.org", "s", "b", NULL);
    }
    //  Each held delivery is reported again and again (its lease renewed) past the deadline,
    //  and none fails.
    int64_t refused_at = zclock_mono ();
    size_t renewals[2] = {0, 0};
    while (renewals[0] < 3 || renewals[1] < 3) {
        json_t *event = s_next_event (fixture, "delivery.retrying", 15000);
        assert_non_null (event);
        assert_non_null (strstr (component_text (event, "reason"), "Login denied"));
        assert_non_null (strstr (component_text (event, "reason"), "535 5.7.8"));
        assert_null (strstr (component_text (event, "reason"), BLOB));
        renewals[streq (component_text (event, "notification_id"), "held-1")]++;
        json_decref (event);
    }
    assert_true (zclock_mono () - refused_at > 1000);
    //  The channel takes nothing more meanwhile: it counts as stalled at the resolver.
    test_push_delivery (fixture->deliveries, "email", "waits", "ops@example.org", "s", "b", NULL);
    json_t *heartbeat = component_heartbeat_after (fixture->events, zclock_time () + 500, 5000);
    assert_non_null (heartbeat);
    assert_string_equal (component_text (heartbeat, "credentials"), "refused");
    assert_int_equal (component_int (heartbeat, "held"), 2);
    assert_int_equal (component_int (heartbeat, "failed"), 0);
    json_decref (heartbeat);

    //  The operator fixes the password: everything goes, once each.
    test_smtp_set_password (fixture->smtp, "wrong");
    json_t *messages = test_smtp_wait_messages (fixture->smtp, 3, 60000);
    assert_int_equal (json_array_size (messages), 3);
    json_decref (messages);
    //  Heartbeats queued before the last outcome are skipped: the counts catch up.
    for (int64_t deadline = zclock_mono () + 10000;;) {
        heartbeat = s_heartbeat_saying (fixture, "credentials", "not refused", 5000);
        assert_non_null (heartbeat);
        json_int_t delivered = component_int (heartbeat, "delivered");
        assert_int_equal (component_int (heartbeat, "failed"), 0);
        json_decref (heartbeat);
        if (delivered == 3)
            break;
        assert_true (delivered < 3 && zclock_mono () < deadline);
    }
    s_stop (&fixture);

    //  One line when refused, one when accepted again: not one per attempt; never the password
    //  nor the AUTH blob the server echoed.
    crier_log_set_stream (NULL);
    const char *never[] = {"wrong", BLOB, NULL};
    assert_int_equal (component_log_count (log, " smtp.login_refused ", never), 1);
    assert_int_equal (component_log_count (log, " sender.credentials_accepted ", never), 1);
    fclose (log);
}

//  A mail server that closes idle connections, saying 421 first (postfix does after a while): the
//  next email goes out at once on a new connection, not after a retry and a warning.
static void test_a_connection_the_server_closed_is_not_a_failure (void **state)
{
    const char *smtp_args[] = {"--idle-timeout", "1", NULL};
    fixture_t *fixture = s_start (smtp_args, NULL);
    test_push_delivery (fixture->deliveries, "email", "before", "ops@example.org", "s", "b", NULL);
    json_t *event = s_next_event (fixture, "delivery.delivered", 15000);
    assert_non_null (event);
    json_decref (event);
    //  The server closes the idle connection.
    assert_true (test_smtp_wait_timeouts (fixture->smtp, 1, 10000) >= 1);
    test_push_delivery (fixture->deliveries, "email", "after", "ops@example.org", "s", "b", NULL);
    event = s_next_event (fixture, "delivery.delivered", 15000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "after");
    assert_int_equal (component_int (event, "attempts"), 1);
    json_decref (event);
    assert_null (s_next_event (fixture, "delivery.retrying", 300));
    s_stop (&fixture);
}

int main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_delivery_is_delivered_once_with_the_servers_reply),
        cmocka_unit_test (test_a_temporary_failure_is_retried_then_fails_at_the_deadline),
        cmocka_unit_test (test_refused_credentials_hold_deliveries_until_they_work),
        cmocka_unit_test (test_a_connection_the_server_closed_is_not_a_failure),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}

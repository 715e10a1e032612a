/*  test_internal_curve.c - the internal CURVE switch: with CRIER_CURVE_INTERNAL_CERT given to
    every process, the whole pipeline runs over CURVE links; crier status needs the same
    certificate to read the event bus; a process holding another certificate fails the handshake
    (the resolver logs it) and gets no deliveries, while nothing is lost. */
#include "e2e_stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM    "!internal:example.org"
#define MAILBOX "internal@example.org"

static e2e_stack_t *s_stack;
static char s_cert_env[300];

static void s_keygen (const char *name)
{
    const char *args[] = {"keygen", "--dir", test_scratch_dir (), name, NULL};
    char *out, *err;
    if (test_run ("crier", args, NULL, NULL, 10000, &out, &err) != 0)
        fail_msg ("crier keygen failed: %s", err);
    free (out);
    free (err);
}

static int s_setup (void **state)
{
    s_keygen ("internal");
    snprintf (s_cert_env, sizeof s_cert_env, "CRIER_CURVE_INTERNAL_CERT=%s/internal_secret",
              test_scratch_dir ());
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {MAILBOX, NULL};
    const char *env[] = {s_cert_env, "CRIER_HEARTBEAT_INTERVAL=300ms", NULL};
    s_stack = e2e_stack_start (rooms, mailboxes, env);
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], "security=curve",
                                        1000, NULL, NULL, 0));
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

static void test_pipeline_runs_over_curve_links (void **state)
{
    e2e_stack_send (s_stack, "curve-run", 10);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "curve-run", 10, 30000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
}

//  crier status reads heartbeats from the bus: with the certificate it hears every process,
//  without it none.
static void test_event_bus_needs_the_certificate (void **state)
{
    char events[200];
    snprintf (events, sizeof events, "CRIER_EVENTS_ENDPOINT=%s", strchr (s_stack->env[4], '=') + 1);
    const char *args[] = {"status", "--wait", "2s", NULL};
    char *out, *err;
    const char *with[] = {events, s_cert_env, NULL};
    assert_int_equal (test_run ("crier", args, with, NULL, 15000, &out, &err), 0);
    assert_non_null (strstr (out, "crier-ingest"));
    assert_non_null (strstr (out, "crier-sender-email"));
    free (out);
    free (err);
    const char *without[] = {events, "CRIER_CURVE_INTERNAL_CERT=", NULL};
    assert_int_equal (test_run ("crier", args, without, NULL, 15000, &out, &err), 1);
    assert_null (strstr (out, "crier-ingest"));
    free (out);
    free (err);
}

static void test_process_with_another_certificate_is_refused (void **state)
{
    s_keygen ("intruder");
    char intruder[300];
    snprintf (intruder, sizeof intruder, "CRIER_CURVE_INTERNAL_CERT=%s/intruder_secret",
              test_scratch_dir ());
    test_process_t *sender = e2e_stack_start_extra (s_stack, "crier-sender-email", intruder);
    char line[512];
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], "another server key",
                                        10000, NULL, line, sizeof line));
    assert_non_null (strstr (line, "curve.handshake_failed"));
    e2e_stack_send (s_stack, "intruded", 10);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "intruded", 10, 30000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (test_process_count_log (sender, "delivery.delivered"), 0);
    assert_int_equal (test_process_stop (sender, SIGTERM, 15000), 0);
    test_process_destroy (&sender);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pipeline_runs_over_curve_links),
        cmocka_unit_test (test_event_bus_needs_the_certificate),
        cmocka_unit_test (test_process_with_another_certificate_is_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

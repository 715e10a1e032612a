/*  test_stack_identity.c - two crier stacks on one host stay apart (issue 17, item 2): a process
    started with another CRIER_STACK_ID, or with none, is refused by this stack's resolver before
    any frame flows (both sides log it) and takes none of its deliveries; crier status with
    another identity is told so; a process whose port is taken stops at start and names what
    holds it. And crier status asks for heartbeats instead of waiting for them: with a heartbeat
    interval of an hour, every process still answers at once. */
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
#include <unistd.h>

#define ROOM    "!stack:example.org"
#define MAILBOX "stack@example.org"

static e2e_stack_t *s_stack;

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {MAILBOX, NULL};
    //  No periodic heartbeat within the test: crier status must ask for them.
    const char *env[] = {"CRIER_HEARTBEAT_INTERVAL=1h", NULL};
    s_stack = e2e_stack_start (rooms, mailboxes, env);
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], "security=stack",
                                        1000, NULL, NULL, 0));
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  An email sender on this stack's endpoints with identity (an entry "CRIER_STACK_ID=...").
static test_process_t *s_start_intruder (const char *identity)
{
    return e2e_stack_start_extra (s_stack, "crier-sender-email", identity);
}

static void s_expect_refused (const char *identity, const char *resolver_line,
                              const char *sender_error, const char *prefix)
{
    size_t from = 0;
    test_process_t *resolver = s_stack->processes[STACK_RESOLVER][0];
    //  Where the resolver's log stands now: the line must be a new one.
    while (test_process_wait_log (resolver, resolver_line, 0, &from, NULL, 0))
        ;
    test_process_t *sender = s_start_intruder (identity);
    char line[1024];
    assert_true (test_process_wait_log (sender,
                                        "link.refused socket=\"deliveries from crier-resolver\"",
                                        10000, NULL, line, sizeof line));
    if (!strstr (line, sender_error))
        fail_msg ("the sender said: %s", line);
    assert_true (test_process_wait_log (resolver, resolver_line, 10000, &from, NULL, 0));
    e2e_stack_send (s_stack, prefix, 10);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, prefix, 10, 30000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.mail_duplicates, 0);
    assert_int_equal (test_process_count_log (sender, "delivery.delivered"), 0);
    assert_int_equal (test_process_stop (sender, SIGTERM, 15000), 0);
    test_process_destroy (&sender);
}

static void test_a_process_of_another_stack_is_refused (void **state)
{
    s_expect_refused ("CRIER_STACK_ID=another-stack", "stack.refused peer=crier-sender-email",
                      "belongs to another crier stack", "other-stack");
}

static void test_a_process_without_an_identity_is_refused (void **state)
{
    s_expect_refused ("CRIER_STACK_ID=", "link.handshake_failed", "another security mechanism",
                      "no-identity");
}

static void test_crier_status_asks_every_process_at_once (void **state)
{
    const char *events = e2e_stack_endpoint (s_stack, "CRIER_EVENTS_ENDPOINT");
    const char *args[] = {"status", "--wait", "10s", "--endpoint", events, NULL};
    const char *env[] = {s_stack->stack_id, NULL};
    char *out, *err;
    //  The stack started long before the hour-long interval could pass: only an answer to the
    //  request lists all six.
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    int lines = 0;
    for (char *at = out; (at = strchr (at, '\n')); at++)
        lines++;
    if (lines != 1 + 6)
        fail_msg ("crier status printed:\n%s%s", out, err);
    free (out);
    free (err);
    const char *other[] = {"CRIER_STACK_ID=another-stack", NULL};
    assert_int_equal (test_run ("crier", args, other, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "refused this command"));
    assert_non_null (strstr (err, "belongs to another crier stack"));
    assert_null (strstr (out, "crier-ingest"));
    free (out);
    free (err);
    const char *tail[] = {"tail", "--count", "1", "--endpoint", events, NULL};
    assert_int_equal (test_run ("crier", tail, other, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "crier tail: the event bus at"));
    free (out);
    free (err);
}

//  crier-ingest's control endpoint belongs to the stack too: crier dead-letters needs its
//  identity.
static void test_dead_letters_need_the_stacks_identity (void **state)
{
    const char *control = e2e_stack_endpoint (s_stack, "CRIER_INGEST_CONTROL_ENDPOINT");
    const char *args[] = {"dead-letters", "--endpoint", control, "--timeout", "5s", NULL};
    char *out, *err;
    const char *own[] = {s_stack->stack_id, NULL};
    int status = test_run ("crier", args, own, NULL, 15000, &out, &err);
    if (status != 0)
        fail_msg ("exit %d: %s", status, err);
    free (out);
    free (err);
    const char *other[] = {"CRIER_STACK_ID=another-stack", NULL};
    assert_int_equal (test_run ("crier", args, other, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "it belongs to another crier stack"));
    free (out);
    free (err);
    const char *none[] = {"CRIER_STACK_ID=", NULL};
    assert_int_equal (test_run ("crier", args, none, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "this command's security (plain) is not its own"));
    free (out);
    free (err);
}

//  A resolver whose port another process holds stops at once, and says which process.
static void test_a_taken_port_stops_the_process_and_names_its_holder (void **state)
{
    zsock_t *holder = zsock_new_pull ("tcp://127.0.0.1:*");
    assert_non_null (holder);
    char *endpoint = zsock_last_endpoint (holder);
    char taken[200];
    snprintf (taken, sizeof taken, "CRIER_NOTIFICATIONS_ENDPOINT=%s", endpoint);
    test_process_t *resolver = e2e_stack_start_extra (s_stack, "crier-resolver", taken);
    assert_int_equal (test_process_stop (resolver, 0, 15000), 1);
    char line[1024], pid[32];
    assert_true (
        test_process_wait_log (resolver, "socket.bind_failed", 0, NULL, line, sizeof line));
    snprintf (pid, sizeof pid, "(pid %d)", (int)getpid ());
    if (!strstr (line, endpoint) || !strstr (line, "held_by=") || !strstr (line, pid))
        fail_msg ("the resolver said: %s", line);
    test_process_destroy (&resolver);
    zstr_free (&endpoint);
    zsock_destroy (&holder);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crier_status_asks_every_process_at_once),
        cmocka_unit_test (test_a_process_of_another_stack_is_refused),
        cmocka_unit_test (test_a_process_without_an_identity_is_refused),
        cmocka_unit_test (test_dead_letters_need_the_stacks_identity),
        cmocka_unit_test (test_a_taken_port_stops_the_process_and_names_its_holder),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

/*  test_send_wait.c - crier send --wait (issue 17, item 7): it asks crier-ingest, on the
    connection it sent on, until every delivery has its outcome, and says what became of it:
    exit 0 when delivered everywhere, 3 with the reason for a group the mapping lacks and for a
    delivery that failed (a room the bot is not in), 4 when the wait ends first. */
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

#define ROOM    "!wait:example.org"
#define LOCKED  "!locked:example.org" //  in the mapping, but the bot is not in it
#define MAILBOX "wait@example.org"
#define MAPPING                                                                                    \
    "{\"#all\": {\"matrix\": [\"" ROOM "\"], \"email\": [\"" MAILBOX "\"]},"                       \
    " \"#locked\": {\"matrix\": [\"" LOCKED "\"], \"email\": [\"" MAILBOX "\"]}}"

static e2e_stack_t *s_stack;
static char s_ack[400];

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {MAILBOX, NULL};
    s_stack = e2e_stack_start_mapped (MAPPING, rooms, mailboxes, NULL);
    snprintf (s_ack, sizeof s_ack, "CRIER_ACK_ENDPOINT=%s", s_stack->ack_endpoint);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  Runs crier send with args after "send"; returns its exit status, *out_p and *err_p.
static int s_send (const char *const *args, char **out_p, char **err_p)
{
    const char *argv[16] = {"send"};
    size_t count = 1;
    for (size_t index = 0; args[index] && count < 15; index++)
        argv[count++] = args[index];
    const char *env[] = {s_ack, NULL};
    return test_run ("crier", argv, env, NULL, 60000, out_p, err_p);
}

static void test_delivered_everywhere_exits_0 (void **state)
{
    char *out, *err;
    const char *args[] = {"--wait", "--to", "#all", "--id", "wait-ok", "waited 0", NULL};
    int status = s_send (args, &out, &err);
    if (status != 0 || !strstr (err, "crier send: delivered (2 deliveries)"))
        fail_msg ("exit %d: %s%s", status, out, err);
    assert_string_equal (out, "wait-ok\n");
    //  Done means done: both copies had arrived when it said so.
    int counts[2][1] = {{0}, {0}};
    int *rows[] = {counts[0], counts[1]};
    e2e_stack_count (s_stack, "waited", 1, rows);
    assert_int_equal (counts[0][0], 1);
    assert_int_equal (counts[1][0], 1);
    free (out);
    free (err);
}

static void test_an_unknown_group_exits_3_and_says_why (void **state)
{
    char *out, *err;
    const char *args[] = {"--wait=20s", "--to", "#nobody", "--to", "#all", "typo", NULL};
    int status = s_send (args, &out, &err);
    if (status != 3 || !strstr (err, "#nobody: not in the mapping document") ||
        !strstr (err, "2 of 2 delivered") || !strstr (err, "crier dead-letters retry"))
        fail_msg ("exit %d: %s%s", status, out, err);
    free (out);
    free (err);
}

static void test_a_failed_delivery_exits_3_and_says_why (void **state)
{
    char *out, *err;
    const char *args[] = {"--wait", "--to", "#locked", "locked out", NULL};
    int status = s_send (args, &out, &err);
    if (status != 3 || !strstr (err, "1 of 2 delivered") || !strstr (err, "matrix " LOCKED ": "))
        fail_msg ("exit %d: %s%s", status, out, err);
    free (out);
    free (err);
}

static void test_the_wait_ending_first_exits_4 (void **state)
{
    //  No email sender: the email delivery stays pending.
    e2e_stack_stop_one (s_stack, STACK_EMAIL, 0, SIGTERM, 0);
    e2e_stack_stop_one (s_stack, STACK_EMAIL, 1, SIGTERM, 0);
    char *out, *err;
    const char *args[] = {"--wait=1500ms", "--to", "#all", "--id", "wait-late", "late 0", NULL};
    int status = s_send (args, &out, &err);
    if (status != 4 || !strstr (err, "not every delivery had its outcome within 1500ms"))
        fail_msg ("exit %d: %s%s", status, out, err);
    free (out);
    free (err);
    //  It is still delivered once a sender is back, and a new wait for the same id says so.
    e2e_stack_start_one (s_stack, STACK_EMAIL, 0);
    e2e_stack_start_one (s_stack, STACK_EMAIL, 1);
    assert_int_equal (e2e_stack_await_all (s_stack, "late", 1, 30000).missing, 0);
    const char *again[] = {"--wait=60s", "--to", "#all", "--id", "wait-late", "late 0", NULL};
    status = s_send (again, &out, &err);
    if (status != 0 || !strstr (err, "was accepted before") || !strstr (err, "delivered"))
        fail_msg ("exit %d: %s%s", status, out, err);
    free (out);
    free (err);
}

static void test_bad_wait_options_are_refused (void **state)
{
    char *out, *err;
    const char *zero[] = {"--wait=0s", "--to", "#all", "x", NULL};
    assert_int_equal (s_send (zero, &out, &err), 2);
    assert_non_null (strstr (err, "--wait needs a duration"));
    free (out);
    free (err);
    const char *push[] = {"--wait", "--no-ack", "--to", "#all", "x", NULL};
    assert_int_equal (s_send (push, &out, &err), 2);
    assert_non_null (strstr (err, "--wait needs an answer"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bad_wait_options_are_refused),
        cmocka_unit_test (test_delivered_everywhere_exits_0),
        cmocka_unit_test (test_an_unknown_group_exits_3_and_says_why),
        cmocka_unit_test (test_a_failed_delivery_exits_3_and_says_why),
        cmocka_unit_test (test_the_wait_ending_first_exits_4),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

/*  test_stop.c - end to end: SIGTERM to each crier process in turn while deliveries are in
    flight. Each stops cleanly (exit 0), finishing or handing back what it holds, and is started
    again; at the end every notification crier acknowledged is in the room exactly once and in
    the mailbox at least once (email duplicates are counted and printed). */
#include "e2e_stack.h"

#include "crier/reply.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH  150
#define ROUNDS 5

static e2e_stack_t *s_stack;
static int s_acknowledged;

static int s_setup (void **state)
{
    const char *rooms[] = {"!ops:example.org", NULL};
    const char *mailboxes[] = {"ops@example.org", NULL};
    //  What ZeroMQ had queued for a stopped sender comes back after this lease.
    const char *env[] = {"CRIER_REDELIVER_AFTER=2s", "CRIER_STOP_GRACE=5s", NULL};
    s_stack = e2e_stack_start (rooms, mailboxes, env);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  Sends one notification to the acknowledged endpoint; asserts it was accepted.
static void s_send_acknowledged (zsock_t *request, const char *prefix, int number)
{
    char body[48];
    snprintf (body, sizeof body, "%s %d", prefix, number);
    assert_int_equal (test_send_notification (request, "#all", "body", body), 0);
    crier_reply_t reply = test_receive_reply (request);
    if (!reply.ok)
        fail_msg ("not accepted: %s", reply.error);
    crier_reply_free (&reply);
}

static void s_send_batch (void)
{
    char endpoint[320];
    snprintf (endpoint, sizeof endpoint, ">%s", s_stack->ack_endpoint);
    zsock_t *request = zsock_new_req (endpoint);
    assert_non_null (request);
    zsock_set_rcvtimeo (request, 15000);
    for (int index = 0; index < BATCH; index++)
        s_send_acknowledged (request, "stop-test", s_acknowledged++);
    zsock_destroy (&request);
}

static void test_sigterm_to_each_process_loses_nothing_accepted (void **state)
{
    const stack_kind_t order[] = {STACK_MATRIX, STACK_EMAIL, STACK_RESOLVER, STACK_INGEST};
    for (int round = 0; round < 4; round++) {
        s_send_batch ();
        e2e_stack_restart (s_stack, order[round], 0, SIGTERM, 0);
    }
    s_send_batch ();
    assert_int_equal (s_acknowledged, BATCH * ROUNDS);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "stop-test", s_acknowledged, 60000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0); //  same txnId on every try
    //  An email is sent twice only when its outcome was lost with a stopping process: at most
    //  the batch sent just before each of the four stops.
    assert_true (tally.mail_duplicates <= 4 * BATCH);
}

//  Ctrl-C on a terminal signals every process at once, right after a send: nothing may go
//  twice (ingest waits for the outcomes of what senders are sending, and the resolver keeps the
//  bus for them, instead of both leaving at once and ingest sending it all again at its start).
static void test_sigint_to_every_process_at_once_sends_nothing_twice (void **state)
{
    char endpoint[320];
    snprintf (endpoint, sizeof endpoint, ">%s", s_stack->ack_endpoint);
    zsock_t *request = zsock_new_req (endpoint);
    assert_non_null (request);
    zsock_set_rcvtimeo (request, 15000);
    const int count = 40;
    for (int index = 0; index < count; index++)
        s_send_acknowledged (request, "group-stop", index);
    zsock_destroy (&request);
    e2e_stack_restart_all_at_once (s_stack, SIGINT);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "group-stop", count, 60000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
    assert_int_equal (tally.mail_duplicates, 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sigint_to_every_process_at_once_sends_nothing_twice),
        cmocka_unit_test (test_sigterm_to_each_process_loses_nothing_accepted),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

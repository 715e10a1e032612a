/*  test_stalled_channel.c - end to end: with no email sender running, Matrix messages still go
    out at once (the email channel stalls after CRIER_STALLED_AFTER and stops holding up the
    resolver); once the email senders are back, every email arrives too, sent again from
    crier-ingest's journal at once (the resolver says the channel flows again: not after the
    lease, which is left at its five minutes here), and every message is in the room exactly
    once. */
#include "e2e_stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define TOTAL 40

//  Waits until every number below TOTAL is in the room; false after timeout_ms.
static bool s_all_in_the_room (e2e_stack_t *stack, int timeout_ms)
{
    int room[TOTAL] = {0}, mailbox[TOTAL] = {0};
    int *counts[] = {room, mailbox};
    int64_t deadline = zclock_mono () + timeout_ms;
    do {
        e2e_stack_count (stack, "stalled", TOTAL, counts);
        int missing = 0;
        for (int number = 0; number < TOTAL; number++)
            missing += room[number] == 0;
        if (missing == 0) {
            for (int number = 0; number < TOTAL; number++)
                assert_int_equal (mailbox[number], 0); //  no email sender ran meanwhile
            return true;
        }
        zclock_sleep (100);
    } while (zclock_mono () < deadline);
    return false;
}

static void test_matrix_goes_on_while_email_is_stalled (void **state)
{
    const char *rooms[] = {"!ops:example.org", NULL};
    const char *mailboxes[] = {"ops@example.org", NULL};
    const char *env[] = {"CRIER_STALLED_AFTER=1s", NULL};
    e2e_stack_t *stack = e2e_stack_start (rooms, mailboxes, env);
    for (int index = 0; index < 2; index++)
        e2e_stack_stop_one (stack, STACK_EMAIL, index, SIGTERM, 0);

    char endpoint[320];
    snprintf (endpoint, sizeof endpoint, ">%s", stack->ack_endpoint);
    zsock_t *request = zsock_new_req (endpoint);
    assert_non_null (request);
    zsock_set_rcvtimeo (request, 15000);
    for (int number = 0; number < TOTAL; number++) {
        char body[32];
        snprintf (body, sizeof body, "stalled %d", number);
        assert_int_equal (test_send_notification (request, "#all", "body", body), 0);
        zframe_t *answer = zframe_recv (request);
        assert_non_null (answer);
        zframe_destroy (&answer);
    }
    zsock_destroy (&request);
    //  Well within one lease of the stall: Matrix did not wait for email.
    assert_true (s_all_in_the_room (stack, 10000));
    assert_true (
        test_process_count_log (stack->processes[STACK_RESOLVER][0], "deliveries.stalled") >= 1);

    for (int index = 0; index < 2; index++)
        e2e_stack_start_one (stack, STACK_EMAIL, index);
    e2e_tally_t tally = e2e_stack_await_all (stack, "stalled", TOTAL, 60000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
    assert_true (test_process_wait_log (stack->processes[STACK_RESOLVER][0],
                                        "deliveries.flowing channel=email", 1000, NULL, NULL, 0));
    assert_true (test_process_wait_log (stack->processes[STACK_INGEST][0], "deliveries.resumed",
                                        1000, NULL, NULL, 0));
    e2e_stack_stop (&stack);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_matrix_goes_on_while_email_is_stalled),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_resolver_restart.c - a restart of crier-resolver under a stream, with the lease at its
    default of five minutes: what the old resolver had not read yet is lost with it, and
    crier-ingest, seeing a new resolver instance in its heartbeats, sends it again at once. Every
    acknowledged notification reaches the room and the mailbox within a minute, not after the
    lease. */
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

#define COUNT 3000

static e2e_stack_t *s_stack;

static int s_setup (void **state)
{
    const char *rooms[] = {"!ops:example.org", NULL};
    const char *mailboxes[] = {"ops@example.org", NULL};
    s_stack = e2e_stack_start (rooms, mailboxes, NULL);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

static void test_a_restarted_resolver_gets_what_it_lost_at_once (void **state)
{
    e2e_stack_send_burst (s_stack, "#all", NULL, "restart", 0, COUNT);
    //  While the burst goes through: the resolver stops (SIGTERM) and starts again.
    e2e_stack_restart (s_stack, STACK_RESOLVER, 0, SIGTERM, 0);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "restart", COUNT, 60000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_restarted_resolver_gets_what_it_lost_at_once),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

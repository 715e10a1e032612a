/*  test_large_group.c - end to end: a notification to a group of 300 mailboxes goes out in parts
    of 40 (CRIER_FANOUT_PART_SIZE; docs/delivery.md, Large groups): every mailbox gets it exactly
    once, a small notification sent after it still arrives, and a crier-ingest or a
    crier-resolver killed with SIGKILL in the middle resumes where it stopped: every mailbox gets
    it, duplicates within what was in flight (a part and a half). */
#include "e2e_stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMERS 300
#define PART_SIZE 40

static e2e_stack_t *s_stack;

static int s_setup (void **state)
{
    (void)state;
    size_t size = 256 + CUSTOMERS * 32;
    char *mapping = malloc (size);
    assert_non_null (mapping);
    size_t used = (size_t)snprintf (mapping, size,
                                    "{\"#ops\": {\"matrix\": [\"!ops:example.org\"]},"
                                    " \"#customers\": {\"email\": [");
    for (int index = 0; index < CUSTOMERS; index++)
        used += (size_t)snprintf (mapping + used, size - used, "%s\"c%d@example.org\"",
                                  index ? ", " : "", index);
    snprintf (mapping + used, size - used, "]}}");
    const char *rooms[] = {"!ops:example.org", NULL};
    const char *mailboxes[] = {NULL};
    const char *env[] = {"CRIER_FANOUT_PART_SIZE=40", "CRIER_REDELIVER_AFTER=3s", NULL};
    s_stack = e2e_stack_start_mapped (mapping, rooms, mailboxes, env);
    free (mapping);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    e2e_stack_stop (&s_stack);
    return 0;
}

//  How many times each customer got the email whose body is text; returns how many got it.
static int s_count (const char *text, int counts[CUSTOMERS])
{
    memset (counts, 0, sizeof (int) * CUSTOMERS);
    json_t *mail = test_smtp_wait_messages (s_stack->smtp, 0, 0);
    size_t index;
    json_t *item;
    json_array_foreach (mail, index, item)
    {
        const char *body =
            json_string_value (json_object_get (json_object_get (item, "body"), "text"));
        const char *to = json_string_value (json_array_get (json_object_get (item, "rcpt_tos"), 0));
        int customer;
        if (body && to && strncmp (body, text, strlen (text)) == 0 &&
            sscanf (to, "c%d@", &customer) == 1 && customer >= 0 && customer < CUSTOMERS)
            counts[customer]++;
    }
    json_decref (mail);
    int reached = 0;
    for (int customer = 0; customer < CUSTOMERS; customer++)
        reached += counts[customer] > 0;
    return reached;
}

//  Waits until at least reached customers got text (or timeout_ms); returns how many did.
static int s_await (const char *text, int reached, int counts[CUSTOMERS], int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int now = s_count (text, counts);
    while (now < reached && zclock_mono () < deadline) {
        poll (NULL, 0, 100); //  the double offers no change notification to wait on
        now = s_count (text, counts);
    }
    return now;
}

static int s_duplicates (const int counts[CUSTOMERS])
{
    int duplicates = 0;
    for (int customer = 0; customer < CUSTOMERS; customer++)
        duplicates += counts[customer] > 1 ? counts[customer] - 1 : 0;
    return duplicates;
}

static void test_every_customer_gets_it_exactly_once (void **state)
{
    (void)state;
    int counts[CUSTOMERS];
    e2e_stack_send_burst (s_stack, "#customers", NULL, "parts", 0, 1);
    e2e_stack_send_burst (s_stack, "#ops", NULL, "small", 0, 1);
    assert_int_equal (s_await ("parts 0", CUSTOMERS, counts, 60000), CUSTOMERS);
    assert_int_equal (s_duplicates (counts), 0);
    //  The small one went through as well.
    assert_int_equal (e2e_stack_await_all (s_stack, "small", 1, 30000).missing, 0);
}

//  Sends one notification to the customers with emails slowed down, kills a process with
//  SIGKILL once two parts' worth arrived, starts it again: every customer gets it, duplicates
//  within what was in flight.
static void s_kill_in_the_middle (stack_kind_t kind, const char *text)
{
    int counts[CUSTOMERS];
    test_smtp_delay (s_stack->smtp, "DATA", 20, CUSTOMERS);
    e2e_stack_send_burst (s_stack, "#customers", NULL, text, 0, 1);
    char body[64];
    snprintf (body, sizeof body, "%s 0", text);
    int reached = s_await (body, 2 * PART_SIZE, counts, 60000);
    assert_true (reached >= 2 * PART_SIZE);
    e2e_stack_restart (s_stack, kind, 0, SIGKILL, 137);
    assert_int_equal (s_await (body, CUSTOMERS, counts, 120000), CUSTOMERS);
    int duplicates = s_duplicates (counts);
    printf ("# %s killed after %d of %d customers; email duplicates %d\n", e2e_stack_name (kind),
            reached, CUSTOMERS, duplicates);
    assert_true (duplicates <= PART_SIZE + PART_SIZE / 2);
}

static void test_a_killed_ingest_resumes_where_it_stopped (void **state)
{
    (void)state;
    s_kill_in_the_middle (STACK_INGEST, "ingest-killed");
}

//  The resolver: ingest asks its next instance for the part it did not route.
static void test_a_killed_resolver_resumes_where_it_stopped (void **state)
{
    (void)state;
    s_kill_in_the_middle (STACK_RESOLVER, "resolver-killed");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_customer_gets_it_exactly_once),
        cmocka_unit_test (test_a_killed_ingest_resumes_where_it_stopped),
        cmocka_unit_test (test_a_killed_resolver_resumes_where_it_stopped),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

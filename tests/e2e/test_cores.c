/*  test_cores.c - two crier cores (each an ingest and a resolver with its own journal), the
    senders connected to both (docs/deploy.md, "Several cores"): a burst spread over both is
    delivered once; a core killed (SIGKILL of its ingest and resolver) under a stream loses
    nothing it acknowledged once it is back, while new notifications flow through the other
    core meanwhile; a client id sent to both cores reaches a room once; crier status lists both
    cores and crier tail, on both buses, prints each event once. */
#include "e2e_stack.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What can be in flight in a core when it dies: the bound on email duplicates
//  (docs/delivery.md) is this times the mailboxes, per killed process.
#define IN_FLIGHT 50

static e2e_stack_t *s_stack;

static int s_setup (void **state)
{
    const char *rooms[] = {"!ops:example.org", NULL};
    const char *mailboxes[] = {"ops@example.org", NULL};
    const char *env[] = {"CRIER_REDELIVER_AFTER=2s", "CRIER_MAX_IN_FLIGHT=50", NULL};
    s_stack = e2e_stack_start_cores (2, rooms, mailboxes, env);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  Both cores' event buses, as crier tail and crier status take them.
static void s_buses (char *buses, size_t size)
{
    snprintf (buses, size, "%s,%s", e2e_stack_core_endpoint (s_stack, 0, "CRIER_EVENTS_ENDPOINT"),
              e2e_stack_core_endpoint (s_stack, 1, "CRIER_EVENTS_ENDPOINT"));
}

//  A number core's ingest reports in its heartbeat (crier status), e.g. "accepted".
static long s_ingest_reports (int core, const char *field)
{
    const char *env[] = {s_stack->stack_id, NULL};
    const char *args[] = {"status",
                          "--only",
                          "crier-ingest",
                          "--endpoint",
                          e2e_stack_core_endpoint (s_stack, core, "CRIER_EVENTS_ENDPOINT"),
                          NULL};
    char *out, *err;
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    char key[64];
    snprintf (key, sizeof key, " %s=", field);
    const char *at = strstr (out, key);
    if (!at)
        fail_msg ("crier status printed:\n%s", out);
    long value = atol (at + strlen (key));
    free (out);
    free (err);
    return value;
}

static void test_a_burst_over_both_cores_is_delivered_once (void **state)
{
    e2e_stack_send_burst (s_stack, "#all", NULL, "spread", 0, 400);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "spread", 400, 60000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
    assert_int_equal (tally.mail_duplicates, 0);
    //  Each core took part of it, and the two parts make the whole.
    long first = s_ingest_reports (0, "accepted"), second = s_ingest_reports (1, "accepted");
    printf ("# core 0 accepted %ld, core 1 %ld\n", first, second);
    assert_true (first > 0 && second > 0);
    assert_int_equal (first + second, 400);
    //  Each core heard the outcomes of its own deliveries from the senders (on its bus): all
    //  done, none sent again for want of an answer.
    for (int core = 0; core < 2; core++) {
        int64_t deadline = zclock_mono () + 30000;
        while (s_ingest_reports (core, "in_flight") > 0 && zclock_mono () < deadline)
            zclock_sleep (200); //  a heartbeat is the only view of ingest's ledger
        assert_int_equal (s_ingest_reports (core, "in_flight"), 0);
        assert_int_equal (s_ingest_reports (core, "redelivered"), 0);
    }
}

static void test_a_killed_core_loses_nothing_and_the_other_goes_on (void **state)
{
    const char *core0 = e2e_stack_core_endpoint (s_stack, 0, "CRIER_INGEST_ACK_ENDPOINT");
    const char *core1 = e2e_stack_core_endpoint (s_stack, 1, "CRIER_INGEST_ACK_ENDPOINT");
    e2e_stack_send_burst_to (core0, "#all", NULL, "killed", 0, 600);
    e2e_stack_send_burst_to (core1, "#all", NULL, "killed", 600, 200);
    //  Core 0 dies with much of its burst not delivered yet.
    e2e_stack_stop_one (s_stack, STACK_INGEST, 0, SIGKILL, 137);
    e2e_stack_stop_one (s_stack, STACK_RESOLVER, 0, SIGKILL, 137);
    //  Meanwhile the other core takes and delivers new notifications, and crier send, given
    //  both cores, finds the one that answers.
    e2e_stack_send_burst_to (core1, "#all", NULL, "meanwhile", 0, 300);
    char ack[400];
    snprintf (ack, sizeof ack, "CRIER_ACK_ENDPOINT=%s", s_stack->ack_endpoint);
    const char *env[] = {ack, s_stack->stack_id, "CRIER_LOG_LEVEL=warn", NULL};
    for (int number = 300; number < 310; number++) {
        char body[32], *out, *err;
        snprintf (body, sizeof body, "meanwhile %d", number);
        const char *args[] = {"send", "--timeout", "1s", "--to", "#all", body, NULL};
        assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
        free (out);
        free (err);
    }
    e2e_tally_t meanwhile = e2e_stack_await_all (s_stack, "meanwhile", 310, 60000);
    assert_int_equal (meanwhile.missing, 0);
    assert_int_equal (meanwhile.room_duplicates, 0);
    assert_null (s_stack->processes[STACK_INGEST][0]); //  still down all along
    //  crier status names the core that does not answer and lists the other's processes,
    //  without waiting out --wait for it.
    char buses[600];
    s_buses (buses, sizeof buses);
    const char *status_env[] = {s_stack->stack_id, NULL};
    const char *status[] = {"status", "--wait", "20s", "--endpoint", buses, NULL};
    char *out, *err;
    int64_t asked = zclock_mono ();
    assert_int_equal (test_run ("crier", status, status_env, NULL, 30000, &out, &err), 0);
    assert_true (zclock_mono () - asked < 10000);
    assert_non_null (strstr (err, e2e_stack_core_endpoint (s_stack, 0, "CRIER_EVENTS_ENDPOINT")));
    assert_non_null (strstr (out, "crier-ingest"));
    assert_non_null (strstr (out, "crier-sender-email"));
    free (out);
    free (err);
    //  Core 0 back: its journal replays what it had acknowledged.
    e2e_stack_start_one (s_stack, STACK_RESOLVER, 0);
    e2e_stack_start_one (s_stack, STACK_INGEST, 0);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "killed", 800, 90000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
    assert_true (tally.mail_duplicates <= 2 * IN_FLIGHT);
}

//  A client that heard no answer from one core sends the same id to another: the delivery id
//  comes from the client's id, so the room gets it once (the homeserver's txnId).
static void test_one_id_sent_to_both_cores_reaches_the_room_once (void **state)
{
    char env_ack[2][400];
    for (int core = 0; core < 2; core++) {
        snprintf (env_ack[core], sizeof env_ack[core], "CRIER_ACK_ENDPOINT=%s",
                  e2e_stack_core_endpoint (s_stack, core, "CRIER_INGEST_ACK_ENDPOINT"));
        const char *env[] = {env_ack[core], NULL};
        const char *args[] = {"send", "--id", "both-cores-1", "--to", "#all", "twice 0", NULL};
        char *out, *err;
        assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
        free (out);
        free (err);
    }
    e2e_stack_send_burst (s_stack, "#all", NULL, "fence", 0, 1);
    e2e_tally_t fence = e2e_stack_await_all (s_stack, "fence", 1, 30000);
    assert_int_equal (fence.missing, 0);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "twice", 1, 30000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
}

static void test_status_and_tail_see_both_cores (void **state)
{
    char buses[600];
    s_buses (buses, sizeof buses);
    const char *env[] = {s_stack->stack_id, NULL};
    char *out, *err;
    const char *status[] = {"status", "--wait", "2s", "--endpoint", buses, NULL};
    assert_int_equal (test_run ("crier", status, env, NULL, 15000, &out, &err), 0);
    //  A header, two ingests and two resolvers, and each sender once (it is on both buses).
    int lines = 0, ingests = 0, resolvers = 0;
    for (char *at = out; (at = strchr (at, '\n')); at++)
        lines++;
    for (char *at = out; (at = strstr (at, "crier-ingest ")); at++)
        ingests++;
    for (char *at = out; (at = strstr (at, "crier-resolver ")); at++)
        resolvers++;
    if (lines != 1 + 2 + 2 + 4 || ingests != 2 || resolvers != 2)
        fail_msg ("crier status printed:\n%s", out);
    free (out);
    free (err);
    //  Each core's bus alone: its ingest and resolver, and every sender (on every core's bus).
    for (int core = 0; core < 2; core++) {
        const char *one[] = {"status",
                             "--wait",
                             "2s",
                             "--endpoint",
                             e2e_stack_core_endpoint (s_stack, core, "CRIER_EVENTS_ENDPOINT"),
                             NULL};
        assert_int_equal (test_run ("crier", one, env, NULL, 15000, &out, &err), 0);
        lines = 0;
        for (char *at = out; (at = strchr (at, '\n')); at++)
            lines++;
        if (lines != 1 + 2 + 4)
            fail_msg ("crier status of core %d printed:\n%s", core, out);
        free (out);
        free (err);
    }

    //  crier tail on both buses: each delivery.delivered once, though every sender publishes it
    //  on both.
    const char *tail_args[] = {"tail", "--filter", "delivery.delivered", "--endpoint", buses, NULL};
    const char *tail_env[] = {s_stack->stack_id, NULL};
    test_process_t *tail = test_process_start ("crier", tail_args, tail_env);
    assert_non_null (tail);
    //  Subscribed once it prints a first event (its subscriptions reach the senders through the
    //  buses a moment after it connected): a notification until one shows.
    size_t from = 0;
    bool heard = false;
    for (int round = 0; round < 20 && !heard; round++) {
        e2e_stack_send_burst (s_stack, "#all", NULL, "tailed", round, 1);
        heard = test_process_wait_log (tail, "\"delivery.delivered\"", 1000, &from, NULL, 0);
    }
    assert_true (heard);
    e2e_stack_send_burst (s_stack, "#all", NULL, "settled", 0, 2);
    assert_int_equal (e2e_stack_await_all (s_stack, "settled", 2, 30000).missing, 0);
    pthread_mutex_lock (&tail->lock);
    size_t mark = tail->log_length;
    pthread_mutex_unlock (&tail->lock);
    //  Three rounds of 2 notifications (a room and a mailbox each): 12 deliveries. Had every
    //  event come twice, the copies of the first rounds would be there before the last round.
    from = mark;
    for (int round = 0; round < 3; round++) {
        char prefix[16];
        snprintf (prefix, sizeof prefix, "shown%d", round);
        e2e_stack_send_burst (s_stack, "#all", NULL, prefix, 0, 2);
        for (int delivery = 0; delivery < 4; delivery++)
            assert_true (
                test_process_wait_log (tail, "\"delivery.delivered\"", 10000, &from, NULL, 0));
    }
    int printed = 0;
    pthread_mutex_lock (&tail->lock);
    for (const char *at = tail->log + mark; (at = strstr (at, "\"delivery.delivered\"")); at++)
        printed++;
    pthread_mutex_unlock (&tail->lock);
    printf ("# crier tail printed %d delivery.delivered for 12 deliveries\n", printed);
    assert_int_equal (printed, 12);
    assert_int_equal (test_process_stop (tail, SIGINT, 5000), 0);
    test_process_destroy (&tail);
}

//  The value of a metric line that starts with name (e.g. 'crier_deliveries_total{...}'), or -1.
static long s_metric (const char *url, const char *name)
{
    char *text = NULL;
    long value = -1;
    if (test_http ("GET", url, NULL, NULL, &text) == 200) {
        for (const char *at = text; (at = strstr (at, name)); at++)
            if (at == text || at[-1] == '\n') {
                value = atol (at + strlen (name) + 1);
                break;
            }
    }
    free (text);
    return value;
}

//  Waits up to timeout_ms for the metric to reach at least least; returns its last value.
static long s_await_metric (const char *url, const char *name, long least, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    long value = s_metric (url, name);
    while (value < least && zclock_mono () < deadline) {
        zclock_sleep (100); //  /metrics has no change notification to wait on
        value = s_metric (url, name);
    }
    return value;
}

//  crier-gateway given both cores: requests spread over them, each delivery counted once in
//  /metrics though its event reaches the gateway over both buses.
static void test_the_gateway_uses_both_cores_and_counts_once (void **state)
{
    char unused[64], listen[96], ack[400], events[640], publish[600];
    test_unused_endpoint (unused, sizeof unused);
    const char *address = unused + strlen ("tcp://");
    snprintf (listen, sizeof listen, "CRIER_GATEWAY_LISTEN=%s", address);
    snprintf (ack, sizeof ack, "CRIER_ACK_ENDPOINT=%s", s_stack->ack_endpoint);
    char buses[600];
    s_buses (buses, sizeof buses);
    snprintf (events, sizeof events, "CRIER_EVENTS_ENDPOINT=%s", buses);
    snprintf (publish, sizeof publish, "CRIER_EVENTS_PUBLISH_ENDPOINT=%s,%s",
              e2e_stack_core_endpoint (s_stack, 0, "CRIER_EVENTS_PUBLISH_ENDPOINT"),
              e2e_stack_core_endpoint (s_stack, 1, "CRIER_EVENTS_PUBLISH_ENDPOINT"));
    const char *env[48] = {listen, ack, events, publish};
    size_t count = 4;
    for (size_t index = 0; index < s_stack->common_count && count < 47; index++)
        env[count++] = s_stack->common[index];
    test_process_t *gateway = test_process_start ("crier-gateway", NULL, env);
    assert_non_null (gateway);
    size_t from = 0;
    for (int core = 0; core < 2; core++)
        assert_true (
            test_process_wait_log (gateway, "gateway.ingest_connected", 15000, &from, NULL, 0));
    const long accepted[2] = {s_ingest_reports (0, "accepted"), s_ingest_reports (1, "accepted")};
    char url[128], metrics[128];
    snprintf (url, sizeof url, "http://%s/v1/notifications", address);
    snprintf (metrics, sizeof metrics, "http://%s/metrics", address);
    for (int number = 0; number < 10; number++) {
        char body[96];
        snprintf (body, sizeof body, "{\"to\": \"#all\", \"body\": \"gated %d\"}", number);
        assert_int_equal (test_http ("POST", url, body, NULL, NULL), 202);
    }
    assert_int_equal (e2e_stack_await_all (s_stack, "gated", 10, 30000).missing, 0);
    //  Round-robin over the cores that are up: five each.
    assert_int_equal (s_ingest_reports (0, "accepted") - accepted[0], 5);
    assert_int_equal (s_ingest_reports (1, "accepted") - accepted[1], 5);
    const char *delivered = "crier_deliveries_total{channel=\"matrix\",outcome=\"delivered\"}";
    assert_int_equal (s_await_metric (metrics, delivered, 10, 15000), 10);
    //  A fence: had the first ten been counted twice, they would be by the time it is counted.
    assert_int_equal (
        test_http ("POST", url, "{\"to\": \"#all\", \"body\": \"gated 10\"}", NULL, NULL), 202);
    assert_int_equal (s_await_metric (metrics, delivered, 11, 15000), 11);
    assert_int_equal (s_metric (metrics, "crier_notifications_accepted_total"), 11);
    assert_int_equal (test_process_stop (gateway, SIGTERM, 15000), 0);
    test_process_destroy (&gateway);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_burst_over_both_cores_is_delivered_once),
        cmocka_unit_test (test_one_id_sent_to_both_cores_reaches_the_room_once),
        cmocka_unit_test (test_status_and_tail_see_both_cores),
        cmocka_unit_test (test_the_gateway_uses_both_cores_and_counts_once),
        cmocka_unit_test (test_a_killed_core_loses_nothing_and_the_other_goes_on),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

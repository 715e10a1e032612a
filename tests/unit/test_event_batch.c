/*  test_event_batch.c - events published together: none before the batch goes, all in order
    when its timer fires, at once when it is full, and what waits at destruction is sent. */
#define _GNU_SOURCE //  memmem
#include "crier/event_batch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    zsock_t *publisher;
    zsock_t *subscriber;
    zloop_t *loop;
} pair_t;

static void s_pair (pair_t *pair, const char *endpoint)
{
    pair->publisher = zsock_new_pub (endpoint);
    pair->subscriber = zsock_new_sub (endpoint, "");
    pair->loop = zloop_new ();
    assert_non_null (pair->publisher);
    assert_non_null (pair->subscriber);
    //  The subscription reaches the publisher (inproc) before anything is sent: a probe waits
    //  for it with a deadline.
    int64_t deadline = zclock_mono () + 5000;
    bool joined = false;
    while (!joined && zclock_mono () < deadline) {
        zstr_sendm (pair->publisher, "probe");
        zstr_send (pair->publisher, "probe");
        zsock_set_rcvtimeo (pair->subscriber, 10);
        zmsg_t *probe = zmsg_recv (pair->subscriber);
        joined = probe != NULL;
        zmsg_destroy (&probe);
    }
    assert_true (joined);
    //  Drain the probes still on their way.
    zsock_set_rcvtimeo (pair->subscriber, 50);
    for (zmsg_t *probe = zmsg_recv (pair->subscriber); probe; probe = zmsg_recv (pair->subscriber))
        zmsg_destroy (&probe);
}

static void s_pair_free (pair_t *pair)
{
    zloop_destroy (&pair->loop);
    zsock_destroy (&pair->subscriber);
    zsock_destroy (&pair->publisher);
}

static void s_send (crier_event_batch_t *batch, const char *id)
{
    crier_event_t *event = crier_event_new ("delivery.delivered");
    crier_event_add_text (event, "delivery_id", id);
    crier_event_batch_send (batch, &event);
    assert_null (event);
}

//  Whether an event is waiting now (no wait).
static bool s_any (pair_t *pair)
{
    zmq_pollitem_t item = {zsock_resolve (pair->subscriber), 0, ZMQ_POLLIN, 0};
    return zmq_poll (&item, 1, 0) == 1;
}

//  The next event's type and whether its map holds id; waits up to 5 s.
static void s_expect (pair_t *pair, const char *id)
{
    zsock_set_rcvtimeo (pair->subscriber, 5000);
    zmsg_t *message = zmsg_recv (pair->subscriber);
    assert_non_null (message);
    char *type = zmsg_popstr (message);
    assert_string_equal (type, "delivery.delivered");
    zframe_t *body = zmsg_pop (message);
    assert_non_null (memmem (zframe_data (body), zframe_size (body), id, strlen (id)));
    zframe_destroy (&body);
    zstr_free (&type);
    zmsg_destroy (&message);
}

static int s_stop (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

static void test_a_batch_goes_when_its_timer_fires (void **state)
{
    (void)state;
    pair_t pair;
    s_pair (&pair, "inproc://event-batch-timer");
    crier_event_batch_t *batch = crier_event_batch_new (pair.loop, pair.publisher, 20, 100);
    assert_non_null (batch);
    s_send (batch, "first");
    s_send (batch, "second");
    s_send (batch, "third");
    assert_int_equal (crier_event_batch_waiting (batch), 3);
    assert_false (s_any (&pair));
    //  The loop runs until a timer set after the batch's ends it: the batch's fired first.
    zloop_timer (pair.loop, 40, 1, s_stop, NULL);
    zloop_start (pair.loop);
    assert_int_equal (crier_event_batch_waiting (batch), 0);
    s_expect (&pair, "first");
    s_expect (&pair, "second");
    s_expect (&pair, "third");
    crier_event_batch_destroy (&batch);
    s_pair_free (&pair);
}

static void test_a_full_batch_goes_at_once_and_destroy_sends_the_rest (void **state)
{
    (void)state;
    pair_t pair;
    s_pair (&pair, "inproc://event-batch-full");
    crier_event_batch_t *batch = crier_event_batch_new (pair.loop, pair.publisher, 60000, 2);
    s_send (batch, "one");
    assert_false (s_any (&pair));
    s_send (batch, "two"); //  full: sent now, without the loop
    assert_int_equal (crier_event_batch_waiting (batch), 0);
    s_expect (&pair, "one");
    s_expect (&pair, "two");
    s_send (batch, "three");
    assert_int_equal (crier_event_batch_waiting (batch), 1);
    crier_event_batch_destroy (&batch);
    assert_null (batch);
    s_expect (&pair, "three");
    s_pair_free (&pair);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_batch_goes_when_its_timer_fires),
        cmocka_unit_test (test_a_full_batch_goes_at_once_and_destroy_sends_the_rest),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

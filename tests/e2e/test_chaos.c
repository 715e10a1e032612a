/*  test_chaos.c - end to end: a steady stream of acknowledged notifications to a group mapped to
    two rooms and two mailboxes, while crier-ingest, crier-resolver, a Matrix sender, an email
    sender and pouchdb-server are each killed with SIGKILL in turn and started again. At the end
    every acknowledged notification is in every room and every mailbox; Matrix duplicates are
    zero (same txnId on every try); email duplicates are counted, printed and within the bound
    the in-flight window sets (docs/delivery.md). */
#include "e2e_stack.h"

#include "crier/reply.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Notifications acknowledged between two kills.
#define STEP 60
//  CRIER_MAX_IN_FLIGHT in this test: what can be in flight when a process dies.
#define IN_FLIGHT 50
#define MAILBOXES 2

static e2e_stack_t *s_stack;

//  What the stream reports to the test's thread.
static atomic_int s_acknowledged; //  every number below it was acknowledged
static atomic_int s_retries;      //  requests sent again after no answer or a temporary refusal
static char s_stream_error[300];  //  a refusal that is not temporary (read after the stream ends)

static int s_setup (void **state)
{
    const char *rooms[] = {"!ops:example.org", "!oncall:example.org", NULL};
    const char *mailboxes[] = {"ops@example.org", "oncall@example.org", NULL};
    //  A short lease, so that what a killed process held comes back within the test.
    const char *env[] = {"CRIER_REDELIVER_AFTER=2s", "CRIER_MAX_IN_FLIGHT=50", NULL};
    s_stack = e2e_stack_start (rooms, mailboxes, env);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  Sends notification number with its own id ("chaos-N", so that sending it again after a lost
//  answer is safe) and waits for the answer. Returns 1 accepted, 0 to send again, -1 refused.
static int s_send (zsock_t *request, int number)
{
    crier_notification_t *notification = crier_notification_new ();
    char id[32], body[32];
    snprintf (id, sizeof id, "chaos-%d", number);
    snprintf (body, sizeof body, "chaos %d", number);
    crier_notification_add_group (notification, "#all");
    crier_notification_set (&notification->id, id);
    crier_notification_set (&notification->body, body);
    char *data;
    size_t size;
    int sent = crier_notification_encode (notification, &data, &size) == 0 &&
               zmq_send (zsock_resolve (request), data, size, 0) == (int)size;
    crier_notification_destroy (&notification);
    free (sent ? data : NULL);
    zframe_t *answer = sent ? zframe_recv (request) : NULL;
    if (!answer)
        return 0;
    crier_reply_t reply;
    crier_error_t error;
    int result = 0;
    if (crier_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error) != 0) {
        snprintf (s_stream_error, sizeof s_stream_error, "a bad answer: %s: %s", error.field,
                  error.message);
        result = -1;
    } else if (reply.ok)
        result = 1;
    else if (!reply.temporary) {
        snprintf (s_stream_error, sizeof s_stream_error, "%s refused: %s", id, reply.error);
        result = -1;
    }
    crier_reply_free (&reply);
    zframe_destroy (&answer);
    return result;
}

//  The stream: one notification after another, each sent until acknowledged, a few ms apart.
static void s_stream (zsock_t *pipe, void *args)
{
    const char *endpoint = args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zsock_t *request = NULL;
    int number = 0;
    bool stopping = false;
    while (!stopping) {
        if (!request) {
            request = zsock_new (ZMQ_REQ);
            zsock_set_sndtimeo (request, 1000);
            zsock_set_rcvtimeo (request, 1000);
            zsock_set_linger (request, 0);
            zsock_connect (request, "%s", endpoint);
        }
        int result = s_send (request, number);
        if (result < 0)
            break;
        if (result == 1)
            atomic_store (&s_acknowledged, ++number);
        else {
            //  No answer (ingest is down or was killed): a REQ socket cannot send again, so
            //  start a new one; the same id makes the retry safe.
            atomic_fetch_add (&s_retries, 1);
            zsock_destroy (&request);
        }
        if (zpoller_wait (poller, 5) == pipe) {
            char *command = zstr_recv (pipe);
            stopping = !command || strcmp (command, "$TERM") == 0;
            zstr_free (&command);
        }
    }
    zsock_destroy (&request);
    zpoller_destroy (&poller);
    //  After a refusal, wait for the $TERM that ends every actor.
    while (!stopping) {
        char *command = zstr_recv (pipe);
        stopping = !command || strcmp (command, "$TERM") == 0;
        zstr_free (&command);
    }
}

//  Waits until the stream has STEP more notifications acknowledged.
static void s_await_step (void)
{
    static int target;
    target += STEP;
    int64_t deadline = zclock_mono () + 60000;
    while (atomic_load (&s_acknowledged) < target && zclock_mono () < deadline &&
           !s_stream_error[0])
        zclock_sleep (10); //  a counter of another thread: polled, with a deadline
    if (s_stream_error[0])
        fail_msg ("the stream stopped: %s", s_stream_error);
    if (atomic_load (&s_acknowledged) < target)
        fail_msg ("only %d notifications acknowledged within 60 s, expected %d",
                  atomic_load (&s_acknowledged), target);
}

static void test_sigkill_to_each_process_loses_nothing_accepted (void **state)
{
    zactor_t *stream = zactor_new (s_stream, s_stack->ack_endpoint);
    assert_non_null (stream);
    const stack_kind_t order[] = {STACK_INGEST, STACK_RESOLVER, STACK_MATRIX, STACK_EMAIL};
    for (size_t round = 0; round < 4; round++) {
        s_await_step ();
        //  A slow homeserver while the next step is acknowledged: the notifications back up
        //  in the senders, the resolver and ingest's journal, so that the kill finds work in
        //  every place (with a fast one, everything acknowledged is already delivered).
        test_homeserver_post (s_stack->homeserver, "delay", "{\"ms\": 300}");
        s_await_step ();
        e2e_stack_restart (s_stack, order[round], 0, SIGKILL, 128 + SIGKILL);
        test_homeserver_post (s_stack->homeserver, "delay", "{\"ms\": 0}");
    }
    s_await_step ();
    test_couch_kill (s_stack->couch);
    printf ("# pouchdb-server killed with signal %d\n", SIGKILL);
    s_await_step (); //  routing goes on with the mapping the resolver holds
    test_couch_restart (s_stack->couch);
    s_await_step ();
    zactor_destroy (&stream);
    assert_string_equal (s_stream_error, "");
    int total = atomic_load (&s_acknowledged);
    printf ("# the stream sent %d requests again (no answer in 1 s, or backlog full)\n",
            atomic_load (&s_retries));

    e2e_tally_t tally = e2e_stack_await_all (s_stack, "chaos", total, 90000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.room_duplicates, 0);
    //  An email goes twice only when its outcome was lost: killing ingest (it did not hear the
    //  outcomes), the resolver (it carries the event bus) or an email sender. Each can lose at
    //  most what was in flight: CRIER_MAX_IN_FLIGHT notifications to each mailbox.
    assert_true (tally.mail_duplicates <= 3 * IN_FLIGHT * MAILBOXES);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sigkill_to_each_process_loses_nothing_accepted),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

/*  test_ingest_durable.c - the real crier-ingest keeps its promises (docs/delivery.md): an id
    sent twice is accepted once, even across a restart; a full backlog refuses on the
    acknowledged endpoint and stops reading the PULL one, then drains without losing anything;
    dead letters are listed and retried with `crier dead-letters`, and the retry survives a
    restart; compaction keeps exactly what is live; a backlog longer than what ingest keeps in
    memory goes to the resolver in order, each once, across compactions and a restart. The test
   stands in for the resolver and the event bus (ingest_fixture.h). */
//  prlimit: the test fills crier-ingest's disk by lowering its file size limit.
#define _GNU_SOURCE
#include "ingest_fixture.h"

#include "crier/control.h"
#include "crier/wait.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

//  Heartbeats are how the test sees the ledger's counts.
#define HEARTBEAT "CRIER_HEARTBEAT_INTERVAL=100ms"

//  A data directory of its own, kept across restarts of crier-ingest.
static void s_data_dir (char *env, size_t size, const char *name)
{
    snprintf (env, size, "CRIER_DATA_DIR=%s/%s", test_scratch_dir (), name);
}

static void s_expect_accepted (ingest_fixture_t *fixture, const char *id, bool duplicate)
{
    crier_reply_t reply = ingest_fixture_ask (fixture, "#ops", "disk full", id);
    if (!reply.ok)
        fail_msg ("%s was refused: %s", id, reply.error);
    assert_string_equal (reply.id, id);
    assert_int_equal (reply.duplicate, duplicate);
    crier_reply_free (&reply);
}

//  Receives the next notification on the resolver side and checks its id.
static void s_expect_forwarded (ingest_fixture_t *fixture, const char *id)
{
    crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
    if (!forwarded)
        fail_msg ("%s was not passed on to the resolver", id);
    assert_string_equal (forwarded->id, id);
    crier_notification_destroy (&forwarded);
}

//  Publishes receipts until a heartbeat shows key = value. The bus is PUB/SUB: what is published
//  before crier-ingest's subscription arrives is lost, so the receipts go again (the ledger
//  ignores a receipt it has seen).
//  Sends a new notification with its own id and receives it on the resolver side.
static void s_expect_taken (ingest_fixture_t *fixture, const char *id)
{
    s_expect_accepted (fixture, id, false);
    s_expect_forwarded (fixture, id);
}

static void s_publish_until (ingest_fixture_t *fixture, const crier_receipt_t *receipts,
                             size_t count, const char *key, int64_t value)
{
    for (int round = 0; round < 40; round++) {
        for (size_t index = 0; index < count; index++)
            ingest_fixture_publish (fixture, &receipts[index]);
        if (ingest_fixture_await_heartbeat (fixture, key, value, 500))
            return;
    }
    fail_msg ("crier-ingest's heartbeat never showed %s=%lld", key, (long long)value);
}

//  Tells crier-ingest that notification id became no delivery at all: it is done.
static void s_finish (ingest_fixture_t *fixture, char *const *ids, size_t count,
                      int64_t backlog_after)
{
    crier_receipt_t *receipts = calloc (count, sizeof *receipts);
    for (size_t index = 0; index < count; index++)
        receipts[index] =
            (crier_receipt_t){.kind = CRIER_RECEIPT_ROUTED, .notification_id = ids[index]};
    s_publish_until (fixture, receipts, count, "backlog", backlog_after);
    free (receipts);
}

static void test_same_id_is_accepted_once_even_across_a_restart (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "dedup");
    const char *env[] = {data_dir, HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_accepted (fixture, "job-1", false);
    s_expect_forwarded (fixture, "job-1");
    s_expect_accepted (fixture, "job-1", true);
    //  A notification with no id gets a new one each time: never a duplicate.
    crier_reply_t first = ingest_fixture_ask (fixture, "#ops", "no id", NULL);
    crier_reply_t second = ingest_fixture_ask (fixture, "#ops", "no id", NULL);
    assert_true (first.ok && second.ok && !first.duplicate && !second.duplicate);
    assert_string_not_equal (first.id, second.id);
    s_expect_forwarded (fixture, first.id);
    s_expect_forwarded (fixture, second.id);
    char *done[] = {"job-1", first.id, second.id};
    s_finish (fixture, done, 3, 0);
    crier_reply_free (&first);
    crier_reply_free (&second);
    //  The duplicate was never passed on.
    assert_null (ingest_fixture_receive (fixture, 300));
    assert_int_equal (test_process_count_log (fixture->ingest, "notification.duplicate"), 1);
    ingest_fixture_stop (&fixture, NULL);

    fixture = ingest_fixture_start (env);
    s_expect_accepted (fixture, "job-1", true);
    //  What was done is not sent again after the restart, and the duplicate never is.
    assert_null (ingest_fixture_receive (fixture, 500));
    ingest_fixture_stop (&fixture, NULL);
}

static void test_full_backlog_refuses_then_drains_without_loss (void **state)
{
    const char *env[] = {"CRIER_MAX_BACKLOG=2", HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_accepted (fixture, "b-1", false);
    s_expect_accepted (fixture, "b-2", false);
    s_expect_forwarded (fixture, "b-1");
    s_expect_forwarded (fixture, "b-2");
    crier_reply_t refused = ingest_fixture_ask (fixture, "#ops", "one too many", "b-3");
    assert_false (refused.ok);
    assert_true (refused.temporary);
    assert_non_null (strstr (refused.error, "backlog full"));
    crier_reply_free (&refused);
    assert_true (
        test_process_wait_log (fixture->ingest, "ingest.backlog_full", 5000, NULL, NULL, 0));

    //  The PULL endpoint is not read meanwhile: the frame waits in ZeroMQ, not in memory.
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->ingest_endpoint);
    zsock_t *push = zsock_new_push (endpoint);
    assert_non_null (push);
    assert_int_equal (test_send_notification (push, "#ops", "body", "pushed while full"), 0);
    assert_null (ingest_fixture_receive (fixture, 500));

    //  One notification done: there is room again, and the waiting frame comes through.
    char *done[] = {"b-1"};
    s_finish (fixture, done, 1, 2);
    crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->body, "pushed while full");
    crier_notification_destroy (&forwarded);
    assert_true (
        test_process_wait_log (fixture->ingest, "ingest.backlog_draining", 5000, NULL, NULL, 0));
    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, NULL);
}

//  Runs crier dead-letters against the fixture. Returns the exit status.
static int s_dead_letters (ingest_fixture_t *fixture, const char *const *args, char **out_p,
                           char **err_p)
{
    char endpoint[200];
    snprintf (endpoint, sizeof endpoint, "CRIER_CONTROL_ENDPOINT=%s", fixture->control_endpoint);
    const char *env[] = {endpoint, NULL};
    return test_run ("crier", args, env, NULL, 15000, out_p, err_p);
}

static void s_expect_listing (ingest_fixture_t *fixture, const char *needle)
{
    char *out, *err;
    const char *list[] = {"dead-letters", NULL};
    assert_int_equal (s_dead_letters (fixture, list, &out, &err), 0);
    if (needle ? !strstr (out, needle) : strcmp (out, "") != 0)
        fail_msg ("crier dead-letters printed \"%s\" (stderr \"%s\"), expected %s%s", out, err,
                  needle ? "a line with " : "nothing", needle ? needle : "");
    free (out);
    free (err);
}

static void test_dead_letters_are_listed_retried_and_kept (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "dead");
    const char *env[] = {data_dir, HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_taken (fixture, "n-dead");

    crier_receipt_delivery_t rows[2] = {{.channel = "email", .target = "nobody@example.org"},
                                        {.channel = "matrix", .target = "!ops:example.org"}};
    for (size_t index = 0; index < 2; index++)
        crier_delivery_id (rows[index].delivery_id, "n-dead", rows[index].channel,
                           rows[index].target);
    crier_receipt_t receipts[] = {
        {.kind = CRIER_RECEIPT_ROUTED,
         .notification_id = "n-dead",
         .deliveries = rows,
         .delivery_count = 2},
        {.kind = CRIER_RECEIPT_DELIVERED, .notification_id = "n-dead", .delivery = rows[1]},
        {.kind = CRIER_RECEIPT_FAILED,
         .notification_id = "n-dead",
         .delivery = rows[0],
         .reason = "550 no such user",
         .time_ms = 1764000000000},
    };
    s_publish_until (fixture, receipts, 3, "dead_letters", 1);
    char line[400];
    snprintf (line, sizeof line,
              "2025-11-24T16:00:00Z\tn-dead\t%s\temail\tnobody@example.org\t550 no such user\n",
              rows[0].delivery_id);
    s_expect_listing (fixture, line);

    //  Kept across a restart.
    ingest_fixture_stop (&fixture, NULL);
    fixture = ingest_fixture_start (env);
    s_expect_listing (fixture, line);
    assert_null (ingest_fixture_receive (fixture, 300));

    char *out, *err;
    const char *unknown[] = {"dead-letters", "retry", "no-such-id", NULL};
    assert_int_equal (s_dead_letters (fixture, unknown, &out, &err), 1);
    assert_non_null (strstr (err, "no dead letter has this notification or delivery id"));
    free (out);
    free (err);
    const char *retry[] = {"dead-letters", "retry", rows[0].delivery_id, NULL};
    assert_int_equal (s_dead_letters (fixture, retry, &out, &err), 0);
    assert_string_equal (out, "1 dead letter put back to be sent again\n");
    free (out);
    free (err);
    assert_true (
        test_process_wait_log (fixture->ingest, "dead_letters.retried", 5000, NULL, NULL, 0));
    //  Only the failed delivery goes again, as attempt 2.
    crier_frame_redelivery_t again;
    crier_notification_t *forwarded = ingest_fixture_receive_again (fixture, 5000, &again);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->id, "n-dead");
    assert_int_equal (again.attempt, 2);
    assert_int_equal (again.only_count, 1);
    assert_string_equal (again.only[0].target, "nobody@example.org");
    crier_frame_redelivery_free (&again);
    crier_notification_destroy (&forwarded);
    s_expect_listing (fixture, NULL);
    const char *all[] = {"dead-letters", "retry", "--all", NULL};
    assert_int_equal (s_dead_letters (fixture, all, &out, &err), 1);
    assert_non_null (strstr (err, "there are no dead letters"));
    free (out);
    free (err);

    //  The retry was journaled: after a restart the delivery is still pending, not dead.
    ingest_fixture_stop (&fixture, NULL);
    fixture = ingest_fixture_start (env);
    forwarded = ingest_fixture_receive_again (fixture, 5000, &again);
    assert_non_null (forwarded);
    assert_int_equal (again.only_count, 1);
    assert_string_equal (again.only[0].target, "nobody@example.org");
    crier_frame_redelivery_free (&again);
    crier_notification_destroy (&forwarded);
    s_expect_listing (fixture, NULL);
    ingest_fixture_stop (&fixture, NULL);
}

static void test_bad_control_requests_are_refused (void **state)
{
    ingest_fixture_t *fixture = ingest_fixture_start (NULL);
    char *out, *err;
    const char *cases[][5] = {
        {"dead-letters", "retry", NULL},           {"dead-letters", "retry", "x", "--all", NULL},
        {"dead-letters", "--limit", "0", NULL},    {"dead-letters", "some-id", NULL},
        {"dead-letters", "--timeout", "0s", NULL},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        assert_int_equal (s_dead_letters (fixture, cases[index], &out, &err), 2);
        assert_non_null (strstr (err, "Try 'crier dead-letters --help'"));
        free (out);
        free (err);
    }
    //  A frame that is not a control request gets an error answer and a log line.
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->control_endpoint);
    zsock_t *request = zsock_new_req (endpoint);
    zsock_set_rcvtimeo (request, 5000);
    zstr_send (request, "not msgpack at all");
    zframe_t *answer = zframe_recv (request);
    assert_non_null (answer);
    crier_control_reply_t reply;
    crier_error_t error;
    assert_int_equal (
        crier_control_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error), 0);
    assert_false (reply.ok);
    assert_non_null (reply.error);
    crier_control_reply_free (&reply);
    zframe_destroy (&answer);
    zsock_destroy (&request);
    assert_true (test_process_wait_log (fixture->ingest, "control.invalid", 5000, NULL, NULL, 0));
    ingest_fixture_stop (&fixture, NULL);
}

static void test_compaction_keeps_exactly_what_is_live (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "compact");
    const char *env[] = {data_dir, HEARTBEAT, "CRIER_JOURNAL_COMPACT_BYTES=4096", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    char *ids[60];
    for (size_t index = 0; index < 60; index++) {
        ids[index] = zsys_sprintf ("c-%zu", index);
        s_expect_accepted (fixture, ids[index], false);
        s_expect_forwarded (fixture, ids[index]);
    }
    s_finish (fixture, ids, 50, 10);
    //  More notifications until a compaction runs after the 50 were done.
    int compactions = test_process_count_log (fixture->ingest, "journal.compacted");
    char *extra[200];
    size_t extras = 0;
    while (test_process_count_log (fixture->ingest, "journal.compacted") == compactions) {
        assert_true (extras < 200);
        extra[extras] = zsys_sprintf ("x-%zu", extras);
        s_expect_accepted (fixture, extra[extras], false);
        s_expect_forwarded (fixture, extra[extras]);
        extras++;
    }
    ingest_fixture_stop (&fixture, NULL);

    //  After the restart exactly the live ones go to the resolver again; the done ones are
    //  remembered as seen.
    fixture = ingest_fixture_start (env);
    size_t expected = 10 + extras, received = 0;
    for (crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000); forwarded;
         forwarded = ingest_fixture_receive (fixture, received + 1 < expected ? 5000 : 500)) {
        bool live = strncmp (forwarded->id, "x-", 2) == 0 || atoi (forwarded->id + 2) >= 50;
        if (!live)
            fail_msg ("%s was done before the compaction and came again", forwarded->id);
        received++;
        crier_notification_destroy (&forwarded);
    }
    assert_int_equal (received, expected);
    s_expect_accepted (fixture, "c-3", true);
    ingest_fixture_stop (&fixture, NULL);
    for (size_t index = 0; index < 60; index++)
        zstr_free (&ids[index]);
    for (size_t index = 0; index < extras; index++)
        zstr_free (&extra[index]);
}

//  Receives the next count notifications, expecting ids prefix-from, prefix-(from+1), ...
static void s_expect_in_order (ingest_fixture_t *fixture, const char *prefix, int from, int count)
{
    for (int index = from; index < from + count; index++) {
        char id[32];
        snprintf (id, sizeof id, "%s-%d", prefix, index);
        s_expect_forwarded (fixture, id);
    }
}

//  Finishes notifications prefix-from ... prefix-(from+count-1).
static void s_finish_range (ingest_fixture_t *fixture, const char *prefix, int from, int count,
                            int64_t backlog_after)
{
    char **ids = calloc ((size_t)count, sizeof *ids);
    assert_non_null (ids);
    for (int index = 0; index < count; index++)
        ids[index] = zsys_sprintf ("%s-%d", prefix, from + index);
    s_finish (fixture, ids, (size_t)count, backlog_after);
    for (int index = 0; index < count; index++)
        zstr_free (&ids[index]);
    free (ids);
}

static void test_a_long_backlog_waits_in_the_journal_and_goes_in_order (void **state)
{
    //  Ingest keeps CRIER_MAX_IN_FLIGHT (5) notifications in flight and as many queued in
    //  memory; the other 90 wait in the journal only, which is compacted as it goes.
    enum { TOTAL = 100, WINDOW = 5 };
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "long");
    const char *env[] = {data_dir, HEARTBEAT, "CRIER_MAX_IN_FLIGHT=5",
                         "CRIER_JOURNAL_COMPACT_BYTES=4096", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    for (int index = 0; index < TOTAL; index++) {
        char id[32];
        snprintf (id, sizeof id, "l-%d", index);
        s_expect_accepted (fixture, id, false);
    }
    assert_true (ingest_fixture_await_heartbeat (fixture, "backlog", TOTAL, 5000));
    //  The resolver gets them a window at a time, in order, each once.
    for (int from = 0; from < TOTAL / 2; from += WINDOW) {
        s_expect_in_order (fixture, "l", from, WINDOW);
        assert_null (ingest_fixture_receive (fixture, 100));
        s_finish_range (fixture, "l", from, WINDOW, TOTAL - from - WINDOW);
    }
    assert_true (test_process_count_log (fixture->ingest, "journal.compacted") > 0);
    //  Stopped with the next window in flight: after the restart it goes again, then the rest.
    s_expect_in_order (fixture, "l", TOTAL / 2, WINDOW);
    ingest_fixture_stop (&fixture, NULL);
    fixture = ingest_fixture_start (env);
    for (int from = TOTAL / 2; from < TOTAL; from += WINDOW) {
        s_expect_in_order (fixture, "l", from, WINDOW);
        assert_null (ingest_fixture_receive (fixture, 100));
        s_finish_range (fixture, "l", from, WINDOW, TOTAL - from - WINDOW);
    }
    //  Accepted again after the restart: still known.
    s_expect_accepted (fixture, "l-99", true);
    ingest_fixture_stop (&fixture, NULL);
}

//  Sets the soft file size limit of a running process: a full disk, as far as it can tell.
static void s_limit_file_size (pid_t pid, rlim_t bytes)
{
    struct rlimit limit = {bytes, RLIM_INFINITY};
    assert_int_equal (prlimit (pid, RLIMIT_FSIZE, &limit, NULL), 0);
}

static rlim_t s_journal_size (const char *data_dir_env)
{
    char path[400];
    snprintf (path, sizeof path, "%s/journal", strchr (data_dir_env, '=') + 1);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    return (rlim_t)info.st_size;
}

static void s_expect_unwritten (ingest_fixture_t *fixture, const char *id)
{
    crier_reply_t reply = ingest_fixture_ask (fixture, "#ops", "while the disk is full", id);
    assert_false (reply.ok);
    assert_true (reply.temporary);
    if (!strstr (reply.error, "could not write its journal"))
        fail_msg ("refused for another reason: %s", reply.error);
    crier_reply_free (&reply);
}

static void test_a_full_disk_refuses_and_never_delivers_what_it_refused (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "full-disk");
    const char *env[] = {data_dir, HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_taken (fixture, "before");

    //  The disk is full: nothing more fits in the journal.
    s_limit_file_size (fixture->ingest->pid, s_journal_size (data_dir));
    s_expect_unwritten (fixture, NULL); //  an id crier would have assigned
    assert_true (
        test_process_wait_log (fixture->ingest, "ingest.journal_failing", 5000, NULL, NULL, 0));
    s_expect_unwritten (fixture, "while-full");
    //  A refused notification never reaches the resolver.
    assert_null (ingest_fixture_receive (fixture, 300));

    //  Room again: the state is written anew, and the same id is accepted as new.
    s_limit_file_size (fixture->ingest->pid, RLIM_INFINITY);
    assert_true (
        test_process_wait_log (fixture->ingest, "ingest.journal_recovered", 5000, NULL, NULL, 0));
    s_expect_taken (fixture, "while-full");
    ingest_fixture_stop (&fixture, NULL);

    //  After a restart exactly what was accepted comes back; nothing that was refused.
    fixture = ingest_fixture_start (env);
    bool before = false, after = false;
    for (int index = 0; index < 2; index++) {
        crier_notification_t *replayed = ingest_fixture_receive (fixture, 5000);
        assert_non_null (replayed);
        before |= streq (replayed->id, "before");
        after |= streq (replayed->id, "while-full");
        crier_notification_destroy (&replayed);
    }
    assert_true (before && after);
    //  Neither the refused one without an id nor a second "while-full".
    assert_null (ingest_fixture_receive (fixture, 500));
    ingest_fixture_stop (&fixture, NULL);
}

static void test_a_retry_the_full_disk_could_not_keep_says_so (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "full-disk-retry");
    const char *env[] = {data_dir, HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_taken (fixture, "n-full");
    crier_receipt_delivery_t row = {.channel = "email", .target = "nobody@example.org"};
    crier_delivery_id (row.delivery_id, "n-full", row.channel, row.target);
    crier_receipt_t receipts[] = {
        {.kind = CRIER_RECEIPT_ROUTED,
         .notification_id = "n-full",
         .deliveries = &row,
         .delivery_count = 1},
        {.kind = CRIER_RECEIPT_FAILED,
         .notification_id = "n-full",
         .delivery = row,
         .reason = "550 no such user"},
    };
    s_publish_until (fixture, receipts, 2, "dead_letters", 1);
    //  The disk fills (whether the receipts reached it yet or not, the retry cannot).
    s_limit_file_size (fixture->ingest->pid, s_journal_size (data_dir));
    char *out, *err;
    const char *all[] = {"dead-letters", "retry", "--all", NULL};
    assert_int_equal (s_dead_letters (fixture, all, &out, &err), 1);
    if (!strstr (err, "could not write the retry to its journal"))
        fail_msg ("crier dead-letters said \"%s\"", err);
    free (out);
    free (err);

    //  The retry is in effect; once the disk has room the state written anew holds it, so a
    //  restart sends the delivery again instead of listing it as dead.
    s_limit_file_size (fixture->ingest->pid, RLIM_INFINITY);
    assert_true (
        test_process_wait_log (fixture->ingest, "ingest.journal_recovered", 5000, NULL, NULL, 0));
    ingest_fixture_stop (&fixture, NULL);
    fixture = ingest_fixture_start (env);
    crier_frame_redelivery_t again;
    crier_notification_t *forwarded = ingest_fixture_receive_again (fixture, 5000, &again);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->id, "n-full");
    assert_int_equal (again.only_count, 1);
    assert_string_equal (again.only[0].target, "nobody@example.org");
    crier_frame_redelivery_free (&again);
    crier_notification_destroy (&forwarded);
    s_expect_listing (fixture, NULL);
    ingest_fixture_stop (&fixture, NULL);
}

//  A wait request on a DEALER socket (the answer may come later), as a client in another
//  language would send it.
static zsock_t *s_ask_wait (ingest_fixture_t *fixture, const char *id, uint64_t timeout_ms)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_linger (dealer, 0);
    zsock_set_rcvtimeo (dealer, 10000);
    assert_int_equal (zsock_connect (dealer, "%s", fixture->ack_endpoint), 0);
    crier_wait_request_t request = {(char *)id, timeout_ms};
    char *data;
    size_t size;
    assert_int_equal (crier_wait_request_encode (&request, &data, &size), 0);
    zframe_t *frame = zframe_new (data, size);
    free (data);
    assert_int_equal (zstr_sendm (dealer, ""), 0);
    assert_int_equal (zframe_send (&frame, dealer, 0), 0);
    return dealer;
}

//  The answer on a socket from s_ask_wait (which it destroys).
static crier_wait_reply_t s_wait_answer (zsock_t **dealer_p)
{
    zmsg_t *answer = zmsg_recv (*dealer_p);
    if (!answer || zmsg_size (answer) != 2)
        fail_msg ("no answer to the wait request");
    zframe_t *body = zmsg_last (answer);
    crier_wait_reply_t reply;
    crier_error_t error;
    if (crier_wait_reply_decode (zframe_data (body), zframe_size (body), &reply, &error) != 0)
        fail_msg ("a bad wait answer: %s: %s", error.field, error.message);
    zmsg_destroy (&answer);
    zsock_destroy (dealer_p);
    return reply;
}

//  Wait requests (docs/protocol.md §1): answered at once from the ledger, or held until the
//  receipts finish the notification; an id ingest does not know, and a malformed request, say
//  so.
static void test_wait_requests_are_answered_from_the_ledger (void **state)
{
    char data_dir[300];
    s_data_dir (data_dir, sizeof data_dir, "waits");
    const char *env[] = {data_dir, HEARTBEAT, NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    s_expect_taken (fixture, "w-1");
    zsock_t *dealer = s_ask_wait (fixture, "w-1", 0);
    crier_wait_reply_t reply = s_wait_answer (&dealer);
    assert_true (reply.ok);
    assert_string_equal (reply.id, "w-1");
    assert_int_equal (reply.state, CRIER_WAIT_PENDING);
    assert_false (reply.routed);
    crier_wait_reply_free (&reply);
    //  Held while pending; answered when the receipts finish it.
    dealer = s_ask_wait (fixture, "w-1", 20000);
    crier_receipt_delivery_t delivery = {.channel = "email", .target = "ops@example.org"};
    crier_delivery_id (delivery.delivery_id, "w-1", "email", "ops@example.org");
    crier_receipt_t receipts[] = {
        {.kind = CRIER_RECEIPT_ROUTED,
         .notification_id = "w-1",
         .deliveries = &delivery,
         .delivery_count = 1},
        {.kind = CRIER_RECEIPT_DELIVERED, .notification_id = "w-1", .delivery = delivery}};
    s_publish_until (fixture, receipts, 2, "backlog", 0);
    reply = s_wait_answer (&dealer);
    assert_int_equal (reply.state, CRIER_WAIT_DELIVERED);
    assert_int_equal (reply.deliveries, 1);
    assert_int_equal (reply.delivered, 1);
    crier_wait_reply_free (&reply);
    //  Asked again later: still known as delivered.
    dealer = s_ask_wait (fixture, "w-1", 0);
    reply = s_wait_answer (&dealer);
    assert_int_equal (reply.state, CRIER_WAIT_DELIVERED);
    crier_wait_reply_free (&reply);
    dealer = s_ask_wait (fixture, "never-sent", 0);
    reply = s_wait_answer (&dealer);
    assert_int_equal (reply.state, CRIER_WAIT_UNKNOWN);
    crier_wait_reply_free (&reply);
    //  A wait request, but a wrong one: said, not taken for a notification without "to".
    dealer = s_ask_wait (fixture, "w-1", CRIER_WAIT_MAX_TIMEOUT_MS + 1);
    reply = s_wait_answer (&dealer);
    assert_false (reply.ok);
    assert_non_null (strstr (reply.error, "timeout_ms: must be at most 300000"));
    crier_wait_reply_free (&reply);
    ingest_fixture_stop (&fixture, NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_same_id_is_accepted_once_even_across_a_restart),
        cmocka_unit_test (test_full_backlog_refuses_then_drains_without_loss),
        cmocka_unit_test (test_dead_letters_are_listed_retried_and_kept),
        cmocka_unit_test (test_bad_control_requests_are_refused),
        cmocka_unit_test (test_compaction_keeps_exactly_what_is_live),
        cmocka_unit_test (test_a_long_backlog_waits_in_the_journal_and_goes_in_order),
        cmocka_unit_test (test_a_full_disk_refuses_and_never_delivers_what_it_refused),
        cmocka_unit_test (test_a_retry_the_full_disk_could_not_keep_says_so),
        cmocka_unit_test (test_wait_requests_are_answered_from_the_ledger),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

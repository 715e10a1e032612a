/*  test_ingest.c - the real crier-ingest binary: valid frames pass to the resolver side in order,
    stamped; every kind of bad frame is logged once, counted, published as an event, and does not
    disturb the frames around it; back-pressure waits instead of dropping. */
#include "crier/frames.h"
#include "ingest_fixture.h"

#include "crier/event.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void s_send_raw (zsock_t *push, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    assert_int_equal (zframe_send (&frame, push, 0), 0);
}

static void s_send_valid (zsock_t *push, const char *id, const char *body)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, id ? 3 : 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", body);
    if (id)
        test_frame_pair (&frame, "id", id);
    s_send_raw (push, frame.buffer.data, frame.buffer.size);
    test_frame_free (&frame);
}

static zsock_t *s_client (ingest_fixture_t *fixture)
{
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->ingest_endpoint);
    zsock_t *push = zsock_new_push (endpoint);
    assert_non_null (push);
    zsock_set_sndtimeo (push, 5000);
    return push;
}

//  The event bus is PUB/SUB, which drops what is published before the subscription reaches the
//  publisher. Send notifications until one's event arrives, so later events are reliable.
static void s_wait_for_event_path (ingest_fixture_t *fixture, zsock_t *push)
{
    zsock_set_rcvtimeo (fixture->events, 50);
    bool seen = false;
    for (int attempt = 0; attempt < 200 && !seen; attempt++) {
        s_send_valid (push, NULL, "priming the event bus");
        crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
        assert_non_null (forwarded);
        assert_string_equal (forwarded->body, "priming the event bus");
        crier_notification_destroy (&forwarded);
        char *topic = NULL;
        zframe_t *body = NULL;
        while (zsock_recv (fixture->events, "sf", &topic, &body) == 0) {
            seen |= streq (topic, "notification.accepted");
            zstr_free (&topic);
            zframe_destroy (&body);
        }
    }
    assert_true (seen);
}

static void test_valid_frames_pass_and_bad_ones_are_skipped (void **state)
{
    const char *env[] = {"CRIER_MAX_MESSAGE_BYTES=4096", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    zsock_t *push = s_client (fixture);
    s_wait_for_event_path (fixture, push);

    struct timeval before;
    gettimeofday (&before, NULL);
    int64_t before_ms = (int64_t)before.tv_sec * 1000 + before.tv_usec / 1000;

    s_send_valid (push, "first", "one");
    s_send_raw (push, "\xc1 definitely not msgpack", 24);
    s_send_valid (push, NULL, "two");
    zmsg_t *multi = zmsg_new ();
    zmsg_addstr (multi, "part one");
    zmsg_addstr (multi, "part two");
    assert_int_equal (zmsg_send (&multi, push), 0);
    char *big = malloc (5000);
    memset (big, 'x', 4999);
    big[4999] = '\0';
    s_send_valid (push, "too-big", big);
    free (big);
    s_send_raw (push, "\x92\xa1x\xa1y", 5);             //  an array, not a map
    s_send_raw (push, "\x82\xa2to\xa7#admins\xa4", 13); //  truncated
    s_send_raw (push, "", 0);
    s_send_valid (push, "third", "three");

    const char *expected_ids[] = {"first", NULL, "third"};
    const char *expected_bodies[] = {"one", "two", "three"};
    for (int index = 0; index < 3; index++) {
        crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
        assert_non_null (forwarded);
        assert_string_equal (forwarded->body, expected_bodies[index]);
        assert_string_equal (forwarded->to[0], "#admins");
        if (expected_ids[index])
            assert_string_equal (forwarded->id, expected_ids[index]);
        else
            assert_int_equal (strlen (forwarded->id), 36); //  assigned by ingest: a UUIDv7
        assert_true (forwarded->received_at_ms >= before_ms - 1000);
        assert_true (forwarded->received_at_ms <= before_ms + 60000);
        crier_notification_destroy (&forwarded);
    }
    //  Nothing else reached the resolver side: the bad frames were not forwarded.
    crier_notification_t *extra = ingest_fixture_receive (fixture, 200);
    assert_null (extra);

    //  One precise line per bad frame.
    const char *reasons[] = {"not valid msgpack",      "multi-part message of 2 frames",
                             "over the limit of 4096", "expected a msgpack map at the top level",
                             "truncated msgpack",      "empty frame"};
    for (size_t index = 0; index < 6; index++) {
        size_t cursor = 0;
        char line[1024];
        if (!test_process_wait_log (fixture->ingest, reasons[index], 5000, &cursor, line,
                                    sizeof line))
            fail_msg ("no log line says \"%s\"", reasons[index]);
        assert_non_null (strstr (line, " warn crier-ingest frame.rejected from="));
        assert_non_null (strstr (line, " field=(frame) "));
    }
    assert_int_equal (test_process_count_log (fixture->ingest, "frame.rejected"), 6);

    //  The same rejections appear on the event bus, and each notification is announced as
    //  accepted once it is on disk (after the rejections of its batch), in order.
    zsock_set_rcvtimeo (fixture->events, 5000);
    size_t rejected = 0, accepted = 0;
    for (size_t index = 0; index < 9; index++) {
        char *topic = NULL;
        zframe_t *body = NULL;
        assert_int_equal (zsock_recv (fixture->events, "sf", &topic, &body), 0);
        if (streq (topic, "frame.rejected"))
            rejected++;
        else {
            assert_string_equal (topic, "notification.accepted");
            char *json = crier_event_to_json (zframe_data (body), zframe_size (body));
            assert_non_null (json);
            if (expected_ids[accepted])
                assert_non_null (strstr (json, expected_ids[accepted]));
            accepted++;
            free (json);
        }
        zstr_free (&topic);
        zframe_destroy (&body);
    }
    assert_int_equal (rejected, 6);
    assert_int_equal (accepted, 3);

    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, NULL);
}

static void test_field_errors_name_the_field (void **state)
{
    ingest_fixture_t *fixture = ingest_fixture_start (NULL);
    zsock_t *push = s_client (fixture);
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "admins");
    test_frame_pair (&frame, "body", "x");
    s_send_raw (push, frame.buffer.data, frame.buffer.size);
    test_frame_free (&frame);
    s_send_valid (push, "after", "still flows");

    char line[1024];
    assert_true (
        test_process_wait_log (fixture->ingest, "frame.rejected", 5000, NULL, line, sizeof line));
    assert_non_null (strstr (line, "field=to error=\"group \\\"admins\\\" must start with '#'\""));
    crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->id, "after");
    crier_notification_destroy (&forwarded);
    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, NULL);
}

//  Sends one frame of size bytes on the acknowledged endpoint; returns the answer's error (the
//  caller frees it), or NULL when none came within timeout_ms.
static char *s_ask_raw (ingest_fixture_t *fixture, size_t size, int timeout_ms)
{
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->ack_endpoint);
    zsock_t *request = zsock_new_req (endpoint);
    assert_non_null (request);
    zsock_set_rcvtimeo (request, timeout_ms);
    zsock_set_linger (request, 0);
    char *data = calloc (1, size);
    assert_non_null (data);
    memset (data, 0xc1, size); //  never valid msgpack: refused if it is ever read
    assert_int_equal (zmq_send (zsock_resolve (request), data, size, 0), (int)size);
    free (data);
    zframe_t *answer = zframe_recv (request);
    char *error = NULL;
    if (answer) {
        crier_reply_t reply;
        crier_error_t decode_error;
        assert_int_equal (
            crier_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &decode_error),
            0);
        error = strdup (reply.error ? reply.error : "");
        crier_reply_free (&reply);
        zframe_destroy (&answer);
    }
    zsock_destroy (&request);
    return error;
}

//  The limit holds on the connections: a frame up to four times CRIER_MAX_MESSAGE_BYTES is read
//  and refused with a reason, a larger one makes ZeroMQ drop the connection before ingest reads
//  it (the limit used to be set after the bind, so it never applied: a 20 MB frame was read
//  whole and answered).
static void test_a_frame_past_the_hard_limit_is_never_read (void **state)
{
    const char *env[] = {"CRIER_MAX_MESSAGE_BYTES=4096", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    char *error = s_ask_raw (fixture, 3 * 4096, 10000);
    assert_non_null (error);
    assert_non_null (strstr (error, "over the limit of 4096"));
    free (error);
    //  A missing answer needs a deadline; the one above came in milliseconds.
    error = s_ask_raw (fixture, 20 * 4096, 2000);
    if (error)
        fail_msg ("a frame of 80 KiB was read and answered: %s", error);
    //  Only the first was read; ingest goes on serving.
    assert_int_equal (test_process_count_log (fixture->ingest, "over the limit"), 1);
    crier_reply_t reply = ingest_fixture_ask (fixture, "#ops", "still served", NULL);
    assert_true (reply.ok);
    crier_reply_free (&reply);
    ingest_fixture_stop (&fixture, NULL);
}

//  A flood of the same garbage is one line (and one event) at once, then one with the count
//  when the interval is over, not a line per frame (51,000 frames once wrote 12 MB of log).
static void test_a_flood_of_rejections_is_said_with_a_count (void **state)
{
    const char *env[] = {"CRIER_HEARTBEAT_INTERVAL=100ms", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    zsock_t *push = s_client (fixture);
    for (int index = 0; index < 500; index++)
        s_send_raw (push, "\xc1", 1);
    s_send_raw (push, "", 0); //  another mistake: said at once too
    s_send_valid (push, "after-the-flood", "x");
    crier_notification_t *forwarded = ingest_fixture_receive (fixture, 10000);
    assert_non_null (forwarded);
    crier_notification_destroy (&forwarded);
    assert_true (ingest_fixture_await_heartbeat (fixture, "rejected", 501, 10000));
    assert_int_equal (test_process_count_log (fixture->ingest, "frame.rejected"), 2);
    //  Within the next interval (10 s), the rest of the run is said once, with its count.
    char line[1024];
    if (!test_process_wait_log (fixture->ingest, "more_like_it=499", 15000, NULL, line,
                                sizeof line))
        fail_msg ("the run's count was never said");
    assert_int_equal (test_process_count_log (fixture->ingest, "frame.rejected"), 3);
    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, "rejected_total=501");
}

//  Resident memory of a process, in KiB (0 when it cannot be read).
static long s_rss_kib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *status = fopen (path, "r");
    long kib = 0;
    while (status && fgets (line, sizeof line, status))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kib = atol (line + 6);
    if (status)
        fclose (status);
    return kib;
}

//  libzmq holds a multi-part message whole before ingest sees it (it limits each part, not
//  their number): 100 parts of 900 KiB are refused, and their memory is given back instead of
//  staying in ingest for good (it once kept 260 MB after three such messages).
static void test_a_huge_multi_part_message_leaves_no_memory_behind (void **state)
{
    ingest_fixture_t *fixture = ingest_fixture_start (NULL);
    zsock_t *push = s_client (fixture);
    long before = s_rss_kib (fixture->ingest->pid);
    assert_true (before > 0);
    char *part = calloc (1, 900 * 1024);
    for (int round = 0; round < 3; round++) {
        zmsg_t *message = zmsg_new ();
        for (int index = 0; index < 100; index++)
            zmsg_addmem (message, part, 900 * 1024);
        assert_int_equal (zmsg_send (&message, push), 0);
    }
    free (part);
    //  A notification after them: once it is forwarded, the messages were read and refused.
    s_send_valid (push, "after-the-parts", "x");
    crier_notification_t *forwarded = ingest_fixture_receive (fixture, 20000);
    assert_non_null (forwarded);
    crier_notification_destroy (&forwarded);
    assert_true (test_process_wait_log (fixture->ingest, "multi-part message of 100 frames", 5000,
                                        NULL, NULL, 0));
    long after = s_rss_kib (fixture->ingest->pid);
#ifndef __SANITIZE_ADDRESS__ //  AddressSanitizer's allocator keeps freed memory in quarantine
    if (after > before + 32 * 1024)
        fail_msg ("ingest kept %ld KiB after refusing the messages (%ld before)", after, before);
#else
    printf ("# under AddressSanitizer: %ld KiB before, %ld after (not judged)\n", before, after);
#endif
    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, NULL);
}

static void test_counters_are_logged_at_stop (void **state)
{
    ingest_fixture_t *fixture = ingest_fixture_start (NULL);
    zsock_t *push = s_client (fixture);
    s_send_valid (push, "a", "x");
    s_send_raw (push, "\xc1", 1);
    s_send_valid (push, "b", "y");
    for (int index = 0; index < 2; index++) {
        crier_notification_t *forwarded = ingest_fixture_receive (fixture, 5000);
        assert_non_null (forwarded);
        crier_notification_destroy (&forwarded);
    }
    assert_true (test_process_wait_log (fixture->ingest, "frame.rejected", 5000, NULL, NULL, 0));
    zsock_destroy (&push);
    ingest_fixture_stop (&fixture, "ingest.stats accepted_total=2 rejected_total=1");
}

static void test_backpressure_waits_instead_of_dropping (void **state)
{
    //  An endpoint nothing listens on yet; ipc paths, unlike ports, cannot be taken meanwhile.
    char resolver_endpoint[128];
    snprintf (resolver_endpoint, sizeof resolver_endpoint, "ipc://%s/resolver-later",
              test_scratch_dir ());
    char notifications_env[160];
    snprintf (notifications_env, sizeof notifications_env, "CRIER_NOTIFICATIONS_ENDPOINT=%s",
              resolver_endpoint);
    const char *env[] = {notifications_env, "CRIER_SOCKET_HWM=2", NULL};
    ingest_fixture_t *fixture = ingest_fixture_start (env);
    zsock_t *push = s_client (fixture);
    for (int index = 0; index < 10; index++) {
        char id[16];
        snprintf (id, sizeof id, "held-%d", index);
        s_send_valid (push, id, "waiting for the resolver");
    }
    assert_true (test_process_wait_log (fixture->ingest, "resolver.backpressure", 10000,
                                        &fixture->log_cursor, NULL, 0));

    //  The resolver comes up: everything held arrives, in order.
    zsock_t *late = zsock_new_pull (NULL);
    assert_int_equal (zsock_bind (late, "%s", resolver_endpoint) >= 0, 1);
    zsock_set_rcvtimeo (late, 5000);
    for (int index = 0; index < 10; index++) {
        zframe_t *frame = zframe_recv (late);
        assert_non_null (frame);
        crier_error_t error;
        crier_notification_t *forwarded = crier_frame_decode_notification (
            zframe_data (frame), zframe_size (frame), NULL, &error);
        assert_non_null (forwarded);
        char id[16];
        snprintf (id, sizeof id, "held-%d", index);
        assert_string_equal (forwarded->id, id);
        crier_notification_destroy (&forwarded);
        zframe_destroy (&frame);
    }
    assert_true (test_process_wait_log (fixture->ingest, "resolver.flowing", 5000,
                                        &fixture->log_cursor, NULL, 0));
    zsock_destroy (&late);
    zsock_destroy (&push);
    unlink (resolver_endpoint + 6);
    ingest_fixture_stop (&fixture, NULL);
}

static void test_bad_configuration_exits_with_status_2 (void **state)
{
    char *out = NULL, *err = NULL;
    const char *env[] = {"CRIER_SOCKET_HWM=lots", NULL};
    assert_int_equal (test_run ("crier-ingest", NULL, env, NULL, 10000, &out, &err), 2);
    assert_non_null (strstr (err, "config.invalid variable=CRIER_SOCKET_HWM value=lots"));
    free (out);
    free (err);
    //  A port another socket holds already.
    zsock_t *holder = zsock_new_pull ("@tcp://127.0.0.1:*");
    char *held = zsock_last_endpoint (holder);
    char taken[160];
    snprintf (taken, sizeof taken, "CRIER_INGEST_ENDPOINT=%s", held);
    const char *taken_env[] = {taken, NULL};
    assert_int_equal (test_run ("crier-ingest", NULL, taken_env, NULL, 10000, &out, &err), 1);
    assert_non_null (strstr (err, "socket.bind_failed purpose=\"ingest endpoint for services\""));
    assert_non_null (strstr (err, "Address already in use"));
    free (out);
    free (err);
    zstr_free (&held);
    zsock_destroy (&holder);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_frames_pass_and_bad_ones_are_skipped),
        cmocka_unit_test (test_field_errors_name_the_field),
        cmocka_unit_test (test_a_frame_past_the_hard_limit_is_never_read),
        cmocka_unit_test (test_counters_are_logged_at_stop),
        cmocka_unit_test (test_a_huge_multi_part_message_leaves_no_memory_behind),
        cmocka_unit_test (test_a_flood_of_rejections_is_said_with_a_count),
        cmocka_unit_test (test_backpressure_waits_instead_of_dropping),
        cmocka_unit_test (test_bad_configuration_exits_with_status_2),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

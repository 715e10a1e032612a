/*  test_ingest_actor.c - crier-ingest's actor in this process, on inproc:// endpoints: the test
    is the client (a REQ socket on the acknowledged endpoint), the resolver (a PULL socket) and
    the event bus (a SUB socket for what ingest publishes, a PUB socket for the receipts it
    follows), and asserts on frames and events. */
#include "component.h"
#include "ingest_config.h"
#include "ingest_server.h"
#include "ingest_state.h"
#include "test_support.h"

#include "crier/frames.h"
#include "crier/notification.h"
#include "crier/receipt.h"
#include "crier/reply.h"

#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    crier_ingest_config_t config;
    zactor_t *ingest;
    zsock_t *resolver; //  what ingest forwards to
    zsock_t *events;   //  what ingest publishes
    zsock_t *receipts; //  what ingest follows
    char ack[64];
    char resolver_endpoint[64]; //  the neighbours' endpoints, kept across restarts
    char events_endpoint[64];
    char receipts_endpoint[64];
    char data_dir[256];
    const char *const *settings;
} fixture_t;

static int s_counter;

//  Starts the actor with the fixture's data folder and extra settings; the sockets of its
//  neighbours stay across restarts.
static void s_start_ingest (fixture_t *fixture)
{
    char name[6][64];
    int number = s_counter++;
    snprintf (name[0], sizeof name[0], "inproc://ingest-%d", number);
    snprintf (name[1], sizeof name[1], "inproc://ack-%d", number);
    snprintf (name[2], sizeof name[2], "inproc://control-%d", number);
    snprintf (fixture->ack, sizeof fixture->ack, "%s", name[1]);
    const char *defaults[] = {"CRIER_INGEST_ENDPOINT",
                              name[0],
                              "CRIER_INGEST_ACK_ENDPOINT",
                              name[1],
                              "CRIER_INGEST_CONTROL_ENDPOINT",
                              name[2],
                              "CRIER_NOTIFICATIONS_ENDPOINT",
                              fixture->resolver_endpoint,
                              "CRIER_EVENTS_PUBLISH_ENDPOINT",
                              fixture->events_endpoint,
                              "CRIER_EVENTS_ENDPOINT",
                              fixture->receipts_endpoint,
                              "CRIER_DATA_DIR",
                              fixture->data_dir,
                              "CRIER_HEARTBEAT_INTERVAL",
                              "100ms",
                              NULL};
    component_settings_set (defaults);
    component_settings_set (fixture->settings);
    assert_int_equal (crier_ingest_config_load (&fixture->config), 0);
    component_settings_clear (defaults);
    component_settings_clear (fixture->settings);
    fixture->ingest = component_start (crier_ingest_server, &fixture->config, NULL, 0);
    component_await_bus (fixture->events);
}

static void s_stop_ingest (fixture_t *fixture)
{
    zactor_destroy (&fixture->ingest);
    crier_ingest_config_free (&fixture->config);
}

static fixture_t *s_start (const char *const *settings)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->settings = settings;
    snprintf (fixture->data_dir, sizeof fixture->data_dir, "%s/ingest-actor-%d",
              test_scratch_dir (), s_counter);
    //  Names of their own: an inproc name is released some time after its socket closes.
    snprintf (fixture->resolver_endpoint, sizeof fixture->resolver_endpoint, "inproc://resolver-%d",
              s_counter);
    snprintf (fixture->events_endpoint, sizeof fixture->events_endpoint, "inproc://bus-in-%d",
              s_counter);
    snprintf (fixture->receipts_endpoint, sizeof fixture->receipts_endpoint, "inproc://bus-out-%d",
              s_counter);
    char bind[72];
    snprintf (bind, sizeof bind, "@%s", fixture->resolver_endpoint);
    fixture->resolver = zsock_new_pull (bind);
    snprintf (bind, sizeof bind, "@%s", fixture->receipts_endpoint);
    fixture->receipts = zsock_new_pub (bind);
    assert_non_null (fixture->resolver);
    assert_non_null (fixture->receipts);
    fixture->events = component_events (fixture->events_endpoint);
    s_start_ingest (fixture);
    return fixture;
}

static void s_stop (fixture_t **fixture_p)
{
    fixture_t *fixture = *fixture_p;
    s_stop_ingest (fixture);
    zsock_destroy (&fixture->resolver);
    zsock_destroy (&fixture->events);
    zsock_destroy (&fixture->receipts);
    free (fixture);
    *fixture_p = NULL;
}

//  Sends a notification for to on the acknowledged endpoint; returns ingest's answer.
static crier_reply_t s_ask (fixture_t *fixture, const char *to, const char *id)
{
    return test_ask (fixture->ack, to, "the body", id);
}

//  The next notification on the resolver's side (attempt in *attempt_p), or NULL.
static crier_notification_t *s_forwarded (fixture_t *fixture, int timeout_ms, uint32_t *attempt_p)
{
    zsock_set_rcvtimeo (fixture->resolver, timeout_ms);
    zframe_t *frame = zframe_recv (fixture->resolver);
    if (!frame)
        return NULL;
    crier_frame_redelivery_t redelivery = {0};
    crier_error_t error;
    crier_notification_t *notification = crier_frame_decode_notification (
        zframe_data (frame), zframe_size (frame), &redelivery, &error);
    zframe_destroy (&frame);
    assert_non_null (notification);
    if (attempt_p)
        *attempt_p = redelivery.attempt;
    crier_frame_redelivery_free (&redelivery);
    return notification;
}

//  Publishes receipts as the bus would, again and again (a subscription takes a moment to
//  reach the publisher), until a heartbeat says backlog = 0.
static void s_finish_with (fixture_t *fixture, const crier_receipt_t *receipts, size_t count)
{
    int64_t deadline = zclock_mono () + 10000;
    while (zclock_mono () < deadline) {
        for (size_t index = 0; index < count; index++) {
            char *data;
            size_t size;
            assert_int_equal (crier_receipt_encode (&receipts[index], &data, &size), 0);
            zmsg_t *message = zmsg_new ();
            zmsg_addstr (message, crier_receipt_type (receipts[index].kind));
            zmsg_addmem (message, data, size);
            free (data);
            assert_int_equal (zmsg_send (&message, fixture->receipts), 0);
        }
        json_t *heartbeat = component_next_event (fixture->events, "process.heartbeat", 1000);
        bool done = heartbeat && component_int (heartbeat, "backlog") == 0 &&
                    json_object_get (heartbeat, "backlog");
        json_decref (heartbeat);
        if (done)
            return;
    }
    fail_msg ("the receipts did not finish the notification within 10 s");
}

static void test_an_acknowledged_notification_is_journaled_forwarded_and_announced (void **state)
{
    fixture_t *fixture = s_start (NULL);
    crier_reply_t reply = s_ask (fixture, "#ops", "first");
    assert_true (reply.ok);
    assert_string_equal (reply.id, "first");
    crier_reply_free (&reply);
    uint32_t attempt = 0;
    crier_notification_t *notification = s_forwarded (fixture, 5000, &attempt);
    assert_non_null (notification);
    assert_string_equal (notification->id, "first");
    assert_string_equal (notification->to[0], "#ops");
    assert_int_equal (attempt, 1);
    crier_notification_destroy (&notification);
    json_t *event = component_next_event (fixture->events, "notification.accepted", 5000);
    assert_non_null (event);
    assert_string_equal (component_text (event, "notification_id"), "first");
    json_decref (event);
    //  The same id again: a duplicate, answered but not forwarded twice.
    reply = s_ask (fixture, "#ops", "first");
    assert_true (reply.ok);
    assert_true (reply.duplicate);
    crier_reply_free (&reply);
    assert_null (s_forwarded (fixture, 300, NULL));
    s_stop (&fixture);
}

static void test_without_news_a_notification_goes_again_after_its_lease (void **state)
{
    const char *settings[] = {"CRIER_REDELIVER_AFTER", "300ms", NULL};
    fixture_t *fixture = s_start (settings);
    crier_reply_t reply = s_ask (fixture, "#ops", "leased");
    assert_true (reply.ok);
    crier_reply_free (&reply);
    uint32_t attempt = 0;
    crier_notification_t *notification = s_forwarded (fixture, 5000, &attempt);
    assert_int_equal (attempt, 1);
    crier_notification_destroy (&notification);
    notification = s_forwarded (fixture, 5000, &attempt);
    assert_non_null (notification);
    assert_string_equal (notification->id, "leased");
    assert_int_equal (attempt, 2);
    crier_notification_destroy (&notification);
    s_stop (&fixture);
}

static void test_a_finished_notification_is_not_sent_again_after_a_restart (void **state)
{
    const char *settings[] = {"CRIER_REDELIVER_AFTER", "1s", NULL};
    fixture_t *fixture = s_start (settings);
    crier_reply_t reply = s_ask (fixture, "#ops", "done");
    crier_reply_free (&reply);
    crier_notification_t *notification = s_forwarded (fixture, 5000, NULL);
    crier_notification_destroy (&notification);
    crier_receipt_delivery_t row = {.channel = "email", .target = "ops@example.org"};
    crier_delivery_id (row.delivery_id, "done", row.channel, row.target);
    crier_receipt_t receipts[] = {
        {.kind = CRIER_RECEIPT_ROUTED,
         .notification_id = "done",
         .deliveries = &row,
         .delivery_count = 1},
        {.kind = CRIER_RECEIPT_DELIVERED, .notification_id = "done", .delivery = row},
    };
    s_finish_with (fixture, receipts, 2);

    //  Restarted on the same journal, past the lease: nothing to send.
    s_stop_ingest (fixture);
    s_start_ingest (fixture);
    json_t *heartbeat = component_next_event (fixture->events, "process.heartbeat", 5000);
    assert_non_null (heartbeat);
    assert_int_equal (component_int (heartbeat, "backlog"), 0);
    json_decref (heartbeat);
    assert_null (s_forwarded (fixture, 1500, NULL));
    s_stop (&fixture);
}

//  A client that sends and never reads its answers: ingest keeps at most 2,000 of them for it
//  (the rest are dropped), not CRIER_SOCKET_HWM, so that such clients cannot fill its memory.
//  On inproc nothing buffers in between: what the client finds is what ingest kept.
static void test_answers_a_client_does_not_read_are_bounded (void **state)
{
    fixture_t *fixture = s_start (NULL);
    char endpoint[80];
    snprintf (endpoint, sizeof endpoint, ">%s", fixture->ack);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_rcvhwm (dealer, 1);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint + 1), 0);
    crier_notification_t *notification = crier_notification_new ();
    assert_int_equal (crier_notification_add_group (notification, "#ops"), 0);
    assert_int_equal (crier_notification_set (&notification->body, "unread"), 0);
    char *data;
    size_t size;
    assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
    crier_notification_destroy (&notification);
    const int sent = 3000;
    for (int index = 0; index < sent; index++) {
        zmsg_t *request = zmsg_new ();
        zmsg_addmem (request, "", 0); //  the delimiter, as docs/protocol.md shows DEALER clients
        zmsg_addmem (request, data, size);
        assert_int_equal (zmsg_send (&request, dealer), 0);
    }
    free (data);
    //  Every one was taken (the heartbeat counts them) before the client reads anything.
    bool all_taken = false;
    for (int64_t deadline = zclock_mono () + 20000; !all_taken && zclock_mono () < deadline;) {
        json_t *heartbeat = component_next_event (fixture->events, "process.heartbeat", 1000);
        all_taken = heartbeat && component_int (heartbeat, "accepted") == sent;
        json_decref (heartbeat);
    }
    assert_true (all_taken);
    zsock_set_rcvtimeo (dealer, 500);
    int answers = 0;
    for (zmsg_t *answer; (answer = zmsg_recv (dealer)); answers++)
        zmsg_destroy (&answer);
    assert_true (answers > 0);
    assert_true (answers <= 2000 + 1);
    zsock_destroy (&dealer);
    s_stop (&fixture);
}

//  Sends count text frames from a DEALER and expects them refused: an answer of the delimiter
//  and an error map, nothing of the request echoed back.
static void s_expect_envelope_refused (zsock_t *dealer, const char *const *frames, int count)
{
    zmsg_t *request = zmsg_new ();
    for (int index = 0; index < count; index++)
        zmsg_addmem (request, frames[index], strlen (frames[index]));
    assert_int_equal (zmsg_send (&request, dealer), 0);
    zmsg_t *answer = zmsg_recv (dealer);
    assert_non_null (answer);
    assert_int_equal (zmsg_size (answer), 2); //  the delimiter and the answer, no echo
    zframe_t *delimiter = zmsg_first (answer);
    assert_int_equal (zframe_size (delimiter), 0);
    zframe_t *body = zmsg_next (answer);
    crier_reply_t reply;
    crier_error_t error;
    assert_int_equal (crier_reply_decode (zframe_data (body), zframe_size (body), &reply, &error),
                      0);
    assert_false (reply.ok);
    assert_non_null (strstr (reply.error, "send one notification frame after the empty delimiter"));
    crier_reply_free (&reply);
    zmsg_destroy (&answer);
}

//  The acknowledged endpoint takes exactly what REQ and DEALER clients send; frames before the
//  notification are not taken as an envelope to echo back.
static void test_only_the_documented_envelope_is_taken (void **state)
{
    fixture_t *fixture = s_start (NULL);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (dealer, "%s", fixture->ack), 0);
    zsock_set_rcvtimeo (dealer, 5000);
    const char *extra[] = {"", "spoofed-envelope", "not even a notification"};
    s_expect_envelope_refused (dealer, extra, 3);
    const char *several[] = {"", "a", "b", "c"};
    s_expect_envelope_refused (dealer, several, 4);
    //  Without the delimiter: refused too, and answered where an answer can go.
    const char *bare[] = {"x"};
    zmsg_t *request = zmsg_new ();
    zmsg_addmem (request, bare[0], 1);
    assert_int_equal (zmsg_send (&request, dealer), 0);
    zmsg_t *answer = zmsg_recv (dealer);
    assert_non_null (answer);
    zmsg_destroy (&answer);
    zsock_destroy (&dealer);
    //  The documented form still works.
    crier_reply_t reply = s_ask (fixture, "#ops", "after-bad-envelopes");
    assert_true (reply.ok);
    crier_reply_free (&reply);
    s_stop (&fixture);
}

//  A scoped id: the client's id and its tag, or a digest of both when that would pass 128 bytes;
//  the same for the same client and id, another for another client.
static void test_scoped_ids (void **state)
{
    const char *key_a = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const char *key_b = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    char *a = strdup ("nightly"), *b = strdup ("nightly"), *again = strdup ("nightly");
    char tag_a[CRIER_CLIENT_TAG_BYTES + 1], tag_b[CRIER_CLIENT_TAG_BYTES + 1];
    crier_id_client_tag (tag_a, key_a);
    crier_id_client_tag (tag_b, key_b);
    assert_int_equal (crier_ingest_scope_id (&a, key_a, tag_a), 0);
    assert_int_equal (crier_ingest_scope_id (&b, key_b, tag_b), 0);
    assert_int_equal (crier_ingest_scope_id (&again, key_a, tag_a), 0);
    assert_int_equal (strncmp (a, "nightly@", 8), 0);
    assert_int_equal (strlen (a), 8 + 12);
    assert_string_not_equal (a, b);
    assert_string_equal (a, again);
    char long_id[CRIER_MAX_ID_BYTES + 1];
    memset (long_id, 'x', CRIER_MAX_ID_BYTES);
    long_id[CRIER_MAX_ID_BYTES] = '\0';
    char *longer = strdup (long_id);
    assert_int_equal (crier_ingest_scope_id (&longer, key_a, tag_a), 0);
    assert_int_equal (strlen (longer), 28 + 1 + 12);
    assert_string_equal (strchr (longer, '@'), strchr (a, '@')); //  the same client's tag
    free (a);
    free (b);
    free (again);
    free (longer);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_an_acknowledged_notification_is_journaled_forwarded_and_announced),
        cmocka_unit_test (test_without_news_a_notification_goes_again_after_its_lease),
        cmocka_unit_test (test_a_finished_notification_is_not_sent_again_after_a_restart),
        cmocka_unit_test (test_answers_a_client_does_not_read_are_bounded),
        cmocka_unit_test (test_only_the_documented_envelope_is_taken),
        cmocka_unit_test (test_scoped_ids),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

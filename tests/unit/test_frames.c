/*  test_frames.c - the internal frames (notification, redelivery, delivery), events, receipts
    and the acknowledged endpoint's replies. */
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/log.h"
#include "crier/receipt.h"
#include "crier/reply.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static crier_notification_t *s_sample (void)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_add_group (notification, "#admins");
    crier_notification_set (&notification->id, "n-1");
    crier_notification_set (&notification->subject, "Übermäßig");
    crier_notification_set (&notification->html, "<p>hi</p>");
    notification->priority = CRIER_PRIORITY_HIGH;
    notification->received_at_ms = 1764000000123;
    return notification;
}

static void test_notification_frame_round_trip (void **state)
{
    crier_notification_t *original = s_sample ();
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (original, &data, &size), 0);
    crier_error_t error;
    crier_notification_t *decoded = crier_frame_decode_notification (data, size, NULL, &error);
    assert_non_null (decoded);
    assert_string_equal (decoded->id, "n-1");
    assert_string_equal (decoded->subject, "Übermäßig");
    assert_string_equal (decoded->html, "<p>hi</p>");
    assert_null (decoded->body);
    assert_int_equal (decoded->priority, CRIER_PRIORITY_HIGH);
    assert_int_equal (decoded->received_at_ms, 1764000000123);
    free (data);
    crier_notification_destroy (&decoded);

    //  An internal frame always carries an id; encoding refuses one without.
    crier_notification_set (&original->id, NULL);
    assert_int_equal (crier_frame_encode_notification (original, &data, &size), -1);
    crier_notification_destroy (&original);
}

static void test_public_frame_is_not_an_internal_one (void **state)
{
    crier_notification_t *notification = s_sample ();
    char *data;
    size_t size;
    assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
    crier_error_t error;
    assert_null (crier_frame_decode_notification (data, size, NULL, &error));
    assert_string_equal (error.field, "v");
    assert_string_equal (error.message, "required");
    free (data);
    crier_notification_destroy (&notification);
}

static void test_other_version_is_refused (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 6);
    test_frame_str (&frame, "v");
    msgpack_pack_uint32 (&frame.packer, 2);
    test_frame_pair (&frame, "type", "notification");
    test_frame_pair (&frame, "id", "n-2");
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "x");
    test_frame_str (&frame, "received_at");
    msgpack_pack_uint64 (&frame.packer, 1);
    crier_error_t error;
    assert_null (
        crier_frame_decode_notification (frame.buffer.data, frame.buffer.size, NULL, &error));
    assert_string_equal (error.field, "v");
    assert_non_null (strstr (error.message, "frame version 2 is not spoken here"));
    test_frame_free (&frame);
}

static void test_delivery_id_is_stable_and_distinct (void **state)
{
    char first[CRIER_DIGEST_BYTES], again[CRIER_DIGEST_BYTES], other[CRIER_DIGEST_BYTES];
    crier_delivery_id (first, "n-1", "matrix", "!room:example.org");
    crier_delivery_id (again, "n-1", "matrix", "!room:example.org");
    assert_string_equal (first, again);
    assert_int_equal (strlen (first), 40);
    assert_int_equal (strspn (first, "0123456789abcdef"), 40);
    crier_delivery_id (other, "n-1", "email", "!room:example.org");
    assert_string_not_equal (first, other);
    crier_delivery_id (other, "n-1", "matrix", "!other:example.org");
    assert_string_not_equal (first, other);
    //  Known value: SHA-1 of "n-1\nmatrix\n!room:example.org\n", so every language agrees.
    assert_string_equal (first, "7ea8b1093c082079c41a3933b1329e092531bf60");
}

static void test_delivery_frame_round_trip (void **state)
{
    crier_notification_t *notification = s_sample ();
    crier_delivery_t *delivery = crier_delivery_new (&notification, "email", "ops@example.org");
    assert_null (notification);
    assert_non_null (delivery);
    delivery->attempt = 3;
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_delivery (delivery, &data, &size), 0);
    crier_error_t error;
    crier_delivery_t *decoded = crier_frame_decode_delivery (data, size, &error);
    assert_non_null (decoded);
    assert_string_equal (decoded->delivery_id, delivery->delivery_id);
    assert_string_equal (decoded->channel, "email");
    assert_string_equal (decoded->target, "ops@example.org");
    assert_int_equal (decoded->attempt, 3);
    assert_string_equal (decoded->notification->id, "n-1");
    assert_string_equal (decoded->notification->subject, "Übermäßig");
    assert_int_equal (decoded->notification->received_at_ms, 1764000000123);
    free (data);
    crier_delivery_destroy (&decoded);
    crier_delivery_destroy (&delivery);
    crier_delivery_destroy (&delivery);
    assert_null (delivery);
}

static void test_delivery_with_forged_id_is_refused (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 10);
    test_frame_str (&frame, "v");
    msgpack_pack_uint32 (&frame.packer, 1);
    test_frame_pair (&frame, "type", "delivery");
    test_frame_pair (&frame, "delivery_id", "0000000000000000000000000000000000000000");
    test_frame_pair (&frame, "channel", "matrix");
    test_frame_pair (&frame, "target", "!room:example.org");
    test_frame_str (&frame, "attempt");
    msgpack_pack_uint32 (&frame.packer, 1);
    test_frame_str (&frame, "received_at");
    msgpack_pack_uint64 (&frame.packer, 5);
    test_frame_pair (&frame, "id", "n-1");
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "x");
    crier_error_t error;
    assert_null (crier_frame_decode_delivery (frame.buffer.data, frame.buffer.size, &error));
    assert_string_equal (error.field, "delivery_id");

    //  The same frame typed as a notification is refused by the delivery decoder.
    test_frame_free (&frame);
    crier_notification_t *notification = s_sample ();
    char *data;
    size_t size;
    crier_frame_encode_notification (notification, &data, &size);
    assert_null (crier_frame_decode_delivery (data, size, &error));
    assert_string_equal (error.field, "type");
    assert_non_null (strstr (error.message, "expected a delivery frame, got \"notification\""));
    free (data);
    crier_notification_destroy (&notification);
}

static void test_event_frames (void **state)
{
    zsock_t *subscriber = zsock_new_sub ("@inproc://test-events", "");
    zsock_t *publisher = zsock_new_pub (">inproc://test-events");
    assert_non_null (subscriber);
    assert_non_null (publisher);
    crier_log_init ("crier-test");
    //  A PUB socket drops what it sends before the subscription arrives, so repeat until one
    //  comes through (bounded).
    zmsg_t *message = NULL;
    for (int attempt = 0; attempt < 100 && !message; attempt++) {
        crier_event_t *event = crier_event_new ("frame.rejected");
        crier_event_add_text (event, "field", "to");
        crier_event_add_text (event, "skipped", NULL);
        crier_event_add_int (event, "bytes", 42);
        char *groups[] = {"#a", "#b"};
        crier_event_add_texts (event, "to", groups, 2);
        assert_int_equal (crier_event_send (&event, publisher), 0);
        assert_null (event);
        zsock_set_rcvtimeo (subscriber, 20);
        message = zmsg_recv (subscriber);
    }
    assert_non_null (message);
    assert_int_equal (zmsg_size (message), 2);
    char *topic = zmsg_popstr (message);
    assert_string_equal (topic, "frame.rejected");
    zframe_t *body = zmsg_pop (message);
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    assert_int_equal (
        msgpack_unpack_next (&unpacked, (char *)zframe_data (body), zframe_size (body), NULL),
        MSGPACK_UNPACK_SUCCESS);
    msgpack_object map = unpacked.data;
    assert_int_equal (map.type, MSGPACK_OBJECT_MAP);
    assert_int_equal (map.via.map.size, 8); //  v type time source instance field bytes to
    char dump[512];
    msgpack_object_print_buffer (dump, sizeof dump, map);
    assert_non_null (strstr (dump, "\"v\"=>1"));
    assert_non_null (strstr (dump, "\"type\"=>\"frame.rejected\""));
    assert_non_null (strstr (dump, "\"source\"=>\"crier-test\""));
    assert_non_null (strstr (dump, "\"field\"=>\"to\""));
    assert_non_null (strstr (dump, "\"bytes\"=>42"));
    assert_non_null (strstr (dump, "\"to\"=>[\"#a\", \"#b\"]"));
    assert_null (strstr (dump, "skipped"));
    msgpack_unpacked_destroy (&unpacked);
    zframe_destroy (&body);
    zstr_free (&topic);
    zmsg_destroy (&message);
    zsock_destroy (&publisher);
    zsock_destroy (&subscriber);
}

//  Encodes a notification frame sent again and decodes it (free with
//  crier_frame_redelivery_free and crier_notification_destroy).
static crier_notification_t *s_round_trip (const crier_notification_t *original,
                                           const crier_frame_redelivery_t *again,
                                           crier_frame_redelivery_t *decoded)
{
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_redelivery (original, again, &data, &size), 0);
    crier_error_t error;
    crier_notification_t *notification =
        crier_frame_decode_notification (data, size, decoded, &error);
    free (data);
    if (!notification)
        fail_msg ("%s: %s", error.field, error.message);
    return notification;
}

static void test_redelivery_frame_round_trip (void **state)
{
    crier_notification_t *original = s_sample ();
    crier_frame_target_t only[] = {{"matrix", "!room:example.org"}, {"email", "a@example.org"}};
    crier_frame_redelivery_t again = {.attempt = 3, .only = only, .only_count = 2, .route = true};
    crier_frame_redelivery_t decoded;
    crier_notification_t *notification = s_round_trip (original, &again, &decoded);
    assert_string_equal (notification->id, "n-1");
    assert_int_equal (decoded.attempt, 3);
    assert_int_equal (decoded.only_count, 2);
    assert_string_equal (decoded.only[0].channel, "matrix");
    assert_string_equal (decoded.only[0].target, "!room:example.org");
    assert_string_equal (decoded.only[1].target, "a@example.org");
    assert_true (decoded.route);
    crier_frame_redelivery_free (&decoded);
    crier_notification_destroy (&notification);

    //  A first attempt is the plain frame: attempt 1, nothing in only.
    char *data;
    size_t size;
    crier_error_t error;
    assert_int_equal (crier_frame_encode_notification (original, &data, &size), 0);
    notification = crier_frame_decode_notification (data, size, &decoded, &error);
    assert_non_null (notification);
    assert_int_equal (decoded.attempt, 1);
    assert_null (decoded.only);
    assert_false (decoded.route);
    crier_notification_destroy (&notification);
    free (data);
    crier_notification_destroy (&original);
}

//  Encodes a receipt and decodes it into *decoded (free with crier_receipt_free).
static void s_receipt_round_trip (const crier_receipt_t *receipt, crier_receipt_t *decoded)
{
    char *data;
    size_t size;
    crier_error_t error;
    assert_int_equal (crier_receipt_encode (receipt, &data, &size), 0);
    assert_int_equal (crier_receipt_decode (data, size, decoded, &error), 1);
    free (data);
}

//  A part request (docs/delivery.md, Large groups) and the routed receipt of a part.
static void test_parts_round_trip (void **state)
{
    crier_notification_t *original = s_sample ();
    crier_frame_redelivery_t again = {.attempt = 2, .part = 7, .part_size = 10000};
    crier_frame_redelivery_t decoded;
    crier_notification_t *notification = s_round_trip (original, &again, &decoded);
    assert_int_equal (decoded.part, 7);
    assert_int_equal (decoded.part_size, 10000);
    assert_int_equal (decoded.only_count, 0);
    crier_frame_redelivery_free (&decoded);
    crier_notification_destroy (&notification);
    //  Part 0 is a part too; no part_size: not a part request.
    again = (crier_frame_redelivery_t){.attempt = 1, .part = 0, .part_size = 5};
    notification = s_round_trip (original, &again, &decoded);
    assert_int_equal (decoded.part_size, 5);
    assert_int_equal (decoded.part, 0);
    crier_notification_destroy (&notification);
    again = (crier_frame_redelivery_t){.attempt = 1};
    notification = s_round_trip (original, &again, &decoded);
    assert_int_equal (decoded.part_size, 0);
    crier_notification_destroy (&notification);
    crier_notification_destroy (&original);

    char *groups[] = {"#customers"};
    crier_receipt_delivery_t rows[1] = {{.channel = "email", .target = "a@example.org"}};
    memset (rows[0].delivery_id, 'c', CRIER_DIGEST_BYTES - 1);
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = "n-1",
                              .deliveries = rows,
                              .delivery_count = 1,
                              .parts = 100,
                              .part = 99,
                              .part_size = 10000,
                              .groups = groups,
                              .group_count = 1,
                              .forgotten = 990000};
    crier_receipt_t receipt;
    s_receipt_round_trip (&routed, &receipt);
    assert_int_equal (receipt.forgotten, 990000);
    assert_int_equal (receipt.parts, 100);
    assert_int_equal (receipt.part, 99);
    assert_int_equal (receipt.part_size, 10000);
    assert_int_equal (receipt.group_count, 1);
    assert_string_equal (receipt.groups[0], "#customers");
    crier_receipt_free (&receipt);
    //  A part past the last is refused.
    routed.part = 100;
    char *data;
    size_t size;
    crier_error_t error;
    assert_int_equal (crier_receipt_encode (&routed, &data, &size), 0);
    assert_int_equal (crier_receipt_decode (data, size, &receipt, &error), -1);
    assert_string_equal (error.field, "part");
    free (data);
}

static void test_bad_only_is_refused (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 7);
    test_frame_str (&frame, "v");
    msgpack_pack_uint32 (&frame.packer, 1);
    test_frame_pair (&frame, "type", "notification");
    test_frame_pair (&frame, "id", "n-1");
    test_frame_str (&frame, "received_at");
    msgpack_pack_uint64 (&frame.packer, 1);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "x");
    test_frame_pair (&frame, "only", "everything");
    crier_error_t error;
    crier_frame_redelivery_t redelivery;
    assert_null (crier_frame_decode_notification (frame.buffer.data, frame.buffer.size, &redelivery,
                                                  &error));
    assert_string_equal (error.field, "only");
    test_frame_free (&frame);
}

static void test_receipt_round_trip (void **state)
{
    crier_receipt_delivery_t rows[1] = {{.channel = "email", .target = "a@example.org"}};
    memset (rows[0].delivery_id, 'c', CRIER_DIGEST_BYTES - 1);
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = "n-1",
                              .time_ms = 1764000000000,
                              .deliveries = rows,
                              .delivery_count = 1};
    crier_receipt_t decoded;
    s_receipt_round_trip (&routed, &decoded);
    assert_int_equal (decoded.kind, CRIER_RECEIPT_ROUTED);
    assert_string_equal (decoded.notification_id, "n-1");
    assert_int_equal (decoded.time_ms, 1764000000000);
    assert_int_equal (decoded.delivery_count, 1);
    assert_string_equal (decoded.deliveries[0].delivery_id, rows[0].delivery_id);
    assert_string_equal (decoded.deliveries[0].target, "a@example.org");
    crier_receipt_free (&decoded);

    crier_receipt_t failed = {.kind = CRIER_RECEIPT_FAILED,
                              .notification_id = "n-1",
                              .reason = "550 no such user",
                              .delivery = rows[0]};
    s_receipt_round_trip (&failed, &decoded);
    assert_int_equal (decoded.kind, CRIER_RECEIPT_FAILED);
    assert_string_equal (decoded.reason, "550 no such user");
    assert_string_equal (decoded.delivery.channel, "email");
    crier_receipt_free (&decoded);
}

static void test_a_delivered_event_is_peeked_at (void **state)
{
    char id[CRIER_DIGEST_BYTES], channel[16];
    crier_delivery_id (id, "n-1", "email", "a@example.org");
    crier_event_t *event =
        crier_event_new_outcome_of ("delivery.delivered", id, "n-1", "email", "a@example.org", 1);
    char *data;
    size_t size;
    assert_int_equal (crier_event_encode (event, 0, &data, &size), 0);
    char peeked[CRIER_DIGEST_BYTES];
    assert_int_equal (crier_receipt_peek (data, size, peeked, channel, sizeof channel), 0);
    assert_string_equal (peeked, id);
    assert_string_equal (channel, "email");
    //  A channel name longer than the room given is refused, not cut.
    char tiny[4];
    assert_int_equal (crier_receipt_peek (data, size, peeked, tiny, sizeof tiny), -1);
    free (data);
    crier_event_destroy (&event);
    //  No delivery id: refused; bytes that are no map: refused.
    event = crier_event_new ("mapping.loaded");
    assert_int_equal (crier_event_encode (event, 0, &data, &size), 0);
    assert_int_equal (crier_receipt_peek (data, size, peeked, channel, sizeof channel), -1);
    assert_int_equal (crier_receipt_peek ("\x93", 1, peeked, channel, sizeof channel), -1);
    free (data);
    crier_event_destroy (&event);
}

static void test_other_events_are_not_receipts (void **state)
{
    crier_event_t *event = crier_event_new ("mapping.loaded");
    crier_event_add_text (event, "revision", "1-a");
    char *data;
    size_t size;
    assert_int_equal (crier_event_encode (event, 0, &data, &size), 0);
    crier_receipt_t receipt;
    crier_error_t error;
    assert_int_equal (crier_receipt_decode (data, size, &receipt, &error), 0);
    free (data);
    crier_event_destroy (&event);
    //  A receipt with a bad delivery id names the field.
    event = crier_event_new ("delivery.delivered");
    crier_event_add_text (event, "notification_id", "n-1");
    crier_event_add_text (event, "delivery_id", "not hex");
    crier_event_add_text (event, "channel", "email");
    crier_event_add_text (event, "target", "a@example.org");
    assert_int_equal (crier_event_encode (event, 0, &data, &size), 0);
    assert_int_equal (crier_receipt_decode (data, size, &receipt, &error), -1);
    assert_string_equal (error.field, "delivery_id");
    free (data);
    crier_event_destroy (&event);
}

static void test_reply_round_trip (void **state)
{
    crier_reply_t replies[] = {{.ok = true, .id = "n-1"},
                               {.ok = true, .duplicate = true, .id = "n-1"},
                               {.ok = false, .error = "to: required"}};
    for (size_t index = 0; index < 3; index++) {
        char *data;
        size_t size;
        assert_int_equal (crier_reply_encode (&replies[index], &data, &size), 0);
        crier_reply_t decoded;
        crier_error_t error;
        assert_int_equal (crier_reply_decode (data, size, &decoded, &error), 0);
        assert_int_equal (decoded.ok, replies[index].ok);
        assert_int_equal (decoded.duplicate, replies[index].duplicate);
        if (replies[index].ok)
            assert_string_equal (decoded.id, "n-1");
        else
            assert_string_equal (decoded.error, "to: required");
        crier_reply_free (&decoded);
        free (data);
    }
    crier_reply_t decoded;
    crier_error_t error;
    assert_int_equal (crier_reply_decode ("\x80", 1, &decoded, &error), -1); //  {} has no "ok"
    assert_string_equal (error.field, "ok");
}

//  A nag request (docs/nag.md) survives its encoding: rooms to decide with their unread members,
//  a room only referred to, the escalation, and the nag emails to send again.
static void test_nag_request_round_trip (void **state)
{
    crier_notification_t *original = s_sample ();
    char *unread[] = {"@will:example.org", "@anna:example.org"};
    crier_frame_nag_t nags[2] = {{.room_id = "!r:example.org",
                                  .event_id = "$1",
                                  .after_ms = 900000,
                                  .unread = unread,
                                  .unread_count = 2},
                                 {.room_id = "!d:example.org", .event_id = "", .after_ms = 60000}};
    memset (nags[0].delivery_id, 'b', CRIER_DIGEST_BYTES - 1);
    memset (nags[1].delivery_id, 'd', CRIER_DIGEST_BYTES - 1);
    crier_frame_nag_delivery_t again = {.nag_of = "@bob:example.org", .target = "bob@example.org"};
    memset (again.of, 'd', CRIER_DIGEST_BYTES - 1);
    crier_frame_redelivery_t request = {.attempt = 2,
                                        .nags = nags,
                                        .nag_count = 2,
                                        .escalate = true,
                                        .nag_deliveries = &again,
                                        .nag_delivery_count = 1};
    crier_frame_redelivery_t decoded;
    crier_notification_t *notification = s_round_trip (original, &request, &decoded);
    assert_int_equal (decoded.attempt, 2);
    assert_int_equal (decoded.only_count, 0);
    assert_int_equal (decoded.nag_count, 2);
    assert_string_equal (decoded.nags[0].delivery_id, nags[0].delivery_id);
    assert_string_equal (decoded.nags[0].room_id, "!r:example.org");
    assert_string_equal (decoded.nags[0].event_id, "$1");
    assert_int_equal (decoded.nags[0].after_ms, 900000);
    assert_int_equal (decoded.nags[0].unread_count, 2);
    assert_string_equal (decoded.nags[0].unread[1], "@anna:example.org");
    assert_null (decoded.nags[1].unread);
    assert_string_equal (decoded.nags[1].event_id, "");
    assert_true (decoded.escalate);
    assert_int_equal (decoded.nag_delivery_count, 1);
    assert_string_equal (decoded.nag_deliveries[0].nag_of, "@bob:example.org");
    assert_string_equal (decoded.nag_deliveries[0].target, "bob@example.org");
    assert_string_equal (decoded.nag_deliveries[0].of, again.of);
    crier_frame_redelivery_free (&decoded);
    crier_notification_destroy (&notification);
    crier_notification_destroy (&original);
}

//  A nag email's delivery id comes from the notification and whom it is for, never from a
//  channel and target: a frame that names another person is refused.
//  docs/throttle.md: ingest's windows travel to the resolver, and a summary says its window.
static void test_throttle_frames_round_trip (void **state)
{
    crier_notification_t *original = s_sample ();
    crier_frame_window_t windows[2] = {
        {.group = "#admins", .start_ms = 1764000000000, .window_ms = 600000, .count = 37},
        {.group = "#ops", .start_ms = 1764000001000, .window_ms = 2000, .count = 0}};
    crier_frame_redelivery_t frame = {
        .attempt = 1, .windows = windows, .window_count = 2, .summary = windows[0]};
    crier_frame_redelivery_t decoded;
    crier_notification_t *notification = s_round_trip (original, &frame, &decoded);
    assert_int_equal (decoded.window_count, 2);
    assert_string_equal (decoded.windows[1].group, "#ops");
    assert_int_equal (decoded.windows[0].start_ms, 1764000000000);
    assert_int_equal (decoded.windows[1].window_ms, 2000);
    assert_int_equal (decoded.windows[0].count, 37);
    assert_string_equal (decoded.summary.group, "#admins");
    assert_int_equal (decoded.summary.count, 37);
    crier_frame_redelivery_free (&decoded);
    crier_notification_destroy (&notification);

    //  The routed receipt's decisions, as the resolver says them and ingest reads them.
    crier_receipt_throttle_t throttles[2] = {
        {.group = "#admins", .start_ms = 5, .window_ms = 600000, .action = CRIER_THROTTLE_HELD},
        {.group = "#ops", .start_ms = 7, .window_ms = 2000, .action = CRIER_THROTTLE_OPENED}};
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = "n-1",
                              .key = "db1/backup",
                              .throttles = throttles,
                              .throttle_count = 2};
    char *data;
    size_t size;
    assert_int_equal (crier_receipt_encode (&routed, &data, &size), 0);
    crier_receipt_t receipt;
    crier_error_t error;
    assert_int_equal (crier_receipt_decode (data, size, &receipt, &error), 1);
    assert_string_equal (receipt.key, "db1/backup");
    assert_int_equal (receipt.throttle_count, 2);
    assert_string_equal (receipt.throttles[1].group, "#ops");
    assert_int_equal (receipt.throttles[0].action, CRIER_THROTTLE_HELD);
    assert_int_equal (receipt.throttles[1].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (receipt.throttles[0].start_ms, 5);
    assert_int_equal (receipt.throttles[1].window_ms, 2000);
    crier_receipt_free (&receipt);
    free (data);

    //  An edit request, and the edit's delivery: its id from the notification and the room.
    crier_frame_edit_t edits[1] = {{.room_id = "!r:example.org", .event_id = "$first"}};
    crier_frame_redelivery_t request = {.attempt = 1, .edits = edits, .edit_count = 1};
    notification = s_round_trip (original, &request, &decoded);
    assert_int_equal (decoded.edit_count, 1);
    assert_string_equal (decoded.edits[0].room_id, "!r:example.org");
    assert_string_equal (decoded.edits[0].event_id, "$first");
    crier_frame_redelivery_free (&decoded);
    char delivery_id[CRIER_DIGEST_BYTES], expected[CRIER_DIGEST_BYTES];
    assert_int_equal (crier_frame_encode_edit_delivery (notification, "!r:example.org", "$first",
                                                        delivery_id, &data, &size),
                      0);
    crier_delivery_id (expected, notification->id, "matrix", "!r:example.org");
    assert_string_equal (delivery_id, expected);
    crier_delivery_t *delivery = crier_frame_decode_delivery (data, size, &error);
    assert_non_null (delivery);
    assert_string_equal (delivery->replaces, "$first");
    assert_null (delivery->nag_of);
    assert_string_equal (delivery->channel, "matrix");
    free (data);
    //  Encoded again (a sender's redelivery), it stays an edit.
    assert_int_equal (crier_frame_encode_delivery (delivery, &data, &size), 0);
    crier_delivery_destroy (&delivery);
    delivery = crier_frame_decode_delivery (data, size, &error);
    assert_non_null (delivery);
    assert_string_equal (delivery->replaces, "$first");
    crier_delivery_destroy (&delivery);
    free (data);
    crier_notification_destroy (&notification);
    crier_notification_destroy (&original);
}

static void test_nag_delivery_ids_come_from_the_person (void **state)
{
    crier_notification_t *original = s_sample ();
    char id[CRIER_DIGEST_BYTES], expected[CRIER_DIGEST_BYTES], plain[CRIER_DIGEST_BYTES];
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_nag_delivery (original, "will@example.org",
                                                       "@will:example.org", 1, id, &data, &size),
                      0);
    crier_delivery_id_of_nag (expected, original->id, "@will:example.org");
    assert_string_equal (id, expected);
    crier_delivery_id (plain, original->id, "email", "will@example.org");
    assert_string_not_equal (id, plain);
    crier_error_t error;
    crier_delivery_t *delivery = crier_frame_decode_delivery (data, size, &error);
    assert_non_null (delivery);
    assert_string_equal (delivery->nag_of, "@will:example.org");
    assert_string_equal (delivery->delivery_id, expected);
    //  Encoded again (a sender's outcome path): the same frame.
    char *again;
    size_t again_size;
    assert_int_equal (crier_frame_encode_delivery (delivery, &again, &again_size), 0);
    assert_int_equal (again_size, size);
    assert_memory_equal (again, data, size);
    free (again);
    crier_delivery_destroy (&delivery);
    //  The same bytes with another person: the id no longer matches.
    char *forged = NULL;
    for (size_t at = 0; !forged && at + 17 <= size; at++)
        if (memcmp (data + at, "@will:example.org", 17) == 0)
            forged = data + at;
    assert_non_null (forged);
    forged[1] = 'b';
    assert_null (crier_frame_decode_delivery (data, size, &error));
    assert_string_equal (error.field, "delivery_id");
    free (data);
    crier_notification_destroy (&original);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_notification_frame_round_trip),
        cmocka_unit_test (test_public_frame_is_not_an_internal_one),
        cmocka_unit_test (test_other_version_is_refused),
        cmocka_unit_test (test_delivery_id_is_stable_and_distinct),
        cmocka_unit_test (test_delivery_frame_round_trip),
        cmocka_unit_test (test_delivery_with_forged_id_is_refused),
        cmocka_unit_test (test_event_frames),
        cmocka_unit_test (test_redelivery_frame_round_trip),
        cmocka_unit_test (test_parts_round_trip),
        cmocka_unit_test (test_bad_only_is_refused),
        cmocka_unit_test (test_receipt_round_trip),
        cmocka_unit_test (test_a_delivered_event_is_peeked_at),
        cmocka_unit_test (test_other_events_are_not_receipts),
        cmocka_unit_test (test_reply_round_trip),
        cmocka_unit_test (test_nag_request_round_trip),
        cmocka_unit_test (test_nag_delivery_ids_come_from_the_person),
        cmocka_unit_test (test_throttle_frames_round_trip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

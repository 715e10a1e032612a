/*  test_notification.c - the public codec: a round trip and every way a frame can be wrong. */
#include "crier/notification.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT CRIER_DEFAULT_MAX_MESSAGE

static crier_notification_t *s_decode (test_frame_t *frame, crier_error_t *error)
{
    return crier_notification_decode (frame->buffer.data, frame->buffer.size, LIMIT, error);
}

//  Decodes the frame, expects it refused for field with a message containing fragment.
static void s_expect_error (test_frame_t *frame, const char *field, const char *fragment)
{
    crier_error_t error;
    memset (&error, 0, sizeof error);
    crier_notification_t *notification = s_decode (frame, &error);
    if (notification)
        fail_msg ("expected an error on %s", field);
    assert_string_equal (error.field, field);
    if (!strstr (error.message, fragment))
        fail_msg ("message \"%s\" lacks \"%s\"", error.message, fragment);
    test_frame_free (frame);
}

static void test_round_trip (void **state)
{
    crier_notification_t *original = crier_notification_new ();
    assert_int_equal (crier_notification_add_group (original, "#admins"), 0);
    assert_int_equal (crier_notification_add_group (original, "#users"), 0);
    crier_notification_set (&original->subject, "Disk full ✓");
    crier_notification_set (&original->body, "srv1: /var at 100 %");
    crier_notification_set (&original->html, "<b>srv1</b>: /var at 100 %");
    crier_notification_set (&original->id, "monitor-42");
    original->priority = CRIER_PRIORITY_URGENT;
    char *data;
    size_t size;
    assert_int_equal (crier_notification_encode (original, &data, &size), 0);

    crier_error_t error;
    crier_notification_t *decoded = crier_notification_decode (data, size, LIMIT, &error);
    assert_non_null (decoded);
    assert_int_equal (decoded->to_count, 2);
    assert_string_equal (decoded->to[0], "#admins");
    assert_string_equal (decoded->to[1], "#users");
    assert_string_equal (decoded->subject, "Disk full ✓");
    assert_string_equal (decoded->body, "srv1: /var at 100 %");
    assert_string_equal (decoded->html, "<b>srv1</b>: /var at 100 %");
    assert_string_equal (decoded->id, "monitor-42");
    assert_int_equal (decoded->priority, CRIER_PRIORITY_URGENT);
    free (data);
    crier_notification_destroy (&decoded);
    crier_notification_destroy (&original);
    assert_null (original);
}

static void test_minimal_frame_gets_defaults (void **state)
{
    //  What a Python client writes: {"to": "#admins", "body": "hi"}, plus an unknown key.
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 3);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "hi");
    test_frame_str (&frame, "x-future-field");
    msgpack_pack_array (&frame.packer, 2);
    msgpack_pack_int (&frame.packer, 1);
    msgpack_pack_nil (&frame.packer);
    crier_error_t error;
    crier_notification_t *notification = s_decode (&frame, &error);
    assert_non_null (notification);
    assert_int_equal (notification->to_count, 1);
    assert_string_equal (notification->to[0], "#admins");
    assert_null (notification->id);
    assert_null (notification->subject);
    assert_null (notification->html);
    assert_int_equal (notification->priority, CRIER_PRIORITY_NORMAL);
    crier_notification_destroy (&notification);
    test_frame_free (&frame);
}

static void test_nil_and_empty_optional_fields_are_absent (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 4);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "html", "<p>x</p>");
    test_frame_str (&frame, "subject");
    msgpack_pack_nil (&frame.packer);
    test_frame_pair (&frame, "body", "");
    crier_error_t error;
    crier_notification_t *notification = s_decode (&frame, &error);
    assert_non_null (notification);
    assert_null (notification->subject);
    assert_null (notification->body);
    assert_string_equal (notification->html, "<p>x</p>");
    crier_notification_destroy (&notification);
    test_frame_free (&frame);
}

static void s_frame_with_to (test_frame_t *frame)
{
    test_frame_init (frame);
    msgpack_pack_map (&frame->packer, 2);
    test_frame_str (frame, "body");
    test_frame_str (frame, "text");
    test_frame_str (frame, "to");
}

static void test_missing_to (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 1);
    test_frame_pair (&frame, "body", "text");
    s_expect_error (&frame, "to", "required");
}

static void test_to_without_hash (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    test_frame_str (&frame, "admins");
    s_expect_error (&frame, "to", "must start with '#'");
}

static void test_to_array_names_the_bad_element (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    msgpack_pack_array (&frame.packer, 3);
    test_frame_str (&frame, "#admins");
    test_frame_str (&frame, "#users");
    test_frame_str (&frame, "customers");
    s_expect_error (&frame, "to[2]", "\"customers\" must start with '#'");
}

static void test_to_bare_hash_and_spaces (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    test_frame_str (&frame, "#");
    s_expect_error (&frame, "to", "needs a name after '#'");
    s_frame_with_to (&frame);
    test_frame_str (&frame, "#my admins");
    s_expect_error (&frame, "to", "white space");
    //  What looks like nothing, or turns the rest of a log line around, is refused too: NEL,
    //  line separator, no-break space, right-to-left override, zero-width space.
    const char *invisible[] = {"#ops\xc2\x85", "#ops\xe2\x80\xa8x", "#ops\xc2\xa0x",
                               "#\xe2\x80\xaenimda", "#ad\xe2\x80\x8bmins"};
    for (size_t index = 0; index < sizeof invisible / sizeof invisible[0]; index++) {
        s_frame_with_to (&frame);
        test_frame_str (&frame, invisible[index]);
        s_expect_error (&frame, "to", "invisible or bidirectional");
    }
    //  Other letters are fine.
    s_frame_with_to (&frame);
    test_frame_str (&frame, "#équipe-日本");
    crier_error_t error;
    crier_notification_t *notification = s_decode (&frame, &error);
    assert_non_null (notification);
    crier_notification_destroy (&notification);
    test_frame_free (&frame);
}

static void test_to_empty_array (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    msgpack_pack_array (&frame.packer, 0);
    s_expect_error (&frame, "to", "empty array");
}

static void test_to_seventeen_groups (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    msgpack_pack_array (&frame.packer, 17);
    for (int index = 0; index < 17; index++) {
        char group[16];
        snprintf (group, sizeof group, "#g%d", index);
        test_frame_str (&frame, group);
    }
    s_expect_error (&frame, "to", "17 groups, at most 16");
}

static void test_sixteen_groups_are_fine (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    msgpack_pack_array (&frame.packer, 16);
    for (int index = 0; index < 16; index++) {
        char group[16];
        snprintf (group, sizeof group, "#g%d", index);
        test_frame_str (&frame, group);
    }
    crier_error_t error;
    crier_notification_t *notification = s_decode (&frame, &error);
    assert_non_null (notification);
    assert_int_equal (notification->to_count, 16);
    assert_string_equal (notification->to[15], "#g15");
    crier_notification_destroy (&notification);
    test_frame_free (&frame);
}

static void test_neither_body_nor_html (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "subject", "only a subject");
    s_expect_error (&frame, "body", "needs body, html or both");
}

static void test_wrong_types (void **state)
{
    test_frame_t frame;
    s_frame_with_to (&frame);
    msgpack_pack_int (&frame.packer, 42);
    s_expect_error (&frame, "to", "got integer");

    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_str (&frame, "body");
    msgpack_pack_true (&frame.packer);
    s_expect_error (&frame, "body", "must be a string, got boolean");

    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 3);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "x");
    test_frame_str (&frame, "subject");
    msgpack_pack_bin (&frame.packer, 3);
    msgpack_pack_bin_body (&frame.packer, "abc", 3);
    s_expect_error (&frame, "subject", "got binary");

    s_frame_with_to (&frame);
    msgpack_pack_array (&frame.packer, 1);
    msgpack_pack_map (&frame.packer, 0);
    s_expect_error (&frame, "to[0]", "got map");
}

static void test_bad_priority (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 3);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "x");
    test_frame_pair (&frame, "priority", "critical");
    s_expect_error (&frame, "priority", "low, normal, high, urgent");
}

//  A frame {to, body, field: value}, to decode.
static void s_frame_with (test_frame_t *frame, const char *field, const char *value)
{
    test_frame_init (frame);
    msgpack_pack_map (&frame->packer, 3);
    test_frame_pair (frame, "to", "#admins");
    test_frame_pair (frame, "body", "x");
    test_frame_pair (frame, field, value);
}

//  Expects each of values (NULL-ended) of field refused with a message holding fragment.
static void s_expect_values_refused (const char *field, const char *const *values,
                                     const char *fragment)
{
    for (size_t index = 0; values[index]; index++) {
        test_frame_t frame;
        s_frame_with (&frame, field, values[index]);
        s_expect_error (&frame, field, fragment);
    }
}

static void test_bad_ids (void **state)
{
    s_expect_values_refused ("id", (const char *[]){"has space", "", "tab\there", NULL},
                             "visible ASCII");
    char long_id[130];
    memset (long_id, 'a', 129);
    long_id[129] = '\0';
    s_expect_values_refused ("id", (const char *[]){long_id, NULL}, "got 129 bytes");
}

//  A key (throttling: docs/throttle.md) is 1 to 128 printable ASCII bytes, spaces allowed; it
//  survives an encoding.
static void test_keys (void **state)
{
    s_expect_values_refused ("key", (const char *[]){"", "tab\there", "caf\xc3\xa9", NULL},
                             "printable ASCII");
    test_frame_t frame;
    s_frame_with (&frame, "key", "db1 / backup failed");
    crier_error_t error;
    crier_notification_t *notification = s_decode (&frame, &error);
    assert_non_null (notification);
    assert_string_equal (notification->key, "db1 / backup failed");
    char *data;
    size_t size;
    assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
    crier_notification_t *again = crier_notification_decode (data, size, LIMIT, &error);
    assert_non_null (again);
    assert_string_equal (again->key, "db1 / backup failed");
    crier_notification_destroy (&again);
    crier_notification_destroy (&notification);
    free (data);
    test_frame_free (&frame);
}

static void test_invalid_utf8 (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "caf\xc3\x28 au lait");
    s_expect_error (&frame, "body", "not valid UTF-8 (at byte 3)");

    s_frame_with_to (&frame);
    test_frame_str (&frame, "#adm\xff");
    s_expect_error (&frame, "to", "not valid UTF-8");
}

static void test_nul_in_string (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_str (&frame, "body");
    msgpack_pack_str (&frame.packer, 3);
    msgpack_pack_str_body (&frame.packer, "a\0b", 3);
    s_expect_error (&frame, "body", "NUL");
}

static void test_oversize (void **state)
{
    size_t big = LIMIT + 1;
    char *text = malloc (big);
    memset (text, 'x', big - 1);
    text[big - 1] = '\0';
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", text);
    free (text);
    s_expect_error (&frame, "(frame)", "over the limit of 262144");
}

static void test_truncated (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "hello there");
    frame.buffer.size -= 4;
    s_expect_error (&frame, "(frame)", "truncated");
}

static void test_trailing_garbage (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "hello");
    msgpack_sbuffer_write (&frame.buffer, "junk", 4);
    s_expect_error (&frame, "(frame)", "4 bytes of trailing data");
}

static void test_not_a_map (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_array (&frame.packer, 2);
    test_frame_str (&frame, "#admins");
    test_frame_str (&frame, "hello");
    s_expect_error (&frame, "(frame)", "expected a msgpack map at the top level, got array");

    test_frame_init (&frame);
    test_frame_str (&frame, "{\"to\": \"#admins\"}");
    s_expect_error (&frame, "(frame)", "got string");
}

static void test_empty_and_garbage_frames (void **state)
{
    crier_error_t error;
    assert_null (crier_notification_decode ("", 0, LIMIT, &error));
    assert_string_equal (error.field, "(frame)");
    assert_non_null (strstr (error.message, "empty frame"));
    //  0xc1 is never used in msgpack.
    assert_null (crier_notification_decode ("\xc1garbage", 8, LIMIT, &error));
    assert_non_null (strstr (error.message, "not valid msgpack"));
}

static void test_huge_declared_map_is_refused_cheaply (void **state)
{
    //  msgpack-c would try to allocate ~128 GiB for this five-byte frame.
    crier_error_t error;
    assert_null (crier_notification_decode ("\xdf\xff\xff\xff\xff", 5, LIMIT, &error));
    assert_string_equal (error.field, "(frame)");
    assert_non_null (strstr (error.message, "declare more elements"));
    assert_null (crier_notification_decode ("\x81\xa2to\xdd\x7f\xff\xff\xff", 9, LIMIT, &error));
    assert_non_null (strstr (error.message, "declare more elements"));
}

static void test_duplicate_key (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 3);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "a");
    test_frame_pair (&frame, "body", "b");
    s_expect_error (&frame, "body", "given more than once");
}

//  Whatever the key, known or not, and whatever the type of its value: a reader must never
//  choose between two values.
static void test_any_key_given_twice_is_refused (void **state)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 4);
    test_frame_pair (&frame, "to", "#admins");
    test_frame_pair (&frame, "body", "a");
    test_frame_pair (&frame, "x-future", "a");
    test_frame_pair (&frame, "x-future", "b");
    s_expect_error (&frame, "x-future", "given more than once");

    //  A binary "to" beside a string "to": refused, not routed by the string one.
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 3);
    test_frame_pair (&frame, "body", "a");
    msgpack_pack_bin (&frame.packer, 2);
    msgpack_pack_bin_body (&frame.packer, "to", 2);
    test_frame_str (&frame, "#staff");
    test_frame_pair (&frame, "to", "#admins");
    s_expect_error (&frame, "(frame)", "every key must be a string, one is binary");

    //  An empty key twice (found by fuzz_notification): refused, and the refusal says where.
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "", "to");
    test_frame_pair (&frame, "", "#");
    s_expect_error (&frame, "(frame)", "a key is given more than once");

    //  Many keys, one twice: found without comparing every pair.
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2002);
    test_frame_pair (&frame, "to", "#admins");
    for (int index = 0; index < 2000; index++) {
        char key[16];
        snprintf (key, sizeof key, "k%d", index % 1999);
        test_frame_pair (&frame, key, "v");
    }
    test_frame_pair (&frame, "body", "a");
    s_expect_error (&frame, "k0", "given more than once");
}

static void test_validate_in_memory (void **state)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_error_t error;
    assert_int_equal (crier_notification_validate (notification, &error), -1);
    assert_string_equal (error.field, "to");
    crier_notification_add_group (notification, "#ops");
    crier_notification_set (&notification->body, "bad \xed\xa0\x80 surrogate");
    assert_int_equal (crier_notification_validate (notification, &error), -1);
    assert_string_equal (error.field, "body");
    crier_notification_set (&notification->body, "fine");
    assert_int_equal (crier_notification_validate (notification, &error), 0);
    for (int index = 1; index < CRIER_MAX_GROUPS; index++)
        assert_int_equal (crier_notification_add_group (notification, "#more"), 0);
    assert_int_equal (crier_notification_add_group (notification, "#one-too-many"), -1);
    crier_notification_destroy (&notification);
    crier_notification_destroy (&notification); //  NULL-safe and idempotent
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_minimal_frame_gets_defaults),
        cmocka_unit_test (test_nil_and_empty_optional_fields_are_absent),
        cmocka_unit_test (test_missing_to),
        cmocka_unit_test (test_to_without_hash),
        cmocka_unit_test (test_to_array_names_the_bad_element),
        cmocka_unit_test (test_to_bare_hash_and_spaces),
        cmocka_unit_test (test_to_empty_array),
        cmocka_unit_test (test_to_seventeen_groups),
        cmocka_unit_test (test_sixteen_groups_are_fine),
        cmocka_unit_test (test_neither_body_nor_html),
        cmocka_unit_test (test_wrong_types),
        cmocka_unit_test (test_bad_priority),
        cmocka_unit_test (test_bad_ids),
        cmocka_unit_test (test_keys),
        cmocka_unit_test (test_invalid_utf8),
        cmocka_unit_test (test_nul_in_string),
        cmocka_unit_test (test_oversize),
        cmocka_unit_test (test_truncated),
        cmocka_unit_test (test_trailing_garbage),
        cmocka_unit_test (test_not_a_map),
        cmocka_unit_test (test_empty_and_garbage_frames),
        cmocka_unit_test (test_huge_declared_map_is_refused_cheaply),
        cmocka_unit_test (test_duplicate_key),
        cmocka_unit_test (test_any_key_given_twice_is_refused),
        cmocka_unit_test (test_validate_in_memory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

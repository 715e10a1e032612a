/*  test_json_text.c - JSON written as text: what jansson reads back is exactly what was
    written, for every character a notification can hold, and text that is not UTF-8 is
    refused rather than sent. */
#include "crier/json_text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  Writes {"key": value} and reads value back with jansson.
static void s_round_trip (const char *value)
{
    crier_text_t text = {0};
    crier_text_add (&text, "{");
    crier_text_add_member (&text, "key", value, true);
    crier_text_add (&text, "}");
    char *written = crier_text_take (&text);
    assert_non_null (written);
    json_error_t error;
    json_t *object = json_loads (written, 0, &error);
    if (!object)
        fail_msg ("jansson refused %s: %s", written, error.text);
    assert_string_equal (json_string_value (json_object_get (object, "key")), value);
    json_decref (object);
    free (written);
}

static void test_every_character_reads_back_as_written (void **state)
{
    s_round_trip ("");
    s_round_trip ("plain text");
    s_round_trip ("\"quoted\" and \\back\\slashed\\");
    s_round_trip ("lines\nand\r\ntabs\there, a bell \a, \b\f and \x1f");
    s_round_trip ("DEL \x7f, slash /, </script>");
    s_round_trip ("é, ×38, 日本語, 😀, U+2028 \xe2\x80\xa8 and U+FEFF \xef\xbb\xbf");
    //  Every byte below 0x80 but NUL, in one string.
    char all[128];
    for (int index = 1; index < 128; index++)
        all[index - 1] = (char)index;
    all[127] = '\0';
    s_round_trip (all);
}

static void test_controls_are_escaped_not_sent_raw (void **state)
{
    crier_text_t text = {0};
    crier_text_add_json (&text, "a\x01\n\"\\");
    char *written = crier_text_take (&text);
    assert_string_equal (written, "\"a\\u0001\\n\\\"\\\\\"");
    free (written);
}

static void test_text_that_is_not_utf8_is_refused (void **state)
{
    const char *bad[] = {"\xff", "caf\xe9", "\xc0\xaf", "\xed\xa0\x80", "half \xe2\x82"};
    for (size_t index = 0; index < sizeof bad / sizeof *bad; index++) {
        crier_text_t text = {0};
        crier_text_add (&text, "{");
        crier_text_add_member (&text, "body", bad[index], true);
        crier_text_add (&text, "}"); //  ignored once failed
        assert_true (text.failed);
        assert_null (crier_text_take (&text));
        assert_false (text.failed); //  empty again, usable
        crier_text_free (&text);
    }
}

static void test_long_text_grows_and_stays_whole (void **state)
{
    crier_text_t text = {0};
    char *expected = malloc (100001);
    assert_non_null (expected);
    for (int index = 0; index < 100000; index++) {
        expected[index] = (char)('a' + index % 26);
        crier_text_append (&text, expected + index, 1);
    }
    expected[100000] = '\0';
    char *written = crier_text_take (&text);
    assert_string_equal (written, expected);
    free (written);
    free (expected);
    //  Nothing written is an empty text, not a failure.
    char *empty = crier_text_take (&text);
    assert_string_equal (empty, "");
    free (empty);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_character_reads_back_as_written),
        cmocka_unit_test (test_controls_are_escaped_not_sent_raw),
        cmocka_unit_test (test_text_that_is_not_utf8_is_refused),
        cmocka_unit_test (test_long_text_grows_and_stays_whole),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

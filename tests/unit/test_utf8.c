/*  test_utf8.c - strict UTF-8 validation against the boundary cases of RFC 3629. */
#include "crier/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static bool s_valid (const char *text)
{
    return crier_utf8_valid (text, strlen (text), NULL);
}

static void test_accepts_well_formed (void **state)
{
    assert_true (s_valid (""));
    assert_true (s_valid ("plain ASCII"));
    assert_true (s_valid ("caf\xc3\xa9"));            //  é, two bytes
    assert_true (s_valid ("\xe2\x82\xac"));           //  €, three bytes
    assert_true (s_valid ("\xf0\x9f\x94\x94"));       //  🔔, four bytes
    assert_true (s_valid ("\xed\x9f\xbf"));           //  U+D7FF, just below the surrogates
    assert_true (s_valid ("\xee\x80\x80"));           //  U+E000, just above them
    assert_true (s_valid ("\xf4\x8f\xbf\xbf"));       //  U+10FFFF, the last code point
    assert_true (crier_utf8_valid ("a\0b", 3, NULL)); //  NUL is UTF-8; the codec refuses it
}

static void test_rejects_ill_formed (void **state)
{
    size_t offset = 99;
    assert_false (crier_utf8_valid ("ab\x80", 3, &offset)); //  lone continuation byte
    assert_int_equal (offset, 2);
    assert_false (s_valid ("\xc0\xaf"));         //  overlong '/'
    assert_false (s_valid ("\xc1\xbf"));         //  overlong
    assert_false (s_valid ("\xe0\x80\xaf"));     //  overlong 3-byte
    assert_false (s_valid ("\xf0\x80\x80\xaf")); //  overlong 4-byte
    assert_false (s_valid ("\xed\xa0\x80"));     //  U+D800, a surrogate
    assert_false (s_valid ("\xf4\x90\x80\x80")); //  past U+10FFFF
    assert_false (s_valid ("\xf5\x80\x80\x80"));
    assert_false (s_valid ("\xff"));
    assert_false (crier_utf8_valid ("x\xe2\x82", 3, &offset)); //  cut short at the end
    assert_int_equal (offset, 1);
    assert_false (s_valid ("\xe2\x28\xa1")); //  bad continuation
}

static void test_invisible_characters (void **state)
{
    const char *invisible[] = {"a b",          "a\tb",         "a\x7f",           "\xc2\x85",
                               "\xc2\xa0",     "\xc2\xad",     "\xe1\x9a\x80",    "\xe2\x80\x8b",
                               "\xe2\x80\x8f", "\xe2\x80\xa8", "\xe2\x80\xae",    "\xe2\x81\xa6",
                               "\xe3\x80\x80", "\xef\xbb\xbf", "\xf3\xa0\x80\x81"};
    for (size_t index = 0; index < sizeof invisible / sizeof invisible[0]; index++)
        if (!crier_utf8_has_invisible (invisible[index], strlen (invisible[index])))
            fail_msg ("case %zu passed as visible", index);
    const char *visible[] = {"#admins", "équipe", "日本語", "\xf0\x9f\x94\x94", "a-b_c.d"};
    for (size_t index = 0; index < sizeof visible / sizeof visible[0]; index++)
        assert_false (crier_utf8_has_invisible (visible[index], strlen (visible[index])));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_accepts_well_formed),
        cmocka_unit_test (test_rejects_ill_formed),
        cmocka_unit_test (test_invisible_characters),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

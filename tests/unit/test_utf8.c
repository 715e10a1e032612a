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

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_accepts_well_formed),
        cmocka_unit_test (test_rejects_ill_formed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

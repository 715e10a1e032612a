/*  test_id.c - generated ids (UUIDv7) and the msgpack allocation guard. */
#include "crier/id.h"
#include "msgpack_guard.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_uuid_v7_shape_order_and_uniqueness (void **state)
{
    char previous[CRIER_ID_BYTES] = "";
    for (int round = 0; round < 1000; round++) {
        char id[CRIER_ID_BYTES];
        crier_id_generate (id);
        assert_int_equal (strlen (id), 36);
        assert_int_equal (id[8], '-');
        assert_int_equal (id[14], '7');                //  version
        assert_true (strchr ("89ab", id[19]) != NULL); //  variant
        assert_string_not_equal (id, previous);
        //  The first 48 bits are milliseconds: later ids never sort before earlier ones.
        assert_true (strncmp (previous, id, 13) <= 0);
        memcpy (previous, id, sizeof id);
    }
}

static void test_digest_known_value (void **state)
{
    char digest[CRIER_DIGEST_BYTES];
    const char *parts[] = {"abc"};
    crier_id_digest (digest, parts, 1);
    //  sha1("abc\n")
    assert_string_equal (digest, "03cfd743661f07975fa2f1220c5194cbaff48451");
    //  Several parts: each followed by a line feed, as a delivery id is made.
    const char *delivery[] = {"n1", "matrix", "!r:x"};
    crier_id_digest (digest, delivery, 3);
    assert_string_equal (digest, "1d006f87ca011785d76bea21a45880bb19138314");
}

//  A client's tag is the start of its key's digest: the same key, the same tag; another, another.
static void test_client_tag (void **state)
{
    (void)state;
    const char *key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    char tag[CRIER_CLIENT_TAG_BYTES + 1], again[CRIER_CLIENT_TAG_BYTES + 1];
    char other[CRIER_CLIENT_TAG_BYTES + 1], digest[CRIER_DIGEST_BYTES];
    crier_id_client_tag (tag, key);
    crier_id_client_tag (again, key);
    crier_id_client_tag (other, "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID");
    const char *const parts[] = {key};
    crier_id_digest (digest, parts, 1);
    assert_int_equal (strlen (tag), CRIER_CLIENT_TAG_BYTES);
    assert_memory_equal (tag, digest, CRIER_CLIENT_TAG_BYTES);
    assert_string_equal (tag, again);
    assert_string_not_equal (tag, other);
}

static void test_guard (void **state)
{
    //  Plausible frames pass, whatever their nesting.
    assert_int_equal (crier_msgpack_guard ("\x82\xa1"
                                           "a\x01\xa1"
                                           "b\x92\xc0\xc3",
                                           9),
                      0);
    assert_int_equal (crier_msgpack_guard ("\x80", 1), 0);
    //  Headers that declare more elements than bytes remain are refused.
    assert_int_equal (crier_msgpack_guard ("\xdd\xff\xff\xff\xff", 5), -1);
    assert_int_equal (crier_msgpack_guard ("\xdc\x00\x10\x01\x02", 5), -1);
    //  Nested arrays that each look fine alone but add up to more than the frame.
    assert_int_equal (crier_msgpack_guard ("\x93\x93\x93\x01\x02\x03\x04", 7), -1);
    //  Truncated strings are left for msgpack-c to report.
    assert_int_equal (crier_msgpack_guard ("\xdb\xff\xff\xff\xff", 5), 0);
    assert_int_equal (crier_msgpack_guard ("\xc1", 1), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_uuid_v7_shape_order_and_uniqueness),
        cmocka_unit_test (test_digest_known_value),
        cmocka_unit_test (test_client_tag),
        cmocka_unit_test (test_guard),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

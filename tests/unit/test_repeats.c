/*  test_repeats.c - the first of a kind said at once, the rest counted and said once a while. */
#include "crier/repeats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int calls;
    uint64_t unsaid;
    char key[64];
} flushed_t;

static void s_flushed (const char *key, uint64_t unsaid, void *arg)
{
    flushed_t *flushed = arg;
    flushed->calls++;
    flushed->unsaid += unsaid;
    snprintf (flushed->key, sizeof flushed->key, "%s", key);
}

static void test_a_flood_is_said_once_an_interval (void **state)
{
    crier_repeats_t *repeats = crier_repeats_new (1000, 16);
    uint64_t unsaid = 99;
    assert_true (crier_repeats_occur (repeats, "client-a|to", 0, &unsaid));
    assert_int_equal (unsaid, 0);
    for (int64_t now = 1; now < 1000; now++)
        assert_false (crier_repeats_occur (repeats, "client-a|to", now, &unsaid));
    //  Another kind is said at once, however busy the first.
    assert_true (crier_repeats_occur (repeats, "client-b|to", 500, &unsaid));
    //  The interval over: said again, with how many were not.
    assert_true (crier_repeats_occur (repeats, "client-a|to", 1000, &unsaid));
    assert_int_equal (unsaid, 999);
    crier_repeats_destroy (&repeats);
    assert_null (repeats);
}

static void test_a_flood_that_stops_is_counted_by_the_flush (void **state)
{
    crier_repeats_t *repeats = crier_repeats_new (1000, 16);
    uint64_t unsaid;
    assert_true (crier_repeats_occur (repeats, "k", 0, &unsaid));
    assert_false (crier_repeats_occur (repeats, "k", 10, &unsaid));
    assert_false (crier_repeats_occur (repeats, "k", 20, &unsaid));
    flushed_t flushed = {0};
    crier_repeats_flush (repeats, 999, s_flushed, &flushed);
    assert_int_equal (flushed.calls, 0); //  not yet
    crier_repeats_flush (repeats, 1000, s_flushed, &flushed);
    assert_int_equal (flushed.calls, 1);
    assert_int_equal (flushed.unsaid, 2);
    assert_string_equal (flushed.key, "k");
    crier_repeats_flush (repeats, 5000, s_flushed, &flushed);
    assert_int_equal (flushed.calls, 1); //  said once only
    //  Forgotten: the next one starts afresh and is said at once.
    assert_true (crier_repeats_occur (repeats, "k", 5001, &unsaid));
    assert_int_equal (unsaid, 0);
    crier_repeats_destroy (&repeats);
}

static void test_new_kinds_past_the_limit_share_one (void **state)
{
    crier_repeats_t *repeats = crier_repeats_new (1000, 2);
    uint64_t unsaid;
    assert_true (crier_repeats_occur (repeats, "a", 0, &unsaid));
    assert_true (crier_repeats_occur (repeats, "b", 0, &unsaid));
    assert_true (crier_repeats_occur (repeats, "c", 0, &unsaid)); //  the shared one, first time
    assert_false (crier_repeats_occur (repeats, "d", 1, &unsaid));
    assert_false (crier_repeats_occur (repeats, "e", 2, &unsaid));
    crier_repeats_destroy (&repeats);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_flood_is_said_once_an_interval),
        cmocka_unit_test (test_a_flood_that_stops_is_counted_by_the_flush),
        cmocka_unit_test (test_new_kinds_past_the_limit_share_one),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

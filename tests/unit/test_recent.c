/*  test_recent.c - ids are remembered for their time and up to their number, oldest forgotten
    first, each once; they are listed oldest first. */
#include "crier/recent.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static void test_ids_are_kept_for_their_time (void **state)
{
    crier_recent_t *recent = crier_recent_new (100, 1000);
    assert_non_null (recent);
    crier_recent_add (recent, "a", 0);
    crier_recent_add (recent, "b", 500);
    crier_recent_add (recent, "a", 900); //  already there: keeps its first time
    assert_int_equal (crier_recent_size (recent), 2);
    assert_true (crier_recent_has (recent, "a", 1000));
    assert_false (crier_recent_has (recent, "a", 1001));
    assert_true (crier_recent_has (recent, "b", 1001));
    assert_false (crier_recent_has (recent, "c", 1001));
    crier_recent_destroy (&recent);
    assert_null (recent);
}

static void test_the_oldest_go_past_the_limit (void **state)
{
    crier_recent_t *recent = crier_recent_new (3, 1000000);
    for (int index = 0; index < 5; index++) {
        char id[8];
        snprintf (id, sizeof id, "id-%d", index);
        crier_recent_add (recent, id, index);
    }
    assert_int_equal (crier_recent_size (recent), 3);
    assert_false (crier_recent_has (recent, "id-1", 10));
    assert_true (crier_recent_has (recent, "id-2", 10));
    assert_true (crier_recent_has (recent, "id-4", 10));
    crier_recent_destroy (&recent);
}

static void s_list (const char *id, int64_t at_ms, void *arg)
{
    char *listed = arg;
    char item[32];
    snprintf (item, sizeof item, "%s@%lld ", id, (long long)at_ms);
    strcat (listed, item);
}

static void test_they_are_listed_oldest_first (void **state)
{
    crier_recent_t *recent = crier_recent_new (10, 100);
    crier_recent_add (recent, "x", 10);
    crier_recent_add (recent, "y", 20);
    crier_recent_add (recent, "z", 100);
    char listed[128] = "";
    crier_recent_each (recent, 115, s_list, listed); //  x is past its time by then
    assert_string_equal (listed, "y@20 z@100 ");
    crier_recent_destroy (&recent);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ids_are_kept_for_their_time),
        cmocka_unit_test (test_the_oldest_go_past_the_limit),
        cmocka_unit_test (test_they_are_listed_oldest_first),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

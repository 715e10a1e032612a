/*  test_several_cores.c - what lets one process connect to every crier core: endpoint lists
    (split, trimmed, bounded) and the bus events heard once over several cores' buses. */
#include "crier/bus_dedup.h"
#include "crier/endpoint_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static void test_a_list_is_split_and_trimmed (void **state)
{
    crier_endpoint_list_t list;
    assert_int_equal (crier_endpoint_list_parse ("tcp://a:1, tcp://b:2 ,ipc:///c", &list), 0);
    assert_int_equal (list.count, 3);
    assert_string_equal (list.items[0], "tcp://a:1");
    assert_string_equal (list.items[1], "tcp://b:2");
    assert_string_equal (list.items[2], "ipc:///c");
    crier_endpoint_list_free (&list);
    assert_int_equal (list.count, 0);
    assert_int_equal (crier_endpoint_list_parse ("tcp://only:1", &list), 0);
    assert_int_equal (list.count, 1);
    crier_endpoint_list_free (&list);
    assert_true (crier_endpoint_list_is_many ("tcp://a:1,tcp://b:2"));
    assert_false (crier_endpoint_list_is_many ("tcp://a:1"));
}

static void test_empty_items_and_too_many_are_refused (void **state)
{
    crier_endpoint_list_t list;
    const char *bad[] = {"", " ", "tcp://a:1,", ",tcp://a:1", "tcp://a:1, ,tcp://b:1"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        assert_int_equal (crier_endpoint_list_parse (bad[index], &list), -1);
        assert_int_equal (list.count, 0);
    }
    char many[CRIER_ENDPOINT_LIST_MAX * 16 + 32] = "";
    for (int index = 0; index <= CRIER_ENDPOINT_LIST_MAX; index++)
        snprintf (many + strlen (many), sizeof many - strlen (many), "%stcp://h:%d",
                  index ? "," : "", index + 1);
    assert_int_equal (crier_endpoint_list_parse (many, &list), -1);
    *strrchr (many, ',') = '\0'; //  exactly the most there may be
    assert_int_equal (crier_endpoint_list_parse (many, &list), 0);
    assert_int_equal (list.count, CRIER_ENDPOINT_LIST_MAX);
    crier_endpoint_list_free (&list);
}

//  A sender publishes on every core's bus: a subscriber of both hears the same bytes twice.
static void test_an_event_from_two_buses_is_heard_once (void **state)
{
    crier_bus_dedup_t *dedup = crier_bus_dedup_new ();
    assert_non_null (dedup);
    const char first[] = "delivery.delivered of delivery a";
    const char second[] = "delivery.delivered of delivery b";
    assert_true (crier_bus_dedup_first (dedup, first, sizeof first, 0));
    assert_false (crier_bus_dedup_first (dedup, first, sizeof first, 5));
    assert_true (crier_bus_dedup_first (dedup, second, sizeof second, 5));
    //  Long after, the same bytes are another event (remembering is bounded in time).
    assert_true (crier_bus_dedup_first (dedup, first, sizeof first, CRIER_BUS_DEDUP_KEEP_MS + 1));
    crier_bus_dedup_destroy (&dedup);
    assert_null (dedup);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_list_is_split_and_trimmed),
        cmocka_unit_test (test_empty_items_and_too_many_are_refused),
        cmocka_unit_test (test_an_event_from_two_buses_is_heard_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

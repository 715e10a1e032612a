/*  test_router.c - fan-out: one delivery per (channel, target), unknown groups reported. */
#include "router.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static const char *s_document =
    "{\"mapping\": {"
    " \"#admins\": {\"matrix\": [\"!ops:example.org\"], \"email\": [\"a@example.org\", "
    "\"b@example.org\"]},"
    " \"#users\":  {\"matrix\": [\"!ops:example.org\", \"!users:example.org\"],"
    "              \"email\": [\"b@example.org\"]},"
    " \"#silent\": {}}}";

static void test_fan_out_is_deduplicated_across_groups (void **state)
{
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (s_document, strlen (s_document), &error);
    assert_non_null (mapping);
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_add_group (notification, "#admins");
    crier_notification_add_group (notification, "#users");
    crier_notification_add_group (notification, "#admins"); //  named twice
    crier_notification_add_group (notification, "#ghosts");
    crier_routing_t routing = {0};
    assert_int_equal (crier_router_route (mapping, notification, &routing), 0);

    //  !ops twice and b@ twice in the mapping, but one delivery each.
    assert_int_equal (routing.count, 4);
    assert_int_equal (routing.routes[0].channel, CRIER_CHANNEL_MATRIX);
    assert_string_equal (routing.routes[0].target, "!ops:example.org");
    assert_int_equal (routing.routes[0].group_count, 2);
    assert_string_equal (routing.routes[0].groups[0], "#admins");
    assert_string_equal (routing.routes[0].groups[1], "#users");
    assert_string_equal (routing.routes[1].target, "a@example.org");
    assert_string_equal (routing.routes[2].target, "b@example.org");
    assert_int_equal (routing.routes[2].group_count, 2);
    assert_string_equal (routing.routes[3].target, "!users:example.org");
    assert_int_equal (routing.unknown_count, 1);
    assert_string_equal (routing.unknown[0], "#ghosts");

    //  Reused for the next notification: emptied first.
    crier_notification_t *silent = crier_notification_new ();
    crier_notification_add_group (silent, "#silent");
    assert_int_equal (crier_router_route (mapping, silent, &routing), 0);
    assert_int_equal (routing.count, 0);
    assert_int_equal (routing.unknown_count, 0);

    crier_routing_free (&routing);
    crier_notification_destroy (&silent);
    crier_notification_destroy (&notification);
    crier_mapping_destroy (&mapping);
}

//  A room reached through groups with nags takes the shortest; other routes have none.
static void test_a_nag_takes_the_shortest_after (void **state)
{
    const char *document =
        "{\"mapping\": {"
        " \"#admins\": {\"matrix\": [\"!ops:example.org\"], \"email\": [\"a@example.org\"],"
        "              \"nag\": {\"after\": \"15m\"}},"
        " \"#oncall\": {\"matrix\": [\"!ops:example.org\", \"!pager:example.org\"],"
        "              \"nag\": {\"after\": \"2m\"}},"
        " \"#users\":  {\"matrix\": [\"!users:example.org\"]}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (document, strlen (document), &error);
    assert_non_null (mapping);
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_add_group (notification, "#admins");
    crier_notification_add_group (notification, "#oncall");
    crier_notification_add_group (notification, "#users");
    crier_routing_t routing = {0};
    assert_int_equal (crier_router_route (mapping, notification, &routing), 0);
    assert_int_equal (routing.count, 4);
    assert_string_equal (routing.routes[0].target, "!ops:example.org");
    assert_int_equal (routing.routes[0].nag_after_ms, 2 * 60000); //  the shorter of 15m and 2m
    assert_string_equal (routing.routes[1].target, "a@example.org");
    assert_int_equal (routing.routes[1].nag_after_ms, 0); //  email is not nagged about
    assert_string_equal (routing.routes[2].target, "!pager:example.org");
    assert_int_equal (routing.routes[2].nag_after_ms, 2 * 60000);
    assert_string_equal (routing.routes[3].target, "!users:example.org");
    assert_int_equal (routing.routes[3].nag_after_ms, 0);
    crier_routing_free (&routing);
    crier_notification_destroy (&notification);
    crier_mapping_destroy (&mapping);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fan_out_is_deduplicated_across_groups),
        cmocka_unit_test (test_a_nag_takes_the_shortest_after),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

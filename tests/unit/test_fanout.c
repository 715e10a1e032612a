/*  test_fanout.c - a notification cut into parts: every (channel, target) in exactly one part,
    the first that reaches it, with the first group that reaches it. */
#include "fanout.h"
#include "router.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  "#a": a1..a12 by email and one room; "#b": a5, b1, a1, b2 (two of #a's again), and a5 listed
//  twice, which the mapping keeps once.
static const char *s_document =
    "{\"mapping\": {"
    " \"#a\": {\"matrix\": [\"!room:example.org\"], \"email\": [\"a1@x.org\", \"a2@x.org\","
    "  \"a3@x.org\", \"a4@x.org\", \"a5@x.org\", \"a6@x.org\", \"a7@x.org\", \"a8@x.org\","
    "  \"a9@x.org\", \"a10@x.org\", \"a11@x.org\", \"a12@x.org\"]},"
    " \"#b\": {\"email\": [\"a5@x.org\", \"b1@x.org\", \"a1@x.org\", \"b2@x.org\", \"a5@x.org\"],"
    "        \"matrix\": [\"!room:example.org\", \"!b:example.org\"]}}}";

typedef struct {
    char target[32];
    char group[8];
    uint32_t part;
} seen_t;

//  Routes every part and collects what each routed, failing on a (channel, target) seen twice.
static size_t s_route_all (const crier_mapping_t *mapping, const char *const *groups,
                           size_t group_count, uint32_t part_size, seen_t *seen, size_t max)
{
    crier_fanout_t *fanout = crier_fanout_new ();
    assert_non_null (fanout);
    crier_routing_t routing = {0};
    uint64_t positions = crier_fanout_positions (mapping, groups, group_count);
    uint32_t parts = crier_fanout_parts (positions, part_size);
    size_t count = 0;
    for (uint32_t part = 0; part < parts; part++) {
        assert_int_equal (
            crier_fanout_part (fanout, mapping, groups, group_count, part, part_size, &routing), 0);
        assert_true (routing.count <= part_size);
        for (size_t index = 0; index < routing.count; index++) {
            const crier_route_t *route = &routing.routes[index];
            for (size_t other = 0; other < count; other++)
                assert_false (strcmp (seen[other].target, route->target) == 0);
            assert_true (count < max);
            assert_int_equal (route->group_count, 1);
            snprintf (seen[count].target, sizeof seen[count].target, "%s", route->target);
            snprintf (seen[count].group, sizeof seen[count].group, "%s", route->groups[0]);
            seen[count++].part = part;
        }
    }
    crier_routing_free (&routing);
    crier_fanout_destroy (&fanout);
    return count;
}

static const seen_t *s_find (const seen_t *seen, size_t count, const char *target)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (seen[index].target, target) == 0)
            return &seen[index];
    return NULL;
}

static void test_every_target_is_in_exactly_one_part (void **state)
{
    (void)state;
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (s_document, strlen (s_document), &error);
    assert_non_null (mapping);
    const char *groups[] = {"#a", "#b"};
    //  Positions: #a's room, 12 emails; #b's 2 rooms, 4 emails: 19, in parts of 4: 5 parts.
    assert_int_equal (crier_fanout_positions (mapping, groups, 2), 19);
    assert_int_equal (crier_fanout_parts (20, 4), 5);
    assert_int_equal (crier_fanout_parts (21, 4), 6);
    assert_int_equal (crier_fanout_parts (0, 4), 0);
    seen_t seen[32];
    size_t count = s_route_all (mapping, groups, 2, 4, seen, 32);

    //  The same deliveries as routing it whole: 1 + 12 emails of #a, b1, b2, !b.
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_add_group (notification, "#a");
    crier_notification_add_group (notification, "#b");
    crier_routing_t whole = {0};
    assert_int_equal (crier_router_route (mapping, notification, &whole), 0);
    assert_int_equal (count, whole.count);
    assert_int_equal (count, 16);
    for (size_t index = 0; index < whole.count; index++)
        assert_non_null (s_find (seen, count, whole.routes[index].target));

    //  Each in the part of its first position, with the first group that reaches it.
    assert_int_equal (s_find (seen, count, "!room:example.org")->part, 0);
    assert_int_equal (s_find (seen, count, "a3@x.org")->part, 0);
    assert_int_equal (s_find (seen, count, "a4@x.org")->part, 1);
    assert_int_equal (s_find (seen, count, "a12@x.org")->part, 3);
    assert_string_equal (s_find (seen, count, "a5@x.org")->group, "#a");
    assert_string_equal (s_find (seen, count, "b1@x.org")->group, "#b");
    //  #b's rooms come first (channel order: Matrix, then email): !b at 14, b1 at 16.
    assert_int_equal (s_find (seen, count, "!b:example.org")->part, 3);
    assert_int_equal (s_find (seen, count, "b1@x.org")->part, 4);
    assert_int_equal (s_find (seen, count, "b2@x.org")->part, 4);

    crier_routing_free (&whole);
    crier_notification_destroy (&notification);
    crier_mapping_destroy (&mapping);
}

//  A group named twice adds nothing; a group not in the mapping is named and reaches nothing.
static void test_unknown_groups_and_empty_parts (void **state)
{
    (void)state;
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (s_document, strlen (s_document), &error);
    assert_non_null (mapping);
    const char *groups[] = {"#a", "#ghosts", "#a"};
    //  A group named twice counts once.
    assert_int_equal (crier_fanout_positions (mapping, groups, 3), 13);
    crier_fanout_t *fanout = crier_fanout_new ();
    crier_routing_t routing = {0};
    //  Past the end: nothing, the unknown group named.
    assert_int_equal (crier_fanout_part (fanout, mapping, groups, 3, 2, 10, &routing), 0);
    assert_int_equal (routing.count, 0);
    assert_int_equal (routing.unknown_count, 1);
    assert_string_equal (routing.unknown[0], "#ghosts");
    assert_int_equal (crier_fanout_part (fanout, mapping, groups, 3, 1, 10, &routing), 0);
    assert_int_equal (routing.count, 3); //  a10, a11, a12
    assert_string_equal (routing.routes[0].target, "a10@x.org");
    crier_routing_free (&routing);
    crier_fanout_destroy (&fanout);
    crier_mapping_destroy (&mapping);
}

//  A big group: parts of a thousand out of ten thousand addresses, all reached once.
static void test_a_big_group (void **state)
{
    (void)state;
    size_t size = 32 + 10000 * 24;
    char *document = malloc (size);
    assert_non_null (document);
    size_t used = (size_t)snprintf (document, size, "{\"mapping\": {\"#big\": {\"email\": [");
    for (int index = 0; index < 10000; index++)
        used += (size_t)snprintf (document + used, size - used, "%s\"c%d@x.org\"",
                                  index ? ", " : "", index);
    used += (size_t)snprintf (document + used, size - used, "]}}}");
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (document, used, &error);
    assert_non_null (mapping);
    const char *groups[] = {"#big"};
    crier_fanout_t *fanout = crier_fanout_new ();
    crier_routing_t routing = {0};
    size_t total = 0;
    for (uint32_t part = 0; part < 10; part++) {
        assert_int_equal (crier_fanout_part (fanout, mapping, groups, 1, part, 1000, &routing), 0);
        assert_int_equal (routing.count, 1000);
        char expected[32];
        snprintf (expected, sizeof expected, "c%u@x.org", part * 1000);
        assert_string_equal (routing.routes[0].target, expected);
        total += routing.count;
    }
    assert_int_equal (total, 10000);
    crier_routing_free (&routing);
    crier_fanout_destroy (&fanout);
    crier_mapping_destroy (&mapping);
    free (document);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_target_is_in_exactly_one_part),
        cmocka_unit_test (test_unknown_groups_and_empty_parts),
        cmocka_unit_test (test_a_big_group),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

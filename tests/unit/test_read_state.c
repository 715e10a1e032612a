/*  test_read_state.c - the rule by which crier decides that a person read a Matrix message
    (docs/nag.md, "Read"): receipts on the message or a later event, threaded and private ones,
    the person's own later message, and receipts on events never seen (gaps). */
#include "read_state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define ROOM "!room:example.org"
#define BOT  "@crier:example.org"
#define WILL "@will:example.org"
#define ANNA "@anna:example.org"

static crier_read_state_t *s_state;

static int s_setup (void **state)
{
    s_state = crier_read_state_new ();
    assert_non_null (s_state);
    //  Anna talks, the bot posts $alert, then more happens in the room.
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$before", ANNA, false), 0);
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$alert", BOT, false), 0);
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$later", BOT, false), 0);
    return 0;
}

static int s_teardown (void **state)
{
    crier_read_state_destroy (&s_state);
    return 0;
}

static crier_read_t s_read (const char *user)
{
    return crier_read_state_has_read (s_state, ROOM, "$alert", user);
}

static void test_nobody_has_read_at_first (void **state)
{
    assert_int_equal (s_read (WILL), CRIER_READ_NO);
    //  Anna spoke before the alert: that says nothing.
    assert_int_equal (s_read (ANNA), CRIER_READ_NO);
}

static void test_a_receipt_on_the_message_or_a_later_event_is_read (void **state)
{
    assert_int_equal (crier_read_state_receipt (s_state, ROOM, "$alert", WILL, "m.read", NULL), 0);
    assert_int_equal (s_read (WILL), CRIER_READ_YES);
    assert_int_equal (crier_read_state_receipt (s_state, ROOM, "$later", ANNA, "m.read", "main"),
                      0);
    assert_int_equal (s_read (ANNA), CRIER_READ_YES);
}

static void test_a_receipt_on_an_earlier_event_is_not (void **state)
{
    crier_read_state_receipt (s_state, ROOM, "$before", WILL, "m.read", NULL);
    assert_int_equal (s_read (WILL), CRIER_READ_NO);
    //  Receipts move forward: a later one on an earlier event takes nothing back.
    crier_read_state_receipt (s_state, ROOM, "$later", WILL, "m.read", NULL);
    crier_read_state_receipt (s_state, ROOM, "$before", WILL, "m.read", NULL);
    assert_int_equal (s_read (WILL), CRIER_READ_YES);
}

static void test_private_and_other_thread_receipts_do_not_count (void **state)
{
    crier_read_state_receipt (s_state, ROOM, "$later", WILL, "m.read.private", NULL);
    crier_read_state_receipt (s_state, ROOM, "$later", WILL, "m.read", "$some-thread-root");
    crier_read_state_receipt (s_state, ROOM, "$later", WILL, "m.fully_read", NULL);
    assert_int_equal (s_read (WILL), CRIER_READ_NO);
}

static void test_the_persons_own_later_message_is_read (void **state)
{
    //  A state change (a join, a topic) is no sign of reading.
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$topic", WILL, true), 0);
    assert_int_equal (s_read (WILL), CRIER_READ_NO);
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$reply", WILL, false), 0);
    assert_int_equal (s_read (WILL), CRIER_READ_YES);
    //  The same event given again (a sync replayed after a restart) keeps its place.
    assert_int_equal (crier_read_state_event (s_state, ROOM, "$alert", BOT, false), 0);
    assert_int_equal (s_read (WILL), CRIER_READ_YES);
}

static void test_a_receipt_on_an_event_never_seen_is_unknown_until_placed (void **state)
{
    crier_read_state_receipt (s_state, ROOM, "$in-a-gap", WILL, "m.read", NULL);
    assert_int_equal (s_read (WILL), CRIER_READ_UNKNOWN);
    assert_string_equal (crier_read_state_unplaced (s_state, ROOM, WILL), "$in-a-gap");
    //  The homeserver says it comes after $alert: read, for $alert and anything before it.
    crier_read_state_place (s_state, ROOM, "$in-a-gap", "$alert", true);
    assert_int_equal (s_read (WILL), CRIER_READ_YES);
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$before", WILL), CRIER_READ_YES);
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$later", WILL),
                      CRIER_READ_UNKNOWN);
    //  Another, placed before $later: not read there.
    crier_read_state_place (s_state, ROOM, "$in-a-gap", "$later", false);
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$later", WILL), CRIER_READ_NO);
    //  A newer receipt on a known event replaces the unplaced one.
    crier_read_state_receipt (s_state, ROOM, "$later", WILL, "m.read", NULL);
    assert_null (crier_read_state_unplaced (s_state, ROOM, WILL));
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$later", WILL), CRIER_READ_YES);
}

static void test_a_message_never_seen_is_unknown (void **state)
{
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$elsewhere", WILL),
                      CRIER_READ_UNKNOWN);
    assert_int_equal (crier_read_state_has_read (s_state, "!other:example.org", "$alert", WILL),
                      CRIER_READ_UNKNOWN);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_nobody_has_read_at_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_receipt_on_the_message_or_a_later_event_is_read,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_receipt_on_an_earlier_event_is_not, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_private_and_other_thread_receipts_do_not_count,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_persons_own_later_message_is_read, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_receipt_on_an_event_never_seen_is_unknown_until_placed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_message_never_seen_is_unknown, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

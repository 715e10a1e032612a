/*  test_throttle_gate.c - the resolver's throttle decisions (docs/throttle.md): the first of a
    key goes and opens a window, repeats within it are held back, urgent ones go and are counted,
    a window that counted something is followed by the next, a quiet one lets the key start
    afresh, and a target reached through several groups is held back only when all hold it. */
#include "throttle_gate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static const char *s_document =
    "{\"mapping\": {"
    " \"#admins\": {\"email\": [\"a@example.org\", \"shared@example.org\"],"
    "              \"throttle\": {\"window\": \"10s\"}},"
    " \"#ops\":    {\"email\": [\"shared@example.org\"], \"throttle\": {\"window\": \"1m\"}},"
    " \"#plain\":  {\"email\": [\"shared@example.org\", \"p@example.org\"]}}}";

typedef struct {
    crier_mapping_t *mapping;
    crier_throttle_gate_t *gate;
    crier_notification_t *notification;
    crier_receipt_throttle_t decisions[CRIER_MAX_GROUPS];
} fixture_t;

static int s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    crier_mapping_error_t error;
    fixture->mapping = crier_mapping_parse (s_document, strlen (s_document), &error);
    fixture->gate = crier_throttle_gate_new (1000);
    fixture->notification = crier_notification_new ();
    crier_notification_set (&fixture->notification->key, "db1/backup");
    *state = fixture;
    return fixture->mapping && fixture->gate ? 0 : -1;
}

static int s_teardown (void **state)
{
    fixture_t *fixture = *state;
    crier_mapping_destroy (&fixture->mapping);
    crier_throttle_gate_destroy (&fixture->gate);
    crier_notification_destroy (&fixture->notification);
    free (fixture);
    return 0;
}

//  Decides for the fixture's notification at now_ms; returns how many decisions.
static size_t s_decide (fixture_t *fixture, int64_t now_ms, const crier_frame_window_t *windows,
                        size_t window_count)
{
    return crier_throttle_gate_decide (fixture->gate, fixture->mapping, fixture->notification,
                                       windows, window_count, now_ms, fixture->decisions);
}

static void test_first_goes_repeats_are_held_then_the_next_window (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#admins");
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (fixture->decisions[0].start_ms, 1000);
    assert_int_equal (fixture->decisions[0].window_ms, 10000);
    assert_string_equal (fixture->decisions[0].group, "#admins");
    //  Within the window: held back, in the window that started at 1000.
    for (int64_t now = 1001; now < 11000; now += 2000) {
        assert_int_equal (s_decide (fixture, now, NULL, 0), 1);
        assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_HELD);
        assert_int_equal (fixture->decisions[0].start_ms, 1000);
    }
    //  The window counted something: the next one follows at once.
    assert_int_equal (s_decide (fixture, 12000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_HELD);
    assert_int_equal (fixture->decisions[0].start_ms, 11000);
    //  That one counted one; after it, a quiet stretch: the window after starts afresh.
    assert_int_equal (s_decide (fixture, 40000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (fixture->decisions[0].start_ms, 40000);
    //  A window that counted nothing is not followed: its key is afresh right after it.
    assert_int_equal (s_decide (fixture, 50001, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
}

static void test_urgent_goes_and_is_counted (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#admins");
    fixture->notification->priority = CRIER_PRIORITY_URGENT;
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (s_decide (fixture, 2000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_COUNTED);
    assert_int_equal (fixture->decisions[0].start_ms, 1000);
    const char *groups[] = {"#admins"};
    assert_false (crier_throttle_gate_holds (fixture->decisions, 1, groups, 1));
}

static void test_no_key_or_no_throttle_decides_nothing (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#plain");
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 0);
    crier_notification_add_group (fixture->notification, "#admins");
    crier_notification_set (&fixture->notification->key, NULL);
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 0);
}

//  After a restart the gate remembers nothing: ingest's windows, in the frame, decide.
static void test_ingest_windows_decide_after_a_restart (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#admins");
    crier_frame_window_t window = {
        .group = "#admins", .start_ms = 1000, .window_ms = 10000, .count = 0};
    assert_int_equal (s_decide (fixture, 5000, &window, 1), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_HELD);
    assert_int_equal (fixture->decisions[0].start_ms, 1000);
    //  Ingest counted some and the window ended: held in the next one.
    crier_throttle_gate_t *fresh = crier_throttle_gate_new (1000);
    crier_throttle_gate_destroy (&fixture->gate);
    fixture->gate = fresh;
    window.count = 3;
    assert_int_equal (s_decide (fixture, 12000, &window, 1), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_HELD);
    assert_int_equal (fixture->decisions[0].start_ms, 11000);
    //  A window of another group says nothing about this one.
    crier_throttle_gate_destroy (&fixture->gate);
    fixture->gate = crier_throttle_gate_new (1000);
    window.group = "#ops";
    assert_int_equal (s_decide (fixture, 5000, &window, 1), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
}

//  docs/throttle.md: a target reached through several groups is held back only when every
//  group that reached it holds the notification back.
static void test_several_groups_with_different_policies (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#admins");
    crier_notification_add_group (fixture->notification, "#ops");
    crier_notification_add_group (fixture->notification, "#plain");
    crier_notification_add_group (fixture->notification, "#admins"); //  named twice: once
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 2);
    //  #ops's window is longer: at 15 s #admins opens again, #ops still holds.
    assert_int_equal (s_decide (fixture, 15000, NULL, 0), 2);
    assert_string_equal (fixture->decisions[0].group, "#admins");
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_string_equal (fixture->decisions[1].group, "#ops");
    assert_int_equal (fixture->decisions[1].action, CRIER_THROTTLE_HELD);
    const char *shared[] = {"#admins", "#ops", "#plain"};
    const char *ops_only[] = {"#ops"};
    const char *admins_and_ops[] = {"#admins", "#ops"};
    assert_true (crier_throttle_gate_holds (fixture->decisions, 2, ops_only, 1));
    assert_false (crier_throttle_gate_holds (fixture->decisions, 2, admins_and_ops, 2));
    assert_false (crier_throttle_gate_holds (fixture->decisions, 2, shared, 3));
    //  Both hold at 16 s, but #plain has no throttle: what it reaches still goes.
    assert_int_equal (s_decide (fixture, 16000, NULL, 0), 2);
    assert_true (crier_throttle_gate_holds (fixture->decisions, 2, admins_and_ops, 2));
    assert_false (crier_throttle_gate_holds (fixture->decisions, 2, shared, 3));
}

//  The first of a window sent again (its outcome was lost in a restart) goes again, in the
//  same window, and is not counted as a repeat: whether the gate or ingest remembers it.
static void test_the_opener_sent_again_is_no_repeat (void **state)
{
    fixture_t *fixture = *state;
    crier_notification_add_group (fixture->notification, "#admins");
    crier_notification_set (&fixture->notification->id, "first");
    assert_int_equal (s_decide (fixture, 1000, NULL, 0), 1);
    assert_int_equal (s_decide (fixture, 3000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (fixture->decisions[0].start_ms, 1000);
    crier_notification_set (&fixture->notification->id, "second");
    assert_int_equal (s_decide (fixture, 3000, NULL, 0), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_HELD);
    //  A fresh gate: ingest's window names its opener.
    crier_throttle_gate_destroy (&fixture->gate);
    fixture->gate = crier_throttle_gate_new (1000);
    crier_frame_window_t window = {
        .group = "#admins", .start_ms = 1000, .window_ms = 10000, .count = 1, .opener = "first"};
    crier_notification_set (&fixture->notification->id, "first");
    assert_int_equal (s_decide (fixture, 4000, &window, 1), 1);
    assert_int_equal (fixture->decisions[0].action, CRIER_THROTTLE_OPENED);
    assert_int_equal (fixture->decisions[0].start_ms, 1000);
}

//  What it remembers is swept once it cannot be open any more, and bounded.
static void test_memory_is_swept_and_bounded (void **state)
{
    fixture_t *fixture = *state;
    crier_throttle_gate_destroy (&fixture->gate);
    fixture->gate = crier_throttle_gate_new (3);
    crier_notification_add_group (fixture->notification, "#admins");
    char key[32];
    for (int index = 0; index < 5; index++) {
        snprintf (key, sizeof key, "key-%d", index);
        crier_notification_set (&fixture->notification->key, key);
        s_decide (fixture, 1000, NULL, 0);
    }
    assert_int_equal (crier_throttle_gate_size (fixture->gate), 3);
    s_decide (fixture, 1000 + 20000, NULL, 0);
    assert_int_equal (crier_throttle_gate_size (fixture->gate), 1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_first_goes_repeats_are_held_then_the_next_window,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_urgent_goes_and_is_counted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_key_or_no_throttle_decides_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_ingest_windows_decide_after_a_restart, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_several_groups_with_different_policies, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_memory_is_swept_and_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_opener_sent_again_is_no_repeat, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

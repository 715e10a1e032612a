/*  test_watch_state.c - crier-matrix-watch's state folder: the position and the messages it
    follows come back after a restart, the readers said of them too; messages past their keep
    time and damaged lines are dropped; the file is written anew with what is kept; a position
    is only saved after the messages it showed. */
#include "test_support.h"
#include "watch_state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char lines[16][160];
    size_t count;
} seen_t;

static void s_collect (const crier_read_report_t *message, int64_t seen_at_ms, void *arg)
{
    seen_t *seen = arg;
    if (message->reader)
        snprintf (seen->lines[seen->count++], 160, "%s read %s", message->reader,
                  message->event_id);
    else
        snprintf (seen->lines[seen->count++], 160, "%s %s %s %s %lld %lld", message->room_id,
                  message->event_id, message->delivery_id, message->notification_id,
                  (long long)message->sent_at_ms, (long long)seen_at_ms);
}

static char s_dir[256];

//  A state folder of each test's own.
static int s_setup (void **state)
{
    static int counter;
    snprintf (s_dir, sizeof s_dir, "%s/watch-state-%d", test_scratch_dir (), ++counter);
    return 0;
}

static void test_what_is_followed_comes_back (void **state)
{
    crier_watch_state_t *watch = crier_watch_state_open (s_dir);
    assert_non_null (watch);
    assert_null (crier_watch_state_since (watch));
    crier_read_report_t old = {"n-old", "d-old", "!r:x", "$old", NULL, 5};
    crier_read_report_t one = {"n-1", "d-1", "!r:x", "$1", NULL, 10};
    crier_read_report_t read = {"n-1", "d-1", "!r:x", "$1", "@will:x", 10};
    crier_watch_state_follow (watch, &old, 1000);
    crier_watch_state_follow (watch, &one, 90000);
    crier_watch_state_follow (watch, &read, 0);
    crier_watch_state_save (watch, "s42");
    assert_string_equal (crier_watch_state_since (watch), "s42");
    //  Followed after the last save: not kept (the position it came with was not saved).
    crier_read_report_t later = {"n-2", "d-2", "!r:x", "$2", NULL, 20};
    crier_watch_state_follow (watch, &later, 95000);
    crier_watch_state_destroy (&watch);

    //  A damaged line (a crash halfway through a write) is skipped.
    char path[300];
    snprintf (path, sizeof path, "%s/followed", s_dir);
    FILE *file = fopen (path, "a");
    assert_non_null (file);
    fputs ("{\"room\": \"!r:x\", \"ev", file);
    fclose (file);

    watch = crier_watch_state_open (s_dir);
    assert_string_equal (crier_watch_state_since (watch), "s42");
    seen_t seen = {0};
    //  Kept for 60 s: the message seen at 1000 is past it at 100000.
    assert_int_equal (crier_watch_state_followed (watch, 100000, 60000, s_collect, &seen), 1);
    assert_int_equal (seen.count, 2);
    assert_string_equal (seen.lines[0], "!r:x $1 d-1 n-1 10 90000");
    assert_string_equal (seen.lines[1], "@will:x read $1");
    crier_watch_state_destroy (&watch);

    //  Written anew with what was kept: the same again, without the damaged line.
    watch = crier_watch_state_open (s_dir);
    seen = (seen_t){0};
    assert_int_equal (crier_watch_state_followed (watch, 100000, 60000, s_collect, &seen), 1);
    assert_int_equal (seen.count, 2);
    crier_watch_state_destroy (&watch);
}

static void s_each (crier_watch_state_t *state, void *arg)
{
    crier_read_report_t kept = {"n-k", "d-k", "!r:x", "$k", NULL, 1};
    crier_watch_state_follow (state, &kept, 99000);
}

static void test_the_file_is_written_anew_when_it_grows (void **state)
{
    crier_watch_state_t *watch = crier_watch_state_open (s_dir);
    for (int index = 0; index < 1100; index++) {
        char event[16];
        snprintf (event, sizeof event, "$m%d", index);
        crier_read_report_t message = {"n", "d", "!r:x", event, NULL, 1};
        crier_watch_state_follow (watch, &message, 99000);
    }
    crier_watch_state_save (watch, "s43");
    assert_false (crier_watch_state_wants_rewrite (watch, 1100));
    assert_true (crier_watch_state_wants_rewrite (watch, 1));
    crier_watch_state_rewrite (watch, s_each, NULL);
    assert_false (crier_watch_state_wants_rewrite (watch, 1));
    crier_watch_state_destroy (&watch);
    watch = crier_watch_state_open (s_dir);
    seen_t seen = {0};
    assert_int_equal (crier_watch_state_followed (watch, 100000, 60000, s_collect, &seen), 1);
    assert_string_equal (seen.lines[0], "!r:x $k d-k n-k 1 99000");
    crier_watch_state_destroy (&watch);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_what_is_followed_comes_back, s_setup),
        cmocka_unit_test_setup (test_the_file_is_written_anew_when_it_grows, s_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

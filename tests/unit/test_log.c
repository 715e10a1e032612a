/*  test_log.c - log lines: shape, quoting, levels, cut-off of long values. */
#include "crier/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *s_text;
static size_t s_size;
static FILE *s_stream;

//  Sends log lines to memory until s_captured returns what was written (caller frees).
static void s_capture (void)
{
    s_stream = open_memstream (&s_text, &s_size);
    crier_log_set_stream (s_stream);
}

static char *s_captured (void)
{
    crier_log_set_stream (NULL);
    fclose (s_stream);
    return s_text;
}

static void test_line_shape (void **state)
{
    crier_log_init ("crier-test");
    s_capture ();
    crier_log (CRIER_LOG_WARN, "frame.rejected", "field", "to", "bytes", CRIER_LOG_INT (-12));
    char *line = s_captured ();
    //  2026-11-25T06:22:51.123Z warn crier-test frame.rejected field=to bytes=-12
    assert_int_equal (strlen (line),
                      24 + strlen (" warn crier-test frame.rejected field=to bytes=-12\n"));
    assert_int_equal (line[10], 'T');
    assert_int_equal (line[23], 'Z');
    assert_string_equal (line + 24, " warn crier-test frame.rejected field=to bytes=-12\n");
    free (line);
}

//  The time is now's, in UTC, to the millisecond: lines logged a second apart or more say so.
static void test_time_is_now_in_utc (void **state)
{
    for (int round = 0; round < 3; round++) {
        struct timespec before, after;
        clock_gettime (CLOCK_REALTIME, &before);
        s_capture ();
        crier_log (CRIER_LOG_WARN, "tick");
        char *line = s_captured ();
        clock_gettime (CLOCK_REALTIME, &after);
        char earliest[32], latest[32];
        struct tm utc;
        strftime (earliest, sizeof earliest, "%Y-%m-%dT%H:%M:%S", gmtime_r (&before.tv_sec, &utc));
        strftime (latest, sizeof latest, "%Y-%m-%dT%H:%M:%S", gmtime_r (&after.tv_sec, &utc));
        assert_true (strncmp (line, earliest, 19) == 0 || strncmp (line, latest, 19) == 0);
        long millis = strtol (line + 20, NULL, 10);
        if (before.tv_sec == after.tv_sec)
            assert_in_range (millis, before.tv_nsec / 1000000, after.tv_nsec / 1000000);
        free (line);
        //  The next round in another second: the second is formatted again.
        struct timespec pause = {0, 1000000000 - after.tv_nsec};
        nanosleep (&pause, NULL); //  time itself is what the test waits for
    }
}

static void test_values_are_quoted_and_escaped (void **state)
{
    s_capture ();
    crier_log (CRIER_LOG_ERROR, "x", "a", "two words", "b", "say \"hi\"\\\n\x01", "c", "", "d",
               (const char *)NULL, "e", "k=v");
    char *line = s_captured ();
    const char *fields = strstr (line, " x ") + 3;
    assert_string_equal (fields,
                         "a=\"two words\" b=\"say \\\"hi\\\"\\\\\\n\\x01\" c=\"\" d=- e=\"k=v\"\n");
    free (line);
}

static void test_long_values_are_cut (void **state)
{
    char value[2000];
    memset (value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    s_capture ();
    crier_log (CRIER_LOG_INFO, "long", "value", value, "after", "kept");
    char *line = s_captured ();
    assert_non_null (strstr (line, "..."));
    assert_non_null (strstr (line, " after=kept\n"));
    assert_true (strlen (line) < 700);
    free (line);
}

static void test_levels_filter (void **state)
{
    crier_log_level_t level = CRIER_LOG_INFO;
    assert_int_equal (crier_log_level_parse ("ERROR", &level), 0);
    assert_int_equal (level, CRIER_LOG_ERROR);
    crier_log_set_level (level);
    assert_false (crier_log_enabled (CRIER_LOG_WARN));
    assert_true (crier_log_enabled (CRIER_LOG_ERROR));
    s_capture ();
    crier_log (CRIER_LOG_WARN, "quiet");
    char *line = s_captured ();
    assert_string_equal (line, "");
    free (line);
    assert_int_equal (crier_log_level_parse ("nonsense", &level), -1);
    assert_int_equal (level, CRIER_LOG_ERROR);
    s_capture ();
    crier_log (CRIER_LOG_ERROR, "loud");
    line = s_captured ();
    assert_non_null (strstr (line, " error crier-test loud\n"));
    free (line);
    crier_log_set_level (CRIER_LOG_INFO);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_line_shape),
        cmocka_unit_test (test_time_is_now_in_utc),
        cmocka_unit_test (test_values_are_quoted_and_escaped),
        cmocka_unit_test (test_long_values_are_cut),
        cmocka_unit_test (test_levels_filter),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

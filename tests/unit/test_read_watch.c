/*  test_read_watch.c - crier-matrix-watch's view of the bot's /sync: it follows only crier's
    tagged messages, says once per message and person when a joined member read one (never for
    the bot itself), and follows a bounded number of messages. */
#include "read_watch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM "!room:example.org"
#define BOT  "@crier:example.org"

static crier_read_watch_t *s_watch;
static char s_said[16][160];
static size_t s_said_count;

static int s_setup (void **state)
{
    s_watch = crier_read_watch_new (BOT, 3, 60000);
    s_said_count = 0;
    return s_watch ? 0 : -1;
}

static int s_teardown (void **state)
{
    crier_read_watch_destroy (&s_watch);
    return 0;
}

static void s_on_read (const crier_read_report_t *report, void *arg)
{
    if (s_said_count < 16)
        snprintf (s_said[s_said_count++], sizeof s_said[0], "%s %s %s %s %s %lld",
                  report->notification_id, report->delivery_id, report->room_id, report->event_id,
                  report->reader, (long long)report->sent_at_ms);
}

static void s_on_seen (const crier_read_report_t *message, char *const *members,
                       size_t member_count, void *arg)
{
    if (s_said_count >= 16)
        return;
    int used = snprintf (s_said[s_said_count], sizeof s_said[0], "seen %s %s", message->event_id,
                         message->reader ? message->reader : "-");
    for (size_t index = 0; index < member_count && used < (int)sizeof s_said[0]; index++)
        used += snprintf (s_said[s_said_count] + used, sizeof s_said[0] - (size_t)used, " %s",
                          members[index]);
    s_said_count++;
}

static void s_apply (const char *text, int64_t now_ms)
{
    json_t *answer = json_loads (text, 0, NULL);
    assert_non_null (answer);
    crier_sync_summary_t summary;
    assert_int_equal (
        crier_read_watch_apply (s_watch, answer, now_ms, s_on_seen, s_on_read, NULL, &summary), 0);
    assert_int_equal (summary.skipped, 0);
    json_decref (answer);
}

#define MEMBER(user)                                                                               \
    "{\"type\": \"m.room.member\", \"state_key\": \"" user "\", \"sender\": \"" user "\","         \
    " \"content\": {\"membership\": \"join\"}}"
#define ALERT(id, delivery)                                                                        \
    "{\"type\": \"m.room.message\", \"event_id\": \"" id "\", \"sender\": \"" BOT "\","            \
    " \"origin_server_ts\": 1000, \"content\": {\"body\": \"x\", \"org.crier.delivery\":"          \
    " {\"id\": \"" delivery "\", \"notification\": \"n-" delivery "\"}}}"
#define RECEIPT(event, user)                                                                       \
    "{\"type\": \"m.receipt\", \"content\": {\"" event "\": {\"m.read\": {\"" user "\": {}}}}}"

static void test_each_reader_is_said_once (void **state)
{
    s_apply (
        "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM "\": {"
        " \"state\": {\"events\": [" MEMBER (BOT) ", " MEMBER ("@will:example.org") ", " MEMBER (
            "@anna:example.org") "]},"
                                 " \"timeline\": {\"events\": [" ALERT (
                                     "$alert",
                                     "d1") ","
                                           "  {\"type\": \"m.room.message\", \"event_id\": "
                                           "\"$plain\","
                                           "   \"sender\": \"" BOT
                                           "\", \"content\": {\"body\": \"not crier's\"}}]},"
                                           " \"ephemeral\": {\"events\": [" RECEIPT ("$alert",
                                                                                     BOT) "]}}}}}",
        1000);
    assert_int_equal (crier_read_watch_tracked (s_watch), 1); //  the untagged one is not followed
    //  Seen, with the members then (not the bot); the bot's own receipt says nothing.
    assert_int_equal (s_said_count, 1);
    assert_non_null (strstr (s_said[0], "seen $alert -"));
    assert_non_null (strstr (s_said[0], " @will:example.org"));
    assert_non_null (strstr (s_said[0], " @anna:example.org"));
    assert_null (strstr (s_said[0], BOT));
    s_said_count = 0;
    s_apply ("{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"" ROOM "\": {"
             " \"ephemeral\": {\"events\": [" RECEIPT ("$alert", "@will:example.org") "]}}}}}",
             2000);
    assert_int_equal (s_said_count, 1);
    assert_string_equal (s_said[0], "n-d1 d1 " ROOM " $alert @will:example.org 1000");
    //  Will again, on a later event: already said.
    s_apply ("{\"next_batch\": \"s3\", \"rooms\": {\"join\": {\"" ROOM "\": {"
             " \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"event_id\": \"$re\","
             "  \"sender\": \"@anna:example.org\", \"content\": {\"body\": \"on it\"}}]},"
             " \"ephemeral\": {\"events\": [" RECEIPT ("$re", "@will:example.org") "]}}}}}",
             3000);
    assert_int_equal (s_said_count, 2);
    assert_non_null (strstr (s_said[1], "@anna:example.org"));
}

static void test_followed_messages_are_bounded (void **state)
{
    s_apply (
        "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM "\": {"
        " \"state\": {\"events\": [" MEMBER (
            "@will:example.org") "]},"
                                 " \"timeline\": {\"events\": [" ALERT ("$a1", "d1") ", " ALERT (
                                     "$a2", "d2") ", " ALERT ("$a3",
                                                              "d3") ", " ALERT ("$a4",
                                                                                "d4") "]}}}}}",
        1000);
    assert_int_equal (crier_read_watch_tracked (s_watch), 3); //  the oldest is forgotten
    assert_int_equal (s_said_count, 4);                       //  each was seen once
    //  Forgotten after keep_ms (60 s here).
    s_apply ("{\"next_batch\": \"s2\", \"rooms\": {\"join\": {}}}", 62000);
    assert_int_equal (crier_read_watch_tracked (s_watch), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_each_reader_is_said_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_followed_messages_are_bounded, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

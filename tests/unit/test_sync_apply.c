/*  test_sync_apply.c - /sync answers (Client-Server API shapes) applied to the read state:
    membership from state and timeline, timeline order, m.receipt content, a limited timeline
    and a receipt on an event in its gap, malformed parts skipped with a reason. */
#include "sync_apply.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#define ROOM "!room:example.org"

static crier_read_state_t *s_state;

static int s_setup (void **state)
{
    s_state = crier_read_state_new ();
    return s_state ? 0 : -1;
}

static int s_teardown (void **state)
{
    crier_read_state_destroy (&s_state);
    return 0;
}

static crier_sync_summary_t s_apply (const char *text)
{
    json_error_t error;
    json_t *answer = json_loads (text, 0, &error);
    if (!answer)
        fail_msg ("bad test JSON: %s (line %d)", error.text, error.line);
    crier_sync_summary_t summary;
    assert_int_equal (crier_sync_apply (s_state, answer, &summary), 0);
    //  next_batch is borrowed from the answer: copy what the test checks before freeing it.
    static char next[64];
    snprintf (next, sizeof next, "%s", summary.next_batch ? summary.next_batch : "(none)");
    summary.next_batch = next;
    json_decref (answer);
    return summary;
}

static void s_count_member (const char *user, void *arg)
{
    (*(int *)arg)++;
}

//  The first sync: members in the state, the bot's alert and a reply in the timeline.
static const char *s_first =
    "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM "\": {"
    " \"state\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@crier:example.org\","
    "   \"sender\": \"@crier:example.org\", \"content\": {\"membership\": \"join\"}},"
    "  {\"type\": \"m.room.member\", \"state_key\": \"@will:example.org\","
    "   \"sender\": \"@will:example.org\", \"content\": {\"membership\": \"join\"}},"
    "  {\"type\": \"m.room.member\", \"state_key\": \"@gone:example.org\","
    "   \"sender\": \"@gone:example.org\", \"content\": {\"membership\": \"leave\"}}]},"
    " \"timeline\": {\"limited\": false, \"events\": ["
    "  {\"type\": \"m.room.message\", \"event_id\": \"$alert\", \"sender\": \"@crier:example.org\","
    "   \"content\": {\"msgtype\": \"m.text\", \"body\": \"disk full\"}},"
    "  {\"type\": \"m.room.member\", \"event_id\": \"$anna-joins\", \"state_key\": "
    "\"@anna:example.org\","
    "   \"sender\": \"@anna:example.org\", \"content\": {\"membership\": \"join\"}}]},"
    " \"ephemeral\": {\"events\": ["
    "  {\"type\": \"m.typing\", \"content\": {\"user_ids\": []}},"
    "  {\"type\": \"m.receipt\", \"content\": {\"$alert\": {"
    "   \"m.read.private\": {\"@will:example.org\": {\"ts\": 1}}}}}]}}}}}";

static void test_members_timeline_and_receipts (void **state)
{
    crier_sync_summary_t summary = s_apply (s_first);
    assert_string_equal (summary.next_batch, "s1");
    assert_int_equal (summary.events, 2);
    assert_int_equal (summary.receipts, 1);
    assert_int_equal (summary.skipped, 0);
    int members = 0;
    crier_read_state_members (s_state, ROOM, s_count_member, &members);
    assert_int_equal (members, 3); //  the bot, will and anna; not gone
    //  A private receipt: not read.
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$alert", "@will:example.org"),
                      CRIER_READ_NO);
    //  Anna joined after the alert: a join is no sign of reading.
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$alert", "@anna:example.org"),
                      CRIER_READ_NO);
    //  The next sync: Will reads it, publicly, on the main thread.
    summary = s_apply ("{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"" ROOM "\": {"
                       " \"ephemeral\": {\"events\": [{\"type\": \"m.receipt\", \"content\": {"
                       "  \"$alert\": {\"m.read\": {\"@will:example.org\": {\"ts\": 2, "
                       "\"thread_id\": \"main\"}}}}}]}}}}}");
    assert_string_equal (summary.next_batch, "s2");
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$alert", "@will:example.org"),
                      CRIER_READ_YES);
    //  Anna answers in the room: read.
    s_apply ("{\"next_batch\": \"s3\", \"rooms\": {\"join\": {\"" ROOM "\": {"
             " \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"event_id\": \"$re\","
             "  \"sender\": \"@anna:example.org\", \"content\": {\"body\": \"on it\"}}]}}}}}");
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$alert", "@anna:example.org"),
                      CRIER_READ_YES);
}

static void test_a_limited_timeline_and_a_receipt_in_its_gap (void **state)
{
    s_apply (s_first);
    crier_sync_summary_t summary =
        s_apply ("{\"next_batch\": \"s3\", \"rooms\": {\"join\": {\"" ROOM "\": {"
                 " \"timeline\": {\"limited\": true, \"prev_batch\": \"t9\", \"events\": ["
                 "  {\"type\": \"m.room.message\", \"event_id\": \"$after-gap\","
                 "   \"sender\": \"@crier:example.org\", \"content\": {}}]},"
                 " \"ephemeral\": {\"events\": [{\"type\": \"m.receipt\", \"content\": {"
                 "  \"$missed\": {\"m.read\": {\"@will:example.org\": {}}}}}]}}}}}");
    assert_int_equal (summary.limited, 1);
    assert_int_equal (crier_read_state_has_read (s_state, ROOM, "$alert", "@will:example.org"),
                      CRIER_READ_UNKNOWN);
    assert_string_equal (crier_read_state_unplaced (s_state, ROOM, "@will:example.org"), "$missed");
}

static void test_malformed_parts_are_skipped_with_a_reason (void **state)
{
    crier_sync_summary_t summary =
        s_apply ("{\"next_batch\": \"s4\", \"rooms\": {\"join\": {"
                 " \"!bad:example.org\": [],"
                 " \"" ROOM "\": {\"timeline\": {\"events\": [{\"type\": \"m.room.message\"},"
                 "   {\"type\": \"m.room.message\", \"event_id\": \"$ok\", \"sender\": \"@a:b\"}]},"
                 "  \"ephemeral\": {\"events\": [{\"type\": \"m.receipt\", \"content\": {\"$ok\": {"
                 "   \"m.read\": {\"@a:b\": {\"thread_id\": 7}}}}}]}}}}}");
    assert_int_equal (summary.events, 1);
    assert_int_equal (summary.skipped, 3);
    assert_non_null (
        strstr (summary.problem, "!bad:example.org: a joined room that is not an object"));
    //  No next_batch: the caller must not move its position.
    summary = s_apply ("{\"rooms\": {}}");
    assert_string_equal (summary.next_batch, "(none)");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_members_timeline_and_receipts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_limited_timeline_and_a_receipt_in_its_gap, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_parts_are_skipped_with_a_reason, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_throttle.c - throttles (issue 20, docs/throttle.md) through the real processes: 100
    notifications of one key to a group with "window": "2s" give one delivery and one summary
    saying 99, in the room and the mailbox, and the room's first message is edited to show the
    count; a SIGKILL of crier-ingest or of crier-resolver in the middle of a window still gives
    exactly one summary with the whole count. */
#include "e2e_stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM   "!throttle:example.org"
#define OPS    "ops@example.org"
#define SLOW   "slow@example.org"
#define ROUTED "routed@example.org"
#define DOCUMENT                                                                                   \
    "\"mapping\": {\"#ops\": {\"matrix\": [\"" ROOM "\"], \"email\": [\"" OPS "\"],"               \
    " \"throttle\": {\"window\": \"2s\"}},"                                                        \
    " \"#slow\": {\"email\": [\"" SLOW "\"], \"throttle\": {\"window\": \"8s\"}},"                 \
    " \"#routed\": {\"email\": [\"" ROUTED "\"], \"throttle\": {\"window\": \"8s\"}}}"

static e2e_stack_t *s_stack;

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {OPS, SLOW, ROUTED, NULL};
    //  Debug lines: ingest says each count it journaled (notification.throttled) and each quiet
    //  window it forgot (throttle.ended).
    //  A short lease: receipts said while the resolver (which hosts the bus) restarts are lost,
    //  and the lease sends those notifications again.
    const char *env[] = {"CRIER_LOG_LEVEL=debug", "CRIER_REDELIVER_AFTER=3s", NULL};
    s_stack = e2e_stack_start_document (DOCUMENT, rooms, mailboxes, env);
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

//  Sends count notifications of key to group at once, bodies "PREFIX NUMBER" from first on (a
//  title, so the email's subject too).
static void s_send (const char *group, const char *key, const char *prefix, int first, int count)
{
    e2e_stack_send_burst (s_stack, group, key, prefix, first, count);
}

//  The messages to one address so far.
static json_t *s_mail_to (json_t *messages, const char *address)
{
    json_t *found = json_array ();
    size_t index;
    json_t *message;
    json_array_foreach (messages, index, message)
    {
        const char *to = test_smtp_header (message, "To");
        if (to && strstr (to, address))
            json_array_append (found, message);
    }
    return found;
}

//  Waits until the window of group and key was forgotten after a quiet stretch (nothing more
//  can be sent for it).
static void s_await_quiet (const char *group, const char *key)
{
    char needle[200];
    snprintf (needle, sizeof needle, "throttle.ended group=%s key=%s", group, key);
    size_t from = 0;
    assert_true (
        test_process_wait_log (s_stack->processes[STACK_INGEST][0], needle, 30000, &from, NULL, 0));
}

//  The room's events: the first message, then its edit and the summary in either order.
typedef struct {
    json_t *first, *edit, *summary;
} room_t;

static room_t s_room (json_t *events)
{
    room_t room = {json_array_get (events, 0), NULL, NULL};
    for (size_t index = 1; index < json_array_size (events); index++) {
        json_t *event = json_array_get (events, index);
        if (json_object_get (json_object_get (event, "content"), "m.relates_to"))
            room.edit = event;
        else
            room.summary = event;
    }
    return room;
}

static const char *s_content (const json_t *event, const char *field)
{
    return json_string_value (json_object_get (json_object_get (event, "content"), field));
}

static void test_a_storm_gives_one_delivery_and_one_summary (void **state)
{
    s_send ("#ops", "db1/backup", "storm", 0, 100);
    //  The first at once, an edit of it with the count, then the summary when the window ends.
    json_t *events = test_homeserver_wait_events (s_stack->homeserver, 3, 30000);
    json_t *all = test_smtp_wait_messages (s_stack->smtp, 2, 30000);
    s_await_quiet ("#ops", "db1/backup");
    json_decref (events);
    json_decref (all);
    events = test_homeserver_get (s_stack->homeserver, "events");
    all = test_smtp_wait_messages (s_stack->smtp, 0, 0);
    json_t *mail = s_mail_to (all, OPS);
    assert_int_equal (json_array_size (events), 3);
    assert_int_equal (json_array_size (mail), 2);
    assert_string_equal (test_smtp_header (json_array_get (mail, 0), "Subject"), "storm 0");
    const char *summary = test_smtp_header (json_array_get (mail, 1), "Subject");
    assert_non_null (summary);
    assert_string_equal (summary, "99 more like this: storm 99");
    room_t room = s_room (events);
    assert_non_null (room.edit);
    assert_non_null (room.summary);
    assert_non_null (strstr (s_content (room.first, "body"), "storm 0"));
    assert_non_null (
        strstr (s_content (room.summary, "body"), "99 more like this in the last 2 seconds"));
    //  The edit replaces the first message (docs/throttle.md): "×N storm 0" with the count.
    json_t *relation = json_object_get (json_object_get (room.edit, "content"), "m.relates_to");
    assert_string_equal (json_string_value (json_object_get (relation, "rel_type")), "m.replace");
    assert_string_equal (json_string_value (json_object_get (relation, "event_id")),
                         json_string_value (json_object_get (room.first, "event_id")));
    const char *replaced = json_string_value (json_object_get (
        json_object_get (json_object_get (room.edit, "content"), "m.new_content"), "body"));
    assert_non_null (replaced);
    assert_int_equal (strncmp (replaced, "×", strlen ("×")), 0);
    assert_non_null (strstr (replaced, " storm 0\n"));
    assert_non_null (strstr (replaced, "more like this since"));
    json_decref (mail);
    json_decref (all);
    json_decref (events);
}

//  Sends 50 of key to group, waits until ingest journaled their 49 counts, kills kind, sends
//  50 more: exactly one summary of 99 reaches address, and besides it only the first. The first
//  may come twice when the resolver, which carries the event bus, died just as the first's
//  email was said delivered (docs/delivery.md's bound for email): first_once says it may not.
static void s_kill_mid_window (stack_kind_t kind, const char *group, const char *address,
                               const char *key, const char *prefix, bool first_once)
{
    json_t *before = test_smtp_wait_messages (s_stack->smtp, 0, 0);
    size_t known = json_array_size (before);
    json_decref (before);
    s_send (group, key, prefix, 0, 50);
    char counted[200];
    snprintf (counted, sizeof counted, "group=%s key=%s count=49", group, key);
    size_t from = 0;
    assert_true (test_process_wait_log (s_stack->processes[STACK_INGEST][0], counted, 30000, &from,
                                        NULL, 0));
    e2e_stack_restart (s_stack, kind, 0, SIGKILL, 137);
    s_send (group, key, prefix, 50, 50);
    json_t *all = test_smtp_wait_messages (s_stack->smtp, known + 2, 30000);
    s_await_quiet (group, key);
    json_decref (all);
    all = test_smtp_wait_messages (s_stack->smtp, 0, 0);
    json_t *mail = s_mail_to (all, address);
    char first[64], summary[96];
    snprintf (first, sizeof first, "%s 0", prefix);
    snprintf (summary, sizeof summary, "99 more like this: %s 99", prefix);
    size_t firsts = 0, summaries = 0, index;
    json_t *message;
    json_array_foreach (mail, index, message)
    {
        const char *subject = test_smtp_header (message, "Subject");
        assert_non_null (subject);
        if (strcmp (subject, first) == 0)
            firsts++;
        else if (strcmp (subject, summary) == 0)
            summaries++;
        else
            fail_msg ("a notification held back was delivered: %s", subject);
    }
    assert_int_equal (summaries, 1);
    assert_true (firsts >= 1);
    if (first_once)
        assert_int_equal (firsts, 1);
    json_decref (mail);
    json_decref (all);
}

static void test_a_kill_of_the_resolver_mid_window_keeps_the_count (void **state)
{
    s_kill_mid_window (STACK_RESOLVER, "#routed", ROUTED, "disk/slow", "resolver", false);
}

static void test_a_kill_of_ingest_mid_window_keeps_the_count (void **state)
{
    s_kill_mid_window (STACK_INGEST, "#slow", SLOW, "disk/full", "kill", true);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_storm_gives_one_delivery_and_one_summary),
        cmocka_unit_test (test_a_kill_of_ingest_mid_window_keeps_the_count),
        cmocka_unit_test (test_a_kill_of_the_resolver_mid_window_keeps_the_count),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

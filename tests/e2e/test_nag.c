/*  test_nag.c - nag by email when a Matrix message stays unread (issue 18), through the real
    processes and crier-matrix-watch: with "after": "2s", a member who did not read gets exactly
    one email with the link while the one who read gets none; when nobody reads, the group's
    nag.email gets one too; and a kill of each process in turn between delivery and deadline
    loses no nag and sends none twice. */
#include "e2e_stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM    "!nag:example.org"
#define ARCHIVE "archive@example.org"
#define ONCALL  "oncall@example.org"
#define WILL    "will@example.org"
#define ANNA    "anna@example.org"
#define DOCUMENT                                                                                   \
    "\"mapping\": {\"#ops\": {\"matrix\": [\"" ROOM "\"], \"email\": [\"" ARCHIVE "\"],"           \
    " \"nag\": {\"after\": \"2s\", \"email\": [\"" ONCALL "\"]}}},"                                \
    " \"people\": {\"@will:example.org\": {\"email\": \"" WILL "\"},"                              \
    " \"@anna:example.org\": {\"email\": \"" ANNA "\"}}"

static e2e_stack_t *s_stack;
static test_process_t *s_watch;
static char s_watch_dir[300];

static void s_start_watch (void)
{
    s_watch = e2e_stack_start_extra (s_stack, "crier-matrix-watch", s_watch_dir);
    assert_true (test_process_wait_log (s_watch, "watch.synced", 30000, NULL, NULL, 0));
}

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {ARCHIVE, NULL};
    //  Debug lines: ingest says when it has recorded a read (nag.read). A short lease: outcomes
    //  on the event bus when the resolver (which hosts it) is killed are lost, and the lease
    //  sends those deliveries again (docs/delivery.md).
    const char *env[] = {"CRIER_MATRIX_USER_ID=" TEST_MATRIX_USER, "CRIER_MATRIX_SYNC_TIMEOUT=1s",
                         "CRIER_LOG_LEVEL=debug", "CRIER_REDELIVER_AFTER=3s", NULL};
    s_stack = e2e_stack_start_document (DOCUMENT, rooms, mailboxes, env);
    snprintf (s_watch_dir, sizeof s_watch_dir, "CRIER_MATRIX_WATCH_DIR=%s/watch",
              test_scratch_dir ());
    s_start_watch ();
    const char *people[] = {"@will:example.org", "@anna:example.org"};
    for (size_t index = 0; index < 2; index++) {
        char order[160];
        snprintf (order, sizeof order,
                  "{\"room\": \"" ROOM "\", \"user\": \"%s\", \"membership\": \"join\"}",
                  people[index]);
        test_homeserver_post (s_stack->homeserver, "member", order);
    }
    return 0;
}

static int s_teardown (void **state)
{
    if (s_watch)
        assert_int_equal (test_process_stop (s_watch, SIGTERM, 15000), 0);
    test_process_destroy (&s_watch);
    e2e_stack_stop (&s_stack);
    return 0;
}

//  The number of events the room has now.
static size_t s_room_events (void)
{
    json_t *events = test_homeserver_get (s_stack->homeserver, "events");
    size_t count = json_array_size (events);
    json_decref (events);
    return count;
}

//  Sends a notification to "#ops" with subject and waits until the room has it; returns its
//  event id (caller frees). events_before: how many events the room had.
static char *s_send_and_await (const char *subject, const char *id, size_t events_before)
{
    char ack[400];
    snprintf (ack, sizeof ack, "CRIER_ACK_ENDPOINT=%s", s_stack->ack_endpoint);
    const char *env[] = {ack, NULL};
    const char *args[] = {
        "send", "--to", "#ops", "--subject", subject, "--id", id, "the disk of db1 is full", NULL};
    char *out, *err;
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    free (out);
    free (err);
    json_t *events = test_homeserver_wait_events (s_stack->homeserver, events_before + 1, 15000);
    assert_true (json_array_size (events) == events_before + 1);
    char *event_id = strdup (
        json_string_value (json_object_get (json_array_get (events, events_before), "event_id")));
    json_decref (events);
    return event_id;
}

//  The text of an email's plain part (the message's own text when it has one part).
static const char *s_plain_text (const json_t *message)
{
    const json_t *body = json_object_get (message, "body");
    const json_t *parts = json_object_get (body, "parts");
    if (!parts)
        return json_string_value (json_object_get (body, "text"));
    for (size_t index = 0; index < json_array_size (parts); index++) {
        const json_t *part = json_array_get (parts, index);
        if (strcmp (json_string_value (json_object_get (part, "content_type")), "text/plain") == 0)
            return json_string_value (json_object_get (part, "text"));
    }
    return NULL;
}

//  The nag emails among the messages whose subject is "Unread: <subject>", counted per
//  recipient (will, anna, oncall); checks each one's text.
typedef struct {
    int will, anna, oncall, other;
} nags_t;

static nags_t s_nags (const json_t *messages, const char *subject, const char *link)
{
    nags_t nags = {0};
    char wanted[128];
    snprintf (wanted, sizeof wanted, "Unread: %s", subject);
    for (size_t index = 0; index < json_array_size (messages); index++) {
        const json_t *message = json_array_get (messages, index);
        const char *said = test_smtp_header (message, "Subject");
        if (!said || strcmp (said, wanted) != 0)
            continue;
        const char *to =
            json_string_value (json_array_get (json_object_get (message, "rcpt_tos"), 0));
        const char *text = s_plain_text (message);
        assert_non_null (text);
        if (!strstr (text, link) || !strstr (text, "the disk of db1 is full"))
            fail_msg ("the nag to %s lacks the link %s or the text:\n%s", to, link, text);
        bool escalation = strcmp (to, ONCALL) == 0;
        const char *why = escalation ? "Nobody read it in Matrix for 2 seconds."
                                     : "Not read in Matrix for 2 seconds.";
        if (!strstr (text, why))
            fail_msg ("the nag to %s does not say \"%s\":\n%s", to, why, text);
        if (strcmp (to, WILL) == 0)
            nags.will++;
        else if (strcmp (to, ANNA) == 0)
            nags.anna++;
        else if (escalation)
            nags.oncall++;
        else
            nags.other++;
    }
    return nags;
}

//  Waits until the resolver decided the notification's nag and ingest finished it (its nag
//  emails delivered), then returns every message the mail server has (decref).
static json_t *s_await_decided (const char *id)
{
    char needle[160];
    snprintf (needle, sizeof needle, "nag.routed id=%s ", id);
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], needle, 30000, NULL,
                                        NULL, 0));
    //  Every nag email of it said sent by crier-ingest: then none is on its way.
    char line[1024];
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], needle, 0, NULL,
                                        line, sizeof line));
    char emails[16];
    assert_true (test_log_value (line, "emails", emails, sizeof emails));
    snprintf (needle, sizeof needle, "nag.sent id=%s ", id);
    size_t from = 0;
    for (int sent = 0; sent < atoi (emails); sent++)
        assert_true (test_process_wait_log (s_stack->processes[STACK_INGEST][0], needle, 30000,
                                            &from, NULL, 0));
    return test_smtp_wait_messages (s_stack->smtp, 0, 0);
}

//  The nag emails of notification id (subject, its message event_id), once decided and sent.
static nags_t s_decided (const char *id, const char *subject, const char *event_id)
{
    json_t *messages = s_await_decided (id);
    char link[256];
    snprintf (link, sizeof link, "https://matrix.to/#/" ROOM "/%s", event_id);
    nags_t nags = s_nags (messages, subject, link);
    json_decref (messages);
    return nags;
}

//  Nobody read it: will, anna and the escalation get one each.
static void s_expect_three_nags (const char *subject, const char *id, const char *event_id)
{
    nags_t nags = s_decided (id, subject, event_id);
    if (nags.will != 1 || nags.anna != 1 || nags.oncall != 1 || nags.other != 0)
        fail_msg ("%s: will %d, anna %d, oncall %d, other %d nag emails", id, nags.will, nags.anna,
                  nags.oncall, nags.other);
}

static void test_the_member_who_did_not_read_gets_one_email (void **state)
{
    char *event_id = s_send_and_await ("Disk full", "nag-one-read", 0);
    char order[256];
    snprintf (order, sizeof order,
              "{\"room\": \"" ROOM "\", \"user\": \"@anna:example.org\", \"event_id\": \"%s\","
              " \"type\": \"m.read\"}",
              event_id);
    test_homeserver_post (s_stack->homeserver, "receipt", order);
    nags_t nags = s_decided ("nag-one-read", "Disk full", event_id);
    assert_int_equal (nags.will, 1);
    assert_int_equal (nags.anna, 0);
    assert_int_equal (nags.oncall, 0); //  somebody read it
    assert_int_equal (nags.other, 0);
    free (event_id);
}

static void test_nobody_reads_and_the_escalation_gets_one (void **state)
{
    char *event_id = s_send_and_await ("Backup failed", "nag-none-read", s_room_events ());
    s_expect_three_nags ("Backup failed", "nag-none-read", event_id);
    free (event_id);
}

//  A read recorded before the deadline holds across a restart of crier-ingest: only the member
//  who did not read is nagged.
static void test_a_read_survives_a_restart (void **state)
{
    char *event_id = s_send_and_await ("Queue stuck", "nag-restart", s_room_events ());
    char order[256];
    snprintf (order, sizeof order,
              "{\"room\": \"" ROOM "\", \"user\": \"@will:example.org\", \"event_id\": \"%s\","
              " \"type\": \"m.read\"}",
              event_id);
    test_homeserver_post (s_stack->homeserver, "receipt", order);
    assert_true (test_process_wait_log (s_stack->processes[STACK_INGEST][0],
                                        "nag.read id=nag-restart reader=@will:example.org", 15000,
                                        NULL, NULL, 0));
    e2e_stack_restart (s_stack, STACK_INGEST, 0, SIGTERM, 0);
    nags_t nags = s_decided ("nag-restart", "Queue stuck", event_id);
    assert_int_equal (nags.will, 0);
    assert_int_equal (nags.anna, 1);
    assert_int_equal (nags.oncall, 0);
    free (event_id);
}

//  SIGKILL of each process in turn between the delivery and the deadline: every nag is sent,
//  none twice.
static void test_a_kill_of_any_process_loses_no_nag (void **state)
{
    const stack_kind_t kinds[] = {STACK_INGEST, STACK_RESOLVER, STACK_EMAIL, STACK_MATRIX};
    for (size_t round = 0; round < 5; round++) {
        char id[32], subject[32];
        snprintf (id, sizeof id, "nag-kill-%zu", round);
        snprintf (subject, sizeof subject, "Kill round %zu", round);
        char *event_id = s_send_and_await (subject, id, s_room_events ());
        if (round < 4) {
            printf ("# killing %s\n", e2e_stack_name (kinds[round]));
            e2e_stack_restart (s_stack, kinds[round], 0, SIGKILL, 137);
        } else {
            printf ("# killing crier-matrix-watch\n");
            assert_int_equal (test_process_stop (s_watch, SIGKILL, 15000), 137);
            test_process_destroy (&s_watch);
            s_start_watch ();
        }
        s_expect_three_nags (subject, id, event_id);
        free (event_id);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_member_who_did_not_read_gets_one_email),
        cmocka_unit_test (test_nobody_reads_and_the_escalation_gets_one),
        cmocka_unit_test (test_a_read_survives_a_restart),
        cmocka_unit_test (test_a_kill_of_any_process_loses_no_nag),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

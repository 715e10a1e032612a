/*  test_throttle_windows.c - crier-ingest's throttle windows (docs/throttle.md): what the
    resolver's decisions count, when a summary falls due, a quiet window forgotten, the next
    window after a summary, a count that comes late; and that the counts survive a restart and a
    compaction of the journal, and a summary on disk is never made again. */
#include "backlog.h"
#include "compaction.h"
#include "test_support.h"
#include "throttle_summary.h"

#include "crier/frames.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "db1/backup"

//  A routed receipt of notification id with one decision for group.
static void s_routed (crier_receipt_t *receipt, crier_receipt_throttle_t *decision, const char *id,
                      const char *group, crier_throttle_action_t action, int64_t start_ms,
                      int64_t time_ms)
{
    *decision = (crier_receipt_throttle_t){
        .group = (char *)group, .start_ms = start_ms, .window_ms = 10000, .action = action};
    *receipt = (crier_receipt_t){.kind = CRIER_RECEIPT_ROUTED,
                                 .notification_id = (char *)id,
                                 .time_ms = time_ms,
                                 .key = KEY,
                                 .throttles = decision,
                                 .throttle_count = 1};
}

static size_t s_apply (crier_throttle_windows_t *windows, const char *id, const char *group,
                       crier_throttle_action_t action, int64_t start_ms, int64_t time_ms)
{
    crier_receipt_t receipt;
    crier_receipt_throttle_t decision;
    s_routed (&receipt, &decision, id, group, action, start_ms, time_ms);
    crier_journal_position_t position = {.offset = 100, .size = 10};
    return crier_throttle_windows_routed (windows, &receipt, position, time_ms);
}

static void test_counts_summaries_and_the_next_window (void **state)
{
    crier_throttle_windows_t *windows = crier_throttle_windows_new ();
    crier_throttle_entry_t *due[4];
    assert_int_equal (s_apply (windows, "first", "#ops", CRIER_THROTTLE_OPENED, 1000, 1000), 0);
    const crier_throttle_entry_t *entry = crier_throttle_windows_get (windows, "#ops", KEY);
    assert_non_null (entry);
    assert_string_equal (entry->window.opener, "first");
    assert_int_equal (s_apply (windows, "a", "#ops", CRIER_THROTTLE_HELD, 1000, 2000), 1);
    assert_int_equal (s_apply (windows, "b", "#ops", CRIER_THROTTLE_COUNTED, 1000, 3000), 1);
    assert_int_equal (entry->window.count, 2);
    assert_int_equal (entry->window.urgent, 1);
    assert_int_equal (entry->window.first_ms, 2000);
    assert_int_equal (entry->window.last_ms, 3000);
    //  The frame carries it to the resolver, for the notification's groups with the key.
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_add_group (notification, "#ops");
    crier_notification_add_group (notification, "#other");
    crier_notification_set (&notification->key, KEY);
    crier_frame_window_t carried[CRIER_MAX_GROUPS];
    assert_int_equal (crier_throttle_windows_of (windows, notification, carried), 1);
    assert_int_equal (carried[0].count, 2);
    assert_string_equal (carried[0].opener, "first");
    crier_notification_destroy (&notification);
    //  Not due before its end; due at it.
    assert_int_equal (crier_throttle_windows_due (windows, 10999, due, 4), 0);
    assert_int_equal (crier_throttle_windows_due (windows, 11000, due, 4), 1);
    assert_ptr_equal (due[0], entry);
    //  Its summary moves it on: the next window starts where it ended, counting nothing yet.
    crier_throttle_windows_summarized (windows, "#ops", KEY, 1000);
    assert_int_equal (entry->window.start_ms, 11000);
    assert_int_equal (entry->window.count, 0);
    assert_null (entry->window.opener);
    //  Said again (a replayed summary): nothing more.
    crier_throttle_windows_summarized (windows, "#ops", KEY, 1000);
    assert_int_equal (entry->window.start_ms, 11000);
    //  A count that comes late for the summed-up window goes into the next summary.
    assert_int_equal (s_apply (windows, "late", "#ops", CRIER_THROTTLE_HELD, 1000, 11500), 1);
    assert_int_equal (entry->window.count, 1);
    assert_int_equal (crier_throttle_windows_due (windows, 21000, due, 4), 1);
    crier_throttle_windows_summarized (windows, "#ops", KEY, 11000);
    //  Quiet for a whole window: forgotten, and the key starts afresh.
    assert_int_equal (crier_throttle_windows_due (windows, 31000, due, 4), 0);
    assert_int_equal (crier_throttle_windows_count (windows), 0);
    assert_int_equal (s_apply (windows, "again", "#ops", CRIER_THROTTLE_OPENED, 40000, 40000), 0);
    assert_int_equal (crier_throttle_windows_count (windows), 1);
    crier_throttle_windows_destroy (&windows);
}

//  The first one's Matrix messages are kept to be edited: at once, then every 30 s at most,
//  and only when the count grew.
static void test_the_first_message_is_edited_now_and_then (void **state)
{
    crier_throttle_windows_t *windows = crier_throttle_windows_new ();
    crier_throttle_entry_t *due[4];
    s_apply (windows, "first", "#ops", CRIER_THROTTLE_OPENED, 1000, 1000);
    crier_throttle_windows_delivered (windows, "first", "!r:example.org", "$one");
    crier_throttle_windows_delivered (windows, "first", "!r:example.org", "$one"); //  said twice
    crier_throttle_windows_delivered (windows, "other", "!r:example.org", "$two");
    const crier_throttle_entry_t *entry = crier_throttle_windows_get (windows, "#ops", KEY);
    assert_int_equal (entry->window.message_count, 1);
    assert_string_equal (entry->window.messages[0].event_id, "$one");
    //  Nothing counted yet: nothing to show.
    assert_int_equal (crier_throttle_windows_edits_due (windows, 1500, due, 4), 0);
    s_apply (windows, "a", "#ops", CRIER_THROTTLE_HELD, 1000, 2000);
    assert_int_equal (crier_throttle_windows_edits_due (windows, 2000, due, 4), 1);
    due[0]->edited_count = due[0]->window.count;
    due[0]->edited_at = 2000;
    s_apply (windows, "b", "#ops", CRIER_THROTTLE_HELD, 1000, 3000);
    assert_int_equal (crier_throttle_windows_edits_due (windows, 3000, due, 4), 0);
    assert_int_equal (
        crier_throttle_windows_edits_due (windows, 2000 + CRIER_THROTTLE_EDIT_EVERY_MS, due, 4), 1);
    crier_notification_t *edit = crier_throttle_edit_new (&due[0]->window, 4000);
    assert_non_null (edit);
    assert_string_equal (edit->subject, "×3 " KEY);
    assert_non_null (strstr (edit->body, "×3: 2 more like this since"));
    assert_non_null (strstr (edit->id, "-x3"));
    crier_notification_destroy (&edit);
    //  The next window (after a summary) has no first message to edit.
    crier_throttle_windows_summarized (windows, "#ops", KEY, 1000);
    assert_int_equal (entry->window.message_count, 0);
    s_apply (windows, "c", "#ops", CRIER_THROTTLE_HELD, 11000, 12000);
    assert_int_equal (crier_throttle_windows_edits_due (windows, 99000, due, 4), 0);
    crier_throttle_windows_destroy (&windows);
}

//  crier status names the windows that counted the most.
static void test_status_names_the_busiest_windows (void **state)
{
    crier_throttle_windows_t *windows = crier_throttle_windows_new ();
    char text[512];
    crier_throttle_windows_describe (windows, text, sizeof text);
    assert_string_equal (text, "none");
    char group[16];
    for (int index = 0; index < 10; index++) {
        snprintf (group, sizeof group, "#g%d", index);
        s_apply (windows, "first", group, CRIER_THROTTLE_OPENED, 1000, 1000);
        for (int count = 0; count < index; count++)
            s_apply (windows, "again", group, CRIER_THROTTLE_HELD, 1000, 2000);
    }
    crier_throttle_windows_describe (windows, text, sizeof text);
    assert_string_equal (text, "#g9:" KEY "=9,#g8:" KEY "=8,#g7:" KEY "=7,#g6:" KEY "=6,#g5:" KEY
                               "=5,#g4:" KEY "=4,#g3:" KEY "=3,#g2:" KEY "=2,+2 more");
    crier_throttle_windows_destroy (&windows);
}

//  A summary's id is the same for the same window, and differs for another.
static void test_summary_ids_and_text (void **state)
{
    crier_throttle_window_t window = {.group = "#ops",
                                      .key = KEY,
                                      .start_ms = 1764000000000,
                                      .window_ms = 600000,
                                      .count = 37,
                                      .urgent = 2,
                                      .first_ms = 1764000065000,
                                      .last_ms = 1764000602000,
                                      .latest_subject = "Backup failed",
                                      .latest_body = "exit code 3"};
    char one[CRIER_THROTTLE_SUMMARY_ID_BYTES], two[CRIER_THROTTLE_SUMMARY_ID_BYTES];
    crier_throttle_summary_id (one, &window);
    crier_throttle_summary_id (two, &window);
    assert_string_equal (one, two);
    assert_int_equal (strncmp (one, "throttle-", 9), 0);
    window.start_ms += 600000;
    crier_throttle_summary_id (two, &window);
    assert_string_not_equal (one, two);
    crier_notification_t *summary = crier_throttle_summary_new (&window, 1764000700000);
    assert_non_null (summary);
    assert_string_equal (summary->id, two);
    assert_string_equal (summary->to[0], "#ops");
    assert_int_equal (summary->to_count, 1);
    assert_string_equal (summary->key, KEY);
    assert_string_equal (summary->subject, "37 more like this: Backup failed");
    assert_non_null (strstr (summary->body, "37 more like this in the last 10 minutes (2 of them "
                                            "urgent, delivered at once), first at 16:01:05 UTC, "
                                            "last at 16:10:02 UTC."));
    assert_non_null (strstr (summary->body, "The latest: Backup failed\nexit code 3"));
    crier_notification_destroy (&summary);
}

//  Through the ledger and the journal, as crier-ingest runs them.
static crier_ledger_t *s_ledger (void)
{
    crier_ledger_options_t options = {60000, 60000, 100, 0, 0, 0};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    assert_non_null (ledger);
    return ledger;
}

static crier_journal_t *s_journal (const char *directory, crier_ledger_t *ledger)
{
    crier_records_report_t report;
    crier_journal_t *journal =
        crier_records_open (directory, crier_backlog_replay, ledger, &report);
    assert_non_null (journal);
    assert_int_equal (report.bad_records, 0);
    crier_ledger_replayed (ledger);
    return journal;
}

//  Accepts notification id with subject, then applies its routed receipt with one decision.
static void s_route (crier_ledger_t *ledger, crier_journal_t *journal, const char *id,
                     crier_throttle_action_t action, int64_t time_ms)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, id);
    crier_notification_add_group (notification, "#ops");
    crier_notification_set (&notification->key, KEY);
    crier_notification_set (&notification->subject, id);
    crier_notification_set (&notification->body, "the backup failed");
    char *frame;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (notification, &frame, &size), 0);
    crier_journal_position_t position;
    assert_int_equal (crier_record_write_notification (journal, frame, size, false, &position), 0);
    assert_int_equal (crier_ledger_accept (ledger, id, position, false, time_ms), 0);
    free (frame);
    crier_notification_destroy (&notification);
    crier_receipt_t receipt;
    crier_receipt_throttle_t decision;
    s_routed (&receipt, &decision, id, "#ops", action, 1000, time_ms);
    //  The first one goes to a room; the held ones go nowhere.
    crier_receipt_delivery_t room = {.channel = "matrix", .target = "!r:example.org"};
    crier_delivery_id (room.delivery_id, id, "matrix", "!r:example.org");
    if (action == CRIER_THROTTLE_OPENED) {
        receipt.deliveries = &room;
        receipt.delivery_count = 1;
    }
    char *data;
    assert_int_equal (crier_receipt_encode (&receipt, &data, &size), 0);
    assert_int_equal (
        crier_backlog_apply_receipt (ledger, journal, &receipt, data, size, time_ms, NULL), 0);
    free (data);
    assert_int_equal (crier_journal_sync (journal), 0);
}

//  The homeserver took the first one's message: event_id.
static void s_delivered (crier_ledger_t *ledger, crier_journal_t *journal, const char *id,
                         const char *event_id)
{
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_DELIVERED,
                               .notification_id = (char *)id,
                               .time_ms = 1500,
                               .event_id = (char *)event_id,
                               .delivery = {.channel = "matrix", .target = "!r:example.org"}};
    crier_delivery_id (receipt.delivery.delivery_id, id, "matrix", "!r:example.org");
    char *data;
    size_t size;
    assert_int_equal (crier_receipt_encode (&receipt, &data, &size), 0);
    assert_int_equal (
        crier_backlog_apply_receipt (ledger, journal, &receipt, data, size, 1500, NULL), 0);
    free (data);
    assert_int_equal (crier_journal_sync (journal), 0);
}

static const crier_throttle_entry_t *s_entry (crier_ledger_t *ledger)
{
    const crier_throttle_entry_t *entry =
        crier_throttle_windows_get (crier_ledger_throttles (ledger), "#ops", KEY);
    assert_non_null (entry);
    return entry;
}

static void s_restart (const char *directory, crier_ledger_t **ledger_p,
                       crier_journal_t **journal_p)
{
    crier_journal_close (journal_p);
    crier_ledger_destroy (ledger_p);
    *ledger_p = s_ledger ();
    *journal_p = s_journal (directory, *ledger_p);
}

static void test_counts_survive_a_restart_and_a_compaction (void **state)
{
    char directory[256];
    snprintf (directory, sizeof directory, "%s/throttle-windows", test_scratch_dir ());
    crier_ledger_t *ledger = s_ledger ();
    crier_journal_t *journal = s_journal (directory, ledger);
    s_route (ledger, journal, "first", CRIER_THROTTLE_OPENED, 1000);
    s_delivered (ledger, journal, "first", "$first");
    s_route (ledger, journal, "second", CRIER_THROTTLE_HELD, 2000);
    s_route (ledger, journal, "third", CRIER_THROTTLE_HELD, 3000);
    assert_int_equal (s_entry (ledger)->window.count, 2);
    //  A restart replays the journal: the same counts, the same opener.
    s_restart (directory, &ledger, &journal);
    assert_int_equal (s_entry (ledger)->window.count, 2);
    assert_string_equal (s_entry (ledger)->window.opener, "first");
    assert_int_equal (s_entry (ledger)->window.message_count, 1);
    //  Held ones are done and forgotten; compaction keeps their count, and the latest text.
    assert_int_equal (crier_compact (journal, ledger, 4000), 0);
    s_restart (directory, &ledger, &journal);
    const crier_throttle_entry_t *entry = s_entry (ledger);
    assert_int_equal (entry->window.count, 2);
    assert_int_equal (entry->window.first_ms, 2000);
    assert_int_equal (entry->window.last_ms, 3000);
    assert_string_equal (entry->window.latest_subject, "third");
    assert_string_equal (entry->window.latest_body, "the backup failed");
    assert_string_equal (entry->window.opener, "first");
    assert_string_equal (entry->window.opener_subject, "first");
    assert_int_equal (entry->window.message_count, 1);
    assert_string_equal (entry->window.messages[0].event_id, "$first");
    //  It ended while crier was down: due as soon as it is back.
    crier_throttle_entry_t *ended[2];
    assert_int_equal (crier_throttle_windows_due (crier_ledger_throttles (ledger), 12000, ended, 2),
                      1);
    //  Its summary journaled (as crier-ingest does): after a restart, it is not due again.
    crier_notification_t *summary = crier_throttle_summary_new (&entry->window, 12000);
    crier_frame_redelivery_t frame = {
        .attempt = 1, .summary = {.group = "#ops", .start_ms = 1000, .window_ms = 10000}};
    char *data;
    size_t size;
    assert_int_equal (crier_frame_encode_redelivery (summary, &frame, &data, &size), 0);
    assert_int_equal (crier_record_write_notification (journal, data, size, false, NULL), 0);
    assert_int_equal (crier_journal_sync (journal), 0);
    free (data);
    crier_notification_destroy (&summary);
    s_restart (directory, &ledger, &journal);
    crier_throttle_entry_t *due[2];
    assert_int_equal (s_entry (ledger)->window.start_ms, 11000);
    assert_int_equal (crier_throttle_windows_due (crier_ledger_throttles (ledger), 12000, due, 2),
                      0);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counts_summaries_and_the_next_window),
        cmocka_unit_test (test_summary_ids_and_text),
        cmocka_unit_test (test_status_names_the_busiest_windows),
        cmocka_unit_test (test_the_first_message_is_edited_now_and_then),
        cmocka_unit_test (test_counts_survive_a_restart_and_a_compaction),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

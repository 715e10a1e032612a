/*  test_records.c - the records of crier-ingest's journal: each writer's record reads back
    decoded; a new journal starts with its format version; a journal of a newer format is
    refused; a record that cannot be decoded is skipped and counted; and a journal written by
    crier 0.1.0 (before this module, kept as a fixture) replays into the same state, before and
    after a compaction. */
#include "backlog.h"
#include "compaction.h"
#include "records.h"
#include "test_support.h"

#include "crier/frames.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_directory (char *path, size_t size)
{
    static int counter;
    snprintf (path, size, "%s/records-%d", test_scratch_dir (), ++counter);
}

typedef struct {
    char types[16];
    char ids[16][CRIER_MAX_ID_BYTES + 1];
    int64_t at_ms[16];
    uint32_t format[16];
    crier_receipt_kind_t kinds[16];
    size_t count;
} seen_t;

static bool s_collect (const crier_record_t *record, void *arg)
{
    seen_t *seen = arg;
    assert_true (seen->count < 16);
    size_t index = seen->count++;
    seen->types[index] = (char)record->type;
    seen->at_ms[index] = record->at_ms;
    seen->format[index] = record->format;
    if (crier_record_is_notification (record->type))
        snprintf (seen->ids[index], sizeof seen->ids[index], "%s", record->notification->id);
    else if (record->type == CRIER_RECORD_RECEIPT) {
        snprintf (seen->ids[index], sizeof seen->ids[index], "%s", record->receipt.notification_id);
        seen->kinds[index] = record->receipt.kind;
    } else
        snprintf (seen->ids[index], sizeof seen->ids[index], "%s", record->id);
    return true;
}

static crier_journal_t *s_open (const char *directory, seen_t *seen, crier_records_report_t *report)
{
    memset (seen, 0, sizeof *seen);
    return crier_records_open (directory, s_collect, seen, report);
}

//  A new journal in a directory of its own.
static crier_journal_t *s_new_journal (char *directory, size_t size, seen_t *seen,
                                       crier_records_report_t *report)
{
    s_directory (directory, size);
    crier_journal_t *journal = s_open (directory, seen, report);
    assert_non_null (journal);
    return journal;
}

static void s_write_notification (crier_journal_t *journal, const char *id, bool client_id)
{
    crier_notification_t *notification = crier_notification_new ();
    assert_non_null (notification);
    assert_int_equal (crier_notification_set (&notification->id, id), 0);
    assert_int_equal (crier_notification_add_group (notification, "#admins"), 0);
    assert_int_equal (crier_notification_set (&notification->body, "disk full"), 0);
    notification->received_at_ms = 1000;
    char *frame;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (notification, &frame, &size), 0);
    assert_int_equal (crier_record_write_notification (journal, frame, size, client_id, NULL), 0);
    free (frame);
    crier_notification_destroy (&notification);
}

static void test_each_record_reads_back_decoded (void **state)
{
    char directory[256];
    seen_t seen;
    crier_records_report_t report;
    crier_journal_t *journal = s_new_journal (directory, sizeof directory, &seen, &report);
    assert_int_equal (seen.count, 0);
    s_write_notification (journal, "by-crier", false);
    s_write_notification (journal, "by-client", true);
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED, .notification_id = "by-client"};
    assert_int_equal (crier_record_write_receipt_of (journal, &routed), 0);
    assert_int_equal (crier_record_write_complete (journal, "by-client"), 0);
    assert_int_equal (crier_record_write_seen (journal, "remember-me", 1234567), 0);
    assert_int_equal (crier_record_write_retry (journal, "by-crier"), 0);
    assert_int_equal (crier_record_write_retry (journal, NULL), 0);
    //  What no record may hold is refused, not cut.
    char too_long[CRIER_MAX_ID_BYTES + 2];
    memset (too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal (crier_record_write_complete (journal, too_long), -1);
    assert_int_equal (crier_record_write_seen (journal, too_long, 0), -1);
    assert_int_equal (crier_record_write_retry (journal, too_long), -1);
    assert_int_equal (crier_record_write_complete (journal, ""), -1);
    crier_journal_close (&journal);

    journal = s_open (directory, &seen, &report);
    assert_non_null (journal);
    assert_int_equal (report.bad_records, 0);
    assert_int_equal (report.format, CRIER_JOURNAL_FORMAT);
    //  The version record is the reader's own: it is not handed on.
    assert_int_equal (report.journal.records, 8);
    assert_int_equal (seen.count, 7);
    assert_memory_equal (seen.types, "NKECIRR", 7);
    assert_string_equal (seen.ids[0], "by-crier");
    assert_string_equal (seen.ids[1], "by-client");
    assert_string_equal (seen.ids[2], "by-client");
    assert_int_equal (seen.kinds[2], CRIER_RECEIPT_ROUTED);
    assert_string_equal (seen.ids[3], "by-client");
    assert_string_equal (seen.ids[4], "remember-me");
    assert_int_equal (seen.at_ms[4], 1234567);
    assert_string_equal (seen.ids[5], "by-crier");
    assert_string_equal (seen.ids[6], "");
    crier_journal_close (&journal);
}

static void test_a_new_journal_starts_with_its_version (void **state)
{
    char directory[256];
    seen_t seen;
    crier_records_report_t report;
    crier_journal_t *journal = s_new_journal (directory, sizeof directory, &seen, &report);
    crier_journal_close (&journal);
    //  Read raw: one record, the version.
    char path[300];
    snprintf (path, sizeof path, "%s/journal", directory);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    unsigned char bytes[64];
    size_t size = fread (bytes, 1, sizeof bytes, file);
    fclose (file);
    assert_int_equal (size, CRIER_JOURNAL_HEADER_BYTES + 4);
    assert_int_equal (bytes[12], CRIER_RECORD_VERSION);
    assert_int_equal (bytes[13], CRIER_JOURNAL_FORMAT);
}

static void s_noop (uint8_t type, const void *payload, size_t size,
                    crier_journal_position_t position, void *arg)
{
}

static void test_a_newer_journal_is_refused (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    crier_journal_report_t raw_report;
    crier_journal_t *journal = crier_journal_open (directory, s_noop, NULL, &raw_report);
    assert_non_null (journal);
    //  A journal a future crier wrote: its version, then a record type this one does not know.
    const unsigned char future[4] = {CRIER_JOURNAL_FORMAT + 1, 0, 0, 0};
    assert_int_equal (crier_journal_append (journal, CRIER_RECORD_VERSION, future, 4, NULL), 0);
    assert_int_equal (crier_journal_append (journal, 'Z', "a pending nag", 13, NULL), 0);
    crier_journal_close (&journal);
    seen_t seen;
    crier_records_report_t report;
    assert_null (s_open (directory, &seen, &report));
    assert_int_equal (seen.count, 0);
    assert_int_equal (report.format, CRIER_JOURNAL_FORMAT + 1);
}

static void test_a_record_that_cannot_be_decoded_is_skipped (void **state)
{
    char directory[256];
    seen_t seen;
    crier_records_report_t report;
    crier_journal_t *journal = s_new_journal (directory, sizeof directory, &seen, &report);
    //  Checksums are right, contents are not.
    assert_int_equal (crier_journal_append (journal, CRIER_RECORD_COMPLETE, "", 0, NULL), 0);
    assert_int_equal (crier_journal_append (journal, CRIER_RECORD_NOTIFICATION, "\xc1", 1, NULL),
                      0);
    assert_int_equal (crier_journal_append (journal, CRIER_RECORD_SEEN, "short", 5, NULL), 0);
    assert_int_equal (crier_record_write_complete (journal, "fine"), 0);
    crier_journal_close (&journal);
    journal = s_open (directory, &seen, &report);
    assert_non_null (journal);
    assert_int_equal (report.bad_records, 3);
    assert_int_equal (seen.count, 1);
    assert_string_equal (seen.ids[0], "fine");
    crier_journal_close (&journal);
}

//  The fixture's state (tests/fixtures/journal-0.1.0/README.md says what it holds).
static void s_expect_fixture_state (crier_ledger_t *ledger)
{
    assert_int_equal (crier_ledger_backlog (ledger), 3);
    assert_int_equal (crier_ledger_dead_count (ledger), 1);
    assert_true (crier_ledger_seen (ledger, "remembered-id", 1764500000000));
    assert_true (crier_ledger_seen (ledger, "client-b", 1764500000000));
    crier_ledger_work_t work;
    //  The retried unroutable group first, routed again; then the two never routed.
    assert_true (crier_ledger_next (ledger, &work));
    assert_string_equal (work.id, "client-c");
    assert_true (work.redelivery.route);
    assert_int_equal (work.group_count, 1);
    assert_string_equal (work.groups[0], "#nobody");
    assert_true (work.redelivery.attempt >= 2);
}

static void s_expect_dead_letter (const crier_dead_letter_t *letter, void *arg)
{
    assert_string_equal (letter->notification_id, "client-b");
    assert_string_equal (letter->channel, "email");
    assert_string_equal (letter->target, "staff@example.org");
    assert_string_equal (letter->reason, "550 mailbox unavailable");
    (*(int *)arg)++;
}

static crier_ledger_t *s_replayed (const char *directory, crier_journal_t **journal_p,
                                   crier_records_report_t *report)
{
    //  A dedup window long enough to reach back to when the fixture was written.
    crier_ledger_options_t options = {60000, UINT64_C (1) << 40, 100, 0, 0, 0};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    assert_non_null (ledger);
    *journal_p = crier_records_open (directory, crier_backlog_replay, ledger, report);
    assert_non_null (*journal_p);
    crier_ledger_replayed (ledger);
    return ledger;
}

static void test_a_journal_of_crier_0_1_0_replays (void **state)
{
    char directory[256], command[700];
    s_directory (directory, sizeof directory);
    snprintf (command, sizeof command,
              "mkdir -p %s && cp %s/tests/fixtures/journal-0.1.0/journal %s/", directory,
              CRIER_SOURCE_DIR, directory);
    assert_int_equal (system (command), 0);
    crier_records_report_t report;
    crier_journal_t *journal;
    crier_ledger_t *ledger = s_replayed (directory, &journal, &report);
    assert_int_equal (report.format, 1);
    assert_int_equal (report.bad_records, 0);
    assert_int_equal (report.journal.skipped_bytes + report.journal.cut_bytes, 0);
    s_expect_fixture_state (ledger);
    int letters = 0;
    crier_ledger_dead_letters (ledger, s_expect_dead_letter, &letters);
    assert_int_equal (letters, 1);

    //  Compacted (now with its version record first) and read again: the same state.
    assert_int_equal (crier_compact (journal, ledger, 1764500000000), 0);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
    ledger = s_replayed (directory, &journal, &report);
    assert_int_equal (report.format, CRIER_JOURNAL_FORMAT);
    assert_int_equal (report.bad_records, 0);
    s_expect_fixture_state (ledger);
    letters = 0;
    crier_ledger_dead_letters (ledger, s_expect_dead_letter, &letters);
    assert_int_equal (letters, 1);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_record_reads_back_decoded),
        cmocka_unit_test (test_a_new_journal_starts_with_its_version),
        cmocka_unit_test (test_a_newer_journal_is_refused),
        cmocka_unit_test (test_a_record_that_cannot_be_decoded_is_skipped),
        cmocka_unit_test (test_a_journal_of_crier_0_1_0_replays),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

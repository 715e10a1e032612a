/*  test_backlog.c - crier-ingest's queue in memory is bounded: past its limit accepted
    notifications wait in the journal only, and come back in the order they came, each once,
    across a compaction and after a restart. */
#include "backlog.h"
#include "compaction.h"
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

#define QUEUED_MAX 4
#define COUNT      10

static crier_ledger_t *s_ledger (void)
{
    crier_ledger_options_t options = {60000, 60000, 100, QUEUED_MAX, 0, 0};
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
    return journal;
}

static void s_directory (char *path, size_t size)
{
    static int counter;
    snprintf (path, size, "%s/backlog-%d", test_scratch_dir (), ++counter);
}

//  Journals and accepts notification n<index>, as crier-ingest does.
static void s_accept (crier_ledger_t *ledger, crier_journal_t *journal, int index)
{
    crier_notification_t *notification = crier_notification_new ();
    assert_non_null (notification);
    char id[16];
    snprintf (id, sizeof id, "n%d", index);
    assert_int_equal (crier_notification_set (&notification->id, id), 0);
    assert_int_equal (crier_notification_add_group (notification, "#admins"), 0);
    assert_int_equal (crier_notification_set (&notification->body, "disk full"), 0);
    char *frame;
    size_t size;
    assert_int_equal (crier_frame_encode_notification (notification, &frame, &size), 0);
    crier_journal_position_t position;
    assert_int_equal (crier_record_write_notification (journal, frame, size, true, &position), 0);
    assert_int_equal (crier_ledger_accept (ledger, id, position, true, 0), 0);
    free (frame);
    crier_notification_destroy (&notification);
}

//  Sends everything there is to send, refilling as crier-ingest does, and checks that the
//  ids come in order from n<first> to n<end - 1>, that each frame reads back as its own
//  notification, and that the queue in memory never holds more than queued_max.
static void s_send_all (crier_ledger_t *ledger, crier_journal_t *journal, int first, int end,
                        size_t queued_max)
{
    int expected = first;
    crier_ledger_work_t work;
    while (crier_ledger_next (ledger, &work) ||
           (crier_backlog_refill (ledger, journal) > 0 && crier_ledger_next (ledger, &work))) {
        assert_true (crier_ledger_queued (ledger) <= queued_max);
        char id[16];
        snprintf (id, sizeof id, "n%d", expected++);
        assert_string_equal (work.id, id);
        char *frame = malloc (work.position.size);
        assert_non_null (frame);
        assert_int_equal (crier_journal_read (journal, work.position, frame), 0);
        crier_error_t error;
        crier_notification_t *notification =
            crier_frame_decode_notification (frame, work.position.size, NULL, &error);
        assert_non_null (notification);
        assert_string_equal (notification->id, id);
        crier_notification_destroy (&notification);
        free (frame);
        crier_ledger_sent (ledger, 0);
    }
    assert_int_equal (expected, end);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), 0);
    assert_int_equal (crier_ledger_in_flight (ledger), end);
}

static void test_past_the_limit_they_wait_in_the_journal_and_come_back_in_order (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    crier_ledger_t *ledger = s_ledger ();
    crier_journal_t *journal = s_journal (directory, ledger);
    for (int index = 0; index < COUNT; index++) {
        s_accept (ledger, journal, index);
        //  Receipts and other records lie between notification records.
        assert_int_equal (crier_record_write_complete (journal, "other"), 0);
    }
    assert_int_equal (crier_ledger_backlog (ledger), COUNT);
    assert_int_equal (crier_ledger_queued (ledger), QUEUED_MAX);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), COUNT - QUEUED_MAX);
    //  A client id waiting in the journal is still known as a duplicate.
    assert_true (crier_ledger_seen (ledger, "n9", 0));

    //  Not read back before it is on disk.
    crier_ledger_work_t work;
    for (int index = 0; index < QUEUED_MAX; index++) {
        assert_true (crier_ledger_next (ledger, &work));
        crier_ledger_sent (ledger, 0);
    }
    assert_int_equal (crier_backlog_refill (ledger, journal), 0);
    assert_int_equal (crier_journal_sync (journal), 0);
    //  Loaded back up to the limit, then the rest.
    assert_int_equal (crier_backlog_refill (ledger, journal), QUEUED_MAX);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), COUNT - 2 * QUEUED_MAX);
    assert_int_equal (crier_ledger_backlog (ledger), COUNT);
    s_send_all (ledger, journal, QUEUED_MAX, COUNT, QUEUED_MAX);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
}

//  A new journal and ledger in which COUNT notifications were accepted.
static crier_journal_t *s_accepted (char *directory, size_t size, crier_ledger_t **ledger_p)
{
    s_directory (directory, size);
    *ledger_p = s_ledger ();
    crier_journal_t *journal = s_journal (directory, *ledger_p);
    for (int index = 0; index < COUNT; index++)
        s_accept (*ledger_p, journal, index);
    return journal;
}

static void test_a_compaction_keeps_the_waiting_in_order (void **state)
{
    char directory[256];
    crier_ledger_t *ledger;
    crier_journal_t *journal = s_accepted (directory, sizeof directory, &ledger);
    assert_int_equal (crier_compact (journal, ledger, 0), 0);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), COUNT - QUEUED_MAX);
    //  A second one moves them again.
    assert_int_equal (crier_compact (journal, ledger, 0), 0);
    s_send_all (ledger, journal, 0, COUNT, QUEUED_MAX);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
}

static void test_a_restart_finds_every_one (void **state)
{
    char directory[256];
    crier_ledger_t *ledger;
    crier_journal_t *journal = s_accepted (directory, sizeof directory, &ledger);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);

    //  Replayed, every notification is loaded (its receipts may come later in the journal), and
    //  goes again as a redelivery (it may have gone out before the restart).
    ledger = s_ledger ();
    journal = s_journal (directory, ledger);
    crier_ledger_replayed (ledger);
    crier_ledger_work_t first;
    assert_true (crier_ledger_next (ledger, &first));
    assert_int_equal (first.redelivery.attempt, 2);
    assert_int_equal (crier_ledger_backlog (ledger), COUNT);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), 0);
    //  New ones wait behind them in the journal.
    s_accept (ledger, journal, COUNT);
    assert_int_equal (crier_ledger_in_journal (ledger, NULL), 1);
    assert_int_equal (crier_journal_sync (journal), 0);
    s_send_all (ledger, journal, 0, COUNT + 1, COUNT);
    crier_journal_close (&journal);
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_past_the_limit_they_wait_in_the_journal_and_come_back_in_order),
        cmocka_unit_test (test_a_compaction_keeps_the_waiting_in_order),
        cmocka_unit_test (test_a_restart_finds_every_one),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_journal.c - crier-ingest's journal: records come back in order after a reopen, a torn
    tail is cut, a damaged record in the middle is skipped, a rewrite keeps only what it is
    given and reads still work across it; a failed sync cuts the file back to what was synced;
    a scan reads on from any record, stops when asked,
    skips damage and never reads what is not written yet. */
#include "journal.h"
#include "test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char types[16];
    char payloads[16][64];
    crier_journal_position_t positions[16];
    size_t count;
} replayed_t;

static void s_collect (uint8_t type, const void *payload, size_t size,
                       crier_journal_position_t position, void *arg)
{
    replayed_t *replayed = arg;
    assert_true (replayed->count < 16 && size < 64);
    replayed->types[replayed->count] = (char)type;
    memcpy (replayed->payloads[replayed->count], payload, size);
    replayed->payloads[replayed->count][size] = '\0';
    replayed->positions[replayed->count] = position;
    replayed->count++;
}

//  A new empty directory for one journal.
static void s_directory (char *path, size_t size)
{
    static int counter;
    snprintf (path, size, "%s/journal-%d", test_scratch_dir (), ++counter);
}

static crier_journal_t *s_open (const char *directory, replayed_t *replayed,
                                crier_journal_report_t *report)
{
    memset (replayed, 0, sizeof *replayed);
    crier_journal_t *journal = crier_journal_open (directory, s_collect, replayed, report);
    assert_non_null (journal);
    return journal;
}

static void s_append (crier_journal_t *journal, char type, const char *text)
{
    assert_int_equal (crier_journal_append (journal, (uint8_t)type, text, strlen (text), NULL), 0);
}

static off_t s_file_size (const char *directory)
{
    char path[300];
    snprintf (path, sizeof path, "%s/journal", directory);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    return info.st_size;
}

static void test_records_come_back_in_order (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 0);
    s_append (journal, 'N', "first");
    crier_journal_position_t position;
    assert_int_equal (crier_journal_append (journal, 'E', "second", 6, &position), 0);
    //  Readable from the buffer before the sync, and from the file after it.
    char back[16] = "";
    assert_int_equal (crier_journal_read (journal, position, back), 0);
    assert_string_equal (back, "second");
    assert_int_equal (crier_journal_unsynced (journal), 2 * CRIER_JOURNAL_HEADER_BYTES + 11);
    assert_int_equal (crier_journal_sync (journal), 0);
    assert_int_equal (crier_journal_unsynced (journal), 0);
    memset (back, 0, sizeof back);
    assert_int_equal (crier_journal_read (journal, position, back), 0);
    assert_string_equal (back, "second");
    //  Once newer records are appended, older ones are read back from the file.
    s_append (journal, 'N', "third");
    memset (back, 0, sizeof back);
    assert_int_equal (crier_journal_read (journal, position, back), 0);
    assert_string_equal (back, "second");
    crier_journal_close (&journal);

    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 3);
    assert_int_equal (report.cut_bytes + report.skipped_bytes, 0);
    assert_int_equal (replayed.types[0], 'N');
    assert_string_equal (replayed.payloads[0], "first");
    assert_int_equal (replayed.types[1], 'E');
    assert_string_equal (replayed.payloads[1], "second");
    assert_int_equal (replayed.positions[1].offset, position.offset);
    crier_journal_close (&journal);
}

static void test_torn_tail_is_cut (void **state)
{
    char directory[256], path[300];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    s_append (journal, 'N', "kept");
    s_append (journal, 'N', "torn by a crash");
    crier_journal_close (&journal);
    //  The crash: the last record lost its last 5 bytes.
    off_t whole = s_file_size (directory);
    snprintf (path, sizeof path, "%s/journal", directory);
    assert_int_equal (truncate (path, whole - 5), 0);

    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 1);
    assert_string_equal (replayed.payloads[0], "kept");
    assert_int_equal (report.cut_bytes, CRIER_JOURNAL_HEADER_BYTES + 15 - 5);
    //  Cut on disk too, so that new records follow the last whole one.
    assert_int_equal (s_file_size (directory), CRIER_JOURNAL_HEADER_BYTES + 4);
    s_append (journal, 'N', "after");
    crier_journal_close (&journal);
    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 2);
    assert_string_equal (replayed.payloads[1], "after");
    assert_int_equal (report.cut_bytes, 0);
    crier_journal_close (&journal);
}

//  Writes three records to a new journal in directory and damages the second on disk (a byte of
//  its payload flipped: its checksum no longer matches). Returns the journal, still open.
static crier_journal_t *s_three_with_damage (char *directory, size_t size)
{
    char path[300];
    s_directory (directory, size);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    s_append (journal, 'N', "one");
    s_append (journal, 'N', "two, to be damaged");
    s_append (journal, 'N', "three");
    assert_int_equal (crier_journal_sync (journal), 0);
    snprintf (path, sizeof path, "%s/journal", directory);
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    off_t at = 2 * CRIER_JOURNAL_HEADER_BYTES + 3 + 2;
    char byte;
    assert_int_equal (pread (fd, &byte, 1, at), 1);
    byte ^= 0x20;
    assert_int_equal (pwrite (fd, &byte, 1, at), 1);
    close (fd);
    return journal;
}

static void test_damaged_record_is_skipped (void **state)
{
    char directory[256];
    crier_journal_t *journal = s_three_with_damage (directory, sizeof directory);
    crier_journal_close (&journal);
    replayed_t replayed;
    crier_journal_report_t report;
    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 2);
    assert_string_equal (replayed.payloads[0], "one");
    assert_string_equal (replayed.payloads[1], "three");
    assert_int_equal (report.skipped_bytes, CRIER_JOURNAL_HEADER_BYTES + 18);
    assert_int_equal (report.cut_bytes, 0);
    crier_journal_close (&journal);
}

//  Collects scanned records; stops after stop_after of them (0: never).
typedef struct {
    replayed_t replayed;
    size_t stop_after;
    size_t big; //  the size of a record too big to collect
} scanned_t;

static bool s_scan_collect (uint8_t type, const void *payload, size_t size,
                            crier_journal_position_t position, void *arg)
{
    scanned_t *scanned = arg;
    if (size == scanned->big)
        s_collect (type, "(big)", 5, position, &scanned->replayed);
    else
        s_collect (type, payload, size, position, &scanned->replayed);
    return scanned->stop_after == 0 || scanned->replayed.count < scanned->stop_after;
}

static void test_scan_reads_on_from_a_record_and_stops_when_asked (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    crier_journal_position_t positions[5];
    //  The third record is bigger than what a scan reads at a time.
    size_t big = 600 * 1024;
    char *large = calloc (1, big);
    assert_non_null (large);
    const char *texts[] = {"one", "two", NULL, "four", "five"};
    for (int index = 0; index < 5; index++)
        assert_int_equal (crier_journal_append (journal, 'N', texts[index] ? texts[index] : large,
                                                texts[index] ? strlen (texts[index]) : big,
                                                &positions[index]),
                          0);
    free (large);
    assert_int_equal (crier_journal_sync (journal), 0);
    s_append (journal, 'N', "not synced yet");

    //  From the second record, stopping after two: the big one is read whole.
    uint64_t offset = positions[1].offset - CRIER_JOURNAL_HEADER_BYTES;
    scanned_t scanned = {.stop_after = 2, .big = big};
    assert_int_equal (crier_journal_scan (journal, &offset, s_scan_collect, &scanned), 0);
    assert_int_equal (scanned.replayed.count, 2);
    assert_string_equal (scanned.replayed.payloads[0], "two");
    assert_string_equal (scanned.replayed.payloads[1], "(big)");
    assert_int_equal (scanned.replayed.positions[1].offset, positions[2].offset);
    assert_int_equal (scanned.replayed.positions[1].size, big);
    assert_int_equal (offset, positions[3].offset - CRIER_JOURNAL_HEADER_BYTES);

    //  On from there to the end of what is written: the buffered append is not read.
    scanned = (scanned_t){.big = big};
    assert_int_equal (crier_journal_scan (journal, &offset, s_scan_collect, &scanned), 0);
    assert_int_equal (scanned.replayed.count, 2);
    assert_string_equal (scanned.replayed.payloads[0], "four");
    assert_string_equal (scanned.replayed.payloads[1], "five");
    assert_int_equal (offset, positions[4].offset + positions[4].size);

    assert_int_equal (crier_journal_sync (journal), 0);
    scanned = (scanned_t){.big = big};
    assert_int_equal (crier_journal_scan (journal, &offset, s_scan_collect, &scanned), 0);
    assert_int_equal (scanned.replayed.count, 1);
    assert_string_equal (scanned.replayed.payloads[0], "not synced yet");
    assert_int_equal (offset, crier_journal_size (journal));
    crier_journal_close (&journal);
}

static void test_scan_skips_a_damaged_record (void **state)
{
    char directory[256];
    crier_journal_t *journal = s_three_with_damage (directory, sizeof directory);
    uint64_t offset = 0;
    scanned_t scanned = {0};
    assert_int_equal (crier_journal_scan (journal, &offset, s_scan_collect, &scanned), 0);
    assert_int_equal (scanned.replayed.count, 2);
    assert_string_equal (scanned.replayed.payloads[0], "one");
    assert_string_equal (scanned.replayed.payloads[1], "three");
    assert_int_equal (offset, crier_journal_size (journal));
    crier_journal_close (&journal);
}

typedef struct {
    crier_journal_position_t keep;
    crier_journal_position_t moved;
} rewrite_t;

static int s_keep_one (crier_journal_t *journal, void *arg)
{
    rewrite_t *rewrite = arg;
    char payload[32] = "";
    //  Reads still come from the old file during the rewrite.
    assert_int_equal (crier_journal_read (journal, rewrite->keep, payload), 0);
    return crier_journal_append (journal, 'N', payload, rewrite->keep.size, &rewrite->moved);
}

static void test_rewrite_keeps_only_what_is_live (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    rewrite_t rewrite;
    for (int index = 0; index < 10; index++) {
        char text[32];
        snprintf (text, sizeof text, "record %d", index);
        crier_journal_position_t position;
        assert_int_equal (crier_journal_append (journal, 'N', text, strlen (text), &position), 0);
        if (index == 7)
            rewrite.keep = position;
    }
    uint64_t before = crier_journal_size (journal);
    assert_int_equal (crier_journal_rewrite (journal, s_keep_one, &rewrite), 0);
    assert_true (crier_journal_size (journal) < before);
    assert_int_equal (crier_journal_size (journal), CRIER_JOURNAL_HEADER_BYTES + 8);
    char back[32] = "";
    assert_int_equal (crier_journal_read (journal, rewrite.moved, back), 0);
    assert_string_equal (back, "record 7");
    s_append (journal, 'C', "later");
    crier_journal_close (&journal);

    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 2);
    assert_string_equal (replayed.payloads[0], "record 7");
    assert_string_equal (replayed.payloads[1], "later");
    crier_journal_close (&journal);
}

static int s_fail (crier_journal_t *journal, void *arg)
{
    crier_journal_append (journal, 'N', "half", 4, NULL);
    return -1;
}

static void test_failed_rewrite_keeps_the_old_journal (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    s_append (journal, 'N', "still here");
    assert_int_equal (crier_journal_rewrite (journal, s_fail, NULL), -1);
    s_append (journal, 'N', "and this");
    crier_journal_close (&journal);
    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 2);
    assert_string_equal (replayed.payloads[0], "still here");
    assert_string_equal (replayed.payloads[1], "and this");
    crier_journal_close (&journal);
}

//  A full disk, as RLIMIT_FSIZE makes it: the write fails with EFBIG (SIGXFSZ is ignored).
static void s_limit_file_size (rlim_t bytes)
{
    struct rlimit limit;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &limit), 0);
    limit.rlim_cur = bytes;
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &limit), 0);
}

static void test_a_failed_sync_cuts_back_to_what_was_synced (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    s_append (journal, 'N', "kept");
    assert_int_equal (crier_journal_sync (journal), 0);
    off_t synced = s_file_size (directory);

    //  Room for a little more than the first record: the batch is half written, then refused.
    signal (SIGXFSZ, SIG_IGN);
    s_limit_file_size ((rlim_t)synced + CRIER_JOURNAL_HEADER_BYTES + 2);
    s_append (journal, 'N', "told to try again");
    s_append (journal, 'E', "a receipt of the same batch");
    assert_int_equal (crier_journal_sync (journal), -1);
    assert_false (crier_journal_broken (journal));
    assert_int_equal (crier_journal_unsynced (journal), 0);
    assert_int_equal (s_file_size (directory), synced);
    assert_int_equal (crier_journal_size (journal), (uint64_t)synced);

    //  Once the disk has room, appends go on from there.
    s_limit_file_size (RLIM_INFINITY);
    crier_journal_position_t position;
    assert_int_equal (crier_journal_append (journal, 'N', "after", 5, &position), 0);
    assert_int_equal (position.offset, (uint64_t)synced + CRIER_JOURNAL_HEADER_BYTES);
    assert_int_equal (crier_journal_sync (journal), 0);
    crier_journal_close (&journal);

    journal = s_open (directory, &replayed, &report);
    assert_int_equal (report.records, 2);
    assert_int_equal (report.cut_bytes + report.skipped_bytes, 0);
    assert_string_equal (replayed.payloads[0], "kept");
    assert_string_equal (replayed.payloads[1], "after");
    crier_journal_close (&journal);
}

static void test_a_second_writer_is_refused (void **state)
{
    char directory[256];
    s_directory (directory, sizeof directory);
    replayed_t replayed;
    crier_journal_report_t report;
    crier_journal_t *journal = s_open (directory, &replayed, &report);
    assert_null (crier_journal_open (directory, s_collect, &replayed, &report));
    crier_journal_close (&journal);
    journal = s_open (directory, &replayed, &report); //  free again once closed
    crier_journal_close (&journal);
}

static void test_unwritable_directory_is_refused (void **state)
{
    replayed_t replayed;
    crier_journal_report_t report;
    assert_null (crier_journal_open ("/proc/crier-cannot-be-here", s_collect, &replayed, &report));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_records_come_back_in_order),
        cmocka_unit_test (test_torn_tail_is_cut),
        cmocka_unit_test (test_damaged_record_is_skipped),
        cmocka_unit_test (test_scan_reads_on_from_a_record_and_stops_when_asked),
        cmocka_unit_test (test_scan_skips_a_damaged_record),
        cmocka_unit_test (test_rewrite_keeps_only_what_is_live),
        cmocka_unit_test (test_failed_rewrite_keeps_the_old_journal),
        cmocka_unit_test (test_a_failed_sync_cuts_back_to_what_was_synced),
        cmocka_unit_test (test_a_second_writer_is_refused),
        cmocka_unit_test (test_unwritable_directory_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

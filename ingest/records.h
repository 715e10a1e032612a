/*  records.h - the records of crier-ingest's journal: what each type holds, how each is written,
    and the one reader that hands them back decoded (start-up replay, the backlog's scan and
    compaction all read through it). journal.h frames and checksums the records; this module
    owns what is inside them.

    Types (one byte each):
        'V'  format version: 4 bytes, little-endian (CRIER_JOURNAL_FORMAT)
        'N'  an accepted notification frame (frames.h) whose id crier-ingest assigned
        'K'  the same, with the client's own id
        'E'  a receipt: an event's map as it came from the bus (receipt.h)
        'C'  a notification id: done, forget it
        'I'  8 bytes of time (ms, little-endian), then a client id: remember it for deduplication
        'R'  what crier dead-letters retried: a notification or delivery id (empty: every one)
        'W'  a throttle window (throttle_window.h), written by compaction (format 2)

    The version: journals written before it existed have no 'V' record and are format 1. A
    journal's format is the highest 'V' record in it; crier-ingest writes its own format first in
    a new or compacted journal, and appends it to an older journal before writing any record type
    that format added. A journal of a newer format than this binary reads is refused at start
    (docs/delivery.md: upgrades and rollbacks).
*/
#ifndef CRIER_RECORDS_H_INCLUDED
#define CRIER_RECORDS_H_INCLUDED

#include "journal.h"

#include "crier/notification.h"
#include "crier/frames.h"
#include "crier/receipt.h"
#include "crier/throttle_window.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The journal format this binary writes, and the newest it reads.
#define CRIER_JOURNAL_FORMAT 2

#define CRIER_RECORD_VERSION             'V'
#define CRIER_RECORD_NOTIFICATION        'N'
#define CRIER_RECORD_CLIENT_NOTIFICATION 'K'
#define CRIER_RECORD_RECEIPT             'E'
#define CRIER_RECORD_COMPLETE            'C'
#define CRIER_RECORD_SEEN                'I'
#define CRIER_RECORD_RETRY               'R'
#define CRIER_RECORD_WINDOW              'W'

//  One record read back and decoded. The strings and the notification belong to the reader and
//  are valid during the callback only.
typedef struct {
    uint8_t type;
    crier_journal_position_t position; //  where its payload lies
    const void *payload;               //  as written
    size_t size;
    //  'N', 'K': the notification (id and received_at_ms set); client_id for 'K'.
    crier_notification_t *notification;
    bool client_id;
    //  'N': a throttle summary crier-ingest made says the window it sums up (group NULL: not
    //  one; docs/throttle.md).
    crier_frame_window_t summary;
    //  'E': the receipt (an event of a kind ingest does not follow is never written).
    crier_receipt_t receipt;
    //  'C', 'I', 'R': the id ("" in an 'R' record: every dead letter); 'I': when it was seen.
    char id[CRIER_MAX_ID_BYTES + 1];
    int64_t at_ms;
    //  'V'
    uint32_t format;
} crier_record_t;

//  Called with each record read back, in order; returns false to stop before the next one.
typedef bool (crier_record_fn) (const crier_record_t *record, void *arg);

//  What crier_records_open found, beyond the journal's own report.
typedef struct {
    crier_journal_report_t journal;
    uint32_t format;      //  the journal's format (1 when it has no version record)
    uint64_t bad_records; //  intact records that could not be decoded (logged, skipped)
} crier_records_report_t;

//  Opens the journal in directory and hands every record to fn, decoded. A new journal gets its
//  version record. Returns NULL after logging why: the journal's open failed, or it was written
//  by a newer crier (a format above CRIER_JOURNAL_FORMAT: nothing of it is handed to fn).
crier_journal_t *crier_records_open (const char *directory, crier_record_fn *fn, void *arg,
                                     crier_records_report_t *report);

//  Reads records from *offset_p on (crier_journal_scan), decoded, until fn returns false or the
//  written journal ends. Records that cannot be decoded are logged and skipped. Returns 0, or -1
//  after logging; *offset_p receives where the first record not handed to fn starts.
int crier_records_scan (crier_journal_t *journal, uint64_t *offset_p, crier_record_fn *fn,
                        void *arg);

//  Whether a record type holds an accepted notification (either kind of id).
static inline bool crier_record_is_notification (uint8_t type)
{
    return type == CRIER_RECORD_NOTIFICATION || type == CRIER_RECORD_CLIENT_NOTIFICATION;
}

//  The writers. Each buffers one record (crier_journal_sync makes it durable) and returns 0, or
//  -1 when it could not (over the record limit, out of memory, an id too long): the caller must
//  not act as if it were written.

//  The format version record (CRIER_JOURNAL_FORMAT).
int crier_record_write_version (crier_journal_t *journal);

//  An accepted notification's frame (frames.h); position_p (may be NULL) receives where it lies.
int crier_record_write_notification (crier_journal_t *journal, const void *frame, size_t size,
                                     bool client_id, crier_journal_position_t *position_p);

//  A receipt, as the event's map that came from the bus.
int crier_record_write_receipt (crier_journal_t *journal, const void *data, size_t size);

//  A receipt encoded anew (compaction).
int crier_record_write_receipt_of (crier_journal_t *journal, const crier_receipt_t *receipt);

//  A finished notification.
int crier_record_write_complete (crier_journal_t *journal, const char *notification_id);

//  A client id remembered since at_ms.
int crier_record_write_seen (crier_journal_t *journal, const char *id, int64_t at_ms);

//  A throttle window (compaction).
int crier_record_write_window (crier_journal_t *journal, const crier_throttle_window_t *window);

//  A retry of dead letters: a notification or delivery id, or NULL for every one.
int crier_record_write_retry (crier_journal_t *journal, const char *id);

#endif

/*  records.c - see records.h. */
#include "records.h"

#include "crier/frames.h"
#include "crier/log.h"

#include <stdlib.h>
#include <string.h>

//  Copies an id of size bytes into record->id. Returns 0, or -1 when it does not fit or is empty
//  where it may not be.
static int s_take_id (crier_record_t *record, const unsigned char *bytes, size_t size,
                      bool may_be_empty, crier_error_t *error)
{
    if (size > CRIER_MAX_ID_BYTES || (size == 0 && !may_be_empty) || memchr (bytes, 0, size))
        return crier_error_set (error, "(id)", "an id of %zu bytes", size);
    memcpy (record->id, bytes, size);
    record->id[size] = '\0';
    return 0;
}

//  Decodes a record's payload. Returns 0, or -1 with *error set (nothing left to free).
static int s_decode (crier_record_t *record, crier_error_t *error)
{
    const unsigned char *bytes = record->payload;
    size_t size = record->size;
    switch (record->type) {
        case CRIER_RECORD_VERSION:
            if (size != 4)
                return crier_error_set (error, "(version)", "%zu bytes, not 4", size);
            record->format = (uint32_t)crier_journal_get_le (bytes, 4);
            return 0;
        case CRIER_RECORD_NOTIFICATION:
        case CRIER_RECORD_CLIENT_NOTIFICATION:
            record->client_id = record->type == CRIER_RECORD_CLIENT_NOTIFICATION;
            crier_frame_redelivery_t frame;
            record->notification = crier_frame_decode_notification (bytes, size, &frame, error);
            if (record->notification) {
                record->summary = frame.summary;
                frame.summary.group = NULL;
                crier_frame_redelivery_free (&frame);
            }
            if (record->notification && !record->notification->id) {
                crier_notification_destroy (&record->notification);
                crier_error_set (error, "id", "missing");
            }
            return record->notification ? 0 : -1;
        case CRIER_RECORD_RECEIPT: {
            int rc = crier_receipt_decode (bytes, size, &record->receipt, error);
            if (rc == 0)
                crier_error_set (error, "type", "an event that is not a receipt");
            return rc == 1 ? 0 : -1;
        }
        case CRIER_RECORD_COMPLETE:
            return s_take_id (record, bytes, size, false, error);
        case CRIER_RECORD_WINDOW:
            return 0; //  decoded where it is applied (backlog.c)
        case CRIER_RECORD_RETRY:
            return s_take_id (record, bytes, size, true, error);
        case CRIER_RECORD_SEEN:
            if (size <= 8)
                return crier_error_set (error, "(seen)", "%zu bytes", size);
            record->at_ms = (int64_t)crier_journal_get_le (bytes, 8);
            return s_take_id (record, bytes + 8, size - 8, false, error);
        default:
            return crier_error_set (error, "(type)", "unknown record type %u",
                                    (unsigned)record->type);
    }
}

static void s_free (crier_record_t *record)
{
    crier_notification_destroy (&record->notification);
    free (record->summary.group);
    record->summary.group = NULL;
    if (record->type == CRIER_RECORD_RECEIPT)
        crier_receipt_free (&record->receipt);
}

static void s_log_bad (const crier_record_t *record, const crier_error_t *error)
{
    crier_log (CRIER_LOG_ERROR, "journal.bad_record", "offset",
               CRIER_LOG_INT (record->position.offset), "type", CRIER_LOG_INT (record->type),
               "bytes", CRIER_LOG_INT (record->size), "field", error->field, "error",
               error->message, "hint",
               "skipped: its checksum is right, so a crier that wrote it had a bug; keep a copy of "
               "the journal for the report");
}

//  Decodes one raw record and hands it to fn. Returns what fn returned (true for a bad record,
//  which is skipped), and counts bad ones in *bad_p.
static bool s_hand (uint8_t type, const void *payload, size_t size,
                    crier_journal_position_t position, crier_record_fn *fn, void *arg,
                    uint64_t *bad_p)
{
    crier_record_t record = {.type = type, .position = position, .payload = payload, .size = size};
    crier_error_t error;
    if (s_decode (&record, &error) != 0) {
        s_log_bad (&record, &error);
        (*bad_p)++;
        return true;
    }
    bool more = fn (&record, arg);
    s_free (&record);
    return more;
}

typedef struct {
    crier_record_fn *fn;
    void *arg;
    crier_records_report_t *report;
    bool too_new; //  a version record above CRIER_JOURNAL_FORMAT was read: hand nothing on
} opening_t;

static bool s_check_version (const crier_record_t *record, void *arg)
{
    opening_t *opening = arg;
    if (record->type == CRIER_RECORD_VERSION) {
        if (record->format > opening->report->format)
            opening->report->format = record->format;
        if (record->format > CRIER_JOURNAL_FORMAT)
            opening->too_new = true;
        return true;
    }
    return opening->fn (record, opening->arg);
}

static void s_on_replayed (uint8_t type, const void *payload, size_t size,
                           crier_journal_position_t position, void *arg)
{
    opening_t *opening = arg;
    if (opening->too_new)
        return; //  what a newer crier wrote is not ours to judge
    s_hand (type, payload, size, position, s_check_version, opening, &opening->report->bad_records);
}

crier_journal_t *crier_records_open (const char *directory, crier_record_fn *fn, void *arg,
                                     crier_records_report_t *report)
{
    *report = (crier_records_report_t){.format = 1};
    opening_t opening = {fn, arg, report, false};
    crier_journal_t *journal =
        crier_journal_open (directory, s_on_replayed, &opening, &report->journal);
    if (!journal)
        return NULL;
    if (opening.too_new) {
        crier_log (CRIER_LOG_ERROR, "journal.too_new", "path", directory, "format",
                   CRIER_LOG_INT (report->format), "supported",
                   CRIER_LOG_INT (CRIER_JOURNAL_FORMAT), "hint",
                   "a newer crier-ingest wrote this journal: run that version or a newer one (an "
                   "older one would lose what only the newer records say; docs/delivery.md, "
                   "upgrades and rollbacks)");
        crier_journal_close (&journal);
        return NULL;
    }
    //  A new journal says its format from its first record on.
    if (crier_journal_size (journal) == 0 &&
        (crier_record_write_version (journal) != 0 || crier_journal_sync (journal) != 0)) {
        crier_log (CRIER_LOG_ERROR, "journal.open_failed", "path", directory, "error",
                   "could not write the version record", "hint",
                   "free space on the data directory's disk");
        crier_journal_close (&journal);
        return NULL;
    }
    return journal;
}

typedef struct {
    crier_record_fn *fn;
    void *arg;
    uint64_t bad;
} scanning_t;

static bool s_on_scanned (uint8_t type, const void *payload, size_t size,
                          crier_journal_position_t position, void *arg)
{
    scanning_t *scanning = arg;
    return s_hand (type, payload, size, position, scanning->fn, scanning->arg, &scanning->bad);
}

int crier_records_scan (crier_journal_t *journal, uint64_t *offset_p, crier_record_fn *fn,
                        void *arg)
{
    scanning_t scanning = {fn, arg, 0};
    return crier_journal_scan (journal, offset_p, s_on_scanned, &scanning);
}

int crier_record_write_version (crier_journal_t *journal)
{
    unsigned char payload[4];
    crier_journal_put_le (payload, CRIER_JOURNAL_FORMAT, 4);
    return crier_journal_append (journal, CRIER_RECORD_VERSION, payload, sizeof payload, NULL);
}

int crier_record_write_notification (crier_journal_t *journal, const void *frame, size_t size,
                                     bool client_id, crier_journal_position_t *position_p)
{
    return crier_journal_append (
        journal, client_id ? CRIER_RECORD_CLIENT_NOTIFICATION : CRIER_RECORD_NOTIFICATION, frame,
        size, position_p);
}

int crier_record_write_receipt (crier_journal_t *journal, const void *data, size_t size)
{
    return crier_journal_append (journal, CRIER_RECORD_RECEIPT, data, size, NULL);
}

int crier_record_write_receipt_of (crier_journal_t *journal, const crier_receipt_t *receipt)
{
    char *data;
    size_t size;
    if (crier_receipt_encode (receipt, &data, &size) != 0)
        return -1;
    int rc = crier_record_write_receipt (journal, data, size);
    free (data);
    return rc;
}

int crier_record_write_complete (crier_journal_t *journal, const char *notification_id)
{
    size_t length = strlen (notification_id);
    if (length == 0 || length > CRIER_MAX_ID_BYTES)
        return -1;
    return crier_journal_append (journal, CRIER_RECORD_COMPLETE, notification_id, length, NULL);
}

int crier_record_write_seen (crier_journal_t *journal, const char *id, int64_t at_ms)
{
    size_t length = strlen (id);
    unsigned char payload[8 + CRIER_MAX_ID_BYTES];
    if (length == 0 || length > CRIER_MAX_ID_BYTES)
        return -1;
    crier_journal_put_le (payload, (uint64_t)at_ms, 8);
    memcpy (payload + 8, id, length);
    return crier_journal_append (journal, CRIER_RECORD_SEEN, payload, 8 + length, NULL);
}

int crier_record_write_window (crier_journal_t *journal, const crier_throttle_window_t *window)
{
    char *data;
    size_t size;
    if (crier_throttle_window_encode (window, &data, &size) != 0)
        return -1;
    int rc = crier_journal_append (journal, CRIER_RECORD_WINDOW, data, size, NULL);
    free (data);
    return rc;
}

int crier_record_write_retry (crier_journal_t *journal, const char *id)
{
    size_t length = id ? strlen (id) : 0;
    if (length > CRIER_MAX_ID_BYTES)
        return -1;
    return crier_journal_append (journal, CRIER_RECORD_RETRY, id ? id : "", length, NULL);
}

/*  ingest_control.c - see ingest_control.h. */
#include "ingest_control.h"
#include "records.h"

#include "crier/log.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    crier_control_reply_t *reply;
    size_t limit;
    bool failed;
} listing_t;

static char *s_copy (const char *text, bool *failed_p)
{
    if (!text)
        return NULL;
    char *copy = strdup (text);
    if (!copy)
        *failed_p = true;
    return copy;
}

static void s_collect (const crier_dead_letter_t *letter, void *arg)
{
    listing_t *listing = arg;
    crier_control_reply_t *reply = listing->reply;
    reply->total++;
    if (reply->count >= listing->limit)
        return;
    crier_dead_letter_t *copy = &reply->dead_letters[reply->count++];
    copy->notification_id = s_copy (letter->notification_id, &listing->failed);
    copy->delivery_id = s_copy (letter->delivery_id, &listing->failed);
    copy->channel = s_copy (letter->channel, &listing->failed);
    copy->target = s_copy (letter->target, &listing->failed);
    copy->reason = s_copy (letter->reason, &listing->failed);
    copy->time_ms = letter->time_ms;
}

static int s_list (crier_ledger_t *ledger, uint32_t limit, crier_control_reply_t *reply)
{
    size_t count = crier_ledger_dead_count (ledger);
    listing_t listing = {reply, count < limit ? count : limit, false};
    reply->listing = true;
    reply->dead_letters = calloc (listing.limit + 1, sizeof *reply->dead_letters);
    if (!reply->dead_letters)
        return -1;
    crier_ledger_dead_letters (ledger, s_collect, &listing);
    return listing.failed ? -1 : 0;
}

static crier_control_write_t s_retry (crier_ledger_t *ledger, crier_journal_t *journal,
                                      const char *id, crier_control_reply_t *reply)
{
    reply->retried = crier_ledger_retry (ledger, id);
    if (reply->retried == 0) {
        reply->ok = false;
        reply->error = strdup (id ? "no dead letter has this notification or delivery id"
                                  : "there are no dead letters");
        return CRIER_CONTROL_NOTHING_WRITTEN;
    }
    crier_log (CRIER_LOG_INFO, "dead_letters.retried", "id", id ? id : "(all)", "count",
               CRIER_LOG_INT (reply->retried), "backlog",
               CRIER_LOG_INT (crier_ledger_backlog (ledger)));
    if (!journal || crier_record_write_retry (journal, id) != 0) {
        crier_ingest_control_unwritten (reply);
        return CRIER_CONTROL_UNWRITTEN;
    }
    return CRIER_CONTROL_SYNC;
}

//  Journals a "complete" record for each notification dropped (at the first failure, the rest
//  are counted as failed: the caller says the journal could not take them).
typedef struct {
    crier_journal_t *journal;
    bool failed;
} dropping_t;

static void s_dropped (const char *id, void *arg)
{
    dropping_t *dropping = arg;
    if (!dropping->failed && crier_record_write_complete (dropping->journal, id) != 0)
        dropping->failed = true;
}

static crier_control_write_t s_drop (crier_ledger_t *ledger, crier_journal_t *journal,
                                     const char *id, crier_control_reply_t *reply)
{
    reply->dropping = true;
    if (!journal) {
        //  A drop must reach the disk, or the dead letters would come back at the next start.
        reply->ok = false;
        reply->error = strdup ("crier-ingest cannot write its journal now (see its log, "
                               "journal.*): nothing was dropped; try again once it has room");
        return CRIER_CONTROL_NOTHING_WRITTEN;
    }
    dropping_t dropping = {journal, false};
    reply->dropped = crier_ledger_drop (ledger, id, s_dropped, &dropping);
    if (reply->dropped == 0) {
        reply->ok = false;
        reply->error = strdup (id ? "no notification of this id is kept by dead letters only (a "
                                    "delivery id? give its notification's id; still being "
                                    "worked on? wait)"
                                  : "there are no dead letters to drop");
        return CRIER_CONTROL_NOTHING_WRITTEN;
    }
    crier_log (CRIER_LOG_INFO, "dead_letters.dropped", "id", id ? id : "(all)", "notifications",
               CRIER_LOG_INT (reply->dropped), "hint", "let go for good by an operator");
    if (dropping.failed) {
        reply->ok = false;
        reply->error = strdup ("dropped, but crier-ingest could not write it to its journal (see "
                               "its log, journal.*): it is written once the disk has room, and a "
                               "restart before then would bring the dead letters back");
        return CRIER_CONTROL_UNWRITTEN;
    }
    return CRIER_CONTROL_SYNC;
}

void crier_ingest_control_unwritten (crier_control_reply_t *reply)
{
    reply->ok = false;
    free (reply->error);
    reply->error = strdup ("the dead letters are being sent again, but crier-ingest could not "
                           "write the retry to its journal (see its log, journal.*): it is written "
                           "once its data directory's disk has room again, and a restart before "
                           "then would forget it");
}

crier_control_write_t crier_ingest_control_answer (crier_ledger_t *ledger, crier_journal_t *journal,
                                                   const void *data, size_t size,
                                                   crier_control_reply_t *reply)
{
    crier_control_request_t request;
    crier_error_t error;
    crier_control_write_t write = CRIER_CONTROL_NOTHING_WRITTEN;
    *reply = (crier_control_reply_t){.ok = true};
    if (crier_control_request_decode (data, size, &request, &error) != 0) {
        char message[300];
        snprintf (message, sizeof message, "%s: %s", error.field, error.message);
        reply->ok = false;
        reply->error = strdup (message);
        crier_log (CRIER_LOG_WARN, "control.invalid", "field", error.field, "error", error.message,
                   "hint", "use crier dead-letters of the same crier version");
    } else if (request.op == CRIER_CONTROL_DEAD_LETTERS) {
        if (s_list (ledger, request.limit, reply) != 0) {
            crier_control_reply_free (reply);
            *reply = (crier_control_reply_t){.ok = false};
        }
    } else if (request.op == CRIER_CONTROL_DROP)
        write = s_drop (ledger, journal, request.id, reply);
    else
        write = s_retry (ledger, journal, request.id, reply);
    crier_control_request_free (&request);
    return write;
}

/*  throttle_summary.c - see throttle_summary.h. */
#include "throttle_summary.h"

#include "crier/frames.h"
#include "crier/html.h"
#include "crier/id.h"
#include "crier/utf8.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void crier_throttle_summary_id (char id[CRIER_THROTTLE_SUMMARY_ID_BYTES],
                                const crier_throttle_window_t *window)
{
    char start[24], digest[CRIER_DIGEST_BYTES];
    snprintf (start, sizeof start, "%lld", (long long)window->start_ms);
    const char *const parts[] = {"throttle", window->group, window->key, start};
    crier_id_digest (digest, parts, 4);
    snprintf (id, CRIER_THROTTLE_SUMMARY_ID_BYTES, "throttle-%s", digest);
}

//  A copy of text cut at max bytes on a character boundary, with "…" when cut.
static char *s_cut (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length <= max)
        return strdup (text);
    size_t kept = crier_utf8_cut (text, max);
    char *copy = malloc (kept + 4);
    if (copy) {
        memcpy (copy, text, kept);
        memcpy (copy + kept, "…", 4);
    }
    return copy;
}

int crier_throttle_window_take_latest (crier_throttle_window_t *window,
                                       const crier_notification_t *latest)
{
    char *subject = crier_notification_title (latest, CRIER_THROTTLE_SUBJECT_BYTES);
    char *rendered = !latest->body && latest->html
                         ? crier_html_to_text (latest->html, strlen (latest->html))
                         : NULL;
    const char *text = latest->body ? latest->body : rendered;
    char *body = text ? s_cut (text, CRIER_THROTTLE_BODY_BYTES) : NULL;
    free (rendered);
    if (!subject || (text && !body)) {
        free (subject);
        free (body);
        return -1;
    }
    free (window->latest_subject);
    free (window->latest_body);
    window->latest_subject = subject;
    window->latest_body = body;
    return 0;
}

void crier_throttle_entry_read_latest (crier_throttle_entry_t *entry, crier_journal_t *journal)
{
    if (entry->latest.size == 0)
        return;
    char *payload = malloc (entry->latest.size);
    crier_error_t error;
    crier_notification_t *latest = NULL;
    if (payload && crier_journal_read (journal, entry->latest, payload) == 0)
        latest = crier_frame_decode_notification (payload, entry->latest.size, NULL, &error);
    free (payload);
    if (latest)
        crier_throttle_window_take_latest (&entry->window, latest);
    crier_notification_destroy (&latest);
    entry->latest = (crier_journal_position_t){0};
}

//  "10 minutes", "2 seconds", "1 hour": the window's length in words.
static void s_length (char *text, size_t size, int64_t window_ms)
{
    static const struct {
        int64_t ms;
        const char *one, *many;
    } units[] = {
        {3600000, "hour", "hours"}, {60000, "minute", "minutes"}, {1000, "second", "seconds"}};
    for (size_t index = 0; index < 3; index++) {
        if (window_ms % units[index].ms == 0 || index == 2) {
            long long count = (long long)(window_ms / units[index].ms);
            snprintf (text, size, "%lld %s", count,
                      count == 1 ? units[index].one : units[index].many);
            return;
        }
    }
}

//  "12:10:02 UTC" of a Unix ms time.
static void s_clock (char *text, size_t size, int64_t time_ms)
{
    time_t seconds = (time_t)(time_ms / 1000);
    struct tm utc;
    if (!gmtime_r (&seconds, &utc) || strftime (text, size, "%H:%M:%S UTC", &utc) == 0)
        snprintf (text, size, "?");
}

crier_notification_t *crier_throttle_summary_new (const crier_throttle_window_t *window,
                                                  int64_t now_ms)
{
    crier_notification_t *summary = crier_notification_new ();
    if (!summary)
        return NULL;
    char id[CRIER_THROTTLE_SUMMARY_ID_BYTES], length[48], first[32], last[32];
    crier_throttle_summary_id (id, window);
    s_length (length, sizeof length, window->window_ms);
    s_clock (first, sizeof first, window->first_ms);
    s_clock (last, sizeof last, window->last_ms);
    const char *title = window->latest_subject ? window->latest_subject : window->key;
    unsigned long long count = (unsigned long long)window->count;
    char urgent[96] = "";
    if (window->urgent > 0)
        snprintf (urgent, sizeof urgent, " (%llu of them urgent, delivered at once)",
                  (unsigned long long)window->urgent);
    char *subject = zsys_sprintf ("%llu more like this: %s", count, title);
    char *body = zsys_sprintf ("%llu more like this in the last %s%s, first at %s, last at %s.\n"
                               "The latest: %s\n%s%s"
                               "(throttled: key \"%s\", group %s)",
                               count, length, urgent, first, last, title,
                               window->latest_body ? window->latest_body : "",
                               window->latest_body ? "\n\n" : "\n", window->key, window->group);
    int rc = subject && body ? 0 : -1;
    summary->received_at_ms = now_ms;
    if (rc < 0 || crier_notification_set (&summary->id, id) != 0 ||
        crier_notification_set (&summary->key, window->key) != 0 ||
        crier_notification_add_group (summary, window->group) != 0)
        crier_notification_destroy (&summary);
    if (summary) {
        summary->subject = subject;
        summary->body = body;
    } else {
        free (subject);
        free (body);
    }
    return summary;
}

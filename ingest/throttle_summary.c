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

//  Copies a notification's title and (the start of) its text into *subject_p and *body_p.
static int s_take_text (const crier_notification_t *notification, char **subject_p, char **body_p)
{
    char *subject = crier_notification_title (notification, CRIER_THROTTLE_SUBJECT_BYTES);
    char *rendered = !notification->body && notification->html
                         ? crier_html_to_text (notification->html, strlen (notification->html))
                         : NULL;
    const char *text = notification->body ? notification->body : rendered;
    char *body = text ? crier_utf8_copy_cut (text, strlen (text), CRIER_THROTTLE_BODY_BYTES) : NULL;
    free (rendered);
    if (!subject || (text && !body)) {
        free (subject);
        free (body);
        return -1;
    }
    free (*subject_p);
    free (*body_p);
    *subject_p = subject;
    *body_p = body;
    return 0;
}

int crier_throttle_window_take_latest (crier_throttle_window_t *window,
                                       const crier_notification_t *latest)
{
    return s_take_text (latest, &window->latest_subject, &window->latest_body);
}

//  Reads the notification whose record lies at *position_p into subject and body, once
//  (*position_p is cleared: unreadable, the text stays unknown).
static void s_read_text (crier_journal_t *journal, crier_journal_position_t *position_p,
                         char **subject_p, char **body_p)
{
    if (position_p->size == 0)
        return;
    char *payload = malloc (position_p->size);
    crier_error_t error;
    crier_notification_t *notification = NULL;
    if (payload && crier_journal_read (journal, *position_p, payload) == 0)
        notification = crier_frame_decode_notification (payload, position_p->size, NULL, &error);
    free (payload);
    if (notification)
        s_take_text (notification, subject_p, body_p);
    crier_notification_destroy (&notification);
    *position_p = (crier_journal_position_t){0};
}

void crier_throttle_entry_read_latest (crier_throttle_entry_t *entry, crier_journal_t *journal)
{
    s_read_text (journal, &entry->latest, &entry->window.latest_subject,
                 &entry->window.latest_body);
}

void crier_throttle_entry_read_opener (crier_throttle_entry_t *entry, crier_journal_t *journal)
{
    s_read_text (journal, &entry->opener, &entry->window.opener_subject,
                 &entry->window.opener_body);
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

crier_notification_t *crier_throttle_edit_new (const crier_throttle_window_t *window,
                                               int64_t now_ms)
{
    crier_notification_t *edit = crier_notification_new ();
    if (!edit)
        return NULL;
    char summary_id[CRIER_THROTTLE_SUMMARY_ID_BYTES], since[32];
    crier_throttle_summary_id (summary_id, window);
    s_clock (since, sizeof since, window->first_ms);
    //  The first one and its repeats.
    unsigned long long times = (unsigned long long)window->count + 1;
    const char *title = window->opener_subject ? window->opener_subject : window->key;
    char *id = zsys_sprintf ("%s-x%llu", summary_id, times);
    char *subject = zsys_sprintf ("×%llu %s", times, title);
    char *body = zsys_sprintf ("%s%s×%llu: %llu more like this since %s; crier holds them back "
                               "and sums them up when the window ends.",
                               window->opener_body ? window->opener_body : "",
                               window->opener_body ? "\n\n" : "", times, times - 1, since);
    edit->received_at_ms = now_ms;
    if (!id || !subject || !body || crier_notification_set (&edit->id, id) != 0 ||
        crier_notification_set (&edit->key, window->key) != 0 ||
        crier_notification_add_group (edit, window->group) != 0)
        crier_notification_destroy (&edit);
    if (edit) {
        edit->subject = subject;
        edit->body = body;
    } else {
        free (subject);
        free (body);
    }
    free (id);
    return edit;
}

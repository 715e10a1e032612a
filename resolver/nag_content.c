/*  nag_content.c - see nag_content.h. */
#include "nag_content.h"

#include "crier/html.h"
#include "crier/nag_text.h"
#include "crier/url.h"

#include <ctype.h>
#include <czmq.h>
#include <string.h>

//  A subject of its own leaves room for "Unread: " within an email's 78-byte line.
#define TITLE_MAX_BYTES 70

//  Appends text percent-encoded for a URI fragment's segment (RFC 3986: unreserved, sub-delims,
//  ':' and '@' stay; '/' separates the segments, so it is encoded).
static void s_encode (zchunk_t *out, const char *text)
{
    char *escaped = crier_url_escape (text, "-._~!$&'()*+,;=:@");
    if (escaped)
        zchunk_extend (out, escaped, strlen (escaped));
    free (escaped);
}

static char *s_text (zchunk_t **chunk_p)
{
    zchunk_extend (*chunk_p, "", 1);
    char *text = strdup ((char *)zchunk_data (*chunk_p));
    zchunk_destroy (chunk_p);
    return text;
}

char *crier_nag_link (const char *room_id, const char *event_id)
{
    zchunk_t *link = zchunk_new (NULL, 0);
    if (!link)
        return NULL;
    zchunk_extend (link, "https://matrix.to/#/", 20);
    s_encode (link, room_id);
    if (event_id[0]) {
        zchunk_extend (link, "/", 1);
        s_encode (link, event_id);
    }
    return s_text (&link);
}

//  "Not read in Matrix for 15 minutes." and the link, in text and in HTML, then the original.
static int s_fill (crier_notification_t *nag, const crier_notification_t *original, const char *why,
                   const char *link)
{
    char sentence[160];
    snprintf (sentence, sizeof sentence, "%c%s.", toupper ((unsigned char)why[0]), why + 1);
    char *rendered = !original->body && original->html
                         ? crier_html_to_text (original->html, strlen (original->html))
                         : NULL;
    const char *said = original->body ? original->body : rendered ? rendered : "";
    zchunk_t *text = zchunk_new (NULL, 0);
    zchunk_t *html = zchunk_new (NULL, 0);
    if (text && html) {
        zchunk_extend (text, sentence, strlen (sentence));
        zchunk_extend (html, "<p>", 3);
        crier_html_escape (html, sentence, true);
        if (link) {
            zchunk_extend (text, "\nOpen it in Matrix: ", 20);
            zchunk_extend (text, link, strlen (link));
            zchunk_extend (html, " <a href=\"", 10);
            crier_html_escape (html, link, true);
            zchunk_extend (html, "\">Open it in Matrix</a>", 23);
        }
        zchunk_extend (text, "\n\n", 2);
        zchunk_extend (text, said, strlen (said));
        zchunk_extend (html, "</p><hr>", 8);
        if (original->html)
            zchunk_extend (html, original->html, strlen (original->html));
        else {
            zchunk_extend (html, "<p>", 3);
            crier_html_escape (html, said, true);
            zchunk_extend (html, "</p>", 4);
        }
        nag->body = s_text (&text);
        nag->html = s_text (&html);
    }
    zchunk_destroy (&text);
    zchunk_destroy (&html);
    free (rendered);
    return nag->body && nag->html ? 0 : -1;
}

crier_notification_t *crier_nag_content (const crier_notification_t *original,
                                         const crier_frame_nag_t *nag, const char *nag_of)
{
    crier_notification_t *self = crier_notification_new ();
    char *title = crier_notification_title (original, TITLE_MAX_BYTES);
    char why[128];
    crier_nag_reason (nag->after_ms, nag_of, why, sizeof why);
    char *link = nag->room_id[0] ? crier_nag_link (nag->room_id, nag->event_id) : NULL;
    int rc = self && title && (!nag->room_id[0] || link) ? 0 : -1;
    if (rc == 0) {
        self->subject = zsys_sprintf ("Unread: %s", title);
        self->priority = original->priority;
        self->received_at_ms = original->received_at_ms;
        rc = crier_notification_set (&self->id, original->id);
        for (size_t group = 0; rc == 0 && group < original->to_count; group++)
            rc = crier_notification_add_group (self, original->to[group]);
        if (rc == 0 && self->subject)
            rc = s_fill (self, original, why, link);
    }
    free (title);
    free (link);
    if (rc != 0 || !self->subject)
        crier_notification_destroy (&self);
    return self;
}

/*  notification_title.c - crier_notification_title (notification.h). */
#include "crier/html.h"
#include "crier/notification.h"
#include "crier/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *crier_notification_title (const crier_notification_t *self, size_t max_bytes)
{
    if (self->subject)
        return strdup (self->subject);
    char *rendered =
        self->body || !self->html ? NULL : crier_html_to_text (self->html, strlen (self->html));
    const char *text = self->body ? self->body : rendered ? rendered : "";
    while (*text == '\n' || *text == '\r' || *text == ' ')
        text++;
    size_t line = strcspn (text, "\r\n");
    //  "…" takes three bytes of the limit.
    size_t cut = line > max_bytes ? crier_utf8_cut (text, max_bytes > 3 ? max_bytes - 3 : 0) : line;
    char *title = malloc (cut + 4);
    if (title)
        snprintf (title, cut + 4, "%.*s%s", (int)cut, text, cut < line ? "…" : "");
    free (rendered);
    return title;
}

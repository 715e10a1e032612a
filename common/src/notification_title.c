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
    char *title = crier_utf8_copy_cut (text, strcspn (text, "\r\n"), max_bytes);
    free (rendered);
    return title;
}

/*  matrix_content.c - see matrix_content.h. JSON is built with jansson. */
#include "matrix_content.h"

#include "crier/html.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  A growing string; NULL text after a failed allocation makes every later append a no-op.
typedef struct {
    char *text;
    size_t length;
} text_t;

static void s_append (text_t *out, const char *piece)
{
    if (!out->text || !piece)
        return;
    size_t add = strlen (piece);
    char *grown = realloc (out->text, out->length + add + 1);
    if (!grown) {
        free (out->text);
        out->text = NULL;
        return;
    }
    memcpy (grown + out->length, piece, add + 1);
    out->text = grown;
    out->length += add;
}

//  Appends text as HTML: &, <, > and " escaped, and (when breaks) line breaks as <br>.
static void s_append_escaped (text_t *out, const char *text, bool breaks)
{
    for (const char *c = text; *c && out->text; c++) {
        char single[2] = {*c, '\0'};
        s_append (out, *c == '&'              ? "&amp;"
                       : *c == '<'            ? "&lt;"
                       : *c == '>'            ? "&gt;"
                       : *c == '"'            ? "&quot;"
                       : *c == '\n' && breaks ? "<br>"
                                              : single);
    }
}

static char *s_dump (json_t *content)
{
    char *text = json_dumps (content, JSON_COMPACT);
    json_decref (content);
    return text;
}

char *crier_matrix_content (const crier_notification_t *notification, const char *delivery_id)
{
    const char *subject = notification->subject;
    const char *html = notification->html;
    json_t *content = json_object ();
    json_object_set_new (content, "msgtype", json_string ("m.text"));
    json_t *tag = delivery_id ? json_object () : NULL;
    if (tag) {
        json_object_set_new (tag, "id", json_string (delivery_id));
        json_object_set_new (tag, "notification",
                             json_string (notification->id ? notification->id : ""));
        json_object_set_new (content, CRIER_MATRIX_TAG, tag);
    }
    if (!subject && !html) {
        json_object_set_new (content, "body", json_string (notification->body));
        return s_dump (content);
    }
    text_t formatted = {calloc (1, 1), 0};
    text_t plain = {calloc (1, 1), 0};
    if (subject) {
        s_append (&formatted, "<strong>");
        s_append_escaped (&formatted, subject, false);
        s_append (&formatted, "</strong><br>");
        s_append (&plain, subject);
        s_append (&plain, "\n");
    }
    if (html) {
        char *clean = crier_html_sanitize (html, strlen (html), CRIER_HTML_MATRIX);
        char *rendered = notification->body ? NULL : crier_html_to_text (html, strlen (html));
        s_append (&formatted, clean);
        s_append (&plain, notification->body ? notification->body : rendered);
        if (!clean || (!notification->body && !rendered))
            formatted.length = 0, free (formatted.text), formatted.text = NULL;
        free (clean);
        free (rendered);
    } else {
        s_append_escaped (&formatted, notification->body, true);
        s_append (&plain, notification->body);
    }
    char *text = NULL;
    if (formatted.text && plain.text) {
        json_object_set_new (content, "body", json_string (plain.text));
        json_object_set_new (content, "format", json_string ("org.matrix.custom.html"));
        json_object_set_new (content, "formatted_body", json_string (formatted.text));
        text = s_dump (content);
    } else
        json_decref (content);
    free (formatted.text);
    free (plain.text);
    return text;
}

char *crier_matrix_edit_content (const crier_notification_t *notification, const char *event_id)
{
    char *inner = crier_matrix_content (notification, NULL);
    json_t *new_content = inner ? json_loads (inner, 0, NULL) : NULL;
    free (inner);
    if (!new_content)
        return NULL;
    json_t *content = json_object ();
    json_object_set_new (content, "msgtype", json_string ("m.text"));
    //  What clients without edits show: the new text, marked as a correction.
    const char *keys[] = {"body", "formatted_body"};
    for (size_t index = 0; index < 2; index++) {
        const char *text = json_string_value (json_object_get (new_content, keys[index]));
        if (!text)
            continue;
        char *marked = malloc (strlen (text) + 3);
        if (marked) {
            memcpy (marked, "* ", 2);
            memcpy (marked + 2, text, strlen (text) + 1);
            json_object_set_new (content, keys[index], json_string (marked));
        }
        free (marked);
    }
    json_t *format = json_object_get (new_content, "format");
    if (format)
        json_object_set (content, "format", format);
    json_t *relation = json_object ();
    json_object_set_new (relation, "rel_type", json_string ("m.replace"));
    json_object_set_new (relation, "event_id", json_string (event_id));
    json_object_set_new (content, "m.new_content", new_content);
    json_object_set_new (content, "m.relates_to", relation);
    return s_dump (content);
}

/*  matrix_content.c - see matrix_content.h. */
#include "matrix_content.h"

#include "crier/html.h"
#include "crier/json_text.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  The formatted message: formatted_body (HTML) and body (plain). Returns false when out of
//  memory or the HTML could not be read.
static bool s_formatted (const crier_notification_t *notification, crier_text_t *formatted,
                         crier_text_t *plain)
{
    const char *subject = notification->subject;
    const char *html = notification->html;
    if (subject) {
        crier_text_add (formatted, "<strong>");
        crier_html_escape_text (formatted, subject, false);
        crier_text_add (formatted, "</strong><br>");
        crier_text_add (plain, subject);
        crier_text_add (plain, "\n");
    }
    if (!html) {
        //  crier-ingest refuses a notification without a body and without HTML.
        const char *body = notification->body ? notification->body : "";
        crier_html_escape_text (formatted, body, true);
        crier_text_add (plain, body);
        return true;
    }
    char *clean = crier_html_sanitize (html, strlen (html), CRIER_HTML_MATRIX);
    char *rendered = notification->body ? NULL : crier_html_to_text (html, strlen (html));
    const char *text = notification->body ? notification->body : rendered;
    bool read = clean && text;
    if (read) {
        crier_text_add (formatted, clean);
        crier_text_add (plain, text);
    }
    free (clean);
    free (rendered);
    return read;
}

//  Written as text, not as a jansson tree: this is every Matrix delivery's work (bench/).
char *crier_matrix_content (const crier_notification_t *notification, const char *delivery_id)
{
    crier_text_t content = {0};
    crier_text_add (&content, "{\"msgtype\":\"m.text\"");
    if (delivery_id) {
        crier_text_add (&content, ",\"" CRIER_MATRIX_TAG "\":{");
        crier_text_add_member (&content, "id", delivery_id, true);
        crier_text_add_member (&content, "notification", notification->id ? notification->id : "",
                               false);
        crier_text_add (&content, "}");
    }
    if (!notification->subject && !notification->html) {
        crier_text_add_member (&content, "body", notification->body ? notification->body : "",
                               false);
        crier_text_add (&content, "}");
        return crier_text_take (&content);
    }
    crier_text_t formatted = {0}, plain = {0};
    if (s_formatted (notification, &formatted, &plain) && !formatted.failed && !plain.failed) {
        crier_text_add_member (&content, "body", plain.data, false);
        crier_text_add_member (&content, "format", "org.matrix.custom.html", false);
        crier_text_add_member (&content, "formatted_body", formatted.data, false);
        crier_text_add (&content, "}");
    } else
        content.failed = true;
    crier_text_free (&formatted);
    crier_text_free (&plain);
    return crier_text_take (&content);
}

static char *s_dump (json_t *content)
{
    char *text = json_dumps (content, JSON_COMPACT);
    json_decref (content);
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

/*  matrix_content.h - the m.room.message content of a notification.

    No subject and no HTML: {"msgtype": "m.text", "body": BODY}. Otherwise the message is
    formatted (format org.matrix.custom.html): formatted_body is the subject in bold, a line
    break, then the HTML reduced to what the Matrix specification allows (or the body, escaped,
    its line breaks as <br>); body is the plain version: the subject on its own line, then the
    sender's own plain body or, when there is none, the plain rendering of the HTML.

    Every message also carries, under CRIER_MATRIX_TAG, the delivery it is:
    {"id": "<delivery id>", "notification": "<notification id>"}: the read-receipt watcher
    (crier-matrix-watch) tells crier's messages apart by it in the bot's /sync. Clients ignore
    keys they do not know.
*/
#ifndef CRIER_MATRIX_CONTENT_H_INCLUDED
#define CRIER_MATRIX_CONTENT_H_INCLUDED

#include "crier/notification.h"

#define CRIER_MATRIX_TAG "org.crier.delivery"

//  Returns the content of a delivery (delivery_id may be NULL: untagged) as compact JSON
//  (caller frees), or NULL when out of memory.
char *crier_matrix_content (const crier_notification_t *notification, const char *delivery_id);

//  The content of an edit (m.replace) of the message event_id whose new content is the
//  notification's: {"msgtype": "m.text", "body": "* " + new body, ..., "m.new_content": the
//  new content (untagged: the watcher follows the first message, not its edits),
//  "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}}. Edits do not notify under
//  the default push rules. Returns compact JSON (caller frees), or NULL when out of memory.
char *crier_matrix_edit_content (const crier_notification_t *notification, const char *event_id);

#endif

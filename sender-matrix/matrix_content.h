/*  matrix_content.h - the m.room.message content of a notification.

    No subject and no HTML: {"msgtype": "m.text", "body": BODY}. Otherwise the message is
    formatted (format org.matrix.custom.html): formatted_body is the subject in bold, a line
    break, then the HTML reduced to what the Matrix specification allows (or the body, escaped,
    its line breaks as <br>); body is the plain version: the subject on its own line, then the
    sender's own plain body or, when there is none, the plain rendering of the HTML.
*/
#ifndef CRIER_MATRIX_CONTENT_H_INCLUDED
#define CRIER_MATRIX_CONTENT_H_INCLUDED

#include "crier/notification.h"

//  Returns the content as compact JSON (caller frees), or NULL when out of memory.
char *crier_matrix_content (const crier_notification_t *notification);

#endif

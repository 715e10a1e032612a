/*  email_message.h - one delivery as one email to one recipient.

    Headers: Date, From, To, Subject (RFC 2047 encoded when not plain ASCII; without a subject,
    the first line of the text, cut), Message-ID (from the delivery id, so a retry carries the
    same one), Auto-Submitted: auto-generated. Nothing in a notification can add a header:
    control characters in the subject become spaces, and addresses were checked when the
    mapping was loaded (and are checked again here).

    With HTML the body is multipart/alternative with a text/plain part (the notification's body,
    or the plain rendering of its HTML) and a text/html part, both UTF-8 and quoted-printable,
    built with libcurl's MIME API. Without HTML it is a single text/plain part in base64.
*/
#ifndef CRIER_EMAIL_MESSAGE_H_INCLUDED
#define CRIER_EMAIL_MESSAGE_H_INCLUDED

#include "email_config.h"

#include "crier/frames.h"

#include <curl/curl.h>

typedef struct {
    struct curl_slist *headers; //  for CURLOPT_HTTPHEADER (the HTML form)
    curl_mime *mime;            //  for CURLOPT_MIMEPOST (the HTML form), else NULL
    char *text;                 //  the whole message (the plain form), else NULL
    size_t length;
    size_t offset; //  how much of text was uploaded
} crier_email_t;

//  Builds the email of a delivery on an easy handle (the MIME parts belong to it). Returns 0,
//  or -1 with a reason in message.
int crier_email_build (crier_email_t *email, CURL *easy, const crier_email_config_t *config,
                       const crier_delivery_t *delivery, char *message, size_t size);

void crier_email_free (crier_email_t *email);

//  A header value as RFC 2047 encoded words when it holds anything but printable ASCII; control
//  characters become spaces first. Caller frees.
char *crier_email_header_text (const char *text);

//  The header line "name: value" folded (RFC 5322 2.2.3): a space of value becomes CRLF and a
//  space wherever the line would pass 78 characters, so that each line keeps under 78 where
//  value's words allow (an encoded word is at most 75). Caller frees.
char *crier_email_header_fold (const char *name, const char *value);

#endif

/*  email_message.c - see email_message.h. */
#include "email_message.h"

#include "crier/html.h"
#include "crier/mapping.h"
#include "crier/utf8.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUBJECT_MAX_BYTES   300 //  keeps the encoded Subject line far below 998 bytes
#define DEFAULT_SUBJECT_MAX 78
//  39 bytes -> 52 base64 characters: encoded words of 64, so that even the first, after
//  "Subject: ", keeps its line under 78 (RFC 2047 allows 75 a word).
#define WORD_INPUT_BYTES 39

static char *s_base64 (const void *data, size_t size)
{
    zarmour_t *armour = zarmour_new ();
    zarmour_set_mode (armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_pad (armour, true);
    zarmour_set_line_breaks (armour, false);
    char *encoded = zarmour_encode (armour, (const byte *)data, size);
    zarmour_destroy (&armour);
    return encoded;
}

char *crier_email_header_text (const char *text)
{
    size_t length = crier_utf8_cut (text, SUBJECT_MAX_BYTES);
    char *clean = strndup (text, length);
    if (!clean)
        return NULL;
    bool plain = strstr (clean, "=?") == NULL;
    for (char *c = clean; *c; c++) {
        unsigned char byte = (unsigned char)*c;
        if (byte < ' ' || byte == 0x7f)
            *c = ' '; //  CR and LF above all: no header can be smuggled in
        if (byte >= 0x80)
            plain = false;
    }
    if (plain)
        return clean;
    //  Encoded words of whole characters, separated by spaces (which decoders drop).
    size_t capacity = length * 2 + 64, used = 0;
    char *encoded = malloc (capacity);
    for (size_t at = 0; encoded && at < length;) {
        size_t take = crier_utf8_cut (clean + at, WORD_INPUT_BYTES);
        if (take == 0)
            take = 1;
        char *word = s_base64 (clean + at, take);
        if (!word) {
            free (encoded);
            encoded = NULL;
            break;
        }
        used += (size_t)snprintf (encoded + used, capacity - used,
                                  "%s=?UTF-8?B?%s?=", at ? " " : "", word);
        free (word);
        at += take;
    }
    free (clean);
    return encoded;
}

char *crier_email_header_fold (const char *name, const char *value)
{
    size_t length = strlen (name) + 2 + strlen (value);
    //  Each fold adds two bytes (CR LF before the space), at most one per word.
    char *line = malloc (length * 3 + 1);
    if (!line)
        return NULL;
    size_t used = (size_t)sprintf (line, "%s:", name);
    size_t column = used;
    for (const char *word = value; *word;) {
        size_t word_length = strcspn (word, " ");
        //  The word and the space before it: folded first if the line would pass 78 (never
        //  before the first word, nor before an empty one: no line of white space only).
        if (word_length > 0 && column > strlen (name) + 1 && column + 1 + word_length > 78) {
            memcpy (line + used, "\r\n", 2);
            used += 2;
            column = 0;
        }
        line[used++] = ' ';
        memcpy (line + used, word, word_length);
        used += word_length;
        column += 1 + word_length;
        word += word_length;
        if (*word == ' ')
            word++; //  each space stands for itself: runs of them are kept
    }
    line[used] = '\0';
    return line;
}

static struct curl_slist *s_header (struct curl_slist *list, bool *failed, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static struct curl_slist *s_header (struct curl_slist *list, bool *failed, const char *format, ...)
{
    char line[1024];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (length < 0 || (size_t)length >= sizeof line) {
        *failed = true;
        return list;
    }
    struct curl_slist *grown = curl_slist_append (list, line);
    if (!grown)
        *failed = true;
    return grown ? grown : list;
}

static struct curl_slist *s_headers (const crier_email_config_t *config,
                                     const crier_delivery_t *delivery, bool *failed)
{
    char date[64];
    time_t now = time (NULL);
    struct tm utc;
    gmtime_r (&now, &utc);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
    char *subject_text = crier_notification_title (delivery->notification, DEFAULT_SUBJECT_MAX);
    char *subject = subject_text ? crier_email_header_text (subject_text) : NULL;
    char *name = config->from_name ? crier_email_header_text (config->from_name) : NULL;
    const char *domain = strrchr (config->from_address, '@') + 1;
    struct curl_slist *list = NULL;
    if (!subject || (config->from_name && !name))
        *failed = true;
    list = s_header (list, failed, "Date: %s", date);
    //  An encoded name stands as it is; a plain one is quoted, so that its commas and dots
    //  stay part of the name.
    char *from = name && strstr (name, "=?")
                     ? malloc (strlen (name) + strlen (config->from_address) + 4)
                     : NULL;
    if (from)
        sprintf (from, "%s <%s>", name, config->from_address);
    char *folded_from = from ? crier_email_header_fold ("From", from) : NULL;
    char *folded_subject = crier_email_header_fold ("Subject", subject ? subject : "");
    if (!folded_subject || (from && !folded_from))
        *failed = true;
    if (folded_from)
        list = s_header (list, failed, "%s", folded_from);
    else if (name)
        list = s_header (list, failed, "From: \"%s\" <%s>", name, config->from_address);
    else
        list = s_header (list, failed, "From: %s", config->from_address);
    list = s_header (list, failed, "To: %s", delivery->target);
    list = s_header (list, failed, "%s", folded_subject ? folded_subject : "Subject:");
    list = s_header (list, failed, "Message-ID: <%s@%s>", delivery->delivery_id, domain);
    list = s_header (list, failed, "Auto-Submitted: auto-generated");
    list = s_header (list, failed, "X-Crier-Notification-Id: %s", delivery->notification->id);
    free (subject_text);
    free (subject);
    free (name);
    free (from);
    free (folded_from);
    free (folded_subject);
    return list;
}

//  The plain form: the headers, then one base64 text/plain part, as one text to upload.
static int s_build_plain (crier_email_t *email, const char *body)
{
    char *encoded = s_base64 (body, strlen (body));
    if (!encoded)
        return -1;
    size_t encoded_length = strlen (encoded);
    size_t size = 4096 + encoded_length + encoded_length / 76 * 2 + 4;
    for (struct curl_slist *line = email->headers; line; line = line->next)
        size += strlen (line->data) + 2;
    char *text = malloc (size);
    if (!text) {
        free (encoded);
        return -1;
    }
    size_t used = 0;
    for (struct curl_slist *line = email->headers; line; line = line->next)
        used += (size_t)snprintf (text + used, size - used, "%s\r\n", line->data);
    used += (size_t)snprintf (text + used, size - used,
                              "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n");
    for (size_t at = 0; at < encoded_length; at += 76)
        used += (size_t)snprintf (text + used, size - used, "%.76s\r\n", encoded + at);
    free (encoded);
    email->text = text;
    email->length = used;
    return 0;
}

static CURLcode s_add_text_part (curl_mime *mime, const char *text, const char *type)
{
    curl_mimepart *part = curl_mime_addpart (mime);
    if (!part)
        return CURLE_OUT_OF_MEMORY;
    CURLcode rc = curl_mime_data (part, text, CURL_ZERO_TERMINATED);
    if (rc == CURLE_OK)
        rc = curl_mime_type (part, type);
    if (rc == CURLE_OK)
        rc = curl_mime_encoder (part, "quoted-printable");
    return rc;
}

int crier_email_build (crier_email_t *email, CURL *easy, const crier_email_config_t *config,
                       const crier_delivery_t *delivery, char *message, size_t size)
{
    memset (email, 0, sizeof *email);
    const crier_notification_t *notification = delivery->notification;
    //  The mapping checked the address; a frame that did not come from it is checked here.
    if (crier_email_address_check (delivery->target, message, size) != 0)
        return -1;
    bool failed = false;
    email->headers = s_headers (config, delivery, &failed);
    if (failed) {
        snprintf (message, size, "could not build the headers (out of memory)");
        return -1;
    }
    if (!notification->html) {
        if (s_build_plain (email, notification->body) != 0) {
            snprintf (message, size, "out of memory");
            return -1;
        }
        return 0;
    }
    char *rendered = notification->body
                         ? NULL
                         : crier_html_to_text (notification->html, strlen (notification->html));
    const char *plain = notification->body ? notification->body : rendered;
    //  libcurl wraps a MIME structure in multipart/mixed unless told its type: the alternative
    //  is posted itself, with its Content-Type given as a header.
    email->mime = curl_mime_init (easy);
    CURLcode rc = email->mime && plain ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = s_add_text_part (email->mime, plain, "text/plain; charset=utf-8");
    //  The same allow-list as Matrix's: no script, event handler, style or javascript: URL
    //  reaches a mail client (docs/security.md).
    char *clean =
        rc == CURLE_OK
            ? crier_html_sanitize (notification->html, strlen (notification->html), CRIER_HTML_MAIL)
            : NULL;
    if (rc == CURLE_OK && !clean)
        rc = CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = s_add_text_part (email->mime, clean, "text/html; charset=utf-8");
    free (clean);
    free (rendered);
    if (rc == CURLE_OK)
        email->headers = s_header (email->headers, &failed, "Content-Type: multipart/alternative");
    if (rc != CURLE_OK || failed) {
        snprintf (message, size, "could not build the MIME parts: %s",
                  rc != CURLE_OK ? curl_easy_strerror (rc) : "out of memory");
        return -1;
    }
    return 0;
}

void crier_email_free (crier_email_t *email)
{
    curl_slist_free_all (email->headers);
    curl_mime_free (email->mime);
    free (email->text);
    memset (email, 0, sizeof *email);
}

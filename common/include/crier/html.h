/*  html.h - reading a notification's HTML with an HTML5-conformant parser (gumbo) and writing
    it back out: as the subset of HTML that Matrix clients are told to allow, and as plain text
    for channels and clients that show no HTML.
*/
#ifndef CRIER_HTML_H_INCLUDED
#define CRIER_HTML_H_INCLUDED

#include "crier/json_text.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

//  Where sanitized HTML goes: the allow-lists differ only in where images may come from.
typedef enum {
    CRIER_HTML_MATRIX, //  images from mxc:// only (the homeserver's media)
    CRIER_HTML_MAIL    //  images from https:// and http:// (mail clients ask before loading them)
} crier_html_profile_t;

//  Keeps only the tags and attributes the Matrix client-server specification recommends
//  clients allow (m.room.message, format org.matrix.custom.html), for Matrix and for email
//  alike: other elements are dropped but their text is kept, except script, style and the like,
//  whose content goes too; no event handler (on*), no style, no class but a code block's
//  language. Links keep only http, https, ftp, mailto and magnet URLs; images the profile's
//  sources. Nesting deeper than 100 elements keeps its text only. Returns a new string (caller
//  frees), NULL when out of memory.
char *crier_html_sanitize (const char *html, size_t length, crier_html_profile_t profile);

//  Renders HTML as plain text: tags removed, entities decoded, white space collapsed as a browser
//  would, <br> and block elements (p, div, headings, list items, table rows...) as line breaks,
//  list items as "- ", a link as "text (url)" when the URL is not its text, an image as its alt
//  text. Returns a new string (caller frees), NULL when out of memory.
char *crier_html_to_text (const char *html, size_t length);

//  Appends text to out as HTML text: &, <, > and " as entities, and, when line_breaks, each
//  newline as <br>.
void crier_html_escape (zchunk_t *out, const char *text, bool line_breaks);

//  The same, appended to a crier_text_t (crier/json_text.h).
void crier_html_escape_text (crier_text_t *out, const char *text, bool line_breaks);

#endif

/*  json_text.h - a growing text buffer (HTML and plain text are built in it too), and compact
    JSON written straight into it for a sender's hot path: building a jansson tree and dumping
    it cost each delivery more than its HTTP request. Only writing: JSON is read with jansson.
    Strings are escaped as RFC 8259 requires (quotation mark, reverse solidus and the controls
    below U+0020) and must be valid UTF-8. */
#ifndef CRIER_JSON_TEXT_H_INCLUDED
#define CRIER_JSON_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; //  NUL-terminated while not failed
    size_t length;
    size_t size;
    bool failed; //  out of memory, or a string was not valid UTF-8: the text is dropped
} crier_text_t;

//  Appends length bytes as they are.
void crier_text_append (crier_text_t *self, const char *bytes, size_t length);

//  Appends a NUL-terminated piece as it is.
void crier_text_add (crier_text_t *self, const char *piece);

//  Appends text as a JSON string, quotes included. Fails the text when it is not valid UTF-8.
void crier_text_add_json (crier_text_t *self, const char *text);

//  Appends ,"key":"value" (without the comma when first): a member of an object being written.
void crier_text_add_member (crier_text_t *self, const char *key, const char *value, bool first);

//  Returns the text (caller frees), or NULL when it failed; the buffer is empty again.
char *crier_text_take (crier_text_t *self);

//  Frees what the buffer holds.
void crier_text_free (crier_text_t *self);

#endif

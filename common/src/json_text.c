/*  json_text.c - see json_text.h. */
#include "crier/json_text.h"
#include "crier/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  Makes room for more bytes and the NUL, growing by doubling. False when the text failed.
static bool s_reserve (crier_text_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->length + more < self->size)
        return true;
    size_t size = self->size ? self->size : 128;
    while (size <= self->length + more) {
        if (size > SIZE_MAX / 2) {
            crier_text_free (self);
            self->failed = true;
            return false;
        }
        size *= 2;
    }
    char *grown = realloc (self->data, size);
    if (!grown) {
        crier_text_free (self);
        self->failed = true;
        return false;
    }
    grown[self->length] = '\0';
    self->data = grown;
    self->size = size;
    return true;
}

void crier_text_append (crier_text_t *self, const char *bytes, size_t length)
{
    if (!s_reserve (self, length))
        return;
    memcpy (self->data + self->length, bytes, length);
    self->length += length;
    self->data[self->length] = '\0';
}

void crier_text_add (crier_text_t *self, const char *piece)
{
    crier_text_append (self, piece, strlen (piece));
}

void crier_text_add_json (crier_text_t *self, const char *text)
{
    size_t length = strlen (text);
    if (!crier_utf8_valid (text, length, NULL)) {
        crier_text_free (self);
        self->failed = true;
        return;
    }
    //  Measured first: quotes, and two bytes for \" \\ \n..., six for \u00XX.
    size_t escaped = 2;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        escaped += *c == '"' || *c == '\\' ? 2 : *c >= 0x20 ? 1 : strchr ("\n\r\t\b\f", *c) ? 2 : 6;
    if (!s_reserve (self, escaped))
        return;
    static const char hex[] = "0123456789abcdef";
    char *out = self->data + self->length;
    *out++ = '"';
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c >= 0x20 && *c != '"' && *c != '\\') {
            *out++ = (char)*c;
            continue;
        }
        *out++ = '\\';
        switch (*c) {
            case '"':
            case '\\':
                *out++ = (char)*c;
                break;
            case '\n':
                *out++ = 'n';
                break;
            case '\r':
                *out++ = 'r';
                break;
            case '\t':
                *out++ = 't';
                break;
            case '\b':
                *out++ = 'b';
                break;
            case '\f':
                *out++ = 'f';
                break;
            default:
                memcpy (out, "u00", 3);
                out[3] = hex[*c >> 4];
                out[4] = hex[*c & 15];
                out += 5;
        }
    }
    *out++ = '"';
    *out = '\0';
    self->length = (size_t)(out - self->data);
}

void crier_text_add_member (crier_text_t *self, const char *key, const char *value, bool first)
{
    if (!first)
        crier_text_append (self, ",", 1);
    crier_text_add_json (self, key);
    crier_text_append (self, ":", 1);
    crier_text_add_json (self, value);
}

char *crier_text_take (crier_text_t *self)
{
    if (self->failed || !s_reserve (self, 0)) {
        crier_text_free (self);
        return NULL;
    }
    char *text = self->data;
    *self = (crier_text_t){0};
    return text;
}

void crier_text_free (crier_text_t *self)
{
    free (self->data);
    *self = (crier_text_t){0};
}

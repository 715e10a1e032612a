/*  utf8.c - see utf8.h. Follows the well-formed byte sequence table of Unicode 15, section 3.9
    (Table 3-7), which is what RFC 3629 requires. */
#include "crier/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

bool crier_utf8_valid (const char *data, size_t size, size_t *bad_offset_p)
{
    const uint8_t *bytes = (const uint8_t *)data;
    size_t at = 0;
    while (at < size) {
        uint8_t lead = bytes[at];
        size_t length;
        uint8_t low = 0x80, high = 0xbf; //  allowed range of the second byte
        if (lead < 0x80)
            length = 1;
        else if (lead >= 0xc2 && lead <= 0xdf)
            length = 2;
        else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            if (lead == 0xe0)
                low = 0xa0; //  no overlong 3-byte forms
            else if (lead == 0xed)
                high = 0x9f; //  no UTF-16 surrogates
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            if (lead == 0xf0)
                low = 0x90; //  no overlong 4-byte forms
            else if (lead == 0xf4)
                high = 0x8f; //  nothing past U+10FFFF
        } else
            goto invalid;
        if (length > size - at)
            goto invalid;
        for (size_t index = 1; index < length; index++) {
            uint8_t next = bytes[at + index];
            if (next < (index == 1 ? low : 0x80) || next > (index == 1 ? high : 0xbf))
                goto invalid;
        }
        at += length;
    }
    return true;

invalid:
    if (bad_offset_p)
        *bad_offset_p = at;
    return false;
}

static bool s_invisible (uint32_t point)
{
    return point <= 0x20 || (point >= 0x7f && point <= 0xa0) || point == 0xad || point == 0x61c ||
           point == 0x1680 || point == 0x180e || (point >= 0x2000 && point <= 0x200f) ||
           (point >= 0x2028 && point <= 0x202f) || (point >= 0x205f && point <= 0x206f) ||
           point == 0x3000 || point == 0xfeff || (point >= 0xfff9 && point <= 0xfffb) ||
           (point >= 0xe0000 && point <= 0xe007f);
}

bool crier_utf8_has_invisible (const char *text, size_t size)
{
    const uint8_t *bytes = (const uint8_t *)text;
    for (size_t at = 0; at < size;) {
        uint8_t lead = bytes[at];
        size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        if (length > size - at)
            return true; //  not valid UTF-8: the caller checked, so never here
        uint32_t point = length == 1 ? lead : (uint32_t)(lead & (0x7f >> length));
        for (size_t index = 1; index < length; index++)
            point = point << 6 | (bytes[at + index] & 0x3f);
        if (s_invisible (point))
            return true;
        at += length;
    }
    return false;
}

size_t crier_utf8_cut (const char *text, size_t max)
{
    size_t at = 0;
    while (text[at]) {
        unsigned char lead = (unsigned char)text[at];
        size_t next = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (at + next > max)
            break;
        at += next;
    }
    return at;
}

char *crier_utf8_copy_cut (const char *text, size_t length, size_t max)
{
    //  "…" takes three bytes of the limit.
    size_t cut = length > max ? crier_utf8_cut (text, max > 3 ? max - 3 : 0) : length;
    char *copy = malloc (cut + 4);
    if (copy)
        snprintf (copy, cut + 4, "%.*s%s", (int)cut, text, cut < length ? "…" : "");
    return copy;
}

/*  utf8.c - see utf8.h. Follows the well-formed byte sequence table of Unicode 15, section 3.9
    (Table 3-7), which is what RFC 3629 requires. */
#include "crier/utf8.h"

#include <stdint.h>

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

/*  utf8.h - strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
    U+10FFFF). */
#ifndef CRIER_UTF8_H_INCLUDED
#define CRIER_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  True when size bytes at data are well-formed UTF-8. On false, *bad_offset_p (if not NULL) is the
//  offset of the first byte of the first ill-formed sequence.
bool crier_utf8_valid (const char *data, size_t size, size_t *bad_offset_p);

#endif

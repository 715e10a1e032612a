/*  utf8.h - strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
    U+10FFFF). */
#ifndef CRIER_UTF8_H_INCLUDED
#define CRIER_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  True when size bytes at data are well-formed UTF-8. On false, *bad_offset_p (if not NULL) is the
//  offset of the first byte of the first ill-formed sequence.
bool crier_utf8_valid (const char *data, size_t size, size_t *bad_offset_p);

//  True when valid UTF-8 text holds a character that shows as nothing or as space, or changes how
//  the rest reads: the C0 and C1 controls and DEL, every Unicode space and line or paragraph
//  separator (U+0085, U+00A0, U+2028, U+3000, ...), zero-width and other invisible format
//  characters (U+200B, U+FEFF, ...) and the bidirectional controls (U+202E and kin, which make a
//  name in a log or a listing read differently from what it is).
bool crier_utf8_has_invisible (const char *text, size_t size);

//  Cuts UTF-8 text to at most max bytes without splitting a character; returns the new length.
size_t crier_utf8_cut (const char *text, size_t max);

//  A copy of the first length bytes of text, cut to at most max bytes with "…" (three of them)
//  when they do not fit, never inside a character. Caller frees; NULL when out of memory.
char *crier_utf8_copy_cut (const char *text, size_t length, size_t max);

#endif

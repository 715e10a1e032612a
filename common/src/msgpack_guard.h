/*  msgpack_guard.h - refuses msgpack whose container headers promise more elements than the
    frame could hold, before msgpack-c sees it.

    msgpack-c allocates room for every element an array or map header declares before reading any
    of them, with no limit (msgpack/msgpack-c#1013): five bytes "dd ff ff ff ff" ask for ~96 GiB.
    Every element takes at least one byte, so a frame of N bytes can hold at most N elements in
    all; this check walks the headers (not the values) and enforces that bound, which caps what
    msgpack-c allocates to a small multiple of the frame size.
*/
#ifndef CRIER_MSGPACK_GUARD_H_INCLUDED
#define CRIER_MSGPACK_GUARD_H_INCLUDED

#include <stddef.h>

//  Returns 0 when the declared element counts fit in size bytes (or the data is malformed in a
//  way msgpack-c will itself report), -1 when they cannot.
int crier_msgpack_guard (const void *data, size_t size);

#endif

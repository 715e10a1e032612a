/*  frame_edits.h - Matrix messages to edit ({room_id, event_id} maps) as msgpack: in an edit
    request (frames.c) and in a throttle window (throttle_window.c). Private to libcrier-common. */
#ifndef CRIER_FRAME_EDITS_H_INCLUDED
#define CRIER_FRAME_EDITS_H_INCLUDED

#include "crier/frames.h"

#include <msgpack.h>

//  Packs key and the array of count maps (a map entry: the caller counts it).
void crier_frame_pack_edits (msgpack_packer *packer, const char *key,
                             const crier_frame_edit_t *edits, size_t count);

//  Reads key's optional array of at most max maps into *edits_p and *count_p (free what they
//  hold even after a failure). Returns 0, or -1 with *error set.
int crier_frame_read_edits (const msgpack_object *map, const char *key, size_t max,
                            crier_frame_edit_t **edits_p, size_t *count_p, crier_error_t *error);

#endif

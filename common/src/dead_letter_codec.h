/*  dead_letter_codec.h - a dead letter as a msgpack map, shared by the control endpoint's
    listing and the acknowledged endpoint's wait answers. Private to common. */
#ifndef CRIER_DEAD_LETTER_CODEC_H_INCLUDED
#define CRIER_DEAD_LETTER_CODEC_H_INCLUDED

#include "crier/control.h"

#include <msgpack.h>
#include <stdbool.h>

//  Packs one dead letter: notification_id, delivery_id, channel, target, reason, time.
void crier_dead_letter_pack (msgpack_packer *packer, const crier_dead_letter_t *letter);

//  Reads the "dead_letters" array of map, when present (*present_p), into a new array of
//  *count_p letters (free each with crier_dead_letter_free, then the array, also after an
//  error). Returns 0, or -1 with *error set.
int crier_dead_letters_read (const msgpack_object *map, crier_dead_letter_t **letters_p,
                             size_t *count_p, bool *present_p, crier_error_t *error);

#endif

/*  notification_codec.h - the notification fields as msgpack, shared by the public codec and the
    internal frames that carry a notification's content. Private to libcrier-common. */
#ifndef CRIER_NOTIFICATION_CODEC_H_INCLUDED
#define CRIER_NOTIFICATION_CODEC_H_INCLUDED

#include "crier/notification.h"

#include <msgpack.h>

//  Reads to, subject, body, html, priority and id from a map into self and checks the rules of
//  protocol v1. Returns 0, or -1 with *error set.
int crier_notification_read_fields (const msgpack_object *map, crier_notification_t *self,
                                    crier_error_t *error);

//  How many map entries crier_notification_pack_fields writes.
uint32_t crier_notification_field_count (const crier_notification_t *self);

//  Packs those entries (not the map header).
void crier_notification_pack_fields (msgpack_packer *packer, const crier_notification_t *self);

#endif

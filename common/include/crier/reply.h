/*  reply.h - the answer of crier-ingest's acknowledged endpoint (docs/protocol.md, section 1):
    one msgpack map, {"ok": true, "id": ...} once the notification is on disk (with
    "duplicate": true when that id was accepted before), or {"ok": false, "error": ...} (with
    "temporary": true when the same request may succeed later: backlog full, journal error). */
#ifndef CRIER_REPLY_H_INCLUDED
#define CRIER_REPLY_H_INCLUDED

#include "crier/notification.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool ok;
    bool duplicate;
    bool temporary; //  not ok, but worth trying again later
    char *id;       //  when ok (or NULL)
    char *error;    //  when not ok
} crier_reply_t;

//  Encodes a reply. Returns 0 with a malloc'ed buffer, or -1 when out of memory.
int crier_reply_encode (const crier_reply_t *reply, char **data_p, size_t *size_p);

//  Decodes a reply. Returns 0 (free it with crier_reply_free), or -1 with *error set.
int crier_reply_decode (const void *data, size_t size, crier_reply_t *reply, crier_error_t *error);

//  NULL-safe.
void crier_reply_free (crier_reply_t *reply);

#endif

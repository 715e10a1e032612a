/*  recent.h - delivery ids delivered lately, remembered for a while and up to a number, oldest
    forgotten first. A delivery that comes again (crier-ingest missed its outcome: it was
    restarting, or the event bus was) is then answered "delivered" instead of being sent twice;
    crier-resolver keeps one for what every sender delivered, each email sender one for its own
    (docs/delivery.md).
*/
#ifndef CRIER_RECENT_H_INCLUDED
#define CRIER_RECENT_H_INCLUDED

#include "crier/id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_recent_t crier_recent_t;

//  Remembers up to max ids, each for keep_ms.
crier_recent_t *crier_recent_new (size_t max, int64_t keep_ms);

//  NULL-safe; sets *self_p to NULL.
void crier_recent_destroy (crier_recent_t **self_p);

//  Remembers a delivery id (40 hex digits) delivered at now_ms (a monotonic clock).
void crier_recent_add (crier_recent_t *self, const char *delivery_id, int64_t now_ms);

//  Whether the delivery id was delivered within keep_ms of now_ms.
bool crier_recent_has (crier_recent_t *self, const char *delivery_id, int64_t now_ms);

size_t crier_recent_size (const crier_recent_t *self);

#endif

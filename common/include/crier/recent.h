/*  recent.h - ids remembered for a while and up to a number, oldest forgotten first: the client
    ids crier-ingest refuses again within its dedup window, and the delivery ids delivered
    lately, with which crier-resolver and each email sender answer a redelivery of one instead
    of sending it twice (docs/delivery.md).
*/
#ifndef CRIER_RECENT_H_INCLUDED
#define CRIER_RECENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_recent_t crier_recent_t;

//  Remembers up to max ids, each for keep_ms.
crier_recent_t *crier_recent_new (size_t max, int64_t keep_ms);

//  NULL-safe; sets *self_p to NULL.
void crier_recent_destroy (crier_recent_t **self_p);

//  Remembers an id (copied) as of at_ms, unless it is remembered already. Times are the
//  caller's clock, in milliseconds.
void crier_recent_add (crier_recent_t *self, const char *id, int64_t at_ms);

//  crier_recent_add with a number kept beside the id (crier-ingest: how many deliveries a
//  notification done lately had).
void crier_recent_add_value (crier_recent_t *self, const char *id, int64_t at_ms, uint64_t value);

//  Whether the id is remembered within keep_ms of now_ms.
bool crier_recent_has (crier_recent_t *self, const char *id, int64_t now_ms);

//  The same, with its value into *value_p (may be NULL).
bool crier_recent_get (crier_recent_t *self, const char *id, int64_t now_ms, uint64_t *value_p);

//  Calls fn with each id still remembered at now_ms, oldest first.
typedef void (crier_recent_fn) (const char *id, int64_t at_ms, void *arg);
void crier_recent_each (crier_recent_t *self, int64_t now_ms, crier_recent_fn *fn, void *arg);

size_t crier_recent_size (const crier_recent_t *self);

#endif

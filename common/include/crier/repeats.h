/*  repeats.h - one log line (and one event) per kind of repeated mistake and interval, not one
    per occurrence: a client sending garbage as fast as it can must not fill the disk with
    warnings. The first occurrence of a key is said at once; later ones within the interval are
    counted, and said once as a count when the interval is over (at the next occurrence, or at
    the latest when crier_repeats_flush is called). */
#ifndef CRIER_REPEATS_H_INCLUDED
#define CRIER_REPEATS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_repeats_t crier_repeats_t;

//  Keys (e.g. client and field) are tracked for interval_ms each, at most max_keys at once;
//  past that, new keys share one.
crier_repeats_t *crier_repeats_new (uint64_t interval_ms, size_t max_keys);

void crier_repeats_destroy (crier_repeats_t **self_p);

//  An occurrence of key at now_ms. Returns true when it is to be said now; *unsaid_p then holds
//  how many before it were counted without being said (0 the first time).
bool crier_repeats_occur (crier_repeats_t *self, const char *key, int64_t now_ms,
                          uint64_t *unsaid_p);

//  Called with each key whose interval is over and that has occurrences not said, and the count;
//  those keys are forgotten.
typedef void (crier_repeats_fn) (const char *key, uint64_t unsaid, void *arg);

//  Says what is due (each key at most one call per interval), and forgets quiet keys.
void crier_repeats_flush (crier_repeats_t *self, int64_t now_ms, crier_repeats_fn *fn, void *arg);

#endif

/*  waiters.h - wait requests of the acknowledged endpoint that crier-ingest holds until the
    notification's outcome is known or their time is up (docs/protocol.md §1, "Waiting for the
    outcome"). Bounded: past the most, a request is answered at once with what is known. */
#ifndef CRIER_INGEST_WAITERS_H_INCLUDED
#define CRIER_INGEST_WAITERS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_waiters_t crier_waiters_t;

//  Holds at most max requests. Returns NULL when out of memory.
crier_waiters_t *crier_waiters_new (size_t max);

//  NULL-safe; sets *self_p to NULL. Requests still held are dropped unanswered.
void crier_waiters_destroy (crier_waiters_t **self_p);

//  Holds a request for id (as crier knows it; given_id as the client gave it) until
//  deadline_ms: envelope is its routing id and empty delimiter, taken over. Returns 0, or -1
//  when full or out of memory (the envelope is left to the caller).
int crier_waiters_add (crier_waiters_t *self, const char *id, const char *given_id,
                       zmsg_t **envelope_p, int64_t deadline_ms);

//  Whether any request waits for id.
bool crier_waiters_waiting (crier_waiters_t *self, const char *id);

//  Called with each request let go: its envelope (taken over by the callee) and ids.
typedef void (crier_waiters_fn) (zmsg_t **envelope_p, const char *id, const char *given_id,
                                 void *arg);

//  Lets go of every request for id.
void crier_waiters_release (crier_waiters_t *self, const char *id, crier_waiters_fn *fn, void *arg);

//  Lets go of every request whose deadline is past at now_ms (every one when now_ms is
//  INT64_MAX).
void crier_waiters_expire (crier_waiters_t *self, int64_t now_ms, crier_waiters_fn *fn, void *arg);

size_t crier_waiters_count (const crier_waiters_t *self);

#endif

/*  backoff.h - how long to wait before trying again: exponential, capped, with jitter so that
    many clients do not retry in step. */
#ifndef CRIER_BACKOFF_H_INCLUDED
#define CRIER_BACKOFF_H_INCLUDED

#include <stdint.h>

//  The wait after the given number of failures in a row (1 for the first): base doubled each
//  time, capped at cap, then a random point in its upper half.
uint64_t crier_backoff_ms (unsigned failures, uint64_t base, uint64_t cap);

#endif

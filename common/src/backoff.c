/*  backoff.c - see backoff.h. */
#include "crier/backoff.h"

#include <sys/random.h>
#include <time.h>

uint64_t crier_backoff_ms (unsigned failures, uint64_t base, uint64_t cap)
{
    uint64_t delay = base;
    for (unsigned index = 1; index < failures && delay < cap; index++)
        delay *= 2;
    if (delay > cap)
        delay = cap;
    uint32_t random = 0;
    if (getrandom (&random, sizeof random, 0) != sizeof random)
        random = (uint32_t)clock ();
    return delay / 2 + random % (delay / 2 + 1);
}

/*  bus_dedup.c - see bus_dedup.h. */
#include "crier/bus_dedup.h"
#include "crier/recent.h"

#include <czmq.h>

struct crier_bus_dedup_t {
    crier_recent_t *heard; //  digests of the frames heard lately
};

crier_bus_dedup_t *crier_bus_dedup_new (void)
{
    crier_bus_dedup_t *self = calloc (1, sizeof *self);
    if (self && !(self->heard = crier_recent_new (CRIER_BUS_DEDUP_MAX, CRIER_BUS_DEDUP_KEEP_MS)))
        crier_bus_dedup_destroy (&self);
    return self;
}

void crier_bus_dedup_destroy (crier_bus_dedup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_recent_destroy (&(*self_p)->heard);
    free (*self_p);
    *self_p = NULL;
}

bool crier_bus_dedup_first (crier_bus_dedup_t *self, const void *data, size_t size, int64_t now_ms)
{
    zdigest_t *digest = zdigest_new ();
    if (!digest)
        return true; //  shown twice rather than lost
    zdigest_update (digest, data, size);
    const char *text = zdigest_string (digest);
    bool first = !crier_recent_has (self->heard, text, now_ms);
    if (first)
        crier_recent_add (self->heard, text, now_ms);
    zdigest_destroy (&digest);
    return first;
}

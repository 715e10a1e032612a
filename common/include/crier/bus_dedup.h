/*  bus_dedup.h - each event once when heard over several crier cores' event buses. A process
    that connects to every core (the senders, crier-matrix-watch, crier-gateway) publishes each
    of its events on every core's bus, so a subscriber of several buses (crier tail,
    crier-gateway's metrics) hears it once per core: the same bytes, within moments. */
#ifndef CRIER_BUS_DEDUP_H_INCLUDED
#define CRIER_BUS_DEDUP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_bus_dedup_t crier_bus_dedup_t;

//  Remembers the events of the last CRIER_BUS_DEDUP_KEEP_MS, at most CRIER_BUS_DEDUP_MAX.
#define CRIER_BUS_DEDUP_KEEP_MS 10000
#define CRIER_BUS_DEDUP_MAX     200000

crier_bus_dedup_t *crier_bus_dedup_new (void);

//  NULL-safe; sets *self_p to NULL.
void crier_bus_dedup_destroy (crier_bus_dedup_t **self_p);

//  Whether an event's frame is heard for the first time (then remembered as of now_ms, the
//  caller's clock in milliseconds); false for a copy from another core's bus.
bool crier_bus_dedup_first (crier_bus_dedup_t *self, const void *data, size_t size, int64_t now_ms);

#endif

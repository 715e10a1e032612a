/*  router.h - turns a notification's groups into deliveries: one per distinct (channel, target),
    however many of the notification's groups reach it. */
#ifndef CRIER_ROUTER_H_INCLUDED
#define CRIER_ROUTER_H_INCLUDED

#include "crier/mapping.h"
#include "crier/notification.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    crier_channel_t channel;
    const char *target;                   //  borrowed from the mapping
    const char *groups[CRIER_MAX_GROUPS]; //  the notification's groups that reach it
    size_t group_count;
    uint64_t nag_after_ms; //  Matrix: how long it may stay unread (the shortest nag of its
                           //  groups; docs/nag.md), 0: no nag
} crier_route_t;

typedef struct {
    crier_route_t *routes;
    size_t count;
    size_t capacity;
    const char *unknown[CRIER_MAX_GROUPS]; //  groups not in the mapping, borrowed
    size_t unknown_count;
} crier_routing_t;

//  Routes a notification with a mapping into *routing (emptied first; reuse it across calls).
//  The strings it holds are borrowed from both. Returns 0, or -1 when out of memory.
int crier_router_route (const crier_mapping_t *mapping, const crier_notification_t *notification,
                        crier_routing_t *routing);

//  Frees what crier_router_route allocated.
void crier_routing_free (crier_routing_t *routing);

#endif

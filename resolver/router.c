/*  router.c - see router.h. A notification reaches at most a few dozen targets, so duplicates
    are found by a linear scan, which beats hashing at that size. */
#include "router.h"

#include "crier/array.h"

#include <stdlib.h>
#include <string.h>

static crier_route_t *s_find (crier_routing_t *routing, crier_channel_t channel, const char *target)
{
    for (size_t index = 0; index < routing->count; index++) {
        crier_route_t *route = &routing->routes[index];
        if (route->channel == channel && strcmp (route->target, target) == 0)
            return route;
    }
    return NULL;
}

//  The route to (channel, target), added if new, with group among its groups. NULL when out of
//  memory.
static crier_route_t *s_add (crier_routing_t *routing, crier_channel_t channel, const char *target,
                             const char *group)
{
    crier_route_t *route = s_find (routing, channel, target);
    if (!route) {
        if (crier_array_reserve (&routing->routes, &routing->capacity, routing->count,
                                 sizeof *routing->routes, 16) != 0)
            return NULL;
        route = &routing->routes[routing->count++];
        route->channel = channel;
        route->target = target;
        route->group_count = 0;
        route->nag_after_ms = 0;
    }
    //  A group listed twice in to[] still counts once.
    for (size_t index = 0; index < route->group_count; index++) {
        if (strcmp (route->groups[index], group) == 0)
            return route;
    }
    if (route->group_count < CRIER_MAX_GROUPS)
        route->groups[route->group_count++] = group;
    return route;
}

//  A Matrix room reached through groups with a nag: the shortest applies (docs/nag.md).
static void s_add_nag (const crier_mapping_t *mapping, crier_route_t *route, const char *group)
{
    uint64_t after_ms;
    if (route->channel == CRIER_CHANNEL_MATRIX &&
        crier_mapping_nag (mapping, group, &after_ms, NULL) == 0 &&
        (route->nag_after_ms == 0 || after_ms < route->nag_after_ms))
        route->nag_after_ms = after_ms;
}

int crier_router_route (const crier_mapping_t *mapping, const crier_notification_t *notification,
                        crier_routing_t *routing)
{
    routing->count = 0;
    routing->unknown_count = 0;
    for (size_t group_index = 0; group_index < notification->to_count; group_index++) {
        const char *group = notification->to[group_index];
        for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
            crier_targets_t targets;
            if (crier_mapping_targets (mapping, group, (crier_channel_t)channel, &targets) != 0) {
                routing->unknown[routing->unknown_count++] = group;
                break;
            }
            const char *target = targets.first;
            for (size_t index = 0; index < targets.count; index++) {
                crier_route_t *route = s_add (routing, (crier_channel_t)channel, target, group);
                if (!route)
                    return -1;
                s_add_nag (mapping, route, group);
                target = crier_targets_next (target);
            }
        }
    }
    return 0;
}

void crier_routing_free (crier_routing_t *routing)
{
    free (routing->routes);
    memset (routing, 0, sizeof *routing);
}

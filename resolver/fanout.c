/*  fanout.c - see fanout.h. */
#include "fanout.h"

#include "crier/array.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct crier_fanout_t {
    zhashx_t *part[CRIER_CHANNEL_COUNT]; //  target (borrowed) -> route index + 1, of this part
};

crier_fanout_t *crier_fanout_new (void)
{
    crier_fanout_t *self = calloc (1, sizeof *self);
    for (int channel = 0; self && channel < CRIER_CHANNEL_COUNT; channel++) {
        self->part[channel] = zhashx_new ();
        if (!self->part[channel]) {
            crier_fanout_destroy (&self);
            break;
        }
        //  The mapping outlives every part: its strings are keys as they are.
        zhashx_set_key_duplicator (self->part[channel], NULL);
        zhashx_set_key_destructor (self->part[channel], NULL);
    }
    return self;
}

void crier_fanout_destroy (crier_fanout_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        zhashx_destroy (&(*self_p)->part[channel]);
    free (*self_p);
    *self_p = NULL;
}

//  The groups without the names given again (at most CRIER_MAX_GROUPS): a group named twice
//  adds no position, and distinct entries then have distinct names.
static size_t s_distinct (const char *const *groups, size_t group_count,
                          const char *distinct[CRIER_MAX_GROUPS])
{
    size_t count = 0;
    for (size_t group = 0; group < group_count && count < CRIER_MAX_GROUPS; group++) {
        size_t seen = 0;
        while (seen < count && strcmp (distinct[seen], groups[group]) != 0)
            seen++;
        if (seen == count)
            distinct[count++] = groups[group];
    }
    return count;
}

uint64_t crier_fanout_positions (const crier_mapping_t *mapping, const char *const *named,
                                 size_t named_count)
{
    const char *groups[CRIER_MAX_GROUPS];
    size_t group_count = s_distinct (named, named_count, groups);
    uint64_t positions = 0;
    for (size_t group = 0; group < group_count; group++)
        for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
            crier_targets_t targets;
            if (crier_mapping_targets (mapping, groups[group], (crier_channel_t)channel,
                                       &targets) != 0)
                break;
            positions += targets.count;
        }
    return positions;
}

uint32_t crier_fanout_parts (uint64_t positions, uint32_t part_size)
{
    uint64_t parts = part_size ? (positions + part_size - 1) / part_size : 0;
    return parts > UINT32_MAX ? UINT32_MAX : (uint32_t)parts;
}

//  Adds the target at a position of the part, unless the part reaches it already.
static int s_add (crier_fanout_t *self, const crier_mapping_t *mapping, crier_routing_t *routing,
                  crier_channel_t channel, const char *target, const char *group)
{
    if (zhashx_lookup (self->part[channel], target))
        return 0;
    if (crier_array_reserve (&routing->routes, &routing->capacity, routing->count,
                             sizeof *routing->routes, 64) != 0)
        return -1;
    crier_route_t *route = &routing->routes[routing->count++];
    *route = (crier_route_t){.channel = channel, .target = target, .group_count = 1};
    route->groups[0] = group;
    uint64_t after_ms;
    if (channel == CRIER_CHANNEL_MATRIX && crier_mapping_nag (mapping, group, &after_ms, NULL) == 0)
        route->nag_after_ms = after_ms;
    return zhashx_insert (self->part[channel], target, (void *)(uintptr_t)routing->count);
}

//  Calls fn with the target at each position in [from, to) of the groups.
typedef int (s_position_fn) (crier_fanout_t *self, const crier_mapping_t *mapping,
                             crier_routing_t *routing, crier_channel_t channel, const char *target,
                             const char *group);

static int s_each (crier_fanout_t *self, const crier_mapping_t *mapping, const char *const *groups,
                   size_t group_count, uint64_t from, uint64_t to, const char *skip,
                   s_position_fn *fn, crier_routing_t *routing)
{
    uint64_t position = 0;
    for (size_t group = 0; group < group_count && position < to; group++)
        for (int channel = 0; channel < CRIER_CHANNEL_COUNT && position < to; channel++) {
            crier_targets_t targets;
            if (crier_mapping_targets (mapping, groups[group], (crier_channel_t)channel,
                                       &targets) != 0)
                break;
            //  A list wholly before the range, or of the group to skip, is passed without a walk.
            if (position + targets.count <= from || groups[group] == skip) {
                position += targets.count;
                continue;
            }
            const char *target = targets.first;
            for (size_t index = 0; index < targets.count && position < to; index++, position++) {
                if (position >= from && fn (self, mapping, routing, (crier_channel_t)channel,
                                            target, groups[group]) != 0)
                    return -1;
                target = crier_targets_next (target);
            }
        }
    return 0;
}

//  A target at an earlier position than the part: not the part's. (A group's own list has each
//  target once, so only another group's can repeat it.)
static int s_drop (crier_fanout_t *self, const crier_mapping_t *mapping, crier_routing_t *routing,
                   crier_channel_t channel, const char *target, const char *group)
{
    (void)mapping;
    uintptr_t at = (uintptr_t)zhashx_lookup (self->part[channel], target);
    if (at && routing->routes[at - 1].groups[0] != group)
        routing->routes[at - 1].target = NULL;
    return 0;
}

//  The group of the part's first route when every route of the part is of that group: its
//  earlier positions cannot repeat them (the mapping keeps a list's targets once), so the pass
//  over earlier positions skips it. NULL otherwise.
static const char *s_only_group (const crier_routing_t *routing)
{
    if (routing->count == 0)
        return NULL;
    const char *group = routing->routes[0].groups[0];
    for (size_t index = 1; index < routing->count; index++)
        if (routing->routes[index].groups[0] != group)
            return NULL;
    return group;
}

int crier_fanout_part (crier_fanout_t *self, const crier_mapping_t *mapping,
                       const char *const *named, size_t named_count, uint32_t part,
                       uint32_t part_size, crier_routing_t *routing)
{
    const char *groups[CRIER_MAX_GROUPS];
    size_t group_count = s_distinct (named, named_count, groups);
    routing->count = 0;
    routing->unknown_count = 0;
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        zhashx_purge (self->part[channel]);
    for (size_t group = 0; group < group_count; group++) {
        crier_targets_t targets;
        if (crier_mapping_targets (mapping, groups[group], CRIER_CHANNEL_MATRIX, &targets) != 0)
            routing->unknown[routing->unknown_count++] = groups[group];
    }
    uint64_t start = (uint64_t)part * part_size;
    if (s_each (self, mapping, groups, group_count, start, start + part_size, NULL, s_add,
                routing) != 0 ||
        s_each (self, mapping, groups, group_count, 0, start, s_only_group (routing), s_drop,
                routing) != 0)
        return -1;
    size_t kept = 0;
    for (size_t index = 0; index < routing->count; index++)
        if (routing->routes[index].target)
            routing->routes[kept++] = routing->routes[index];
    routing->count = kept;
    return 0;
}

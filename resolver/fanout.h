/*  fanout.h - a notification that reaches too many targets to route at once, cut into parts
    (docs/delivery.md, Large groups). Its positions are the targets of its groups in the
    mapping's order: group by group (in the notification's order, a group named twice counted
    once), channel by channel, target by target. Part k is the positions from k * part_size up
    to the next part's, less every target that an earlier position of the same channel already
    reaches: each (channel, target) belongs to the first part that reaches it, and is routed
    once, with the first group that reaches it.

    A part costs memory for its own deliveries only. Finding what earlier positions reach costs a
    pass over the earlier groups' (the mapping keeps each target of a list once, so a group
    cannot repeat its own): nothing for a notification to one group. */
#ifndef CRIER_FANOUT_H_INCLUDED
#define CRIER_FANOUT_H_INCLUDED

#include "router.h"

#include "crier/mapping.h"

#include <stddef.h>
#include <stdint.h>

typedef struct crier_fanout_t crier_fanout_t;

crier_fanout_t *crier_fanout_new (void);
void crier_fanout_destroy (crier_fanout_t **self_p);

//  The positions of these groups (those not in the mapping count none).
uint64_t crier_fanout_positions (const crier_mapping_t *mapping, const char *const *groups,
                                 size_t group_count);

//  The parts of that many positions.
uint32_t crier_fanout_parts (uint64_t positions, uint32_t part_size);

//  Routes part `part` of these groups into *routing (emptied first; groups not in the mapping go
//  to its unknown list). Strings are borrowed from the mapping and the groups. Returns 0, or -1
//  when out of memory.
int crier_fanout_part (crier_fanout_t *self, const crier_mapping_t *mapping,
                       const char *const *groups, size_t group_count, uint32_t part,
                       uint32_t part_size, crier_routing_t *routing);

#endif

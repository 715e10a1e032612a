/*  mapping_store.h - fills a compact mapping (mapping.c) with groups and people already
    checked by mapping_checks.h, for mapping_reader.c. */
#ifndef CRIER_MAPPING_STORE_H_INCLUDED
#define CRIER_MAPPING_STORE_H_INCLUDED

#include "crier/mapping.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

//  An empty mapping. NULL when out of memory.
crier_mapping_t *crier_mapping_empty (void);

//  A channel's targets, checked one by one as they streamed in (mapping_reader.c does not build
//  a group's target arrays as JSON: a group of a million addresses would take ten times the
//  text): NUL-terminated strings one after another.
typedef struct {
    char *text;
    size_t used;
    size_t capacity;
    uint32_t count;
} crier_target_list_t;

//  Appends a target to a list. Returns 0, or -1 when out of memory.
int crier_target_list_add (crier_target_list_t *list, const char *target, size_t length);

//  Adds a checked group: its channels object, and the targets of each channel from lists (may be
//  NULL) when the list has any, else from the channel's array in channels. Returns 0, 1 when the
//  mapping has it already, or -1 when out of memory or past the 4 GiB a mapping can hold.
int crier_mapping_add_group (crier_mapping_t *self, const char *group, const json_t *channels,
                             const crier_target_list_t *lists);

//  Adds a checked person. Returns as crier_mapping_add_group.
int crier_mapping_add_person (crier_mapping_t *self, const char *user, const char *email);

//  Keeps the document's _rev (the mapping takes it; may be NULL).
void crier_mapping_set_revision (crier_mapping_t *self, char *revision);

#endif

/*  mapping_store.h - fills a compact mapping (mapping.c) with groups and people already
    checked by mapping_checks.h, for mapping_reader.c. */
#ifndef CRIER_MAPPING_STORE_H_INCLUDED
#define CRIER_MAPPING_STORE_H_INCLUDED

#include "crier/mapping.h"

#include <jansson.h>

//  An empty mapping. NULL when out of memory.
crier_mapping_t *crier_mapping_empty (void);

//  A group, as it streams in (mapping_reader.c never builds a group's targets as JSON: a group
//  of a million addresses would take ten times its text). Begun with its name; then its targets
//  one by one, each checked, one channel's array after the other (a target an array lists twice
//  is kept once); ended with its value (checked, target arrays left empty) for its nag and
//  throttle. begin returns 0, 1 when the mapping has the group already, or -1 when out of memory
//  or past the 4 GiB a mapping can hold; target and end return 0 or -1.
int crier_mapping_group_begin (crier_mapping_t *self, const char *group);
int crier_mapping_group_target (crier_mapping_t *self, crier_channel_t channel, const char *target);
int crier_mapping_group_end (crier_mapping_t *self, const json_t *channels);

//  Adds a checked person. Returns as crier_mapping_group_begin.
int crier_mapping_add_person (crier_mapping_t *self, const char *user, const char *email);

//  Keeps the document's _rev (the mapping takes it; may be NULL).
void crier_mapping_set_revision (crier_mapping_t *self, char *revision);

#endif

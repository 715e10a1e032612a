/*  mapping_store.h - fills a compact mapping (mapping.c) with groups and people already
    checked by mapping_checks.h, for mapping_reader.c. */
#ifndef CRIER_MAPPING_STORE_H_INCLUDED
#define CRIER_MAPPING_STORE_H_INCLUDED

#include "crier/mapping.h"

#include <jansson.h>

//  An empty mapping. NULL when out of memory.
crier_mapping_t *crier_mapping_empty (void);

//  Adds a checked group (its channels object). Returns 0, 1 when the mapping has it already, or
//  -1 when out of memory or past the 4 GiB a mapping can hold.
int crier_mapping_add_group (crier_mapping_t *self, const char *group, const json_t *channels);

//  Adds a checked person. Returns as crier_mapping_add_group.
int crier_mapping_add_person (crier_mapping_t *self, const char *user, const char *email);

//  Keeps the document's _rev (the mapping takes it; may be NULL).
void crier_mapping_set_revision (crier_mapping_t *self, char *revision);

#endif

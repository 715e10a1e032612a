/*  mapping_checks.h - the rules of the mapping document (docs/mapping.md), applied to one group
    or one person at a time as the document streams in. Each failure fills a
    crier_mapping_error_t with the JSON path of the problem and what is wrong there. */
#ifndef CRIER_MAPPING_CHECKS_H_INCLUDED
#define CRIER_MAPPING_CHECKS_H_INCLUDED

#include "crier/mapping.h"

#include <jansson.h>
#include <stdbool.h>

//  Fills *error; returns -1.
int crier_mapping_fail (crier_mapping_error_t *error, const char *path, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Writes object["<key>"] (mapping["#admins"], people["@will:server"]) with the key
//  JSON-escaped, so the path shows it exactly.
void crier_mapping_keyed_path (char *path, size_t size, const char *object, const char *key);

//  "object", "array", "string", "number", "boolean" or "null".
const char *crier_json_type (const json_t *value);

//  mapping["<group>"]: its name, channels, targets, nag and throttle. 0 when valid.
int crier_mapping_check_group (const char *group, const json_t *channels,
                               crier_mapping_error_t *error);

//  One target of a group (group_path: mapping["#admins"]): a room id or alias, or an address;
//  target NULL when the value is not a string (type says what it is). 0 when valid.
int crier_mapping_check_target (const char *group_path, crier_channel_t channel, size_t index,
                                const char *target, const char *type, crier_mapping_error_t *error);

//  people["<user>"]: a Matrix user id and {"email": address}. 0 when valid.
int crier_mapping_check_person (const char *user, const json_t *person,
                                crier_mapping_error_t *error);

//  Whether a string anywhere below value holds a NUL, which C cannot carry and a log line or an
//  email would cut. path holds value's own path in its first used bytes; it is extended to name
//  the string found.
bool crier_mapping_find_nul (const json_t *value, char *path, size_t size, size_t used);

//  Extends the path in path's first used bytes with [index] or a key (.email, ["#admins"]);
//  returns the bytes used then.
size_t crier_mapping_path_index (char *path, size_t size, size_t used, size_t index);
size_t crier_mapping_path_key (char *path, size_t size, size_t used, const char *key);

#endif

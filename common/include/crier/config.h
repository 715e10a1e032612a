/*  config.h - settings from CRIER_* environment variables, validated at start-up.

    Every getter logs one precise error (config.invalid variable=... value=... expected=...) and
    returns -1 on a bad value; a process collects the failures and exits with status 2 rather than
    run on a silent default. An unset or empty variable takes the default.
*/
#ifndef CRIER_CONFIG_H_INCLUDED
#define CRIER_CONFIG_H_INCLUDED

#include "crier/log.h"

#include <stddef.h>
#include <stdint.h>

//  Exit status of a process whose configuration is invalid.
#define CRIER_EXIT_CONFIG 2

//  A string, or a copy of fallback when unset (NULL fallback: *value_p is NULL). Caller frees.
int crier_config_string (const char *name, const char *fallback, char **value_p);

//  A secret from NAME or from the file named by NAME_FILE (the Docker secrets convention); one
//  trailing newline is dropped. Setting both is an error. *value_p is NULL when neither is set.
//  Caller frees.
int crier_config_secret (const char *name, char **value_p);

//  A whole number within [min, max].
int crier_config_uint (const char *name, uint64_t fallback, uint64_t min, uint64_t max,
                       uint64_t *value_p);

//  A byte count within [min, max]: a number with an optional suffix K, KiB, M, MiB, G or GiB
//  (powers of 1024).
int crier_config_bytes (const char *name, uint64_t fallback, uint64_t min, uint64_t max,
                        uint64_t *value_p);

//  A duration in milliseconds within [min_ms, max_ms]: a number with a unit ms, s, m or h.
int crier_config_duration_ms (const char *name, uint64_t fallback_ms, uint64_t min_ms,
                              uint64_t max_ms, uint64_t *value_p);

//  Parses a whole number (decimal digits only, as on the command line). Returns 0 or -1.
int crier_uint_parse (const char *text, uint64_t *value_p);

//  Parses a duration such as "500ms", "5s", "2m" or "1h" (as on the command line). Returns 0,
//  or -1 when it is not one.
int crier_duration_parse (const char *text, uint64_t *milliseconds_p);

//  One of choices (a NULL-ended list), case-insensitive; *index_p is its position.
int crier_config_choice (const char *name, const char *fallback, const char *const *choices,
                         int *index_p);

//  A ZeroMQ endpoint (tcp://, ipc:// or inproc://); a list is refused with why. Caller frees.
int crier_config_endpoint (const char *name, const char *fallback, char **value_p);

//  One endpoint or several separated by commas, one per crier core (crier/endpoint_list.h), for
//  what connects to every core. Caller frees.
int crier_config_endpoints (const char *name, const char *fallback, char **value_p);

//  CRIER_LOG_LEVEL (info when unset), for main to apply (crier_log_set_level). Returns 0 or -1.
int crier_config_log_level (crier_log_level_t *level_p);

#endif

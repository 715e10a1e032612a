/*  config.c - see config.h. */
#include "crier/config.h"
#include "crier/endpoint_list.h"
#include "crier/secret.h"
#include "crier/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECRET_FILE_MAX_BYTES 65536

static const char *s_get (const char *name)
{
    const char *value = getenv (name);
    return value && *value ? value : NULL;
}

static int s_invalid (const char *name, const char *value, const char *expected)
{
    crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", name, "value", value, "expected",
               expected);
    return -1;
}

static char *s_strdup_or_null (const char *text)
{
    return text ? strdup (text) : NULL;
}

int crier_config_string (const char *name, const char *fallback, char **value_p)
{
    const char *value = s_get (name);
    *value_p = s_strdup_or_null (value ? value : fallback);
    return 0;
}

//  Reads a whole secret file into *content_p (caller frees; NULL for an empty file: no secret,
//  as for a mail relay without AUTH). Returns 0, or -1 after logging.
static int s_read_secret_file (const char *variable, const char *path, char **content_p)
{
    *content_p = NULL;
    FILE *file = fopen (path, "rb");
    if (!file) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", variable, "file", path, "error",
                   strerror (errno), "expected", "a readable file holding the secret");
        return -1;
    }
    char *content = malloc (SECRET_FILE_MAX_BYTES + 1);
    size_t length = content ? fread (content, 1, SECRET_FILE_MAX_BYTES + 1, file) : 0;
    int read_failed = ferror (file);
    fclose (file);
    const char *problem = NULL;
    if (!content)
        problem = "out of memory";
    else if (read_failed)
        problem = "read error";
    else if (length > SECRET_FILE_MAX_BYTES)
        problem = "file larger than 64 KiB";
    else {
        content[length] = '\0';
        if (length > 0 && content[length - 1] == '\n')
            content[--length] = '\0';
        if (length > 0 && content[length - 1] == '\r')
            content[--length] = '\0';
        if (strlen (content) != length)
            problem = "file holds a NUL byte";
    }
    if (problem) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", variable, "file", path, "error",
                   problem, "expected", "a file holding the secret");
        free (content);
        return -1;
    }
    if (length == 0) {
        free (content);
        return 0;
    }
    *content_p = content;
    return 0;
}

int crier_config_secret (const char *name, char **value_p)
{
    *value_p = NULL;
    char file_name[128];
    snprintf (file_name, sizeof file_name, "%s_FILE", name);
    const char *value = s_get (name);
    const char *path = s_get (file_name);
    if (value && path) {
        //  Never echo the secret itself.
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", name, "error",
                   "both the variable and its _FILE form are set", "expected", "one of the two");
        return -1;
    }
    if (value)
        *value_p = strdup (value);
    else if (path && s_read_secret_file (file_name, path, value_p) != 0)
        return -1;
    crier_secret_register (*value_p);
    return 0;
}

//  Parses a leading unsigned decimal number; *rest_p points after it. Returns -1 when there is no
//  number or it overflows.
static int s_parse_number (const char *text, uint64_t *number_p, const char **rest_p)
{
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *rest;
    unsigned long long number = strtoull (text, &rest, 10);
    if (errno == ERANGE)
        return -1;
    *number_p = number;
    *rest_p = rest;
    return 0;
}

typedef struct {
    const char *suffix;
    uint64_t factor;
} unit_t;

//  A number followed by one of units (an empty suffix allows a bare number).
static int s_parse_with_unit (const char *text, const unit_t *units, uint64_t *value_p)
{
    uint64_t number;
    const char *rest;
    if (s_parse_number (text, &number, &rest) != 0)
        return -1;
    for (const unit_t *unit = units; unit->suffix; unit++) {
        if (strcmp (rest, unit->suffix) == 0) {
            if (number > UINT64_MAX / unit->factor)
                return -1;
            *value_p = number * unit->factor;
            return 0;
        }
    }
    return -1;
}

static int s_ranged (const char *name, const unit_t *units, uint64_t fallback, uint64_t min,
                     uint64_t max, const char *expected, uint64_t *value_p)
{
    const char *text = s_get (name);
    if (!text) {
        *value_p = fallback;
        return 0;
    }
    uint64_t parsed;
    if (s_parse_with_unit (text, units, &parsed) != 0 || parsed < min || parsed > max)
        return s_invalid (name, text, expected);
    *value_p = parsed;
    return 0;
}

static const unit_t s_bare_units[] = {{"", 1}, {NULL, 0}};

int crier_config_uint (const char *name, uint64_t fallback, uint64_t min, uint64_t max,
                       uint64_t *value_p)
{
    char expected[96];
    snprintf (expected, sizeof expected, "a whole number from %" PRIu64 " to %" PRIu64, min, max);
    return s_ranged (name, s_bare_units, fallback, min, max, expected, value_p);
}

int crier_uint_parse (const char *text, uint64_t *value_p)
{
    return s_parse_with_unit (text, s_bare_units, value_p);
}

int crier_config_bytes (const char *name, uint64_t fallback, uint64_t min, uint64_t max,
                        uint64_t *value_p)
{
    static const unit_t units[] = {{"", 1},
                                   {"K", 1024},
                                   {"KiB", 1024},
                                   {"M", 1024 * 1024},
                                   {"MiB", 1024 * 1024},
                                   {"G", 1024 * 1024 * 1024},
                                   {"GiB", 1024 * 1024 * 1024},
                                   {NULL, 0}};
    char expected[128];
    snprintf (expected, sizeof expected,
              "a byte count from %" PRIu64 " to %" PRIu64 " (suffixes K, KiB, M, MiB, G, GiB)", min,
              max);
    return s_ranged (name, units, fallback, min, max, expected, value_p);
}

static const unit_t s_duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {NULL, 0}};

int crier_duration_parse (const char *text, uint64_t *milliseconds_p)
{
    return s_parse_with_unit (text, s_duration_units, milliseconds_p);
}

int crier_config_duration_ms (const char *name, uint64_t fallback_ms, uint64_t min_ms,
                              uint64_t max_ms, uint64_t *value_p)
{
    char expected[128];
    snprintf (expected, sizeof expected,
              "a duration with a unit (ms, s, m, h) from %" PRIu64 "ms to %" PRIu64 "ms", min_ms,
              max_ms);
    return s_ranged (name, s_duration_units, fallback_ms, min_ms, max_ms, expected, value_p);
}

int crier_config_choice (const char *name, const char *fallback, const char *const *choices,
                         int *index_p)
{
    const char *value = s_get (name);
    if (!value)
        value = fallback;
    char expected[160] = "one of:";
    for (int index = 0; choices[index]; index++) {
        if (strcasecmp (value, choices[index]) == 0) {
            *index_p = index;
            return 0;
        }
        strncat (expected, " ", sizeof expected - strlen (expected) - 1);
        strncat (expected, choices[index], sizeof expected - strlen (expected) - 1);
    }
    return s_invalid (name, value, expected);
}

static bool s_is_endpoint (const char *value)
{
    static const char *const schemes[] = {"tcp://", "ipc://", "inproc://", NULL};
    for (int index = 0; schemes[index]; index++) {
        size_t length = strlen (schemes[index]);
        if (strncmp (value, schemes[index], length) == 0 && value[length])
            return true;
    }
    return false;
}

int crier_config_endpoint (const char *name, const char *fallback, char **value_p)
{
    const char *value = s_get (name);
    if (!value)
        value = fallback;
    *value_p = NULL;
    if (crier_endpoint_list_is_many (value))
        return s_invalid (name, value,
                          "one ZeroMQ endpoint: this process belongs to one crier core (a list "
                          "is for senders, crier-gateway and the command line: docs/deploy.md)");
    if (!s_is_endpoint (value))
        return s_invalid (name, value, "a ZeroMQ endpoint such as tcp://127.0.0.1:7400");
    *value_p = strdup (value);
    return *value_p ? 0 : -1;
}

int crier_config_endpoints (const char *name, const char *fallback, char **value_p)
{
    const char *value = s_get (name);
    if (!value)
        value = fallback;
    *value_p = NULL;
    crier_endpoint_list_t list;
    if (crier_endpoint_list_parse (value, &list) != 0)
        return s_invalid (name, value,
                          "one ZeroMQ endpoint, or several separated by commas (one per core, "
                          "at most " CRIER_ENDPOINT_LIST_MAX_TEXT ")");
    bool valid = true;
    for (size_t index = 0; index < list.count; index++)
        valid = valid && s_is_endpoint (list.items[index]);
    crier_endpoint_list_free (&list);
    if (!valid)
        return s_invalid (name, value,
                          "ZeroMQ endpoints such as tcp://127.0.0.1:7400, separated by commas");
    *value_p = strdup (value);
    return *value_p ? 0 : -1;
}

int crier_config_log_level (crier_log_level_t *level_p)
{
    const char *value = s_get ("CRIER_LOG_LEVEL");
    *level_p = CRIER_LOG_INFO;
    if (value && crier_log_level_parse (value, level_p) != 0)
        return s_invalid ("CRIER_LOG_LEVEL", value, "one of: debug info warn error");
    return 0;
}

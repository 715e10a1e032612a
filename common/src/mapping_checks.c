/*  mapping_checks.c - see mapping_checks.h. */
#include "mapping_checks.h"
#include "crier/config.h"
#include "crier/notification.h"
#include "crier/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_MAX_BYTES 255
//  A nag's "after": at least a second, at most a week.
#define NAG_AFTER_MIN_MS 1000
#define NAG_AFTER_MAX_MS (7 * 24 * 3600 * 1000ULL)

//  A throttle's "window": at least a second, at most a day.
#define THROTTLE_WINDOW_MIN_MS 1000
#define THROTTLE_WINDOW_MAX_MS (24 * 3600 * 1000ULL)

const char *crier_json_type (const json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT:
            return "object";
        case JSON_ARRAY:
            return "array";
        case JSON_STRING:
            return "string";
        case JSON_INTEGER:
        case JSON_REAL:
            return "number";
        case JSON_TRUE:
        case JSON_FALSE:
            return "boolean";
        case JSON_NULL:
            return "null";
    }
    return "unknown";
}

int crier_mapping_fail (crier_mapping_error_t *error, const char *path, const char *format, ...)
{
    snprintf (error->path, sizeof error->path, "%s", path);
    va_list args;
    va_start (args, format);
    vsnprintf (error->message, sizeof error->message, format, args);
    va_end (args);
    return -1;
}

//  Writes object["<key>"] (mapping["#admins"], people["@will:server"]) with the key
//  JSON-escaped, so the path shows it exactly.
void crier_mapping_keyed_path (char *path, size_t size, const char *object, const char *key)
{
    //  Most keys need no escaping (this runs for every group of a large mapping).
    bool plain = true;
    for (const unsigned char *byte = (const unsigned char *)key; *byte && plain; byte++)
        plain = *byte >= 0x20 && *byte < 0x7f && *byte != '"' && *byte != '\\';
    if (plain) {
        snprintf (path, size, "%s[\"%s\"]", object, key);
        return;
    }
    json_t *name = json_string (key);
    char *quoted = name ? json_dumps (name, JSON_ENCODE_ANY) : NULL;
    snprintf (path, size, "%s[%s]", object, quoted ? quoted : "?");
    free (quoted);
    json_decref (name);
}

//  A Matrix identifier: a sigil from sigils, a name, ':', a server; at most 255 bytes, nothing
//  invisible. not_one says what it is not when the sigil is wrong; needs_parts, when a part is
//  missing.
static int s_check_matrix_id (const char *id, const char *sigils, const char *not_one,
                              const char *needs_parts, char *message, size_t size)
{
    const char *problem = NULL;
    const char *colon = strchr (id, ':');
    if (!id[0] || !strchr (sigils, id[0]))
        problem = not_one;
    else if (!colon || colon == id + 1 || colon[1] == '\0')
        problem = needs_parts;
    else if (strlen (id) > TARGET_MAX_BYTES)
        problem = "longer than 255 bytes";
    else if (crier_utf8_has_invisible (id, strlen (id)))
        problem = "contains white space, a control character or an invisible or bidirectional "
                  "formatting character";
    if (problem) {
        snprintf (message, size, "%s", problem);
        return -1;
    }
    return 0;
}

int crier_matrix_target_check (const char *target, char *message, size_t size)
{
    return s_check_matrix_id (target, "!#",
                              "not a Matrix room id (!room:server) or alias (#alias:server)",
                              "a Matrix room id or alias needs a name and a server: "
                              "!room:server, #alias:server",
                              message, size);
}

int crier_matrix_user_check (const char *user, char *message, size_t size)
{
    return s_check_matrix_id (user, "@", "not a Matrix user id: it starts with '@' (@name:server)",
                              "a Matrix user id needs a name and a server: @name:server", message,
                              size);
}

//  Characters RFC 5322 allows unquoted in a local part ("atext"), plus UTF-8 (RFC 6531).
static bool s_atext (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL || c >= 0x80;
}

int crier_email_address_check (const char *address, char *message, size_t size)
{
    const char *at = strrchr (address, '@');
    const char *problem = NULL;
    if (!at || at == address || at[1] == '\0')
        problem = "not an email address (expected local@domain)";
    else if (at - address > 64)
        problem = "the part before '@' is longer than 64 bytes";
    else if (strlen (at + 1) > 253)
        problem = "the domain is longer than 253 bytes";
    else {
        //  Local part: dot-separated runs of atext. Domain: dot-separated labels of letters,
        //  digits, hyphens (or UTF-8), not starting or ending with a hyphen.
        char previous = '.';
        for (const char *c = address; c < at && !problem; previous = *c++) {
            if (*c == '.' ? previous == '.' : !s_atext ((unsigned char)*c))
                problem = "not an email address: unexpected character or dot before '@'";
        }
        if (!problem && previous == '.')
            problem = "not an email address: the part before '@' ends with a dot";
        previous = '.';
        for (const char *c = at + 1; *c && !problem; previous = *c++) {
            unsigned char byte = (unsigned char)*c;
            bool label = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                         (byte >= '0' && byte <= '9') || byte >= 0x80;
            if (*c == '.' ? previous == '.' || previous == '-'
                          : !(label || (*c == '-' && previous != '.')))
                problem = "not an email address: the domain may only hold letters, digits, "
                          "hyphens and dots";
        }
        if (!problem && (previous == '.' || previous == '-'))
            problem = "not an email address: the domain ends with a dot or hyphen";
        //  Its bytes may be well placed and still hold a separator or a bidirectional control.
        if (!problem && crier_utf8_has_invisible (address, strlen (address)))
            problem = "contains white space, a control character or an invisible or "
                      "bidirectional formatting character";
    }
    if (problem) {
        snprintf (message, size, "%s", problem);
        return -1;
    }
    return 0;
}

int crier_mapping_check_target (const char *group_path, crier_channel_t channel, size_t index,
                                const char *target, const char *type, crier_mapping_error_t *error)
{
    char message[sizeof error->message];
    int rc = -1;
    if (!target)
        snprintf (message, sizeof message, "must be a string, got %s", type);
    else //  without NUL: mapping_reader.c looked first
        rc = channel == CRIER_CHANNEL_MATRIX
                 ? crier_matrix_target_check (target, message, sizeof message)
                 : crier_email_address_check (target, message, sizeof message);
    if (rc == 0)
        return 0;
    char element_path[sizeof error->path];
    snprintf (element_path, sizeof element_path, "%.256s.%s[%zu]", group_path,
              crier_channel_name (channel), index);
    return crier_mapping_fail (error, element_path, "%s", message);
}

static int s_check_targets (const char *group_path, crier_channel_t channel, const json_t *targets,
                            crier_mapping_error_t *error)
{
    if (!json_is_array (targets)) {
        char path[280];
        snprintf (path, sizeof path, "%.256s.%s", group_path, crier_channel_name (channel));
        return crier_mapping_fail (error, path, "must be an array of %s, got %s",
                                   channel == CRIER_CHANNEL_MATRIX ? "room ids or aliases"
                                                                   : "addresses",
                                   crier_json_type (targets));
    }
    size_t index;
    const json_t *target;
    json_array_foreach (targets, index, target)
    {
        if (crier_mapping_check_target (group_path, channel, index, json_string_value (target),
                                        crier_json_type (target), error) != 0)
            return -1;
    }
    return 0;
}

//  An object under path whose keys must all be among allowed (what message says).
static int s_check_keys (const char *path, const json_t *object, const char *const *allowed,
                         const char *message, crier_mapping_error_t *error)
{
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *)object, key, value)
    {
        size_t index = 0;
        while (allowed[index] && strcmp (key, allowed[index]) != 0)
            index++;
        if (!allowed[index]) {
            char key_path[sizeof error->path];
            snprintf (key_path, sizeof key_path, "%.280s.%.24s", path, key);
            return crier_mapping_fail (error, key_path, "unknown key: %s", message);
        }
    }
    return 0;
}

//  A duration of object's field name, from min_ms to max_ms (range says them): missing says
//  what it is for. Fills *ms_p.
static int s_check_duration (const char *path, const json_t *object, const char *name,
                             const char *missing, uint64_t min_ms, uint64_t max_ms,
                             const char *range, uint64_t *ms_p, crier_mapping_error_t *error)
{
    const json_t *value = json_object_get (object, name);
    char field_path[sizeof error->path];
    snprintf (field_path, sizeof field_path, "%.280s.%.16s", path, name);
    if (!value)
        return crier_mapping_fail (error, field_path, "missing: %s", missing);
    if (!json_is_string (value) || crier_duration_parse (json_string_value (value), ms_p) != 0)
        return crier_mapping_fail (error, field_path,
                                   "must be a duration such as \"30s\", \"15m\" or \"2h\"");
    if (*ms_p < min_ms || *ms_p > max_ms)
        return crier_mapping_fail (error, field_path, "must be from %s", range);
    return 0;
}

//  A group's "nag": {"after": "15m", "email": [...]}, on a group with Matrix rooms.
static int s_check_nag (const char *group_path, const json_t *channels, const json_t *nag,
                        crier_mapping_error_t *error)
{
    char path[280];
    snprintf (path, sizeof path, "%.256s.nag", group_path);
    if (!json_is_object (nag))
        return crier_mapping_fail (
            error, path, "must be an object such as {\"after\": \"15m\", \"email\": [...]}, got %s",
            crier_json_type (nag));
    if (!json_object_get (channels, "matrix"))
        return crier_mapping_fail (
            error, path,
            "nags about messages unread in the group's Matrix rooms, and the group "
            "has no \"matrix\"");
    static const char *const keys[] = {"after", "email", NULL};
    uint64_t after_ms = 0;
    if (s_check_keys (path, nag, keys, "a nag has \"after\" and \"email\"", error) != 0 ||
        s_check_duration (path, nag, "after", "how long a message may stay unread, e.g. \"15m\"",
                          NAG_AFTER_MIN_MS, NAG_AFTER_MAX_MS, "1s to 168h", &after_ms, error) != 0)
        return -1;
    const json_t *emails = json_object_get (nag, "email");
    if (!emails)
        return 0;
    //  The same rules as a channel's addresses, under nag.email.
    char parent[sizeof error->path];
    snprintf (parent, sizeof parent, "%.270s", path);
    return s_check_targets (parent, CRIER_CHANNEL_EMAIL, emails, error);
}

//  A group's "throttle": {"window": "10m"} (docs/throttle.md).
static int s_check_throttle (const char *group_path, const json_t *throttle,
                             crier_mapping_error_t *error)
{
    char path[280];
    snprintf (path, sizeof path, "%.256s.throttle", group_path);
    if (!json_is_object (throttle))
        return crier_mapping_fail (error, path,
                                   "must be an object such as {\"window\": \"10m\"}, got %s",
                                   crier_json_type (throttle));
    static const char *const keys[] = {"window", NULL};
    uint64_t window_ms = 0;
    if (s_check_keys (path, throttle, keys, "a throttle has \"window\"", error) != 0)
        return -1;
    return s_check_duration (
        path, throttle, "window", "how long repeats of one key are held back, e.g. \"10m\"",
        THROTTLE_WINDOW_MIN_MS, THROTTLE_WINDOW_MAX_MS, "1s to 24h", &window_ms, error);
}

//  One of the document's "people": "@user:server": {"email": "address"}.
int crier_mapping_check_person (const char *user, const json_t *person,
                                crier_mapping_error_t *error)
{
    char path[300], message[sizeof error->message];
    crier_mapping_keyed_path (path, sizeof path, "people", user);
    if (crier_matrix_user_check (user, message, sizeof message) != 0)
        return crier_mapping_fail (error, path, "%s", message);
    if (!json_is_object (person))
        return crier_mapping_fail (error, path,
                                   "must be an object such as {\"email\": \"...\"}, got %s",
                                   crier_json_type (person));
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *)person, key, value)
    {
        if (strcmp (key, "email") != 0) {
            char key_path[sizeof error->path];
            snprintf (key_path, sizeof key_path, "%.290s.%.24s", path, key);
            return crier_mapping_fail (error, key_path, "unknown key: a person has \"email\"");
        }
    }
    char email_path[sizeof error->path];
    snprintf (email_path, sizeof email_path, "%.300s.email", path);
    const json_t *email = json_object_get (person, "email");
    if (!email)
        return crier_mapping_fail (error, email_path, "missing: where this person's nag emails go");
    if (!json_is_string (email))
        return crier_mapping_fail (error, email_path, "must be a string, got %s",
                                   crier_json_type (email));
    if (crier_email_address_check (json_string_value (email), message, sizeof message) != 0)
        return crier_mapping_fail (error, email_path, "%s", message);
    return 0;
}

int crier_mapping_check_group (const char *group, const json_t *channels,
                               crier_mapping_error_t *error)
{
    char path[256];
    crier_mapping_keyed_path (path, sizeof path, "mapping", group);
    char message[sizeof error->message];
    if (crier_group_name_check (group, strlen (group), message, sizeof message) != 0)
        return crier_mapping_fail (error, path, "%s", message);
    if (!json_is_object (channels))
        return crier_mapping_fail (
            error, path,
            "must be an object of channels, e.g. {\"matrix\": [...], \"email\": [...]}, "
            "got %s",
            crier_json_type (channels));
    const char *channel_name;
    const json_t *targets;
    json_object_foreach ((json_t *)channels, channel_name, targets)
    {
        crier_channel_t channel;
        char channel_path[sizeof error->path];
        snprintf (channel_path, sizeof channel_path, "%.256s.%.48s", path, channel_name);
        //  Reserved keys beside the channels (docs/mapping.md).
        if (strcmp (channel_name, "nag") == 0) {
            if (s_check_nag (path, channels, targets, error) != 0)
                return -1;
            continue;
        }
        if (strcmp (channel_name, "throttle") == 0) {
            if (s_check_throttle (path, targets, error) != 0)
                return -1;
            continue;
        }
        if (crier_channel_parse (channel_name, &channel) != 0)
            return crier_mapping_fail (
                error, channel_path,
                "unknown channel: crier knows matrix and email (and the reserved keys "
                "nag and throttle)");
        if (s_check_targets (path, (crier_channel_t)channel, targets, error) != 0)
            return -1;
    }
    return 0;
}

//  Whether a string anywhere below value (at path, used bytes of size) holds a NUL, which C
//  cannot carry and a log line or an email would cut; path then names it. Recursion is bounded
//  by jansson's parse depth; the path is one buffer, extended and restored on the way.
size_t crier_mapping_path_index (char *path, size_t size, size_t used, size_t index)
{
    int added = snprintf (path + used, size - used, "[%zu]", index);
    return used + (size_t)added < size ? used + (size_t)added : size - 1;
}

size_t crier_mapping_path_key (char *path, size_t size, size_t used, const char *key)
{
    //  mapping["#admins"].email: a key of letters, digits, - and _ after a dot, any other in
    //  brackets, JSON-quoted.
    bool plain = *key && strspn (key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-") == strlen (key);
    json_t *name = plain ? NULL : json_string (key);
    char *quoted = name ? json_dumps (name, JSON_ENCODE_ANY) : NULL;
    int added = plain ? snprintf (path + used, size - used, "%s%s", used ? "." : "", key)
                      : snprintf (path + used, size - used, "[%s]", quoted ? quoted : "?");
    free (quoted);
    json_decref (name);
    return used + (size_t)added < size ? used + (size_t)added : size - 1;
}

bool crier_mapping_find_nul (const json_t *value, char *path, size_t size, size_t used)
{
    if (json_is_string (value))
        return strlen (json_string_value (value)) != json_string_length (value);
    if (json_is_array (value)) {
        size_t index;
        const json_t *item;
        json_array_foreach (value, index, item)
        {
            size_t next = crier_mapping_path_index (path, size, used, index);
            if (crier_mapping_find_nul (item, path, size, next))
                return true;
        }
    } else if (json_is_object (value)) {
        const char *key;
        const json_t *item;
        json_object_foreach ((json_t *)value, key, item)
        {
            size_t next = crier_mapping_path_key (path, size, used, key);
            if (crier_mapping_find_nul (item, path, size, next))
                return true;
        }
    }
    path[used] = '\0';
    return false;
}

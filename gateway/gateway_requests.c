/*  gateway_requests.c - see gateway_requests.h. */
#include "gateway_requests.h"

#include "crier/json_frame.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *crier_gateway_priority (const char *ntfy)
{
    static const char *const names[][2] = {
        {"1", "low"},         {"2", "low"},     {"3", "normal"},   {"4", "high"},
        {"5", "urgent"},      {"min", "low"},   {"low", "low"},    {"default", "normal"},
        {"normal", "normal"}, {"high", "high"}, {"max", "urgent"}, {"urgent", "urgent"}};
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++)
        if (strcasecmp (ntfy, names[index][0]) == 0)
            return names[index][1];
    return NULL;
}

//  Sets the object's id from the Idempotency-Key header. Returns 0, or -1 with a reason.
static int s_set_id (json_t *object, const char *key, char *error, size_t error_size)
{
    if (!key)
        return 0;
    const json_t *id = json_object_get (object, "id");
    if (id && !(json_is_string (id) && strcmp (json_string_value (id), key) == 0)) {
        snprintf (error, error_size, "id: differs from the Idempotency-Key header; give one");
        return -1;
    }
    return json_object_set_new (object, "id", json_string (key)) == 0 ? 0 : -1;
}

//  Each group of "to" (a string or an array of them) must be allowed. Returns 0, or -2 with why.
static int s_check_groups (const json_t *object, crier_gateway_allows_fn *allows, void *arg,
                           char *error, size_t error_size)
{
    const json_t *to = json_object_get (object, "to");
    size_t count = json_is_array (to) ? json_array_size (to) : 1;
    for (size_t index = 0; allows && index < count; index++) {
        const char *group =
            json_string_value (json_is_array (to) ? json_array_get (to, index) : to);
        //  Not a group name at all: crier-ingest says what is wrong with it.
        if (group && !allows (group, arg)) {
            snprintf (error, error_size, "to: this token may not send to %.130s", group);
            return -2;
        }
    }
    return 0;
}

static int s_frame (json_t *object, char **frame_p, size_t *frame_size_p, char *error,
                    size_t error_size)
{
    if (crier_json_frame (object, frame_p, frame_size_p) == 0)
        return 0;
    snprintf (error, error_size, "(request): out of memory");
    return -1;
}

int crier_gateway_json_request (const char *body, size_t size, const char *idempotency_key,
                                crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                size_t *frame_size_p, char *error, size_t error_size)
{
    json_error_t parse;
    json_t *object = json_loadb (body, size, JSON_REJECT_DUPLICATES, &parse);
    if (!object) {
        snprintf (error, error_size, "(body): not JSON: %s (line %d, column %d)", parse.text,
                  parse.line, parse.column);
        return -1;
    }
    int rc = -1;
    if (!json_is_object (object))
        snprintf (error, error_size,
                  "(body): must be a JSON object such as {\"to\": \"#admins\", \"body\": \"...\"}");
    else
        rc = crier_gateway_object_request (object, idempotency_key, allows, arg, frame_p,
                                           frame_size_p, error, error_size);
    json_decref (object);
    return rc;
}

int crier_gateway_object_request (json_t *object, const char *idempotency_key,
                                  crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                  size_t *frame_size_p, char *error, size_t error_size)
{
    int rc = s_check_groups (object, allows, arg, error, error_size);
    if (rc == 0)
        rc = s_set_id (object, idempotency_key, error, error_size);
    if (rc == 0)
        rc = s_frame (object, frame_p, frame_size_p, error, error_size);
    return rc;
}

int crier_gateway_text_request (const char *group, const char *text, size_t size, const char *title,
                                const char *priority, const char *idempotency_key,
                                crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                size_t *frame_size_p, char *error, size_t error_size)
{
    const char *crier_priority = priority ? crier_gateway_priority (priority) : "normal";
    if (!crier_priority) {
        snprintf (error, error_size,
                  "Priority: must be 1 to 5, min, low, default, high, max or urgent, got \"%.40s\"",
                  priority);
        return -1;
    }
    char name[160];
    snprintf (name, sizeof name, "#%s", group);
    json_t *object =
        json_pack ("{s:s, s:s%, s:s}", "to", name, "body", text, size, "priority", crier_priority);
    if (!object) {
        //  Not UTF-8 (jansson refuses it): the same words as the wire protocol's.
        snprintf (error, error_size, "body: must be UTF-8 text");
        return -1;
    }
    int rc = -1;
    if (title && json_object_set_new (object, "subject", json_string (title)) != 0)
        snprintf (error, error_size, "Title: must be UTF-8 text");
    else
        rc = crier_gateway_object_request (object, idempotency_key, allows, arg, frame_p,
                                           frame_size_p, error, error_size);
    json_decref (object);
    return rc;
}

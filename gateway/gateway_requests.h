/*  gateway_requests.h - what crier-gateway makes of an HTTP request's body before crier-ingest
    sees it (docs/http.md): a JSON notification with its Idempotency-Key, or a group's plain
    text with ntfy's Title and Priority headers, as the notification frame of the wire protocol.
    crier-ingest validates the fields itself, with the wire protocol's messages. */
#ifndef CRIER_GATEWAY_REQUESTS_H_INCLUDED
#define CRIER_GATEWAY_REQUESTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

//  Whether the client may send to group ("#name"): its token's groups (NULL: any group).
typedef bool (crier_gateway_allows_fn) (const char *group, void *arg);

//  POST /v1/notifications: body must be a JSON object; idempotency_key (may be NULL) is its id
//  when it has none; allows (may be NULL) checks each group of "to". Returns 0 with a malloc'ed
//  frame, or -1 with a reason for a 400 answer, -2 for a 403 (a group not allowed).
int crier_gateway_json_request (const char *body, size_t size, const char *idempotency_key,
                                crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                size_t *frame_size_p, char *error, size_t error_size);

//  POST /v1/groups/{name}: the text is the body, title (may be NULL) the subject, priority (may
//  be NULL) ntfy's 1-5 or min, low, default, high, max, urgent (or crier's own names). Returns 0
//  with a malloc'ed frame, or -1 with a reason for a 400 answer, -2 for a 403.
int crier_gateway_text_request (const char *group, const char *text, size_t size, const char *title,
                                const char *priority, const char *idempotency_key,
                                crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                size_t *frame_size_p, char *error, size_t error_size);

//  A notification made by the gateway itself (a JSON object: Alertmanager's): the same checks
//  and frame as crier_gateway_json_request.
int crier_gateway_object_request (json_t *object, const char *idempotency_key,
                                  crier_gateway_allows_fn *allows, void *arg, char **frame_p,
                                  size_t *frame_size_p, char *error, size_t error_size);

//  ntfy's priority as crier's ("low", "normal", "high", "urgent"), or NULL when unknown.
const char *crier_gateway_priority (const char *ntfy);

#endif

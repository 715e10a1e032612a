/*  mapping.h - the mapping document: which channel targets each group reaches, how long a
    group's Matrix messages may stay unread before crier nags by email, how long it holds back
    repeats of one key, and who the people in those rooms are.

    { "_id": "mapping", "_rev": "3-…",
      "mapping": { "#admins": { "matrix": ["!room:server"], "email": ["a@b.org"],
                                "nag": {"after": "15m", "email": ["oncall@b.org"]},
                                "throttle": {"window": "10m"} } },
      "people": { "@will:server": {"email": "will@b.org"} } }

    docs/mapping.md is the reference. A document is validated whole before it is used; the first
    problem is reported with its JSON path, e.g. mapping["#admins"].email[1]: not an email address.
*/
#ifndef CRIER_MAPPING_H_INCLUDED
#define CRIER_MAPPING_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CRIER_CHANNEL_MATRIX = 0, CRIER_CHANNEL_EMAIL = 1 } crier_channel_t;
#define CRIER_CHANNEL_COUNT 2

//  "matrix" or "email".
const char *crier_channel_name (crier_channel_t channel);

//  The channel of a name ("matrix", "email"). Returns 0, or -1 when crier has no such channel.
int crier_channel_parse (const char *name, crier_channel_t *channel_p);

typedef struct {
    char path[320];    //  JSON path of the first problem, e.g. mapping["#admins"].email[1]
    char message[208]; //  what is wrong there
} crier_mapping_error_t;

typedef struct crier_mapping_t crier_mapping_t;

//  Validates a mapping document and keeps a reference to it. Returns a new mapping, or NULL with
//  *error filled in.
crier_mapping_t *crier_mapping_new (json_t *document, crier_mapping_error_t *error);

//  Parses JSON text, then as crier_mapping_new (a JSON syntax error is reported with its line).
crier_mapping_t *crier_mapping_parse (const char *text, size_t length,
                                      crier_mapping_error_t *error);

//  NULL-safe; sets *self_p to NULL.
void crier_mapping_destroy (crier_mapping_t **self_p);

//  The document's _rev, or NULL when it has none (a file not yet stored).
const char *crier_mapping_revision (const crier_mapping_t *self);

size_t crier_mapping_group_count (const crier_mapping_t *self);

//  The targets of a group on a channel: a JSON array of strings, or NULL when the group does not
//  name that channel or is not in the mapping at all, which *group_known_p (if not NULL) tells
//  apart. The array belongs to the mapping.
const json_t *crier_mapping_targets (const crier_mapping_t *self, const char *group,
                                     crier_channel_t channel, int *group_known_p);

//  A group's nag: 0 with how long its Matrix messages may stay unread, and *emails_p (may be
//  NULL) the escalation addresses (a JSON array, or NULL), or -1 when the group has no nag.
int crier_mapping_nag (const crier_mapping_t *self, const char *group, uint64_t *after_ms_p,
                       const json_t **emails_p);

//  The email address of a person (a Matrix user id among "people"), or NULL.
const char *crier_mapping_person_email (const crier_mapping_t *self, const char *user);
size_t crier_mapping_person_count (const crier_mapping_t *self);
//  A group's throttle (docs/throttle.md): 0 with its window in *window_ms_p, or -1 when the
//  group has none.
int crier_mapping_throttle (const crier_mapping_t *self, const char *group, uint64_t *window_ms_p);

//  How many groups have a nag.
size_t crier_mapping_nag_count (const crier_mapping_t *self);

//  The whole document. It belongs to the mapping.
const json_t *crier_mapping_document (const crier_mapping_t *self);

//  Target syntax checks, shared with tests: 0 when valid, else -1 with a reason in message.
int crier_matrix_target_check (const char *target, char *message, size_t size);
int crier_email_address_check (const char *address, char *message, size_t size);
int crier_matrix_user_check (const char *user, char *message, size_t size);

#endif

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

    The document is read as a stream of tokens (json_stream.h) and kept compact: every name and
    target once in one block of text, a table of groups and a hash index over them. A mapping
    takes about its JSON's size in memory, so a document of a million groups loads while the
    previous one still routes (docs/mapping.md, "Large mappings").
*/
#ifndef CRIER_MAPPING_H_INCLUDED
#define CRIER_MAPPING_H_INCLUDED

#include "crier/json_stream.h"

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

//  Parses and validates JSON text (a syntax error is reported with its line and column).
//  Returns a new mapping, or NULL with *error filled in.
crier_mapping_t *crier_mapping_parse (const char *text, size_t length,
                                      crier_mapping_error_t *error);

//  Reads a mapping document token by token, as it arrives (the resolver's changes feed).
typedef struct crier_mapping_reader_t crier_mapping_reader_t;

crier_mapping_reader_t *crier_mapping_reader_new (void);

//  NULL-safe; sets *self_p to NULL.
void crier_mapping_reader_destroy (crier_mapping_reader_t **self_p);

//  Takes the document's next token. After the first problem the rest is only looked at for
//  "_rev". Returns 0, or -1 when out of memory.
int crier_mapping_reader_take (crier_mapping_reader_t *self, const crier_json_token_t *token);

//  The document's "_rev" once read, or NULL. Belongs to the reader.
const char *crier_mapping_reader_revision (const crier_mapping_reader_t *self);

//  Ends the document: the mapping (the caller owns it), or NULL with *error filled in. The
//  reader can then read another document.
crier_mapping_t *crier_mapping_reader_finish (crier_mapping_reader_t *self,
                                              crier_mapping_error_t *error);

//  CRIER_MAPPING_MAX_BYTES: the largest mapping document crier reads (16 MiB unless set; the
//  resolver skips a larger revision with a clear error and crier mapping put refuses it).
#define CRIER_DEFAULT_MAPPING_MAX_BYTES (16 * 1024 * 1024)
int crier_mapping_max_bytes_load (uint64_t *bytes_p);

//  NULL-safe; sets *self_p to NULL.
void crier_mapping_destroy (crier_mapping_t **self_p);

//  The document's _rev, or NULL when it has none (a file not yet stored).
const char *crier_mapping_revision (const crier_mapping_t *self);

size_t crier_mapping_group_count (const crier_mapping_t *self);

//  Targets of a group on a channel (room ids, aliases, addresses), or of a nag: count strings,
//  each NUL-terminated, one after another from first. They belong to the mapping.
typedef struct {
    const char *first;
    size_t count;
} crier_targets_t;

//  The target after target in a crier_targets_t.
const char *crier_targets_next (const char *target);

//  The targets of a group on a channel (count 0 when the group does not name the channel).
//  Returns 0, or -1 when the group is not in the mapping.
int crier_mapping_targets (const crier_mapping_t *self, const char *group, crier_channel_t channel,
                           crier_targets_t *targets);

//  A group's nag: 0 with how long its Matrix messages may stay unread, and *emails_p (may be
//  NULL) the escalation addresses (count 0 when none), or -1 when the group has no nag.
int crier_mapping_nag (const crier_mapping_t *self, const char *group, uint64_t *after_ms_p,
                       crier_targets_t *emails_p);

//  The email address of a person (a Matrix user id among "people"), or NULL.
const char *crier_mapping_person_email (const crier_mapping_t *self, const char *user);
size_t crier_mapping_person_count (const crier_mapping_t *self);
//  A group's throttle (docs/throttle.md): 0 with its window in *window_ms_p, or -1 when the
//  group has none.
int crier_mapping_throttle (const crier_mapping_t *self, const char *group, uint64_t *window_ms_p);

//  How many groups have a nag.
size_t crier_mapping_nag_count (const crier_mapping_t *self);

//  Bytes the mapping takes in memory (its tables and text), for the mapping.loaded log line.
size_t crier_mapping_memory (const crier_mapping_t *self);

//  Target syntax checks, shared with tests: 0 when valid, else -1 with a reason in message.
int crier_matrix_target_check (const char *target, char *message, size_t size);
int crier_email_address_check (const char *address, char *message, size_t size);
int crier_matrix_user_check (const char *user, char *message, size_t size);

#endif

/*  tokens.h - who may use crier-gateway (docs/http.md): bearer tokens from a file
    (CRIER_GATEWAY_TOKENS_FILE), each with a name and the groups it may send to, as a CURVE
    certificate's groups limit a ZeroMQ client. The file holds only each token's SHA-256; a
    token is compared with every entry in constant time, and never logged.

        {"tokens": [
          {"name": "ci", "sha256": "<64 hex digits>", "groups": ["#builds"]},
          {"name": "alertmanager", "sha256": "<64 hex digits>"}
        ]}

    Without "groups", a token may send to any group. */
#ifndef CRIER_TOKENS_H_INCLUDED
#define CRIER_TOKENS_H_INCLUDED

#include <stdbool.h>

typedef struct crier_tokens_t crier_tokens_t;
typedef struct crier_token_t crier_token_t;

//  Reads the file. Returns NULL after logging what is wrong with it (and where).
crier_tokens_t *crier_tokens_new (const char *path);

//  NULL-safe; sets *self_p to NULL.
void crier_tokens_destroy (crier_tokens_t **self_p);

//  Reads the file again when it changed since (or always, when forced: SIGHUP). A file that no
//  longer reads is logged and the tokens read before are kept.
void crier_tokens_refresh (crier_tokens_t *self, bool forced);

//  The token an Authorization header ("Bearer TOKEN") presents, or NULL (missing, malformed or
//  unknown: *why_p says which, for a 401).
const crier_token_t *crier_tokens_check (const crier_tokens_t *self, const char *authorization,
                                         const char **why_p);

const char *crier_token_name (const crier_token_t *token);

//  Whether the token may send to group ("#name").
bool crier_token_allows (const crier_token_t *token, const char *group);

//  How many tokens are known.
int crier_tokens_count (const crier_tokens_t *self);

#endif

/*  tokens.c - see tokens.h. */
#include "tokens.h"

#include "crier/log.h"

#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DIGEST_BYTES 32
//  A token longer than this is no token of ours (and is not hashed).
#define TOKEN_MAX_BYTES 512

struct crier_token_t {
    char *name;
    uint8_t digest[DIGEST_BYTES];
    json_t *groups; //  NULL: any group
};

struct crier_tokens_t {
    char *path;
    crier_token_t *tokens;
    int count;
    struct stat seen; //  the file when last read
};

static void s_free_tokens (crier_token_t *tokens, int count)
{
    for (int index = 0; index < count; index++) {
        free (tokens[index].name);
        json_decref (tokens[index].groups);
    }
    free (tokens);
}

static int s_hex (const char *text, uint8_t digest[DIGEST_BYTES])
{
    if (!text || strlen (text) != 2 * DIGEST_BYTES)
        return -1;
    for (int index = 0; index < DIGEST_BYTES; index++) {
        unsigned value;
        char pair[3] = {text[2 * index], text[2 * index + 1], '\0'};
        if (strspn (pair, "0123456789abcdefABCDEF") != 2 || sscanf (pair, "%2x", &value) != 1)
            return -1;
        digest[index] = (uint8_t)value;
    }
    return 0;
}

//  Logs what is wrong with the file, where.
static int s_invalid (const char *path, const char *where, const char *error)
{
    crier_log (CRIER_LOG_ERROR, "gateway.tokens_invalid", "file", path, "path", where, "error",
               error, "hint",
               "the file is {\"tokens\": [{\"name\": ..., \"sha256\": <SHA-256 of the token, "
               "hex>, \"groups\": [\"#group\", ...]}]} (docs/http.md)");
    return -1;
}

//  Reads the file into *tokens_p. Returns the count, or -1 (logged).
static int s_read (const char *path, crier_token_t **tokens_p)
{
    json_error_t error;
    json_t *document = json_load_file (path, JSON_REJECT_DUPLICATES, &error);
    if (!document) {
        char where[64];
        snprintf (where, sizeof where, "line %d", error.line);
        return s_invalid (path, where, error.text);
    }
    const json_t *list = json_object_get (document, "tokens");
    int rc = -1;
    crier_token_t *tokens = NULL;
    int count = 0;
    if (!json_is_array (list))
        rc = s_invalid (path, "tokens", "must be an array");
    else if (!(tokens = calloc (json_array_size (list) + 1, sizeof *tokens)))
        rc = s_invalid (path, "tokens", "out of memory");
    else {
        rc = 0;
        for (size_t index = 0; rc == 0 && index < json_array_size (list); index++) {
            const json_t *entry = json_array_get (list, index);
            const char *name = json_string_value (json_object_get (entry, "name"));
            const json_t *groups = json_object_get (entry, "groups");
            char where[48];
            snprintf (where, sizeof where, "tokens[%zu]", index);
            if (!name || !*name)
                rc = s_invalid (path, where, "name: required, a string");
            else if (s_hex (json_string_value (json_object_get (entry, "sha256")),
                            tokens[count].digest) != 0)
                rc = s_invalid (path, where, "sha256: required, 64 hex digits");
            else if (groups && !json_is_array (groups))
                rc = s_invalid (path, where, "groups: must be an array of \"#group\" names");
            else {
                tokens[count].name = strdup (name);
                tokens[count].groups = groups ? json_incref ((json_t *)groups) : NULL;
                count++;
            }
        }
    }
    json_decref (document);
    if (rc != 0) {
        s_free_tokens (tokens, count);
        return -1;
    }
    *tokens_p = tokens;
    return count;
}

crier_tokens_t *crier_tokens_new (const char *path)
{
    crier_tokens_t *self = calloc (1, sizeof *self);
    if (!self || !(self->path = strdup (path))) {
        free (self);
        return NULL;
    }
    stat (path, &self->seen);
    self->count = s_read (path, &self->tokens);
    if (self->count < 0)
        crier_tokens_destroy (&self);
    return self;
}

void crier_tokens_destroy (crier_tokens_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_tokens_t *self = *self_p;
    s_free_tokens (self->tokens, self->count > 0 ? self->count : 0);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void crier_tokens_refresh (crier_tokens_t *self, bool forced)
{
    struct stat now;
    if (stat (self->path, &now) != 0) {
        if (forced)
            crier_log (CRIER_LOG_ERROR, "gateway.tokens_unreadable", "file", self->path, "hint",
                       "the tokens read before stay in use");
        return;
    }
    if (!forced && now.st_mtim.tv_sec == self->seen.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == self->seen.st_mtim.tv_nsec && now.st_size == self->seen.st_size &&
        now.st_ino == self->seen.st_ino)
        return;
    self->seen = now;
    crier_token_t *tokens = NULL;
    int count = s_read (self->path, &tokens);
    if (count < 0) {
        crier_log (CRIER_LOG_WARN, "gateway.tokens_kept", "file", self->path, "tokens",
                   CRIER_LOG_INT (self->count), "hint",
                   "fix the file: the tokens read before stay");
        return;
    }
    s_free_tokens (self->tokens, self->count);
    self->tokens = tokens;
    self->count = count;
    crier_log (CRIER_LOG_INFO, "gateway.tokens_read", "file", self->path, "tokens",
               CRIER_LOG_INT (count));
}

const crier_token_t *crier_tokens_check (const crier_tokens_t *self, const char *authorization,
                                         const char **why_p)
{
    if (!authorization) {
        *why_p = "this gateway needs a token: Authorization: Bearer TOKEN";
        return NULL;
    }
    size_t length = strlen (authorization);
    if (length <= 7 || strncasecmp (authorization, "Bearer ", 7) != 0 ||
        length - 7 > TOKEN_MAX_BYTES) {
        *why_p = "the Authorization header must be: Bearer TOKEN";
        return NULL;
    }
    uint8_t digest[DIGEST_BYTES];
    if (gnutls_hash_fast (GNUTLS_DIG_SHA256, authorization + 7, length - 7, digest) != 0) {
        *why_p = "the token could not be checked";
        return NULL;
    }
    //  Every entry compared in full: how long it takes says nothing of which one matched.
    const crier_token_t *found = NULL;
    for (int index = 0; index < self->count; index++) {
        uint8_t difference = 0;
        for (int at = 0; at < DIGEST_BYTES; at++)
            difference |= (uint8_t)(digest[at] ^ self->tokens[index].digest[at]);
        if (difference == 0)
            found = &self->tokens[index];
    }
    if (!found)
        *why_p = "unknown token";
    return found;
}

const char *crier_token_name (const crier_token_t *token)
{
    return token->name;
}

bool crier_token_allows (const crier_token_t *token, const char *group)
{
    if (!token->groups)
        return true;
    for (size_t index = 0; index < json_array_size (token->groups); index++) {
        const char *allowed = json_string_value (json_array_get (token->groups, index));
        if (allowed && strcmp (allowed, group) == 0)
            return true;
    }
    return false;
}

int crier_tokens_count (const crier_tokens_t *self)
{
    return self->count;
}

/*  json_stream.h - reads JSON as a stream of tokens, for documents too large to hold as a tree.

    A thin layer over yajl (Debian's libyajl): bytes go in as they arrive, in pieces of any size,
    and each token goes at once to a consumer that keeps only what it needs. The mapping document
    is read this way (a million groups would take ten times their JSON as a jansson tree);
    json_tree.h turns the small parts a consumer wants whole into jansson values. Strings must be
    UTF-8; a \u0000 comes through as a NUL byte inside the token's length.
*/
#ifndef CRIER_JSON_STREAM_H_INCLUDED
#define CRIER_JSON_STREAM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CRIER_JSON_NULL,
    CRIER_JSON_BOOLEAN,
    CRIER_JSON_NUMBER,
    CRIER_JSON_STRING,
    CRIER_JSON_KEY,
    CRIER_JSON_OBJECT_START,
    CRIER_JSON_OBJECT_END,
    CRIER_JSON_ARRAY_START,
    CRIER_JSON_ARRAY_END
} crier_json_kind_t;

typedef struct {
    crier_json_kind_t kind;
    const char *text; //  a string's, key's or number's bytes: not NUL-terminated
    size_t length;
    bool truth; //  a boolean's value
} crier_json_token_t;

//  Takes the next token. Returns 0, or -1 to stop reading (the consumer keeps why).
typedef int (crier_json_token_fn) (const crier_json_token_t *token, void *arg);

//  "object", "array", "string", "number", "boolean" or "null": the kind of value a token
//  starts, for messages such as "must be an object, got array".
const char *crier_json_token_type (const crier_json_token_t *token);

//  A string's, key's or number's bytes as a C string (the caller frees it), or NULL when out of
//  memory. (Not strndup: the bytes need not be followed by a NUL.)
char *crier_json_token_copy (const crier_json_token_t *token);

typedef struct crier_json_stream_t crier_json_stream_t;

//  Creates a stream that gives its tokens to fn. Returns NULL when out of memory.
crier_json_stream_t *crier_json_stream_new (crier_json_token_fn *fn, void *arg);

//  NULL-safe; sets *self_p to NULL.
void crier_json_stream_destroy (crier_json_stream_t **self_p);

//  Reads the next bytes. Returns 0, or -1 when they are not JSON (what is wrong in problem) or
//  the consumer stopped (problem then says so; the consumer knows why).
int crier_json_stream_feed (crier_json_stream_t *self, const char *data, size_t size, char *problem,
                            size_t problem_size);

//  The end of the input: -1 when the value is not complete, or as crier_json_stream_feed.
int crier_json_stream_finish (crier_json_stream_t *self, char *problem, size_t problem_size);

//  How many bytes were read; after an error, the offset where it was found.
size_t crier_json_stream_offset (const crier_json_stream_t *self);

#endif

/*  json_tree.h - builds one JSON value from json_stream.h's tokens, as a jansson value.

    For the small parts of a streamed document that are easiest checked whole: one group of the
    mapping, one line of the changes feed without its document. Duplicate keys and keys holding
    a NUL are refused (jansson could not tell them apart); nesting is bounded.
*/
#ifndef CRIER_JSON_TREE_H_INCLUDED
#define CRIER_JSON_TREE_H_INCLUDED

#include "crier/json_stream.h"

#include <jansson.h>

typedef struct crier_json_tree_t crier_json_tree_t;

//  Creates a builder for values nested at most max_depth deep. NULL when out of memory.
crier_json_tree_t *crier_json_tree_new (size_t max_depth);

//  NULL-safe; sets *self_p to NULL.
void crier_json_tree_destroy (crier_json_tree_t **self_p);

//  Takes the value's next token. Returns 1 when that token completed the value (take it with
//  crier_json_tree_take), 0 while it goes on, or -1 with a reason in problem: nested too deep,
//  a duplicate key, a NUL in a key, out of memory (the builder is then empty again).
int crier_json_tree_add (crier_json_tree_t *self, const crier_json_token_t *token, char *problem,
                         size_t problem_size);

//  The completed value (the caller owns it), or NULL; the builder is empty again.
json_t *crier_json_tree_take (crier_json_tree_t *self);

//  Drops a value under construction.
void crier_json_tree_reset (crier_json_tree_t *self);

#endif

/*  json_tree.c - see json_tree.h. A stack of the open objects and arrays; a value completes
    when the stack is empty again. */
#include "crier/json_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct crier_json_tree_t {
    size_t max_depth;
    json_t **open; //  open objects and arrays, outermost first
    char **keys;   //  for each open object, the key its next value goes under
    size_t depth;
    json_t *done; //  the completed value
};

crier_json_tree_t *crier_json_tree_new (size_t max_depth)
{
    crier_json_tree_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max_depth = max_depth;
    self->open = calloc (max_depth, sizeof *self->open);
    self->keys = calloc (max_depth, sizeof *self->keys);
    if (!self->open || !self->keys)
        crier_json_tree_destroy (&self);
    return self;
}

void crier_json_tree_reset (crier_json_tree_t *self)
{
    if (self->depth > 0)
        json_decref (self->open[0]); //  holds everything below it
    for (size_t level = 0; level < self->depth; level++) {
        free (self->keys[level]);
        self->keys[level] = NULL;
    }
    self->depth = 0;
    json_decref (self->done);
    self->done = NULL;
}

void crier_json_tree_destroy (crier_json_tree_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_json_tree_t *self = *self_p;
    if (self->open && self->keys)
        crier_json_tree_reset (self);
    free (self->open);
    free (self->keys);
    free (self);
    *self_p = NULL;
}

static int s_fail (crier_json_tree_t *self, char *problem, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static int s_fail (crier_json_tree_t *self, char *problem, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (problem, size, format, args);
    va_end (args);
    crier_json_tree_reset (self);
    return -1;
}

//  A number's value from its text, read by jansson (an integer too large for it as a real).
static json_t *s_number (const char *text, size_t length)
{
    json_t *number = json_loadb (text, length, JSON_DECODE_ANY, NULL);
    if (number)
        return number;
    char copy[64];
    snprintf (copy, sizeof copy, "%.*s", (int)(length < 63 ? length : 63), text);
    return json_real (strtod (copy, NULL));
}

//  Puts value where it belongs: under the open container, or as the completed value.
static int s_place (crier_json_tree_t *self, json_t *value, char *problem, size_t size)
{
    if (!value)
        return s_fail (self, problem, size, "out of memory");
    if (self->depth == 0) {
        self->done = value;
        return 1;
    }
    json_t *container = self->open[self->depth - 1];
    int rc;
    if (json_is_array (container))
        rc = json_array_append_new (container, value);
    else {
        char *key = self->keys[self->depth - 1];
        self->keys[self->depth - 1] = NULL;
        if (key)
            rc = json_object_set_new (container, key, value); //  takes value, even failing
        else {
            json_decref (value); //  yajl gives a key first: not reached
            rc = -1;
        }
        free (key);
    }
    return rc == 0 ? 0 : s_fail (self, problem, size, "out of memory");
}

int crier_json_tree_add (crier_json_tree_t *self, const crier_json_token_t *token, char *problem,
                         size_t problem_size)
{
    switch (token->kind) {
        case CRIER_JSON_NULL:
            return s_place (self, json_null (), problem, problem_size);
        case CRIER_JSON_BOOLEAN:
            return s_place (self, json_boolean (token->truth), problem, problem_size);
        case CRIER_JSON_NUMBER:
            return s_place (self, s_number (token->text, token->length), problem, problem_size);
        case CRIER_JSON_STRING:
            return s_place (self, json_stringn (token->text, token->length), problem, problem_size);
        case CRIER_JSON_KEY: {
            if (self->depth == 0 || !json_is_object (self->open[self->depth - 1]))
                return s_fail (self, problem, problem_size, "a key outside an object");
            if (memchr (token->text, '\0', token->length))
                return s_fail (self, problem, problem_size,
                               "a key contains a NUL character (\\u0000)");
            char *key = crier_json_token_copy (token);
            if (!key)
                return s_fail (self, problem, problem_size, "out of memory");
            if (json_object_get (self->open[self->depth - 1], key)) {
                s_fail (self, problem, problem_size, "the key \"%.64s\" appears twice", key);
                free (key);
                return -1;
            }
            self->keys[self->depth - 1] = key;
            return 0;
        }
        case CRIER_JSON_OBJECT_START:
        case CRIER_JSON_ARRAY_START: {
            if (self->depth == self->max_depth)
                return s_fail (self, problem, problem_size, "nested more than %zu deep",
                               self->max_depth);
            json_t *container =
                token->kind == CRIER_JSON_OBJECT_START ? json_object () : json_array ();
            if (!container)
                return s_fail (self, problem, problem_size, "out of memory");
            //  Placed in its parent at once, so that a reset frees it with the rest.
            if (self->depth > 0 &&
                s_place (self, json_incref (container), problem, problem_size) != 0) {
                json_decref (container);
                return -1;
            }
            if (self->depth > 0)
                json_decref (container); //  its parent holds it
            self->open[self->depth++] = container;
            return 0;
        }
        case CRIER_JSON_OBJECT_END:
        case CRIER_JSON_ARRAY_END:
            if (self->depth == 0)
                return s_fail (self, problem, problem_size, "an end with nothing open");
            if (--self->depth > 0)
                return 0;
            self->done = self->open[0];
            return 1;
    }
    return s_fail (self, problem, problem_size, "unknown token");
}

json_t *crier_json_tree_take (crier_json_tree_t *self)
{
    json_t *done = self->done;
    self->done = NULL;
    return done;
}

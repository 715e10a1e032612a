/*  json_stream.c - see json_stream.h. yajl calls back for each token; this passes it on. */
#include "crier/json_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct crier_json_stream_t {
    yajl_handle parser;
    crier_json_token_fn *fn;
    void *arg;
    size_t offset; //  bytes read before the current piece
    bool stopped;  //  the consumer said stop
};

static int s_pass (crier_json_stream_t *self, crier_json_kind_t kind, const void *text,
                   size_t length, bool truth)
{
    crier_json_token_t token = {.kind = kind, .text = text, .length = length, .truth = truth};
    if (self->fn (&token, self->arg) == 0)
        return 1; //  yajl: go on
    self->stopped = true;
    return 0;
}

static int s_on_null (void *self)
{
    return s_pass (self, CRIER_JSON_NULL, NULL, 0, false);
}

static int s_on_boolean (void *self, int truth)
{
    return s_pass (self, CRIER_JSON_BOOLEAN, NULL, 0, truth != 0);
}

static int s_on_number (void *self, const char *text, size_t length)
{
    return s_pass (self, CRIER_JSON_NUMBER, text, length, false);
}

static int s_on_string (void *self, const unsigned char *text, size_t length)
{
    return s_pass (self, CRIER_JSON_STRING, text, length, false);
}

static int s_on_key (void *self, const unsigned char *text, size_t length)
{
    return s_pass (self, CRIER_JSON_KEY, text, length, false);
}

static int s_on_object_start (void *self)
{
    return s_pass (self, CRIER_JSON_OBJECT_START, NULL, 0, false);
}

static int s_on_object_end (void *self)
{
    return s_pass (self, CRIER_JSON_OBJECT_END, NULL, 0, false);
}

static int s_on_array_start (void *self)
{
    return s_pass (self, CRIER_JSON_ARRAY_START, NULL, 0, false);
}

static int s_on_array_end (void *self)
{
    return s_pass (self, CRIER_JSON_ARRAY_END, NULL, 0, false);
}

//  Numbers come as their text (yajl_number), so a large one is no error.
static const yajl_callbacks s_callbacks = {
    .yajl_null = s_on_null,
    .yajl_boolean = s_on_boolean,
    .yajl_number = s_on_number,
    .yajl_string = s_on_string,
    .yajl_start_map = s_on_object_start,
    .yajl_map_key = s_on_key,
    .yajl_end_map = s_on_object_end,
    .yajl_start_array = s_on_array_start,
    .yajl_end_array = s_on_array_end,
};

const char *crier_json_token_type (const crier_json_token_t *token)
{
    switch (token->kind) {
        case CRIER_JSON_OBJECT_START:
            return "object";
        case CRIER_JSON_ARRAY_START:
            return "array";
        case CRIER_JSON_STRING:
            return "string";
        case CRIER_JSON_NUMBER:
            return "number";
        case CRIER_JSON_BOOLEAN:
            return "boolean";
        case CRIER_JSON_NULL:
            return "null";
        default:
            return "not a value";
    }
}

char *crier_json_token_copy (const crier_json_token_t *token)
{
    char *copy = malloc (token->length + 1);
    if (copy) {
        if (token->length)
            memcpy (copy, token->text, token->length);
        copy[token->length] = '\0';
    }
    return copy;
}

crier_json_stream_t *crier_json_stream_new (crier_json_token_fn *fn, void *arg)
{
    crier_json_stream_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fn = fn;
    self->arg = arg;
    self->parser = yajl_alloc (&s_callbacks, NULL, self);
    if (!self->parser)
        crier_json_stream_destroy (&self);
    return self;
}

void crier_json_stream_destroy (crier_json_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->parser)
        yajl_free ((*self_p)->parser);
    free (*self_p);
    *self_p = NULL;
}

//  After yajl_parse or yajl_complete_parse: 0, or -1 with problem.
static int s_status (crier_json_stream_t *self, yajl_status status, size_t size, char *problem,
                     size_t problem_size)
{
    if (status == yajl_status_ok) {
        self->offset += size;
        return 0;
    }
    if (size > 0) //  yajl_complete_parse reads no new bytes
        self->offset += yajl_get_bytes_consumed (self->parser);
    if (self->stopped || status == yajl_status_client_canceled) {
        snprintf (problem, problem_size, "stopped by its reader");
        return -1;
    }
    unsigned char *message = yajl_get_error (self->parser, 0, NULL, 0);
    //  yajl says "parse error: invalid object key (must be a string)\n".
    snprintf (problem, problem_size, "%s", message ? (const char *)message : "not valid JSON");
    for (char *end = problem; *end; end++)
        if (*end == '\n')
            *end = '\0';
    if (message)
        yajl_free_error (self->parser, message);
    return -1;
}

int crier_json_stream_feed (crier_json_stream_t *self, const char *data, size_t size, char *problem,
                            size_t problem_size)
{
    yajl_status status = yajl_parse (self->parser, (const unsigned char *)data, size);
    return s_status (self, status, size, problem, problem_size);
}

int crier_json_stream_finish (crier_json_stream_t *self, char *problem, size_t problem_size)
{
    return s_status (self, yajl_complete_parse (self->parser), 0, problem, problem_size);
}

size_t crier_json_stream_offset (const crier_json_stream_t *self)
{
    return self->offset;
}

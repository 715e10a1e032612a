/*  changes_parser.c - see changes_parser.h. Each line is a token stream (json_stream.h): its
    "doc" member goes to a mapping reader, everything else into a small jansson object read once
    the line ends. */
#include "changes_parser.h"

#include "crier/json_stream.h"
#include "crier/json_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A line without its document nests only a few levels ("changes": [{"rev": ...}]).
#define ENVELOPE_MAX_DEPTH 16

struct crier_changes_parser_t {
    size_t max_line;
    crier_json_stream_t *stream; //  the current line's, NULL before its first byte
    crier_json_tree_t *envelope; //  the line without "doc"
    crier_mapping_reader_t *doc; //  reads "doc"
    size_t length;               //  bytes of the current line so far
    size_t depth;                //  objects and arrays open in the line
    bool in_doc;                 //  tokens belong to "doc"
    bool has_doc;                //  the line has "doc"
    bool content;                //  the line has more than white space
    bool skipping;               //  over max_line: its bytes are dropped until its newline
    char refused[160];           //  why a token was refused
};

crier_changes_parser_t *crier_changes_parser_new (size_t max_line)
{
    crier_changes_parser_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max_line = max_line;
    self->envelope = crier_json_tree_new (ENVELOPE_MAX_DEPTH);
    self->doc = crier_mapping_reader_new ();
    if (!self->envelope || !self->doc)
        crier_changes_parser_destroy (&self);
    return self;
}

void crier_changes_parser_reset (crier_changes_parser_t *self)
{
    crier_json_stream_destroy (&self->stream);
    crier_json_tree_reset (self->envelope);
    crier_mapping_error_t ignored;
    crier_mapping_t *partial = crier_mapping_reader_finish (self->doc, &ignored);
    crier_mapping_destroy (&partial);
    self->length = self->depth = 0;
    self->in_doc = self->has_doc = self->content = self->skipping = false;
    self->refused[0] = '\0';
}

void crier_changes_parser_destroy (crier_changes_parser_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_changes_parser_t *self = *self_p;
    crier_json_stream_destroy (&self->stream);
    crier_json_tree_destroy (&self->envelope);
    crier_mapping_reader_destroy (&self->doc);
    free (self);
    *self_p = NULL;
}

static int s_fail (char *problem, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_fail (char *problem, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (problem, size, format, args);
    va_end (args);
    return -1;
}

//  Each token of the line: "doc" and what is inside it to the mapping reader, the rest to the
//  envelope.
static int s_on_token (const crier_json_token_t *token, void *arg)
{
    crier_changes_parser_t *self = arg;
    bool opens = token->kind == CRIER_JSON_OBJECT_START || token->kind == CRIER_JSON_ARRAY_START;
    bool closes = token->kind == CRIER_JSON_OBJECT_END || token->kind == CRIER_JSON_ARRAY_END;
    if (closes && self->depth > 0)
        self->depth--;
    int rc = 0;
    if (self->in_doc) {
        rc = crier_mapping_reader_take (self->doc, token);
        //  The document's value ends back at the line's own depth.
        self->in_doc = self->depth > 1 || (opens && self->depth == 1);
        if (rc != 0)
            snprintf (self->refused, sizeof self->refused, "out of memory");
    } else if (self->depth == 1 && token->kind == CRIER_JSON_KEY && token->length == 3 &&
               memcmp (token->text, "doc", 3) == 0 && !self->has_doc) {
        self->in_doc = self->has_doc = true;
    } else if (crier_json_tree_add (self->envelope, token, self->refused, sizeof self->refused) < 0)
        rc = -1;
    if (opens)
        self->depth++;
    return rc;
}

//  The envelope of a complete line, with its document read.
static int s_read_line (crier_changes_parser_t *self, crier_change_fn *fn, void *arg, char *problem,
                        size_t problem_size)
{
    char syntax[160];
    if (crier_json_stream_finish (self->stream, syntax, sizeof syntax) != 0)
        return s_fail (problem, problem_size, "a feed line is not a JSON object: %s",
                       self->refused[0] ? self->refused : syntax);
    json_t *object = crier_json_tree_take (self->envelope);
    if (!json_is_object (object)) {
        json_decref (object);
        return s_fail (problem, problem_size, "a feed line is not a JSON object: %s",
                       self->has_doc ? "an array with a doc key" : "wrong type");
    }
    int rc = 0;
    json_t *error = json_object_get (object, "error");
    crier_mapping_error_t doc_error = {.path = "(document)"};
    crier_change_t change = {.seq = json_object_get (object, "seq"), .has_doc = self->has_doc};
    if (error) {
        char detail[160];
        snprintf (detail, sizeof detail, "%s: %s", json_string_value (error),
                  json_string_value (json_object_get (object, "reason")));
        rc = s_fail (problem, problem_size, "the server reported %s", detail);
    } else if (json_object_get (object, "last_seq")) {
        change.kind = CRIER_CHANGE_LAST_SEQ;
        change.seq = json_object_get (object, "last_seq");
        fn (&change, arg);
    } else if (change.seq && json_is_string (json_object_get (object, "id"))) {
        change.kind = CRIER_CHANGE_DOCUMENT;
        change.id = json_string_value (json_object_get (object, "id"));
        change.deleted = json_is_true (json_object_get (object, "deleted"));
        char *revision = NULL;
        if (self->has_doc) {
            const char *read = crier_mapping_reader_revision (self->doc);
            revision = read ? strdup (read) : NULL;
            change.revision = revision;
            change.mapping = crier_mapping_reader_finish (self->doc, &doc_error);
            change.error = change.mapping ? NULL : &doc_error;
        }
        fn (&change, arg);
        crier_mapping_destroy (&change.mapping);
        free (revision);
    } else
        rc =
            s_fail (problem, problem_size, "%s", "a feed line has neither seq and id nor last_seq");
    json_decref (object);
    return rc;
}

//  Bytes of the current line (without its newline).
static int s_take (crier_changes_parser_t *self, const char *data, size_t size, char *problem,
                   size_t problem_size)
{
    self->length += size;
    if (self->length > self->max_line) {
        //  Too large to read: dropped, not kept, and the feed goes on (reconnecting would only
        //  download it again).
        crier_changes_parser_reset (self);
        self->skipping = true;
        return 0;
    }
    for (size_t at = 0; at < size && !self->content; at++)
        self->content = data[at] != ' ' && data[at] != '\r' && data[at] != '\t';
    if (!self->content)
        return 0; //  a heartbeat so far
    if (!self->stream && !(self->stream = crier_json_stream_new (s_on_token, self)))
        return s_fail (problem, problem_size, "out of memory");
    char syntax[160];
    if (crier_json_stream_feed (self->stream, data, size, syntax, sizeof syntax) != 0)
        return s_fail (problem, problem_size, "a feed line is not a JSON object: %s",
                       self->refused[0] ? self->refused : syntax);
    return 0;
}

int crier_changes_parser_feed (crier_changes_parser_t *self, const char *data, size_t size,
                               crier_change_fn *fn, void *arg, char *problem, size_t problem_size)
{
    int lines = 0;
    while (size > 0) {
        const char *newline = memchr (data, '\n', size);
        size_t piece = newline ? (size_t)(newline - data) : size;
        int rc = self->skipping ? 0 : s_take (self, data, piece, problem, problem_size);
        if (rc == 0 && newline) {
            lines++;
            if (self->skipping) {
                crier_change_t change = {.kind = CRIER_CHANGE_TOO_LARGE};
                fn (&change, arg);
            } else if (self->content)
                rc = s_read_line (self, fn, arg, problem, problem_size);
            crier_changes_parser_reset (self);
        }
        if (rc != 0) {
            crier_changes_parser_reset (self);
            return -1;
        }
        if (!newline)
            break;
        data += piece + 1;
        size -= piece + 1;
    }
    return lines;
}

char *crier_change_seq_text (const json_t *seq)
{
    if (!seq)
        return NULL;
    if (json_is_string (seq))
        return strdup (json_string_value (seq));
    return json_dumps (seq, JSON_ENCODE_ANY | JSON_COMPACT);
}

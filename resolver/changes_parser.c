/*  changes_parser.c - see changes_parser.h. JSON is read with jansson. */
#include "changes_parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct crier_changes_parser_t {
    char *line; //  bytes of the line not yet complete
    size_t length;
    size_t capacity;
    size_t max_line;
    bool skipping; //  inside a line over max_line: its bytes are dropped until its newline
};

crier_changes_parser_t *crier_changes_parser_new (size_t max_line)
{
    crier_changes_parser_t *self = calloc (1, sizeof *self);
    if (self)
        self->max_line = max_line;
    return self;
}

void crier_changes_parser_destroy (crier_changes_parser_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->line);
    free (*self_p);
    *self_p = NULL;
}

void crier_changes_parser_reset (crier_changes_parser_t *self)
{
    self->length = 0;
    self->skipping = false;
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

//  Reads one complete line (without its newline).
static int s_read_line (const char *line, size_t length, crier_change_fn *fn, void *arg,
                        char *problem, size_t problem_size)
{
    while (length > 0 && (line[length - 1] == '\r' || line[length - 1] == ' '))
        length--;
    if (length == 0)
        return 0; //  heartbeat
    json_error_t json_error;
    json_t *object = json_loadb (line, length, JSON_ALLOW_NUL, &json_error);
    if (!json_is_object (object)) {
        json_decref (object);
        return s_fail (problem, problem_size, "a feed line is not a JSON object: %s",
                       object ? "wrong type" : json_error.text);
    }
    int rc = 0;
    json_t *error = json_object_get (object, "error");
    crier_change_t change = {.seq = json_object_get (object, "seq")};
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
        change.doc = json_object_get (object, "doc");
        fn (&change, arg);
    } else
        rc =
            s_fail (problem, problem_size, "%s", "a feed line has neither seq and id nor last_seq");
    json_decref (object);
    return rc;
}

int crier_changes_parser_feed (crier_changes_parser_t *self, const char *data, size_t size,
                               crier_change_fn *fn, void *arg, char *problem, size_t problem_size)
{
    int lines = 0;
    while (size > 0) {
        const char *newline = memchr (data, '\n', size);
        size_t piece = newline ? (size_t)(newline - data) : size;
        if (!self->skipping && self->length + piece > self->max_line) {
            //  Too large to read: dropped, not kept, and the feed goes on (reconnecting would
            //  only download it again).
            self->skipping = true;
            self->length = 0;
        }
        if (self->skipping) {
            if (newline) {
                self->skipping = false;
                lines++;
                crier_change_t change = {.kind = CRIER_CHANGE_TOO_LARGE};
                fn (&change, arg);
            }
        } else if (self->length == 0 && newline) {
            lines++;
            //  A whole line in this piece: read it in place.
            if (s_read_line (data, piece, fn, arg, problem, problem_size) != 0)
                return -1;
        } else {
            if (self->length + piece > self->capacity) {
                size_t capacity = self->capacity ? self->capacity : 4096;
                while (capacity < self->length + piece)
                    capacity *= 2;
                char *line = realloc (self->line, capacity);
                if (!line)
                    return s_fail (problem, problem_size, "%s", "out of memory");
                self->line = line;
                self->capacity = capacity;
            }
            memcpy (self->line + self->length, data, piece);
            self->length += piece;
            if (newline) {
                lines++;
                size_t length = self->length;
                self->length = 0;
                if (s_read_line (self->line, length, fn, arg, problem, problem_size) != 0)
                    return -1;
            }
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

/*  changes_parser.h - reads CouchDB's continuous _changes feed, however its bytes arrive.

    The feed is one JSON object per line; a bare newline is a heartbeat; the server may end it
    with {"last_seq": ...}. Bytes arrive in arbitrary pieces, so a line may be split across
    reads. seq values are opaque (CouchDB 3 sends strings, pouchdb-server integers) and are kept
    exactly as received. A line is read as a stream of tokens as its bytes come, never kept
    whole: its included "doc" goes straight into a mapping reader (mapping.h), so a mapping of a
    million groups costs its compact form, not its line and a tree of it.
*/
#ifndef CRIER_CHANGES_PARSER_H_INCLUDED
#define CRIER_CHANGES_PARSER_H_INCLUDED

#include "crier/mapping.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CRIER_CHANGE_DOCUMENT, //  a revision of a document (doc is included)
    CRIER_CHANGE_LAST_SEQ, //  the server ended the feed
    CRIER_CHANGE_TOO_LARGE //  a line over the limit, skipped whole: nothing of it is known
} crier_change_kind_t;

typedef struct {
    crier_change_kind_t kind;
    const json_t *seq;        //  as received: a string, a number or (CouchDB 1.x) an array
    const char *id;           //  the document id (CRIER_CHANGE_DOCUMENT)
    bool deleted;             //  the document was deleted
    bool has_doc;             //  the line included the document
    const char *revision;     //  the included document's _rev, or NULL
    crier_mapping_t *mapping; //  the document read as a mapping: the callback may take it
                              //  (and set this to NULL), else it is freed after the call
    const crier_mapping_error_t *error; //  why mapping is NULL when has_doc
} crier_change_t;

typedef void (crier_change_fn) (crier_change_t *change, void *arg);

typedef struct crier_changes_parser_t crier_changes_parser_t;

//  Creates a parser that skips lines over max_line bytes (CRIER_CHANGE_TOO_LARGE) without
//  keeping them. Returns NULL when out of memory.
crier_changes_parser_t *crier_changes_parser_new (size_t max_line);

void crier_changes_parser_destroy (crier_changes_parser_t **self_p);

//  Forgets a partial line (after a reconnection).
void crier_changes_parser_reset (crier_changes_parser_t *self);

//  Takes the next bytes of the feed and calls fn for each complete change line. Returns how many
//  lines ended in these bytes (heartbeats and skipped lines too: the feed is alive), or -1 with
//  a reason in problem when a line is not JSON, or an error object such as
//  {"error": "unauthorized", "reason": ...}; the caller then reconnects. A \u0000 in a string
//  value is read (the mapping's validation refuses it with its path). A line over max_line
//  bytes is dropped as it comes (CRIER_CHANGE_TOO_LARGE at its end).
int crier_changes_parser_feed (crier_changes_parser_t *self, const char *data, size_t size,
                               crier_change_fn *fn, void *arg, char *problem, size_t problem_size);

//  A seq as it goes back into since=: a string's own text, anything else as compact JSON.
//  Caller frees; NULL when out of memory.
char *crier_change_seq_text (const json_t *seq);

#endif

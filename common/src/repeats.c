/*  repeats.c - see repeats.h. */
#include "crier/repeats.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

//  The key that new keys share when max_keys are tracked.
#define SHARED_KEY "(many)"

typedef struct {
    int64_t said_at; //  when an occurrence was last said: the interval starts there
    uint64_t unsaid; //  occurrences since, counted only
} entry_t;

struct crier_repeats_t {
    uint64_t interval_ms;
    size_t max_keys;
    zhashx_t *entries; //  key -> entry_t
};

static void s_free (void **item)
{
    free (*item);
    *item = NULL;
}

crier_repeats_t *crier_repeats_new (uint64_t interval_ms, size_t max_keys)
{
    crier_repeats_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->interval_ms = interval_ms;
    self->max_keys = max_keys;
    self->entries = zhashx_new ();
    if (!self->entries) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_free);
    return self;
}

void crier_repeats_destroy (crier_repeats_t **self_p)
{
    if (!*self_p)
        return;
    zhashx_destroy (&(*self_p)->entries);
    free (*self_p);
    *self_p = NULL;
}

bool crier_repeats_occur (crier_repeats_t *self, const char *key, int64_t now_ms,
                          uint64_t *unsaid_p)
{
    *unsaid_p = 0;
    entry_t *entry = zhashx_lookup (self->entries, key);
    if (!entry && zhashx_size (self->entries) >= self->max_keys) {
        key = SHARED_KEY;
        entry = zhashx_lookup (self->entries, key);
    }
    if (!entry) {
        entry = calloc (1, sizeof *entry);
        if (!entry)
            return true; //  out of memory: say it, as without this module
        entry->said_at = now_ms;
        zhashx_insert (self->entries, key, entry);
        return true;
    }
    if (now_ms - entry->said_at < (int64_t)self->interval_ms) {
        entry->unsaid++;
        return false;
    }
    *unsaid_p = entry->unsaid;
    entry->unsaid = 0;
    entry->said_at = now_ms;
    return true;
}

void crier_repeats_flush (crier_repeats_t *self, int64_t now_ms, crier_repeats_fn *fn, void *arg)
{
    zlistx_t *over = zlistx_new (); //  copies of the keys to forget
    if (!over)
        return;
    zlistx_set_duplicator (over, (zlistx_duplicator_fn *)strdup);
    zlistx_set_destructor (over, (zlistx_destructor_fn *)zstr_free);
    for (entry_t *entry = zhashx_first (self->entries); entry;
         entry = zhashx_next (self->entries)) {
        if (now_ms - entry->said_at < (int64_t)self->interval_ms)
            continue;
        if (entry->unsaid > 0)
            fn (zhashx_cursor (self->entries), entry->unsaid, arg);
        //  Said, or quiet for a whole interval: the next occurrence starts afresh.
        zlistx_add_end (over, (void *)zhashx_cursor (self->entries));
    }
    for (const char *key = zlistx_first (over); key; key = zlistx_next (over))
        zhashx_delete (self->entries, key);
    zlistx_destroy (&over);
}

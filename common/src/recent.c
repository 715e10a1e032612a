/*  recent.c - see recent.h. */
#include "crier/recent.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t at_ms;
    uint64_t value;
    char id[]; //  the hash's key too (not copied again)
} entry_t;

struct crier_recent_t {
    size_t max;
    int64_t keep_ms;
    zhashx_t *ids;   //  id -> entry_t (owned by order)
    zlistx_t *order; //  entry_t, oldest first
};

static void s_entry_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

crier_recent_t *crier_recent_new (size_t max, int64_t keep_ms)
{
    crier_recent_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max = max;
    self->keep_ms = keep_ms;
    self->ids = zhashx_new ();
    self->order = zlistx_new ();
    if (!self->ids || !self->order) {
        crier_recent_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->order, s_entry_destroy);
    zhashx_set_key_duplicator (self->ids, NULL);
    zhashx_set_key_destructor (self->ids, NULL);
    return self;
}

void crier_recent_destroy (crier_recent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_recent_t *self = *self_p;
    zhashx_destroy (&self->ids);
    zlistx_destroy (&self->order);
    free (self);
    *self_p = NULL;
}

static void s_forget_old (crier_recent_t *self, int64_t now_ms)
{
    entry_t *oldest = zlistx_first (self->order);
    while (oldest &&
           (now_ms - oldest->at_ms > self->keep_ms || zlistx_size (self->order) > self->max)) {
        zhashx_delete (self->ids, oldest->id);
        zlistx_delete (self->order, zlistx_cursor (self->order));
        oldest = zlistx_first (self->order);
    }
}

void crier_recent_add (crier_recent_t *self, const char *id, int64_t at_ms)
{
    crier_recent_add_value (self, id, at_ms, 0);
}

void crier_recent_add_value (crier_recent_t *self, const char *id, int64_t at_ms, uint64_t value)
{
    if (zhashx_lookup (self->ids, id))
        return;
    size_t length = strlen (id);
    entry_t *entry = malloc (sizeof *entry + length + 1);
    if (!entry)
        return; //  out of memory: only a duplicate caught less
    memcpy (entry->id, id, length + 1);
    entry->at_ms = at_ms;
    entry->value = value;
    zlistx_add_end (self->order, entry);
    zhashx_insert (self->ids, entry->id, entry);
    s_forget_old (self, at_ms);
}

bool crier_recent_has (crier_recent_t *self, const char *id, int64_t now_ms)
{
    return crier_recent_get (self, id, now_ms, NULL);
}

bool crier_recent_get (crier_recent_t *self, const char *id, int64_t now_ms, uint64_t *value_p)
{
    s_forget_old (self, now_ms);
    const entry_t *entry = zhashx_lookup (self->ids, id);
    if (entry && value_p)
        *value_p = entry->value;
    return entry != NULL;
}

void crier_recent_each (crier_recent_t *self, int64_t now_ms, crier_recent_fn *fn, void *arg)
{
    s_forget_old (self, now_ms);
    for (entry_t *entry = zlistx_first (self->order); entry; entry = zlistx_next (self->order))
        fn (entry->id, entry->at_ms, arg);
}

size_t crier_recent_size (const crier_recent_t *self)
{
    return zlistx_size (self->order);
}

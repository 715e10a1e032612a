/*  waiters.c - see waiters.h. */
#include "waiters.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    zmsg_t *envelope;
    char *id;
    char *given_id;
    int64_t deadline_ms;
} waiter_t;

struct crier_waiters_t {
    size_t max;
    size_t count;
    zhashx_t *by_id; //  id -> zlistx_t of waiter_t
};

static void s_waiter_destroy (void **item)
{
    waiter_t *waiter = *item;
    if (!waiter)
        return;
    zmsg_destroy (&waiter->envelope);
    free (waiter->id);
    free (waiter->given_id);
    free (waiter);
    *item = NULL;
}

static void s_list_destroy (void **item)
{
    zlistx_destroy ((zlistx_t **)item);
}

crier_waiters_t *crier_waiters_new (size_t max)
{
    crier_waiters_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max = max;
    self->by_id = zhashx_new ();
    if (!self->by_id) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->by_id, s_list_destroy);
    return self;
}

void crier_waiters_destroy (crier_waiters_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->by_id);
    free (*self_p);
    *self_p = NULL;
}

int crier_waiters_add (crier_waiters_t *self, const char *id, const char *given_id,
                       zmsg_t **envelope_p, int64_t deadline_ms)
{
    if (self->count >= self->max)
        return -1;
    zlistx_t *list = zhashx_lookup (self->by_id, id);
    if (!list) {
        list = zlistx_new ();
        if (!list)
            return -1;
        zlistx_set_destructor (list, s_waiter_destroy);
        if (zhashx_insert (self->by_id, id, list) != 0) {
            zlistx_destroy (&list);
            return -1;
        }
    }
    waiter_t *waiter = calloc (1, sizeof *waiter);
    if (waiter) {
        waiter->id = strdup (id);
        waiter->given_id = strdup (given_id);
        waiter->deadline_ms = deadline_ms;
    }
    if (!waiter || !waiter->id || !waiter->given_id || !zlistx_add_end (list, waiter)) {
        void *item = waiter;
        if (waiter)
            waiter->envelope = NULL; //  still the caller's
        s_waiter_destroy (&item);
        if (zlistx_size (list) == 0)
            zhashx_delete (self->by_id, id);
        return -1;
    }
    waiter->envelope = *envelope_p;
    *envelope_p = NULL;
    self->count++;
    return 0;
}

bool crier_waiters_waiting (crier_waiters_t *self, const char *id)
{
    return self->count > 0 && zhashx_lookup (self->by_id, id) != NULL;
}

static void s_let_go (crier_waiters_t *self, zlistx_t *list, void *handle, crier_waiters_fn *fn,
                      void *arg)
{
    waiter_t *waiter = zlistx_handle_item (handle);
    fn (&waiter->envelope, waiter->id, waiter->given_id, arg);
    zlistx_delete (list, handle);
    self->count--;
}

void crier_waiters_release (crier_waiters_t *self, const char *id, crier_waiters_fn *fn, void *arg)
{
    zlistx_t *list = zhashx_lookup (self->by_id, id);
    if (!list)
        return;
    while (zlistx_first (list))
        s_let_go (self, list, zlistx_cursor (list), fn, arg);
    zhashx_delete (self->by_id, id);
}

void crier_waiters_expire (crier_waiters_t *self, int64_t now_ms, crier_waiters_fn *fn, void *arg)
{
    if (self->count == 0)
        return;
    //  The ids left without requests, removed after the walk (not during it).
    zlistx_t *emptied = zlistx_new ();
    if (emptied) {
        zlistx_set_duplicator (emptied, (zlistx_duplicator_fn *)strdup);
        zlistx_set_destructor (emptied, (zlistx_destructor_fn *)zstr_free);
    }
    for (zlistx_t *list = zhashx_first (self->by_id); list; list = zhashx_next (self->by_id)) {
        void *handle = zlistx_first (list) ? zlistx_cursor (list) : NULL;
        while (handle) {
            void *next = zlistx_next (list) ? zlistx_cursor (list) : NULL;
            waiter_t *waiter = zlistx_handle_item (handle);
            if (waiter->deadline_ms <= now_ms)
                s_let_go (self, list, handle, fn, arg);
            handle = next;
        }
        if (zlistx_size (list) == 0 && emptied)
            zlistx_add_end (emptied, (void *)zhashx_cursor (self->by_id));
    }
    for (const char *id = emptied ? zlistx_first (emptied) : NULL; id; id = zlistx_next (emptied))
        zhashx_delete (self->by_id, id);
    zlistx_destroy (&emptied);
}

size_t crier_waiters_count (const crier_waiters_t *self)
{
    return self->count;
}

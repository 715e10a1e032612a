/*  paced.c - see paced.h. */
#include "crier/paced.h"

#include <stdlib.h>

struct crier_paced_t {
    zloop_t *loop;
    zsock_t *socket;
    size_t interval_ms;
    crier_paced_fn *fn;
    void *arg;
    int timer_id; //  resting until it fires, or -1 while watching
};

static int s_on_rested (zloop_t *loop, int timer_id, void *arg);

static int s_on_readable (zloop_t *loop, zsock_t *socket, void *arg)
{
    crier_paced_t *self = arg;
    self->fn (socket, self->arg);
    zloop_reader_end (loop, socket);
    self->timer_id = zloop_timer (loop, self->interval_ms, 1, s_on_rested, self);
    return self->timer_id == -1 ? -1 : 0;
}

static int s_on_rested (zloop_t *loop, int timer_id, void *arg)
{
    crier_paced_t *self = arg;
    self->timer_id = -1;
    return zloop_reader (loop, self->socket, s_on_readable, self);
}

crier_paced_t *crier_paced_new (zloop_t *loop, zsock_t *socket, size_t interval_ms,
                                crier_paced_fn *fn, void *arg)
{
    crier_paced_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    *self = (crier_paced_t){loop, socket, interval_ms, fn, arg, -1};
    if (zloop_reader (loop, socket, s_on_readable, self) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

void crier_paced_destroy (crier_paced_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_paced_t *self = *self_p;
    if (self->timer_id != -1)
        zloop_timer_end (self->loop, self->timer_id);
    else
        zloop_reader_end (self->loop, self->socket);
    free (self);
    *self_p = NULL;
}

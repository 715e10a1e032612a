/*  event_batch.c - see event_batch.h. */
#include "crier/event_batch.h"

#include <stdlib.h>
#include <string.h>

//  Event types are short ("delivery.delivered"): kept in place, not allocated per event.
#define TYPE_BYTES 48

typedef struct {
    char type[TYPE_BYTES];
    char *data;
    size_t size;
} waiting_t;

struct crier_event_batch_t {
    zloop_t *loop;
    zsock_t *publisher;
    int delay_ms;
    int timer_id; //  armed while events wait; -1 otherwise
    waiting_t *events;
    size_t count;
    size_t max;
};

crier_event_batch_t *crier_event_batch_new (zloop_t *loop, zsock_t *publisher, int delay_ms,
                                            size_t max)
{
    crier_event_batch_t *self = calloc (1, sizeof *self);
    if (self)
        self->events = calloc (max ? max : 1, sizeof *self->events);
    if (!self || !self->events) {
        free (self);
        return NULL;
    }
    self->loop = loop;
    self->publisher = publisher;
    self->delay_ms = delay_ms;
    self->timer_id = -1;
    self->max = max ? max : 1;
    return self;
}

void crier_event_batch_flush (crier_event_batch_t *self)
{
    for (size_t index = 0; index < self->count; index++) {
        waiting_t *event = &self->events[index];
        crier_event_send_encoded (self->publisher, event->type, event->data, event->size);
        free (event->data);
    }
    self->count = 0;
    if (self->timer_id != -1) {
        zloop_timer_end (self->loop, self->timer_id);
        self->timer_id = -1;
    }
}

static int s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    crier_event_batch_t *self = arg;
    self->timer_id = -1; //  a one-shot timer: zloop forgets it
    crier_event_batch_flush (self);
    return 0;
}

void crier_event_batch_send (crier_event_batch_t *self, crier_event_t **event_p)
{
    waiting_t event;
    const char *type = crier_event_type (*event_p);
    //  A type too long to keep here, or no memory to encode: sent at once.
    if (strlen (type) >= TYPE_BYTES ||
        crier_event_encode (*event_p, 0, &event.data, &event.size) != 0) {
        crier_event_send (event_p, self->publisher);
        return;
    }
    memcpy (event.type, type, strlen (type) + 1);
    crier_event_destroy (event_p);
    self->events[self->count++] = event;
    if (self->count == self->max)
        crier_event_batch_flush (self);
    else if (self->timer_id == -1) {
        self->timer_id = zloop_timer (self->loop, (size_t)self->delay_ms, 1, s_on_timer, self);
        if (self->timer_id == -1)
            crier_event_batch_flush (self);
    }
}

size_t crier_event_batch_waiting (const crier_event_batch_t *self)
{
    return self->count;
}

void crier_event_batch_destroy (crier_event_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_event_batch_t *self = *self_p;
    crier_event_batch_flush (self);
    free (self->events);
    free (self);
    *self_p = NULL;
}

/*  delivery_queue.c - see delivery_queue.h. */
#include "delivery_queue.h"

#include "crier/array.h"
#include "crier/socket.h"

#include <stdlib.h>

typedef struct {
    char *frame;
    size_t size;
} waiting_t;

struct crier_delivery_queue_t {
    waiting_t *frames;
    size_t capacity;
    size_t count; //  frames[next .. count) wait
    size_t next;
    int64_t stuck_since;
};

crier_delivery_queue_t *crier_delivery_queue_new (void)
{
    return calloc (1, sizeof (crier_delivery_queue_t));
}

void crier_delivery_queue_destroy (crier_delivery_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_delivery_queue_t *self = *self_p;
    for (size_t index = self->next; index < self->count; index++)
        free (self->frames[index].frame);
    free (self->frames);
    free (self);
    *self_p = NULL;
}

int crier_delivery_queue_add (crier_delivery_queue_t *self, char *frame, size_t size)
{
    if (crier_array_reserve (&self->frames, &self->capacity, self->count, sizeof *self->frames,
                             64) != 0) {
        free (frame);
        return -1;
    }
    self->frames[self->count++] = (waiting_t){frame, size};
    return 0;
}

//  Forgets the sent frames once none wait, so that the array is reused from the start.
static void s_reset_if_empty (crier_delivery_queue_t *self)
{
    if (self->next == self->count) {
        self->next = self->count = 0;
        self->stuck_since = 0;
    }
}

size_t crier_delivery_queue_flush (crier_delivery_queue_t *self, zsock_t *socket, int64_t now_ms)
{
    size_t sent = 0;
    while (self->next < self->count) {
        waiting_t *waiting = &self->frames[self->next];
        if (crier_socket_send (socket, waiting->frame, waiting->size, ZMQ_DONTWAIT) != 0)
            break;
        free (waiting->frame);
        self->next++;
        sent++;
    }
    s_reset_if_empty (self);
    //  Frames still wait: the socket is stuck from now, unless it was already and took none.
    if (self->next < self->count && (sent > 0 || self->stuck_since == 0))
        self->stuck_since = now_ms;
    return sent;
}

size_t crier_delivery_queue_count (const crier_delivery_queue_t *self)
{
    return self->count - self->next;
}

int64_t crier_delivery_queue_stuck_since (const crier_delivery_queue_t *self)
{
    return self->stuck_since;
}

char *crier_delivery_queue_take (crier_delivery_queue_t *self, size_t *size_p)
{
    if (self->next == self->count)
        return NULL;
    waiting_t waiting = self->frames[self->next++];
    s_reset_if_empty (self);
    *size_p = waiting.size;
    return waiting.frame;
}

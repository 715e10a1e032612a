/*  msgpack_write.c - see msgpack_write.h. */
#include "msgpack_write.h"

#include <stdlib.h>

//  msgpack-c starts a buffer at 8 KiB; crier's frames and events are mostly a few hundred
//  bytes, so a writer starts at this and doubles from there.
#define FIRST_BYTES 256

static int s_write (void *data, const char *bytes, size_t length)
{
    crier_msgpack_writer_t *self = data;
    if (!self->failed && self->buffer.alloc == 0) {
        self->buffer.data = malloc (FIRST_BYTES);
        self->buffer.alloc = self->buffer.data ? FIRST_BYTES : 0;
        self->failed = !self->buffer.data;
    }
    if (!self->failed && msgpack_sbuffer_write (&self->buffer, bytes, length) != 0)
        self->failed = true;
    return self->failed ? -1 : 0;
}

void crier_msgpack_writer_init (crier_msgpack_writer_t *self)
{
    msgpack_sbuffer_init (&self->buffer);
    msgpack_packer_init (&self->packer, self, s_write);
    self->failed = false;
}

int crier_msgpack_writer_finish (crier_msgpack_writer_t *self, char **data_p, size_t *size_p)
{
    if (self->failed || !self->buffer.data) {
        crier_msgpack_writer_destroy (self);
        return -1;
    }
    size_t size = self->buffer.size, allocated = self->buffer.alloc;
    char *data = msgpack_sbuffer_release (&self->buffer);
    //  A frame that waits in a queue (a large group's deliveries) gives back what doubling left
    //  unused.
    if (allocated - size > 1024) {
        char *shrunk = realloc (data, size ? size : 1);
        if (shrunk)
            data = shrunk;
    }
    *size_p = size;
    *data_p = data;
    return 0;
}

void crier_msgpack_writer_destroy (crier_msgpack_writer_t *self)
{
    msgpack_sbuffer_destroy (&self->buffer);
    msgpack_sbuffer_init (&self->buffer);
}

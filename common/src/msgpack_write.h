/*  msgpack_write.h - building one msgpack frame in memory without ever handing out a truncated
    one: msgpack-c's buffer reports a failed write (out of memory) only to its packer, which
    ignores it, so a frame could go out with fields missing. The writer remembers the failure
    and refuses to finish. Private to common. */
#ifndef CRIER_MSGPACK_WRITE_H_INCLUDED
#define CRIER_MSGPACK_WRITE_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    msgpack_sbuffer buffer;
    msgpack_packer packer; //  pack through this
    bool failed;           //  a write failed: the frame is incomplete
} crier_msgpack_writer_t;

//  Starts an empty frame. The writer must not move while in use (the packer points to it).
void crier_msgpack_writer_init (crier_msgpack_writer_t *self);

//  Hands over the frame (the caller frees *data_p) and returns 0, or frees it and returns -1
//  when any write failed.
int crier_msgpack_writer_finish (crier_msgpack_writer_t *self, char **data_p, size_t *size_p);

//  Frees the frame (after finish, nothing is left to free).
void crier_msgpack_writer_destroy (crier_msgpack_writer_t *self);

#endif

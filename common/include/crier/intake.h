/*  intake.h - taking frames from a socket on a zloop only while the owner has room for them.

    While closed, frames stay queued in ZeroMQ, whose high-water marks then push back upstream:
    this is how every crier process keeps its memory bounded when what comes after it is slow.
*/
#ifndef CRIER_INTAKE_H_INCLUDED
#define CRIER_INTAKE_H_INCLUDED

#include "crier/frames.h"

#include <czmq.h>
#include <stdbool.h>

typedef struct crier_intake_t crier_intake_t;

//  Called with each frame; returns true to take the next one at once, false to stop for now.
typedef bool (crier_intake_fn) (const void *data, size_t size, void *arg);

//  Called after each batch of frames (may be NULL), e.g. to start work on what came in.
typedef void (crier_intake_after_fn) (void *arg);

//  Creates a closed intake for socket on loop. Returns NULL when out of memory.
crier_intake_t *crier_intake_new (zloop_t *loop, zsock_t *socket, crier_intake_fn *fn,
                                  crier_intake_after_fn *after, void *arg);

//  Stops watching the socket and frees the intake (not the socket). NULL-safe.
void crier_intake_destroy (crier_intake_t **self_p);

//  Watches the socket (open) or leaves frames in ZeroMQ's queue (closed). NULL-safe: a stopping
//  sender has destroyed its intake.
void crier_intake_open (crier_intake_t *self, bool open);

//  Opens or closes the intake of a process that holds at most capacity items: closed when not
//  allowed or full, opened again only once held is down to half of capacity, so that frames are
//  read in batches rather than one per freed slot (each read is a wake-up of the loop). NULL-safe.
void crier_intake_regulate (crier_intake_t *self, bool allowed, size_t held, size_t capacity);

//  For senders: decodes a delivery frame, logging and dropping one that is malformed or meant for
//  another channel than channel (variable names the setting to check). Returns a new delivery
//  the caller owns, or NULL.
crier_delivery_t *crier_intake_delivery (const void *data, size_t size, const char *channel,
                                         const char *variable);

#endif

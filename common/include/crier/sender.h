/*  sender.h - what every channel sender opens: the deliveries socket from the resolver (taken
    through an intake, so that it pulls only while it has room), its PUB socket on the event bus,
    a libcurl driver on its loop, and its heartbeat. */
#ifndef CRIER_SENDER_H_INCLUDED
#define CRIER_SENDER_H_INCLUDED

#include "crier/http.h"
#include "crier/intake.h"
#include "crier/process.h"
#include "crier/recent.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    zsock_t *deliveries; //  PULL, connected to the resolver
    zsock_t *events;     //  PUB, connected to the event bus
    crier_http_t *http;
    crier_intake_t *intake;
    crier_heartbeat_t *heartbeat;
    zhashx_t *holding;      //  delivery id -> the crier_delivery_t the sender keeps (borrowed)
    crier_recent_t *recent; //  ids this sender delivered lately
    size_t capacity;        //  deliveries held at most
    bool stopping;
    uint64_t delivered; //  outcomes so far: the sender counts them
    uint64_t failed;
    crier_heartbeat_fn *on_heartbeat; //  from the options
    void *arg;
} crier_sender_t;

typedef struct {
    const char *deliveries_endpoint;
    const char *events_publish_endpoint;
    int hwm;
    uint64_t heartbeat_interval_ms;
    size_t capacity;                  //  deliveries held at most
    crier_intake_fn *on_delivery;     //  each delivery frame
    crier_intake_after_fn *after;     //  after each batch
    crier_heartbeat_fn *on_heartbeat; //  fields of its own after held, delivered, failed (or NULL)
    void *arg;
} crier_sender_options_t;

//  Opens everything on loop (the intake closed). Returns 0, or -1 after logging why; close it
//  in either case.
int crier_sender_open (crier_sender_t *self, zloop_t *loop, const crier_sender_options_t *options);

//  Closes what crier_sender_open opened. Cancel running transfers first.
void crier_sender_close (crier_sender_t *self);

//  The actor's body (crier_actor_run_finishing): on $TERM the sender stops taking deliveries
//  (what ZeroMQ queued for it comes back from crier-ingest after the lease), goes on sending
//  what it holds for up to grace_ms, then releases the rest: a "delivery.released" event each,
//  so that crier-ingest sends them again at once.
void crier_sender_run (crier_sender_t *self, zsock_t *pipe, zloop_t *loop,
                       crier_actor_start_fn *start, void *arg, uint64_t grace_ms);

//  A delivery frame from the resolver, decoded (crier_intake_delivery: channel and variable
//  name the sender's own) and taken into the sender's keeping. Returns it, or NULL when it was
//  malformed (logged), the same delivery is already held (a redelivery overtook it) or this
//  sender delivered it lately (its "delivery.delivered" goes out again). It must stay alive
//  until crier_sender_let_go.
crier_delivery_t *crier_sender_take (crier_sender_t *self, const void *data, size_t size,
                                     const char *channel, const char *variable);

//  The delivery has its outcome (or is dropped): forget it.
void crier_sender_let_go (crier_sender_t *self, const crier_delivery_t *delivery);

//  The delivery was delivered: forget it, and remember its id for a while
//  (CRIER_SENDER_RECENT_MAX ids, CRIER_SENDER_RECENT_MS, recent.h), so that if it comes again
//  crier_sender_take answers "delivered" again instead of sending it twice.
void crier_sender_delivered (crier_sender_t *self, const crier_delivery_t *delivery);
#define CRIER_SENDER_RECENT_MAX 20000
#define CRIER_SENDER_RECENT_MS  (3600 * 1000)

//  Deliveries in the sender's keeping, waiting or being sent.
size_t crier_sender_held (const crier_sender_t *self);

//  Whether the sender holds fewer than its capacity (what on_delivery returns: take more).
bool crier_sender_has_room (const crier_sender_t *self);

//  Takes deliveries while allowed and there is room, in batches (crier_intake_regulate).
void crier_sender_regulate (crier_sender_t *self, bool allowed);

#endif

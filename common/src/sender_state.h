/*  sender_state.h - a sender's shared state, for sender.c (its sockets and life) and
    sender_job.c (each delivery's life in it). Private to common. */
#ifndef CRIER_SENDER_STATE_H_INCLUDED
#define CRIER_SENDER_STATE_H_INCLUDED

#include "crier/event_batch.h"
#include "crier/handshake_watch.h"
#include "crier/recent.h"
#include "crier/sender.h"

struct crier_sender_t {
    zloop_t *loop;
    const crier_sender_rules_t *rules;
    const crier_sender_config_t *config;
    size_t capacity; //  jobs held at most
    const crier_sender_hooks_t *hooks;
    void *arg;                     //  for the hooks
    zsock_t *deliveries;           //  PULL, connected to the resolver
    zsock_t *events;               //  PUB, connected to the event bus
    crier_event_batch_t *outcomes; //  outcome events, published in batches (event_batch.h)
    crier_transfers_t *transfers;
    crier_intake_t *intake;
    crier_heartbeat_t *heartbeat;
    crier_handshake_watch_t *watch; //  logs a resolver that refuses this sender (another stack)
    zhashx_t *holding;              //  delivery id -> its crier_job_t: owned here, queues borrow
    crier_recent_t *recent;         //  ids this sender delivered lately
    bool stopping;
    bool allowed;       //  what the sender last said about taking deliveries
    uint64_t delivered; //  outcomes so far
    uint64_t failed;
    char *refused;   //  while the credentials are refused: why
    unsigned probes; //  tries of refused credentials in a row
    int probe_timer; //  -1, or the timer of the next try
};

//  Opens or closes the intake as the state and the count of jobs held say (sender.c).
void crier_sender_regulate (crier_sender_t *self);

//  A delivery frame taken into the sender's keeping as a job, or NULL (sender_job.c).
crier_job_t *crier_sender_take (crier_sender_t *self, const void *data, size_t size);

#endif

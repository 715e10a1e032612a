/*  sender.h - what every channel sender shares, so that a sender keeps only its queueing and
    its protocol: the deliveries socket from the resolver (taken through an intake, so that it
    pulls only while it has room), its PUB socket on the event bus, a libcurl driver on its loop,
    its heartbeat, and each delivery's life in it (a crier_job_t):

        taken -> attempted -> delivered | failed | retried later (until the retry deadline)
                           -> held while the channel's credentials are refused
                           -> released (the sender stopped before sending it)

    Each outcome is one log line and one event on the bus (docs/protocol.md). One policy for
    refused credentials, the same on every channel: an operator must fix them, so nothing is
    failed for it. The sender stops taking deliveries (the resolver counts the channel as stalled
    and keeps the others flowing), holds what it has, renews their leases with a
    "delivery.retrying" each while it tries the credentials again (backoff from 1 s to 30 s), and
    logs once when they are refused and once when they work again.

    Bounded: a sender holds at most its capacity of jobs; past that it stops pulling and ZeroMQ
    pushes back to the resolver. As an actor (crier_sender_run): START -> "OK", deliveries
    endpoint, or "ERROR"; $TERM finishes what it holds for up to CRIER_STOP_GRACE. */
#ifndef CRIER_SENDER_H_INCLUDED
#define CRIER_SENDER_H_INCLUDED

#include "crier/event.h"
#include "crier/intake.h"
#include "crier/process.h"
#include "crier/sender_config.h"
#include "crier/transfers.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct crier_sender_t crier_sender_t;

//  One delivery in a sender's keeping.
typedef struct crier_job_t {
    crier_delivery_t *delivery; //  owned
    unsigned attempts;          //  sends started (a rate-limited or refused one is not counted)
    int64_t first_try_ms;       //  when the first started: the retry deadline counts from it
    void *data;                 //  the sender's own, freed with the options' free_data
    void *arg;                  //  the options' arg, for the sender's timers
    int timer;                  //  -1, or the sender's zloop timer for it (ended with the job)
    bool restarted;             //  the sender's own: sent again at once (a stale connection)
    struct crier_job_t *next;   //  the sender's queue
} crier_job_t;

//  Adds a sender's own fields to an outcome event of a job (e.g. the Matrix room id).
typedef void (crier_outcome_fn) (crier_event_t *event, const crier_job_t *job, void *arg);

//  A job taken from the resolver: the sender queues it (or drops it, crier_sender_drop).
typedef void (crier_queue_fn) (crier_job_t *job, void *arg);

//  Asks the sender to act: start what can start (after each batch of jobs taken), or try
//  refused credentials again (it answers with crier_sender_credentials_*).
typedef void (crier_sender_fn) (void *arg);

//  What the shared sender must know of a channel: fixed for the process.
typedef struct {
    const char *channel;      //  "email", "matrix": what this sender takes
    uint64_t backoff_base_ms; //  the first wait after a temporary failure
    uint64_t backoff_max_ms;  //  the longest
    const char *give_up_hint; //  what to check when a delivery fails at the retry deadline
    //  Delivered ids are remembered, to answer a redelivery instead of sending it again: for a
    //  channel that cannot refuse a second copy (SMTP). A homeserver refuses a repeated txnId
    //  itself, so Matrix saves the memory.
    bool remembers_delivered;
} crier_sender_rules_t;

//  What a sender adds: each called with the arg given to crier_sender_open.
typedef struct {
    crier_queue_fn *queue;            //  each job taken
    crier_sender_fn *pump;            //  after each batch of jobs taken
    crier_heartbeat_fn *on_heartbeat; //  fields of its own after the shared ones (or NULL)
    crier_outcome_fn *on_outcome;     //  fields of its own in outcome events (or NULL)
    crier_sender_fn *probe;           //  tries refused credentials again
    void (*free_data) (void *data);   //  frees a job's data (or NULL)
} crier_sender_hooks_t;

//  A sender on loop, not yet open. Returns NULL when out of memory.
crier_sender_t *crier_sender_new (zloop_t *loop);

//  Opens everything and starts taking deliveries (while allowed), holding capacity jobs at most.
//  rules, config and hooks must outlive the sender. Returns 0, or -1 after logging why.
int crier_sender_open (crier_sender_t *self, const crier_sender_rules_t *rules,
                       const crier_sender_config_t *config, size_t capacity,
                       const crier_sender_hooks_t *hooks, void *arg);

//  Cancels nothing: end running transfers first (crier_transfers_cancel), then destroy the
//  sender with every job it holds. NULL-safe.
void crier_sender_destroy (crier_sender_t **self_p);

//  The actor's body (crier_actor_run_finishing): on $TERM the sender stops taking deliveries
//  (what ZeroMQ queued for it comes back from crier-ingest after the lease), goes on sending
//  what it holds for up to grace_ms, then releases the rest: a "delivery.released" event each,
//  so that crier-ingest sends them again at once.
void crier_sender_run (crier_sender_t *self, zsock_t *pipe, crier_actor_start_fn *start, void *arg,
                       uint64_t grace_ms);

//  The libcurl driver the sender's transfers run on (the sender's).
crier_transfers_t *crier_sender_transfers (crier_sender_t *self);

//  Whether the sender may take deliveries (true at first): a Matrix sender waits until its token
//  was checked. It takes them while allowed, the credentials are not refused and it holds
//  fewer jobs than its capacity, in batches (crier_intake_regulate). A delivery frame taken is
//  decoded into a job for queue, unless it was malformed (logged), the same delivery is held
//  already (a redelivery overtook it) or this sender delivered it lately (its
//  "delivery.delivered" goes out again).
void crier_sender_allow (crier_sender_t *self, bool allowed);

//  A send of the job starts: counted, and the retry deadline starts with the first.
void crier_sender_attempt (crier_sender_t *self, crier_job_t *job);

//  The job was delivered: logged, "delivery.delivered" with detail_name = detail (the server's
//  word: event id, SMTP reply), its id remembered for a while when the rules say so
//  (CRIER_SENDER_RECENT_MAX ids, CRIER_SENDER_RECENT_MS) so that a redelivery is answered
//  instead of sent twice, and the job destroyed.
void crier_sender_delivered (crier_sender_t *self, crier_job_t **job_p, const char *detail_name,
                             const char *detail);
#define CRIER_SENDER_RECENT_MAX 20000
#define CRIER_SENDER_RECENT_MS  (3600 * 1000)

//  The job failed for good: logged with what to do (hint), "delivery.failed", destroyed.
void crier_sender_failed (crier_sender_t *self, crier_job_t **job_p, const char *reason,
                          const char *hint);

//  A temporary failure: returns the wait before the next try after logging it and sending
//  "delivery.retrying", or 0 when that wait would pass the retry deadline: then the job failed
//  (crier_sender_failed) and *job_p is NULL.
uint64_t crier_sender_retry (crier_sender_t *self, crier_job_t **job_p, const char *reason);

//  Destroys a job without an outcome (the sender is stopping, or the job could not be queued,
//  logged by the caller).
void crier_sender_drop (crier_sender_t *self, crier_job_t **job_p);

//  The server refused the credentials (event names the log line, server_name = server where):
//  the policy at the top of this file. Logged when the state or reason changes, not per attempt.
void crier_sender_credentials_refused (crier_sender_t *self, const char *event,
                                       const char *server_name, const char *server,
                                       const char *reason, const char *hint);

//  The credentials work (again): logged once when they had been refused; takes deliveries again.
void crier_sender_credentials_accepted (crier_sender_t *self);

//  Whether the credentials are refused now.
bool crier_sender_credentials_refused_now (const crier_sender_t *self);

//  Jobs in the sender's keeping, waiting or being sent.
size_t crier_sender_held (const crier_sender_t *self);

#endif

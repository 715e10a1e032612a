/*  process.h - what every crier process does around its actor: --help and --version, waiting
    for SIGINT or SIGTERM. */
#ifndef CRIER_PROCESS_H_INCLUDED
#define CRIER_PROCESS_H_INCLUDED

#include "crier/event.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

//  Handles the command line of a daemon, which takes no arguments besides --help and --version
//  (settings come from CRIER_* variables). usage is printed under the name for --help. Returns
//  -1 when the process should go on, else the exit status to return from main.
int crier_process_options (int argc, char *argv[], const char *name, const char *usage);

//  A file descriptor (for a zloop poller) that becomes readable when the process gets SIGHUP,
//  which crier_process_options blocked; the same one on every call. -1 when it cannot be made.
int crier_process_hangup_fd (void);

//  Reads what made the hangup descriptor readable.
void crier_process_hangup_clear (int fd);

//  Blocks until SIGINT or SIGTERM arrives, or the actor ends on its own (then logs it).
void crier_process_wait_for_stop (zactor_t *actor);

//  Sends START to a server actor, which opens its sockets, logs its ready line and answers "OK"
//  and its main endpoint, or "ERROR". Returns that endpoint (caller frees), or NULL.
char *crier_process_start_server (zactor_t *server);

//  The life of a daemon around its server actor: START, wait for SIGINT or SIGTERM, log
//  "<name>.stopping", destroy the actor (which finishes what it holds), log "<name>.stopped".
//  Takes ownership of *server_p. Returns the exit status: 0, or 1 when it could not start.
int crier_process_serve (zactor_t **server_p, const char *name);

//  Opens what a server actor needs (sockets, timers on loop) and logs its ready line. Returns
//  the endpoint to report (caller frees; may be a copy of a configured one), or NULL after
//  logging why it could not start.
typedef char *(crier_actor_start_fn)(void *arg);

//  The body of an actor built on a zloop: answers START (calling start) and stops on $TERM,
//  while loop serves everything else the actor registered. Returns when told to stop; the
//  caller then frees what it holds.
void crier_actor_run (zsock_t *pipe, zloop_t *loop, crier_actor_start_fn *start, void *arg);

//  Called when a started actor is told to stop, then every 50 ms: returns true while it still
//  has work to finish. out_of_time is true on the last call, when the grace period is over.
typedef bool (crier_actor_finishing_fn) (void *arg, bool out_of_time);

//  crier_actor_run for an actor that finishes its work before it stops: on $TERM the loop goes
//  on while finishing (called with finishing_arg) says so, for up to grace_ms.
void crier_actor_run_finishing (zsock_t *pipe, zloop_t *loop, crier_actor_start_fn *start,
                                void *arg, crier_actor_finishing_fn *finishing, void *finishing_arg,
                                uint64_t grace_ms);

//  Adds a process's own fields to its heartbeat event.
typedef void (crier_heartbeat_fn) (crier_event_t *event, void *arg);

typedef struct crier_heartbeat_t crier_heartbeat_t;

//  Publishes a "process.heartbeat" event now and every interval_ms on loop, with the fields
//  fill adds: what crier status shows. Returns NULL when out of memory.
crier_heartbeat_t *crier_heartbeat_new (zloop_t *loop, zsock_t *events, uint64_t interval_ms,
                                        crier_heartbeat_fn *fill, void *arg);

//  A watcher that subscribes to process.heartbeat (or a prefix of it) asks every process for
//  one at once: crier status answers in milliseconds, not a heartbeat interval. The question
//  travels as the subscription itself, from the event bus's XPUB through its XSUB to each
//  publisher, so it needs no port of its own. For a process whose events socket is an XPUB
//  connected to the bus: makes it pass every subscription (XPUB_VERBOSE) and looks for them every
//  100 ms. Returns 0 or -1.
int crier_heartbeat_answer_requests (crier_heartbeat_t *self);

//  With crier_heartbeat_answer_requests: fn is told of every subscription that reaches the
//  process's XPUB (the topic, size bytes, not NUL-terminated), so that a process can answer other
//  questions asked the same way (crier-matrix-watch says again what it knows to a subscriber of
//  delivery.seen: crier-ingest after a restart).
typedef void (crier_subscription_fn) (const char *topic, size_t size, void *arg);
void crier_heartbeat_on_subscription (crier_heartbeat_t *self, crier_subscription_fn *fn,
                                      void *arg);

//  True when a subscription message (ZeroMQ's: 1, then the topic) asks for heartbeats.
bool crier_heartbeat_is_request (const void *data, size_t size);

//  Publishes a heartbeat now, or as soon as the last one is 50 ms old (the resolver, which
//  sees the subscriptions on the event bus itself).
void crier_heartbeat_request (crier_heartbeat_t *self);

//  Stops the heartbeat. NULL-safe.
void crier_heartbeat_destroy (crier_heartbeat_t **self_p);

//  CRIER_HEARTBEAT_INTERVAL, for every process. Returns 0 or -1 (logged).
int crier_config_heartbeat (uint64_t *interval_ms_p);

//  CRIER_STOP_GRACE, for the senders: how long a stopping process goes on with what it holds.
//  Returns 0 or -1 (logged).
int crier_config_stop_grace (uint64_t *grace_ms_p);

#endif

/*  ingest_state.h - what the parts of the crier-ingest actor share: the server's state, and
    the steps each part offers the others. Private to ingest_server.c (sockets, journal upkeep,
    heartbeat), ingest_intake.c (taking notifications, the verdict, the answers) and
    ingest_dispatch.c (sending to the resolver, reading receipts back). Everything runs on the
    actor's one zloop thread. */
#ifndef CRIER_INGEST_STATE_H_INCLUDED
#define CRIER_INGEST_STATE_H_INCLUDED

#include "ingest_config.h"
#include "journal.h"
#include "ledger.h"
#include "waiters.h"

#include "crier/curve.h"
#include "crier/handshake_watch.h"
#include "crier/paced.h"
#include "crier/process.h"
#include "crier/repeats.h"
#include "crier/zap.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

//  What was taken since the last sync: the notifications and the answers that wait for it
//  (ingest_intake.c).
typedef struct crier_ingest_batch_t crier_ingest_batch_t;

typedef struct {
    const crier_ingest_config_t *config;
    zloop_t *loop;
    zsock_t *pull;     //  services push here
    zsock_t *router;   //  services that want an answer send here
    zsock_t *control;  //  crier dead-letters asks here
    zsock_t *push;     //  to the resolver
    zsock_t *events;   //  to the event bus
    zsock_t *receipts; //  from the event bus
    crier_paced_t *receipts_reader;
    crier_journal_t *journal;
    crier_ledger_t *ledger;
    crier_waiters_t *waiters; //  wait requests held until their notification's outcome
    crier_ingest_batch_t *batch;
    crier_heartbeat_t *heartbeat;
    crier_curve_t *curve;           //  CURVE keys of the three endpoints; NULL in plain mode
    crier_zap_t *zap;               //  who may connect, and send where; NULL in plain mode
    crier_zap_t *stack_zap;         //  plain mode: admits the stack's own at the control endpoint
    crier_handshake_watch_t *watch; //  logs clients that fail the CURVE handshake
    bool pull_reading;
    bool stopping;             //  told to stop: takes nothing new, waits for outcomes in flight
    uint64_t receipts_applied; //  applied so far (a stopping ingest waits until they stop coming)
    uint64_t receipts_seen;    //  while stopping: the count when last looked at
    int64_t receipt_at;        //  and when it last changed (or the stop)
    bool waiting_for_resolver; //  a POLLOUT poller is set on push
    //  Nothing goes to the resolver before the receipts' subscription has taken (an outcome said
    //  before it would be missed until the lease runs out): the bus answering a heartbeat request
    //  made with it says so, or receipts_wait_until passes.
    bool receipts_confirmed;
    int64_t receipts_wait_until; //  monotonic ms
    bool window_full;            //  the in-flight window filled: refill it in a burst
    bool backlog_full;           //  logged once per episode
    //  The journal could not be written: nothing new is accepted, receipts change the ledger
    //  only, and the whole state is written anew (a compaction) until that succeeds.
    bool journal_failing;
    int64_t recover_at;          //  next try, monotonic ms
    int64_t recover_interval_ms; //  until the try after it
    uint64_t compact_at;         //  journal size that starts a compaction
    uint64_t accepted;
    uint64_t rejected;
    crier_repeats_t *rejections; //  "source|field" of rejected frames: one line each a while
    uint64_t duplicates;
    uint64_t refused; //  by a client certificate's groups
    uint64_t redelivered;
    uint64_t nags_refused_logged; //  crier_ledger_nags_refused when last logged
    int64_t nags_refused_at;      //  no line before then (monotonic ms)
    int64_t edits_at;             //  throttle edits: the next look (Unix ms)
    char resolver_instance[400];  //  the resolver's "host:pid@started_at" ("" before any)
    uint64_t accepted_logged;
    uint64_t rejected_logged;
} ingest_server_t;

//  The largest wait request read as one (a notification id and a timeout need far less).
#define CRIER_WAIT_MAX_BYTES 1024

//  ingest_wait.c: a wait request on the acknowledged endpoint, envelope being its routing id and
//  delimiter (taken over). Returns the envelope with the answer when it is known now, or NULL
//  when the request is held until the outcome or its timeout.
zmsg_t *crier_ingest_wait (ingest_server_t *self, zmsg_t *envelope,
                           const crier_wait_request_t *request, const char *client_key);
//  After a receipt: answers the requests waiting for this notification once it is done.
void crier_ingest_wait_outcome (ingest_server_t *self, const char *id);
//  Answers the requests whose time is up (every one when stopping) with what is known.
void crier_ingest_wait_expire (ingest_server_t *self, bool all);

//  ingest_intake.c: zloop readers of the two service endpoints.
int crier_ingest_on_pull (zloop_t *loop, zsock_t *socket, void *arg);
int crier_ingest_on_router (zloop_t *loop, zsock_t *socket, void *arg);
//  Syncs the journal, then admits what was taken into the ledger and answers its clients (or,
//  when the sync failed, drops it and tells them to try again).
void crier_ingest_commit (ingest_server_t *self);
//  Reads the PULL endpoint only while the backlog has room and the journal can be written.
void crier_ingest_set_reading (ingest_server_t *self);
//  Creates the batch of what waits for a sync. Returns 0, or -1 when out of memory.
int crier_ingest_intake_new (ingest_server_t *self);
//  Frees what waits for a sync (at the end).
void crier_ingest_intake_destroy (ingest_server_t *self);

//  ingest_dispatch.c: sends queued work to the resolver while the window and the socket have
//  room; reads receipts from the bus (crier_paced's fn).
void crier_ingest_dispatch (ingest_server_t *self);
void crier_ingest_on_receipts (zsock_t *socket, void *arg);

//  ingest_throttle.c (docs/throttle.md): makes the summaries of the windows that ended (the
//  tick calls it); says notification.throttled for a routed receipt's counted decisions; points
//  frame at the windows of the notification's key (windows: room for CRIER_MAX_GROUPS).
void crier_ingest_summarize (ingest_server_t *self);
//  Sends the edits of windows' first Matrix messages that are due (the tick calls it).
void crier_ingest_edit (ingest_server_t *self);
void crier_ingest_publish_throttled (ingest_server_t *self, const crier_receipt_t *receipt);
void crier_ingest_add_windows (ingest_server_t *self, crier_notification_t *notification,
                               crier_frame_redelivery_t *frame, crier_frame_window_t *windows);

//  ingest_server.c: after anything that may have changed the queue or the backlog, sends what
//  can go and reads what may be read.
void crier_ingest_step (ingest_server_t *self);
//  The journal could not be written: enters the failing state (logged once).
void crier_ingest_journal_failed (ingest_server_t *self);

//  With CURVE, every notification id is scoped by the client, so that one client cannot silence
//  another's notification by sending its id first, and so that its dead letters count as its
//  own: "<id>@<tag>", the tag being 12 hex of a digest of the client's public key, or, when that
//  would pass 128 bytes, "<28 hex of a digest of both>@<tag>". The same client sending the same
//  id again gets the same scoped id (a duplicate). Replaces *id_p; returns 0, or -1 when out of
//  memory (*id_p unchanged). Plain mode has one client: ids stay as given.
int crier_ingest_scope_id (char **id_p, const char *client_key, const char *tag);

//  Room for a rejected frame's source: a CURVE key (40) or an address.
#define CRIER_INGEST_SOURCE_BYTES 64

//  The body of a request on a ROUTER endpoint when it is exactly what REQ and DEALER clients
//  send (docs/protocol.md): [routing id][empty delimiter][body]. Returns the body, taken out of
//  request (which keeps the routing id and delimiter for the answer), or NULL when the request
//  holds anything else: more frames, or no delimiter, are not echoed back as an envelope.
zframe_t *crier_ingest_request_body (zmsg_t *request);

//  Says what runs of rejected frames left unsaid (ingest_intake.c; the tick calls it).
void crier_ingest_flush_rejections (ingest_server_t *self);

#endif

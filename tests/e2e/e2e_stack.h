/*  e2e_stack.h - the whole of crier for end-to-end tests that stop and kill its processes:
    pouchdb-server with a mapping of "#all" to some rooms and mailboxes, the Matrix homeserver
    double, the SMTP double, and crier-ingest, crier-resolver and two senders of each channel,
    linked over ipc endpoints of their own (so that a restarted process binds the same address,
    and parallel tests never meet), with a stack identity of their own. Ingest keeps its journal
   across restarts. */
#ifndef CRIER_TEST_E2E_STACK_H_INCLUDED
#define CRIER_TEST_E2E_STACK_H_INCLUDED

#include "test_couch.h"
#include "test_homeserver.h"
#include "test_smtp.h"

#include <czmq.h>

typedef enum { STACK_INGEST, STACK_RESOLVER, STACK_MATRIX, STACK_EMAIL, STACK_KINDS } stack_kind_t;

#define STACK_MAX_TARGETS 4

#define STACK_MAX_CORES 2

typedef struct {
    int cores; //  1, or 2: a second ingest and resolver of their own, senders connected to both
    test_couch_t *couch;
    test_homeserver_t *homeserver;
    test_smtp_t *smtp;
    test_process_t *processes[STACK_KINDS][2]; //  [kind][core] for ingest and the resolver
    const char *rooms[STACK_MAX_TARGETS + 1];  //  NULL-ended
    const char *mailboxes[STACK_MAX_TARGETS + 1];
    char env[24][256];
    const char *common[32];
    size_t common_count;
    char ack_endpoint[300];                  //  every core's, separated by commas
    char core_env[STACK_MAX_CORES][10][256]; //  a second core's links and journal
    const char *core_common[STACK_MAX_CORES][40];
    char sender_env[3][600]; //  with several cores: the senders' lists of every core's endpoints
    const char *sender_common[40];
    char stack_id[64]; //  "CRIER_STACK_ID=...", for crier status and crier tail
} e2e_stack_t;

//  Starts everything; rooms and mailboxes (NULL-ended, at most STACK_MAX_TARGETS each) are what
//  "#all" maps to; extra_env entries (NULL-ended, may be NULL) go to every crier process.
e2e_stack_t *e2e_stack_start (const char *const *rooms, const char *const *mailboxes,
                              const char *const *extra_env);

//  The same with a mapping of its own (the mapping's JSON); rooms are the rooms the bot has
//  joined, and with mailboxes what e2e_stack_count and e2e_stack_await_all look at.
e2e_stack_t *e2e_stack_start_mapped (const char *mapping_json, const char *const *rooms,
                                     const char *const *mailboxes, const char *const *extra_env);

//  The same with the whole mapping document's members beyond _id and _rev ("\"mapping\": {...},
//  \"people\": {...}").
e2e_stack_t *e2e_stack_start_document (const char *members_json, const char *const *rooms,
                                       const char *const *mailboxes, const char *const *extra_env);

//  e2e_stack_start with cores crier cores (1 or 2): core 1 has links and a journal of its own,
//  and the senders connect to both (docs/deploy.md, "Several cores").
e2e_stack_t *e2e_stack_start_cores (int cores, const char *const *rooms,
                                    const char *const *mailboxes, const char *const *extra_env);

//  The endpoint of a link by its variable, e.g. CRIER_EVENTS_ENDPOINT (of core 0).
const char *e2e_stack_endpoint (const e2e_stack_t *stack, const char *variable);

//  The same of one core.
const char *e2e_stack_core_endpoint (const e2e_stack_t *stack, int core, const char *variable);

//  Stops every crier process with SIGTERM (each must exit 0), then the doubles and CouchDB.
void e2e_stack_stop (e2e_stack_t **stack_p);

//  The name of a kind's program, e.g. "crier-ingest".
const char *e2e_stack_name (stack_kind_t kind);

//  Sends signal to one process and checks that it ended with expected_status (0 after SIGTERM,
//  137 after SIGKILL).
void e2e_stack_stop_one (e2e_stack_t *stack, stack_kind_t kind, int index, int signal,
                         int expected_status);

//  Starts one process that was stopped and waits until it is ready.
void e2e_stack_start_one (e2e_stack_t *stack, stack_kind_t kind, int index);

//  Sends signal to every crier process at once (what Ctrl-C does to a terminal's process group),
//  checks that each ends with exit status 0, then starts them all again.
void e2e_stack_restart_all_at_once (e2e_stack_t *stack, int signal);

//  Both of the above.
void e2e_stack_restart (e2e_stack_t *stack, stack_kind_t kind, int index, int signal,
                        int expected_status);

//  Starts one more process of the program name, outside the stack's own, with its settings
//  and entry ("NAME=value") before them; does not wait for it to be ready.
test_process_t *e2e_stack_start_extra (e2e_stack_t *stack, const char *name, const char *entry);

//  Sends count notifications to "#all" with crier send (acknowledged), bodies "PREFIX NUMBER".
void e2e_stack_send (e2e_stack_t *stack, const char *prefix, int count);

//  Sends count notifications to group at once on one acknowledged connection, bodies
//  "PREFIX NUMBER" from first on, with key when not NULL; asserts each was acknowledged.
void e2e_stack_send_burst (e2e_stack_t *stack, const char *group, const char *key,
                           const char *prefix, int first, int count);

//  e2e_stack_send_burst to the acknowledged endpoints listed in endpoints (a DEALER connected to
//  each spreads the burst over them).
void e2e_stack_send_burst_to (const char *endpoints, const char *group, const char *key,
                              const char *prefix, int first, int count);

//  Counts, for each number below total, how many times the body "PREFIX NUMBER" arrived in each
//  room and each mailbox: counts[target][number], targets being the rooms then the mailboxes.
//  counts must hold (rooms + mailboxes) arrays of total ints.
void e2e_stack_count (e2e_stack_t *stack, const char *prefix, int total, int **counts);

//  Waits (up to timeout_ms) until every number below total is in every room and mailbox, then
//  prints and returns the totals: missing (number, target) pairs and the duplicates per channel.
typedef struct {
    int missing;
    int room_duplicates;
    int mail_duplicates;
} e2e_tally_t;
e2e_tally_t e2e_stack_await_all (e2e_stack_t *stack, const char *prefix, int total, int timeout_ms);

#endif

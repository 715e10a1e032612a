/*  test_support.h - helpers shared by crier's tests: building msgpack frames, starting the real
    crier binaries and waiting (with deadlines, never fixed sleeps) for what they log. */
#ifndef CRIER_TEST_SUPPORT_H_INCLUDED
#define CRIER_TEST_SUPPORT_H_INCLUDED

#include <czmq.h> //  first: it sets the feature macros the rest relies on

#include "crier/reply.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

//  A msgpack frame under construction.
typedef struct {
    msgpack_sbuffer buffer;
    msgpack_packer packer;
} test_frame_t;

void test_frame_init (test_frame_t *frame);
void test_frame_free (test_frame_t *frame);
void test_frame_str (test_frame_t *frame, const char *text);
//  Packs key then value as strings.
void test_frame_pair (test_frame_t *frame, const char *key, const char *value);

//  Receives one answer of the acknowledged endpoint on socket (REQ: the map; fails the test when
//  none comes within the socket's receive timeout or it is not a reply). Free with
//  crier_reply_free.
crier_reply_t test_receive_reply (zsock_t *socket);

//  Sends {to, body, id (NULL: none)} to the acknowledged endpoint (a REQ connected for this
//  call) and returns the answer (fails the test when none comes within 10 s).
crier_reply_t test_ask (const char *endpoint, const char *to, const char *body, const char *id);

//  Sends the notification {"to": to, key: value} as one frame. Returns 0, or -1.
int test_send_notification (zsock_t *socket, const char *to, const char *key, const char *value);

//  A running process whose output a thread collects as it comes.
typedef struct {
    pid_t pid;
    int stderr_fd;
    char *log; //  everything it wrote so far, NUL-terminated; read under lock
    size_t log_length;
    size_t log_capacity;
    pthread_t drain;
    pthread_mutex_t lock;
    pthread_cond_t grown;
    bool closed;   //  end of its output
    bool stopping; //  asks the drain thread to finish
    bool joined;
} test_process_t;

//  Starts CRIER_BIN_DIR/name (or name itself when it holds a '/') with extra "NAME=value"
//  environment entries (NULL-ended) put before this process's environment; the log captures its
//  standard output and error. Unless env names them, CRIER_DATA_DIR is a new folder under
//  test_scratch_dir () and CRIER_INGEST_ACK_ENDPOINT and CRIER_INGEST_CONTROL_ENDPOINT free
//  loopback ports. Returns NULL on failure.
test_process_t *test_process_start (const char *name, const char *const *args,
                                    const char *const *env);

//  test_process_start without arguments, then waits up to timeout_ms for a log line holding
//  ready; fails the test when it does not come.
test_process_t *test_process_start_ready (const char *name, const char *const *env,
                                          const char *ready, int timeout_ms);

//  A folder of this test program's own, removed when it exits.
const char *test_scratch_dir (void);

//  Reads the process's log until a line contains needle, or timeout_ms passes. On success copies
//  that line (without newline) into line (if not NULL) and returns true. Searches from offset
//  *from_p and moves it past the match, so repeated calls find successive lines.
bool test_process_wait_log (test_process_t *process, const char *needle, int timeout_ms,
                            size_t *from_p, char *line, size_t line_size);

//  Counts occurrences of needle in what was read so far.
int test_process_count_log (test_process_t *process, const char *needle);

//  Sends signal and waits up to timeout_ms for exit; returns the exit status, 128+signal when
//  killed by a signal, or -1 when it did not end (it is then killed).
int test_process_stop (test_process_t *process, int signal, int timeout_ms);

//  Frees a stopped process's record.
void test_process_destroy (test_process_t **process_p);

//  Runs CRIER_BIN_DIR/name to completion with args and env, feeding stdin_text (may be NULL).
//  Captures standard output and error (each NUL-terminated, caller frees). Returns the exit
//  status, or -1 when it did not finish within timeout_ms.
int test_run (const char *name, const char *const *args, const char *const *env,
              const char *stdin_text, int timeout_ms, char **out_p, char **err_p);

//  Writes a loopback TCP endpoint that nothing listens on: a random free port below the ranges
//  the kernel (32768 and up) and czmq's '*' (49152 and up) hand out, so that no other test
//  process starts listening there meanwhile.
void test_unused_endpoint (char *endpoint, size_t size);

//  Sends a delivery frame for channel and target, as crier-resolver would: notification id,
//  group #admins, and the given subject, body and html (each may be NULL).
void test_push_delivery (zsock_t *push, const char *channel, const char *id, const char *target,
                         const char *subject, const char *body, const char *html);

//  The same as a redelivery: attempt 2 or more, subject and body "x" and "y".
void test_push_redelivery (zsock_t *push, const char *channel, const char *id, const char *target,
                           uint32_t attempt);

//  One blocking HTTP request with an optional JSON body and "user:password". Returns the status
//  (0 when there was no answer); *response_p (if not NULL) gets the body, which the caller frees.
long test_http (const char *method, const char *url, const char *body, const char *userpwd,
                char **response_p);

//  The same with headers of its own (NULL-ended, may be NULL) instead of the JSON content type,
//  and the answer's headers in *headers_p (if not NULL; the caller frees).
long test_http_full (const char *method, const char *url, const char *const *headers,
                     const char *body, const char *userpwd, char **response_p, char **headers_p);

//  Extracts the value of key=... from a log line into value (a quoted value unquoted). Returns
//  true when found.
bool test_log_value (const char *line, const char *key, char *value, size_t value_size);

#endif

/*  test_homeserver.h - the Matrix homeserver double (tests/matrix/homeserver_double.py) as a
    process the tests start, fault-inject and question. */
#ifndef CRIER_TEST_HOMESERVER_H_INCLUDED
#define CRIER_TEST_HOMESERVER_H_INCLUDED

#include "test_support.h"

#include <jansson.h>

#define TEST_MATRIX_TOKEN "syt_test_token"
#define TEST_MATRIX_USER  "@crier:example.org"

typedef struct {
    test_process_t *process;
    char url[64]; //  http://127.0.0.1:PORT
} test_homeserver_t;

//  Starts the double with extra arguments (NULL-ended: --joined ROOM, --joinable ROOM,
//  --alias ALIAS=ROOM) and waits until it listens.
test_homeserver_t *test_homeserver_start (const char *const *args);

void test_homeserver_destroy (test_homeserver_t **homeserver_p);

//  GET a /_test/ listing (events, requests) as parsed JSON; the caller decrefs.
json_t *test_homeserver_get (test_homeserver_t *homeserver, const char *what);

//  POST a /_test/ command (fault, token, delay, timeline, as_bot, member, receipt, limit) with a
//  JSON body.
void test_homeserver_post (test_homeserver_t *homeserver, const char *what, const char *json);

//  The same, returning the answer (decref): {"event_id": ...} for timeline, as_bot, member.
json_t *test_homeserver_call (test_homeserver_t *homeserver, const char *what, const char *json);

//  Waits until at least count events are stored, or timeout_ms; returns the events (decref).
json_t *test_homeserver_wait_events (test_homeserver_t *homeserver, size_t count, int timeout_ms);

#endif

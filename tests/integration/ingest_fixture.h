/*  ingest_fixture.h - a real crier-ingest process with the test standing in for the resolver
    (a PULL socket) and the event bus (a SUB socket), all on loopback ports chosen by the OS. */
#ifndef CRIER_TEST_INGEST_FIXTURE_H_INCLUDED
#define CRIER_TEST_INGEST_FIXTURE_H_INCLUDED

#include "test_support.h"

#include "crier/notification.h"

#include <czmq.h>

typedef struct {
    test_process_t *ingest;
    zsock_t *resolver; //  what crier-ingest forwards to
    zsock_t *events;   //  what crier-ingest publishes
    char ingest_endpoint[128];
    size_t log_cursor;
} ingest_fixture_t;

//  Starts crier-ingest with the extra environment entries (NULL-ended, may be NULL) and waits
//  until it is ready. Returns NULL on failure.
ingest_fixture_t *ingest_fixture_start (const char *const *extra_env);

//  Stops crier-ingest with SIGTERM, expects exit status 0 and, when expected_log is not NULL, a
//  log line containing it; frees everything.
void ingest_fixture_stop (ingest_fixture_t **fixture_p, const char *expected_log);

//  Receives one frame from the resolver side within timeout_ms and decodes it; NULL on timeout.
crier_notification_t *ingest_fixture_receive (ingest_fixture_t *fixture, int timeout_ms);

#endif

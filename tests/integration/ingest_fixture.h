/*  ingest_fixture.h - a real crier-ingest process with the test standing in for the resolver
    (a PULL socket) and the event bus (a SUB socket for what ingest publishes, a PUB socket for
    the receipts it follows), all on loopback ports chosen by the OS. */
#ifndef CRIER_TEST_INGEST_FIXTURE_H_INCLUDED
#define CRIER_TEST_INGEST_FIXTURE_H_INCLUDED

#include "test_support.h"

#include "crier/frames.h"
#include "crier/notification.h"
#include "crier/receipt.h"
#include "crier/reply.h"

#include <czmq.h>

typedef struct {
    test_process_t *ingest;
    zsock_t *resolver; //  what crier-ingest forwards to
    zsock_t *events;   //  what crier-ingest publishes
    zsock_t *receipts; //  what crier-ingest follows
    char ingest_endpoint[128];
    char ack_endpoint[128];
    char control_endpoint[128];
    size_t log_cursor;
} ingest_fixture_t;

//  Starts crier-ingest with the extra environment entries (NULL-ended, may be NULL) and waits
//  until it is ready. Returns NULL on failure.
ingest_fixture_t *ingest_fixture_start (const char *const *extra_env);

//  Stops crier-ingest with SIGTERM, expects exit status 0 and, when expected_log is not NULL, a
//  log line containing it; frees everything.
void ingest_fixture_stop (ingest_fixture_t **fixture_p, const char *expected_log);

//  Receives one frame from the resolver side within timeout_ms and decodes it; NULL on timeout.
//  redelivery (may be NULL) receives its attempt and only (free with crier_frame_redelivery_free).
crier_notification_t *ingest_fixture_receive_again (ingest_fixture_t *fixture, int timeout_ms,
                                                    crier_frame_redelivery_t *redelivery);
crier_notification_t *ingest_fixture_receive (ingest_fixture_t *fixture, int timeout_ms);

//  Sends a notification {to, body, id (NULL: none)} on the acknowledged endpoint and returns the
//  decoded answer (fails the test when none comes within 10 s).
crier_reply_t ingest_fixture_ask (ingest_fixture_t *fixture, const char *to, const char *body,
                                  const char *id);

//  Publishes a receipt as the bus would.
void ingest_fixture_publish (ingest_fixture_t *fixture, const crier_receipt_t *receipt);

//  Reads what crier-ingest publishes until a heartbeat says key = value; false after timeout_ms.
//  Start it with CRIER_HEARTBEAT_INTERVAL=100ms.
bool ingest_fixture_await_heartbeat (ingest_fixture_t *fixture, const char *key, int64_t value,
                                     int timeout_ms);

#endif

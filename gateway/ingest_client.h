/*  ingest_client.h - crier-gateway's link to crier-ingest's acknowledged endpoint: one DEALER
    with many requests in flight, their answers matched in order (ingest answers a connection's
    requests in the order they came: docs/protocol.md, section 1). A request unanswered within
    the timeout fails, and so does every request after it on that connection, which is then
    replaced by a new one: a late answer can never be taken for another request's. */
#ifndef CRIER_INGEST_CLIENT_H_INCLUDED
#define CRIER_INGEST_CLIENT_H_INCLUDED

#include "crier/curve.h"
#include "crier/reply.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_ingest_client_t crier_ingest_client_t;

//  The answer to a request: reply, or NULL with why there is none.
typedef void (crier_ingest_answer_fn) (const crier_reply_t *reply, const char *failure,
                                       void *request, void *arg);

//  Connects to endpoint on loop, with CURVE when curve is not NULL. Returns NULL after logging
//  why.
crier_ingest_client_t *crier_ingest_client_new (zloop_t *loop, const char *endpoint,
                                                const crier_curve_t *curve, int64_t timeout_ms,
                                                size_t max_in_flight, crier_ingest_answer_fn *fn,
                                                void *arg);

//  Fails every request in flight (fn with a failure), then closes. NULL-safe.
void crier_ingest_client_destroy (crier_ingest_client_t **self_p);

//  Sends a notification frame for request (handed back to fn with its answer). Returns 0, or -1
//  with why (no connection to crier-ingest, too many in flight) when it was not sent; fn is then
//  not called.
int crier_ingest_client_send (crier_ingest_client_t *self, const void *frame, size_t size,
                              void *request, char *why, size_t why_size);

//  Whether a connection to crier-ingest is up (gateway.ingest_connected, gateway.ingest_lost).
bool crier_ingest_client_connected (const crier_ingest_client_t *self);

//  Requests waiting for their answer.
size_t crier_ingest_client_in_flight (const crier_ingest_client_t *self);

#endif

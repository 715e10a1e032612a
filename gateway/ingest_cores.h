/*  ingest_cores.h - crier-gateway's links to every crier core's acknowledged endpoint
    (CRIER_ACK_ENDPOINT may list one per core: docs/deploy.md, "Several cores"): one
    crier_ingest_client_t per core, requests spread over the cores that are connected, so that
    a core that is down or silent costs only the requests in flight on it (answered 503, which
    the HTTP client sends again, and it lands on another core). */
#ifndef CRIER_INGEST_CORES_H_INCLUDED
#define CRIER_INGEST_CORES_H_INCLUDED

#include "ingest_client.h"

typedef struct crier_ingest_cores_t crier_ingest_cores_t;

//  A client per endpoint of the comma-separated list endpoints, each allowed max_in_flight
//  requests. Returns NULL after logging why.
crier_ingest_cores_t *crier_ingest_cores_new (zloop_t *loop, const char *endpoints,
                                              const crier_curve_t *curve, int64_t timeout_ms,
                                              size_t max_in_flight, crier_ingest_answer_fn *fn,
                                              void *arg);

//  Fails every request in flight, then closes. NULL-safe.
void crier_ingest_cores_destroy (crier_ingest_cores_t **self_p);

//  crier_ingest_client_send on the next connected core, round-robin; on another core when that
//  one cannot take it. Returns 0, or -1 with why when no core took it.
int crier_ingest_cores_send (crier_ingest_cores_t *self, const void *frame, size_t size,
                             void *request, char *why, size_t why_size);

//  How many cores are connected, and how many there are.
size_t crier_ingest_cores_connected (const crier_ingest_cores_t *self);
size_t crier_ingest_cores_count (const crier_ingest_cores_t *self);

//  Requests waiting for their answer, on every core.
size_t crier_ingest_cores_in_flight (const crier_ingest_cores_t *self);

#endif

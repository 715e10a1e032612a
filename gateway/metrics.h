/*  metrics.h - the whole pipeline as Prometheus metrics (docs/http.md), made from the event bus:
    what crier-ingest accepted and refused, what the resolver routed, each channel's delivery
    outcomes and the time from acceptance to delivery (a histogram), ingest's backlog, dead
    letters and pending nags, which processes answer (heartbeats), and the gateway's own
    requests by status. State only: the gateway feeds it events and renders it for GET /metrics. */
#ifndef CRIER_METRICS_H_INCLUDED
#define CRIER_METRICS_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

typedef struct crier_metrics_t crier_metrics_t;

crier_metrics_t *crier_metrics_new (void);
void crier_metrics_destroy (crier_metrics_t **self_p);

//  One event from the bus, as crier tail shows it (JSON: type, time, source, instance, fields).
void crier_metrics_event (crier_metrics_t *self, const json_t *event);

//  One request the gateway answered with status.
void crier_metrics_request (crier_metrics_t *self, unsigned status);

//  The metrics in Prometheus' text format (0.0.4) at now_ms. Caller frees; NULL when out of
//  memory.
char *crier_metrics_render (crier_metrics_t *self, int64_t now_ms);

#endif

/*  ingest_cores.c - see ingest_cores.h. */
#include "ingest_cores.h"

#include "crier/endpoint_list.h"

#include <stdio.h>
#include <stdlib.h>

struct crier_ingest_cores_t {
    size_t count;
    crier_ingest_client_t *clients[CRIER_ENDPOINT_LIST_MAX];
    size_t next; //  the core the next request tries first
};

crier_ingest_cores_t *crier_ingest_cores_new (zloop_t *loop, const char *endpoints,
                                              const crier_curve_t *curve, int64_t timeout_ms,
                                              size_t max_in_flight, crier_ingest_answer_fn *fn,
                                              void *arg)
{
    crier_endpoint_list_t list;
    if (crier_endpoint_list_parse (endpoints, &list) != 0)
        return NULL; //  checked with the settings: cannot happen
    crier_ingest_cores_t *self = calloc (1, sizeof *self);
    for (size_t index = 0; self && index < list.count; index++) {
        self->clients[index] = crier_ingest_client_new (loop, list.items[index], curve, timeout_ms,
                                                        max_in_flight, fn, arg);
        self->count = index + 1;
        if (!self->clients[index])
            crier_ingest_cores_destroy (&self);
    }
    crier_endpoint_list_free (&list);
    return self;
}

void crier_ingest_cores_destroy (crier_ingest_cores_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_ingest_cores_t *self = *self_p;
    for (size_t index = 0; index < self->count; index++)
        crier_ingest_client_destroy (&self->clients[index]);
    free (self);
    *self_p = NULL;
}

int crier_ingest_cores_send (crier_ingest_cores_t *self, const void *frame, size_t size,
                             void *request, char *why, size_t why_size)
{
    snprintf (why, why_size, "no crier core is reachable; try again shortly");
    //  Connected cores first; then any, as a connection may be up before its event was read.
    for (int pass = 0; pass < 2; pass++)
        for (size_t tried = 0; tried < self->count; tried++) {
            size_t index = (self->next + tried) % self->count;
            crier_ingest_client_t *client = self->clients[index];
            if (crier_ingest_client_connected (client) != (pass == 0))
                continue;
            if (crier_ingest_client_send (client, frame, size, request, why, why_size) == 0) {
                self->next = index + 1;
                return 0;
            }
        }
    return -1;
}

size_t crier_ingest_cores_connected (const crier_ingest_cores_t *self)
{
    size_t connected = 0;
    for (size_t index = 0; index < self->count; index++)
        connected += crier_ingest_client_connected (self->clients[index]);
    return connected;
}

size_t crier_ingest_cores_count (const crier_ingest_cores_t *self)
{
    return self->count;
}

size_t crier_ingest_cores_in_flight (const crier_ingest_cores_t *self)
{
    size_t in_flight = 0;
    for (size_t index = 0; index < self->count; index++)
        in_flight += crier_ingest_client_in_flight (self->clients[index]);
    return in_flight;
}

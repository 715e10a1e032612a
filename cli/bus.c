/*  bus.c - see bus.h. */
#include "bus.h"
#include "handshake.h"

#include "crier/bus_dedup.h"
#include "crier/endpoint_list.h"
#include "crier/links.h"

#include <stdio.h>
#include <string.h>

//  Once one bus answered, how long the others may take to.
#define OTHERS_MS 1000

struct bus_t {
    crier_endpoint_list_t endpoints;
    zsock_t *subscribers[CRIER_ENDPOINT_LIST_MAX]; //  one per endpoint
    zpoller_t *poller;
    crier_bus_dedup_t *dedup; //  several buses: each event once
    char unreached[1024];
};

//  Says why the bus at endpoint did not let this command in. Returns BUS_FAILED.
static bus_result_t s_refused (const char *what, const char *endpoint, handshake_result_t result,
                               unsigned code, const char *security)
{
    switch (result) {
        case HANDSHAKE_BAD_ENDPOINT:
            fprintf (stderr, "%s: bad endpoint '%s': %s\n", what, endpoint,
                     zmq_strerror (zmq_errno ()));
            break;
        case HANDSHAKE_REFUSED:
            fprintf (stderr,
                     "%s: the event bus at %s refused this command (status %u): it belongs to "
                     "another crier stack. Give this command that stack's CRIER_STACK_ID (or "
                     "CRIER_STACK_ID_FILE; scripts/run.sh keeps it in .local/stack-id) or "
                     "CRIER_CURVE_INTERNAL_CERT, as its processes have it.\n",
                     what, endpoint, code);
            break;
        case HANDSHAKE_MISMATCH:
            fprintf (stderr,
                     "%s: the handshake with the event bus at %s failed: this command's "
                     "security (%s) is not the stack's. Set CRIER_STACK_ID (or "
                     "CRIER_STACK_ID_FILE) or CRIER_CURVE_INTERNAL_CERT as its processes have "
                     "them (docs/security.md).\n",
                     what, endpoint, security);
            break;
        default:
            fprintf (stderr, "%s: could not watch the connection: %s\n", what,
                     zmq_strerror (zmq_errno ()));
    }
    return BUS_FAILED;
}

//  A subscriber with the stack's security and the topics; NULL when out of memory.
static zsock_t *s_subscriber (const crier_links_t *links, const char *const *topics)
{
    zsock_t *subscriber = zsock_new (ZMQ_SUB);
    if (!subscriber)
        return NULL;
    for (size_t index = 0; topics[index]; index++)
        zsock_set_subscribe (subscriber, topics[index]);
    if (!topics[0])
        zsock_set_subscribe (subscriber, "");
    crier_links_secure (links, subscriber, false);
    return subscriber;
}

//  Notes an endpoint that has not answered.
static void s_unreached (bus_t *self, const char *endpoint)
{
    size_t used = strlen (self->unreached);
    snprintf (self->unreached + used, sizeof self->unreached - used, "%s%s", used ? ", " : "",
              endpoint);
}

//  Connects every subscriber at once, then waits for their handshakes together until the
//  deadline; once one bus answered, the others get a moment more only (a core that is down must
//  not hold up crier status, a healthcheck's question).
static bus_result_t s_connect (bus_t *self, const char *what, const crier_links_t *links,
                               const char *const *topics, uint64_t timeout_ms)
{
    int64_t deadline = zclock_mono () + (int64_t)timeout_ms;
    const char *security = crier_links_security (links);
    zsock_t *monitors[CRIER_ENDPOINT_LIST_MAX] = {NULL};
    bus_result_t result = BUS_CONNECTED;
    size_t count = self->endpoints.count, waiting = 0;
    zpoller_t *poller = zpoller_new (NULL);
    if (!poller)
        return BUS_FAILED;
    for (size_t index = 0; index < count && result != BUS_FAILED; index++) {
        const char *endpoint = self->endpoints.items[index];
        handshake_result_t failed = HANDSHAKE_UNWATCHED;
        self->subscribers[index] = s_subscriber (links, topics);
        monitors[index] = self->subscribers[index]
                              ? handshake_start (self->subscribers[index], endpoint, &failed)
                              : NULL;
        if (!monitors[index] || zpoller_add (poller, monitors[index]) != 0)
            result = s_refused (what, endpoint, failed, 0, security);
        else
            waiting++;
    }
    while (result != BUS_FAILED && waiting > 0) {
        int64_t left = deadline - zclock_mono ();
        zsock_t *ready = left > 0 ? zpoller_wait (poller, (int)left) : NULL;
        if (!ready)
            break;
        size_t index = 0;
        while (monitors[index] != ready)
            index++;
        zpoller_remove (poller, ready);
        waiting--;
        unsigned code;
        handshake_result_t handshake =
            handshake_finish (self->subscribers[index], &monitors[index], 0, &code);
        if (handshake == HANDSHAKE_DONE && deadline > zclock_mono () + OTHERS_MS)
            deadline = zclock_mono () + OTHERS_MS;
        else if (handshake != HANDSHAKE_DONE)
            result = s_refused (what, self->endpoints.items[index], handshake, code, security);
    }
    zpoller_destroy (&poller);
    for (size_t index = 0; index < count; index++) {
        if (!monitors[index])
            continue;
        unsigned code;
        handshake_finish (self->subscribers[index], &monitors[index], 0, &code);
        if (result != BUS_FAILED) {
            s_unreached (self, self->endpoints.items[index]);
            result = BUS_UNREACHABLE;
        }
    }
    return result;
}

bus_t *bus_subscribe (const char *what, const char *endpoints, const char *const *topics,
                      uint64_t timeout_ms, bus_result_t *result_p)
{
    *result_p = BUS_FAILED;
    bus_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (crier_endpoint_list_parse (endpoints, &self->endpoints) != 0) {
        fprintf (stderr, "%s: bad endpoint list '%s': give endpoints separated by commas\n", what,
                 endpoints);
        bus_destroy (&self);
        return NULL;
    }
    crier_links_t links = {0};
    if (crier_links_load (&links) != 0) {
        crier_links_free (&links);
        bus_destroy (&self);
        return NULL; //  the settings' own lines said why
    }
    *result_p = s_connect (self, what, &links, topics, timeout_ms);
    crier_links_free (&links);
    self->poller = *result_p != BUS_FAILED ? zpoller_new (NULL) : NULL;
    for (size_t index = 0; self->poller && index < self->endpoints.count; index++)
        if (zpoller_add (self->poller, self->subscribers[index]) != 0)
            zpoller_destroy (&self->poller);
    if (self->poller && self->endpoints.count > 1)
        self->dedup = crier_bus_dedup_new ();
    if (!self->poller || (self->endpoints.count > 1 && !self->dedup)) {
        *result_p = BUS_FAILED;
        bus_destroy (&self);
    }
    return self;
}

const char *bus_unreached (const bus_t *self)
{
    return self->unreached;
}

int bus_receive (bus_t *self, int timeout_ms, char **type_p, zframe_t **body_p)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    *type_p = NULL;
    *body_p = NULL;
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        zsock_t *ready = zpoller_wait (self->poller, left > 0 ? (int)left : 0);
        if (!ready)
            return -1;
        if (zsock_recv (ready, "sf", type_p, body_p) != 0)
            continue;
        if (!self->dedup || !*body_p ||
            crier_bus_dedup_first (self->dedup, zframe_data (*body_p), zframe_size (*body_p),
                                   zclock_mono ()))
            return 0;
        zstr_free (type_p);
        zframe_destroy (body_p);
    }
    return -1;
}

void bus_destroy (bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_t *self = *self_p;
    zpoller_destroy (&self->poller);
    for (size_t index = 0; index < self->endpoints.count; index++)
        zsock_destroy (&self->subscribers[index]);
    crier_endpoint_list_free (&self->endpoints);
    crier_bus_dedup_destroy (&self->dedup);
    free (self);
    *self_p = NULL;
}

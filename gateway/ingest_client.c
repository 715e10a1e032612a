/*  ingest_client.c - see ingest_client.h. */
#include "ingest_client.h"

#include "crier/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_INTERVAL_MS 100

typedef struct {
    void *request;
    int64_t deadline; //  monotonic ms
} pending_t;

struct crier_ingest_client_t {
    zloop_t *loop;
    char *endpoint;
    const crier_curve_t *curve; //  NULL: plain
    int64_t timeout_ms;
    size_t max_in_flight;
    crier_ingest_answer_fn *fn;
    void *arg;
    zsock_t *dealer;
    zsock_t *monitor;  //  PAIR: the dealer's connections coming and going
    unsigned links;    //  dealers made so far (each monitor needs an endpoint of its own)
    bool connected;    //  a handshake with crier-ingest succeeded and held
    zlistx_t *pending; //  pending_t, oldest first
    int timer;
};

static int s_on_answer (zloop_t *loop, zsock_t *socket, void *arg);

static void s_pending_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  The dealer's connection to crier-ingest came up or went: said once each way.
static int s_on_monitor (zloop_t *loop, zsock_t *socket, void *arg)
{
    crier_ingest_client_t *self = arg;
    zmsg_t *event = zmsg_recv (socket);
    zframe_t *header = event ? zmsg_first (event) : NULL;
    uint16_t kind = 0;
    if (header && zframe_size (header) >= 2)
        memcpy (&kind, zframe_data (header), sizeof kind);
    zmsg_destroy (&event);
    bool connected = kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        crier_log (CRIER_LOG_ERROR, "gateway.ingest_refused", "endpoint", self->endpoint, "error",
                   kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                       ? "crier-ingest refused this gateway's certificate"
                       : "crier-ingest speaks another security mechanism",
                   "hint",
                   "give the gateway a client certificate crier-ingest lets in "
                   "(CRIER_CURVE_CERT, CRIER_CURVE_SERVER_CERT; docs/security.md), or none when "
                   "ingest has no CURVE");
        return 0;
    }
    if (kind != ZMQ_EVENT_HANDSHAKE_SUCCEEDED && kind != ZMQ_EVENT_DISCONNECTED)
        return 0;
    if (connected && !self->connected)
        crier_log (CRIER_LOG_INFO, "gateway.ingest_connected", "endpoint", self->endpoint);
    else if (!connected && self->connected)
        crier_log (CRIER_LOG_WARN, "gateway.ingest_lost", "endpoint", self->endpoint, "hint",
                   "requests are answered 503 (and /healthz) until crier-ingest is back");
    self->connected = connected;
    return 0;
}

static void s_disconnect (crier_ingest_client_t *self)
{
    if (self->connected)
        crier_log (CRIER_LOG_WARN, "gateway.ingest_lost", "endpoint", self->endpoint, "hint",
                   "the connection was closed; a new one is made");
    if (self->monitor)
        zloop_reader_end (self->loop, self->monitor);
    if (self->dealer)
        zloop_reader_end (self->loop, self->dealer);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->dealer);
    self->connected = false;
}

static int s_connect (crier_ingest_client_t *self)
{
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer)
        return -1;
    //  Sends fail at once while no connection is up: the HTTP client hears 503 then, not later.
    zsock_set_immediate (self->dealer, 1);
    zsock_set_sndhwm (self->dealer, (int)self->max_in_flight);
    zsock_set_rcvhwm (self->dealer, (int)self->max_in_flight);
    zsock_set_linger (self->dealer, 0);
    if (self->curve)
        crier_curve_apply (self->curve, self->dealer);
    //  Watched from before it connects: the first connection is an event too.
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://crier-gateway-ingest-%p-%u", (void *)self,
              ++self->links);
    if (zmq_socket_monitor (zsock_resolve (self->dealer), endpoint,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        !(self->monitor = zsock_new (ZMQ_PAIR)) ||
        zsock_connect (self->monitor, "%s", endpoint) != 0 ||
        zloop_reader (self->loop, self->monitor, s_on_monitor, self) != 0 ||
        zsock_connect (self->dealer, "%s", self->endpoint) != 0 ||
        zloop_reader (self->loop, self->dealer, s_on_answer, self) != 0) {
        crier_log (CRIER_LOG_ERROR, "gateway.connect_failed", "endpoint", self->endpoint, "error",
                   zmq_strerror (zmq_errno ()), "hint", "check CRIER_ACK_ENDPOINT");
        s_disconnect (self);
        return -1;
    }
    return 0;
}

//  Fails every request in flight with why.
static void s_fail_all (crier_ingest_client_t *self, const char *why)
{
    for (pending_t *pending = zlistx_first (self->pending); pending;
         pending = zlistx_first (self->pending)) {
        void *request = pending->request;
        zlistx_delete (self->pending, zlistx_cursor (self->pending));
        self->fn (NULL, why, request, self->arg);
    }
}

static int s_on_answer (zloop_t *loop, zsock_t *socket, void *arg)
{
    crier_ingest_client_t *self = arg;
    zmsg_t *message = zmsg_recv (socket);
    zframe_t *body = message ? zmsg_last (message) : NULL;
    pending_t *pending = zlistx_first (self->pending);
    if (!pending || !body || zmsg_size (message) != 2) {
        zmsg_destroy (&message);
        return 0; //  an answer for a request given up on a replaced connection cannot come
    }
    void *request = pending->request;
    zlistx_delete (self->pending, zlistx_cursor (self->pending));
    crier_reply_t reply;
    crier_error_t error;
    if (crier_reply_decode (zframe_data (body), zframe_size (body), &reply, &error) == 0) {
        self->fn (&reply, NULL, request, self->arg);
        crier_reply_free (&reply);
    } else
        self->fn (NULL, "crier-ingest's answer was unreadable (run the same crier version)",
                  request, self->arg);
    zmsg_destroy (&message);
    return 0;
}

//  The oldest request unanswered past its deadline: the connection is replaced.
static int s_on_check (zloop_t *loop, int timer_id, void *arg)
{
    crier_ingest_client_t *self = arg;
    pending_t *oldest = zlistx_first (self->pending);
    if (!oldest || oldest->deadline > zclock_mono ())
        return 0;
    crier_log (CRIER_LOG_WARN, "gateway.ingest_silent", "endpoint", self->endpoint, "in_flight",
               CRIER_LOG_INT (zlistx_size (self->pending)), "hint",
               "crier-ingest did not answer in time (CRIER_GATEWAY_INGEST_TIMEOUT): those "
               "requests were answered 503; a client that sends again with the same id is safe");
    s_disconnect (self);
    s_fail_all (self, "crier-ingest did not answer in time; send again with the same id");
    if (s_connect (self) != 0)
        return -1;
    return 0;
}

crier_ingest_client_t *crier_ingest_client_new (zloop_t *loop, const char *endpoint,
                                                const crier_curve_t *curve, int64_t timeout_ms,
                                                size_t max_in_flight, crier_ingest_answer_fn *fn,
                                                void *arg)
{
    crier_ingest_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    *self = (crier_ingest_client_t){.loop = loop,
                                    .endpoint = strdup (endpoint),
                                    .curve = curve,
                                    .timeout_ms = timeout_ms,
                                    .max_in_flight = max_in_flight,
                                    .fn = fn,
                                    .arg = arg,
                                    .pending = zlistx_new (),
                                    .timer = -1};
    if (!self->endpoint || !self->pending || s_connect (self) != 0 ||
        (self->timer = zloop_timer (loop, CHECK_INTERVAL_MS, 0, s_on_check, self)) == -1) {
        crier_ingest_client_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->pending, s_pending_free);
    return self;
}

void crier_ingest_client_destroy (crier_ingest_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_ingest_client_t *self = *self_p;
    if (self->pending)
        s_fail_all (self, "crier-gateway is stopping; send again with the same id");
    self->connected = false; //  closed on purpose: nothing to say
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    s_disconnect (self);
    zlistx_destroy (&self->pending);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

int crier_ingest_client_send (crier_ingest_client_t *self, const void *frame, size_t size,
                              void *request, char *why, size_t why_size)
{
    if (zlistx_size (self->pending) >= self->max_in_flight) {
        snprintf (why, why_size, "%zu requests wait for crier-ingest already; try again shortly",
                  zlistx_size (self->pending));
        return -1;
    }
    pending_t *pending = malloc (sizeof *pending);
    if (!pending) {
        snprintf (why, why_size, "out of memory");
        return -1;
    }
    *pending = (pending_t){request, zclock_mono () + self->timeout_ms};
    void *handle = zlistx_add_end (self->pending, pending);
    void *socket = zsock_resolve (self->dealer);
    if (!handle || zmq_send (socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 ||
        zmq_send (socket, frame, size, ZMQ_DONTWAIT) == -1) {
        int error = zmq_errno ();
        if (handle)
            zlistx_delete (self->pending, handle);
        else
            free (pending);
        snprintf (why, why_size, "%s",
                  error == EAGAIN ? "crier-ingest is not reachable; try again shortly"
                                  : zmq_strerror (error));
        return -1;
    }
    return 0;
}

bool crier_ingest_client_connected (const crier_ingest_client_t *self)
{
    return self->connected;
}

size_t crier_ingest_client_in_flight (const crier_ingest_client_t *self)
{
    return zlistx_size (self->pending);
}

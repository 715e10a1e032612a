/*  handshake_watch.c - see handshake_watch.h. */
#include "crier/handshake_watch.h"
#include "crier/log.h"

#include <string.h>

#define MAX_WATCHED     8
#define LOG_INTERVAL_MS 60000
//  How often the monitors are read: on a timer rather than as readers, so that a busy loop
//  does not poll a socket per watched one on every turn (docs/benchmarks.md).
#define CHECK_INTERVAL_MS 500

typedef struct {
    zsock_t *monitor; //  PAIR receiving the socket's monitor events
    char *purpose;
    char *hint;           //  NULL: a connecting socket
    int64_t logged_at[2]; //  per kind (protocol, other); 0: never
} watched_t;

struct crier_handshake_watch_t {
    zloop_t *loop;
    char *event;
    watched_t watched[MAX_WATCHED];
    size_t count;
    int timer; //  -1 until a socket is watched
};

crier_handshake_watch_t *crier_handshake_watch_new (zloop_t *loop, const char *event)
{
    crier_handshake_watch_t *self = calloc (1, sizeof *self);
    if (self) {
        self->loop = loop;
        self->event = strdup (event);
        self->timer = -1;
    }
    if (self && !self->event)
        crier_handshake_watch_destroy (&self);
    return self;
}

static const char *s_reason (uint16_t kind, uint32_t value)
{
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "the other end uses another security mechanism (CURVE, a stack identity, or none)";
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return "the peer encrypted for another server key";
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        return "the peer hung up during the handshake (it may use another security mechanism, "
               "stack identity or server key)";
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return "the other end refused this process: it belongs to another crier stack, or holds "
               "another CRIER_STACK_ID or internal certificate";
    return "the security handshake failed";
}

static const char s_connected_hint[] =
    "give every process of one stack the same CRIER_STACK_ID (or CRIER_CURVE_INTERNAL_CERT), and "
    "check that this endpoint is this stack's: scripts/run.sh keeps its identity in its state "
    "folder (docs/security.md)";

//  One monitor event of a watched socket: a line, at most one a minute per kind.
static void s_on_event (crier_handshake_watch_t *self, watched_t *watched, zmsg_t *event)
{
    zframe_t *header = zmsg_first (event);
    if (!header || zframe_size (header) < 6)
        return;
    uint16_t kind;
    uint32_t value;
    memcpy (&kind, zframe_data (header), sizeof kind);
    memcpy (&value, zframe_data (header) + 2, sizeof value);
    zframe_t *where = zmsg_next (event);
    char *endpoint = where ? zframe_strdup (where) : NULL;
    int64_t now = zclock_mono ();
    int64_t *logged_at = &watched->logged_at[kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL];
    if (!*logged_at || now - *logged_at >= LOG_INTERVAL_MS) {
        *logged_at = now;
        char code[16];
        snprintf (code, sizeof code, kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "%u" : "0x%x",
                  (unsigned)value);
        crier_log (CRIER_LOG_WARN, watched->hint ? self->event : "link.refused", "socket",
                   watched->purpose, "endpoint", endpoint ? endpoint : "", "error",
                   s_reason (kind, value), "code", code, "hint",
                   watched->hint ? watched->hint : s_connected_hint);
    }
    free (endpoint);
}

//  Reads what every monitor has (a handful of events at most between two checks).
static int s_on_check (zloop_t *loop, int timer_id, void *arg)
{
    crier_handshake_watch_t *self = arg;
    for (size_t index = 0; index < self->count; index++) {
        watched_t *watched = &self->watched[index];
        for (int taken = 0; taken < 100 && (zsock_events (watched->monitor) & ZMQ_POLLIN);
             taken++) {
            zmsg_t *event = zmsg_recv (watched->monitor);
            if (!event)
                break;
            s_on_event (self, watched, event);
            zmsg_destroy (&event);
        }
    }
    return 0;
}

static int s_add (crier_handshake_watch_t *self, zsock_t *socket, const char *purpose,
                  const char *hint, int events)
{
    if (self->count == MAX_WATCHED)
        return -1;
    watched_t *watched = &self->watched[self->count];
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://crier-handshake-watch-%p", (void *)socket);
    if (zmq_socket_monitor (zsock_resolve (socket), endpoint, events) != 0 ||
        !(watched->monitor = zsock_new (ZMQ_PAIR)) ||
        zsock_connect (watched->monitor, "%s", endpoint) != 0) {
        crier_log (CRIER_LOG_ERROR, "link.watch_failed", "socket", purpose, "error",
                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&watched->monitor);
        return -1;
    }
    watched->purpose = strdup (purpose);
    watched->hint = hint ? strdup (hint) : NULL;
    self->count++;
    if (self->timer == -1)
        self->timer = zloop_timer (self->loop, CHECK_INTERVAL_MS, 0, s_on_check, self);
    return self->timer == -1 ? -1 : 0;
}

int crier_handshake_watch_add (crier_handshake_watch_t *self, zsock_t *socket, const char *purpose,
                               const char *hint)
{
    //  "No detail" is a connection lost during the handshake: a client that gave up on a
    //  mismatch before this side saw it.
    return s_add (self, socket, purpose, hint,
                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
}

int crier_handshake_watch_connected (crier_handshake_watch_t *self, zsock_t *socket,
                                     const char *purpose)
{
    return s_add (self, socket, purpose, NULL,
                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
}

void crier_handshake_watch_destroy (crier_handshake_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_handshake_watch_t *self = *self_p;
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    for (size_t index = 0; index < self->count; index++) {
        zsock_destroy (&self->watched[index].monitor);
        free (self->watched[index].purpose);
        free (self->watched[index].hint);
    }
    free (self->event);
    free (self);
    *self_p = NULL;
}

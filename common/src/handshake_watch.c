/*  handshake_watch.c - see handshake_watch.h. */
#include "crier/handshake_watch.h"
#include "crier/log.h"

#include <string.h>

#define MAX_WATCHED     8
#define LOG_INTERVAL_MS 60000

typedef struct {
    zsock_t *monitor; //  PAIR receiving the socket's monitor events
    char *purpose;
    char *hint;
    int64_t logged_at[2]; //  per kind (protocol, no detail); 0: never
} watched_t;

struct crier_handshake_watch_t {
    zloop_t *loop;
    watched_t watched[MAX_WATCHED];
    size_t count;
};

crier_handshake_watch_t *crier_handshake_watch_new (zloop_t *loop)
{
    crier_handshake_watch_t *self = calloc (1, sizeof *self);
    if (self)
        self->loop = loop;
    return self;
}

static const char *s_reason (uint16_t kind, uint32_t value)
{
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "the peer does not use CURVE";
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return "the peer encrypted for another server key";
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        return "the peer hung up during the handshake (it may not use CURVE, or use another "
               "server key)";
    return "the security handshake failed";
}

static int s_on_event (zloop_t *loop, zsock_t *monitor, void *arg)
{
    watched_t *watched = arg;
    zmsg_t *event = zmsg_recv (monitor);
    zframe_t *header = event ? zmsg_first (event) : NULL;
    if (header && zframe_size (header) >= 6) {
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
            snprintf (code, sizeof code, "0x%x", (unsigned)value);
            crier_log (CRIER_LOG_WARN, "curve.handshake_failed", "socket", watched->purpose,
                       "endpoint", endpoint ? endpoint : "", "error", s_reason (kind, value),
                       "code", code, "hint", watched->hint);
        }
        free (endpoint);
    }
    zmsg_destroy (&event);
    return 0;
}

int crier_handshake_watch_add (crier_handshake_watch_t *self, zsock_t *socket, const char *purpose,
                               const char *hint)
{
    if (self->count == MAX_WATCHED)
        return -1;
    watched_t *watched = &self->watched[self->count];
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://crier-handshake-watch-%p", (void *)socket);
    //  "No detail" is a connection lost during the handshake: a client that gave up on a
    //  mismatch before this side saw it.
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor (zsock_resolve (socket), endpoint, events) != 0 ||
        !(watched->monitor = zsock_new (ZMQ_PAIR)) ||
        zsock_connect (watched->monitor, "%s", endpoint) != 0) {
        crier_log (CRIER_LOG_ERROR, "curve.watch_failed", "socket", purpose, "error",
                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&watched->monitor);
        return -1;
    }
    watched->purpose = strdup (purpose);
    watched->hint = strdup (hint);
    self->count++;
    return zloop_reader (self->loop, watched->monitor, s_on_event, watched);
}

void crier_handshake_watch_destroy (crier_handshake_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_handshake_watch_t *self = *self_p;
    for (size_t index = 0; index < self->count; index++) {
        zloop_reader_end (self->loop, self->watched[index].monitor);
        zsock_destroy (&self->watched[index].monitor);
        free (self->watched[index].purpose);
        free (self->watched[index].hint);
    }
    free (self);
    *self_p = NULL;
}

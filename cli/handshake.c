/*  handshake.c - see handshake.h. */
#include "handshake.h"

#include <string.h>

#define HANDSHAKE_EVENTS                                                                           \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |                             \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

//  Reads handshake events until one says how it went or the deadline passes.
static handshake_result_t s_await (zsock_t *monitor, int64_t deadline, unsigned *code_p)
{
    int64_t left = deadline - zclock_mono ();
    zsock_set_rcvtimeo (monitor, left > 0 ? (int)left : 0);
    zmsg_t *event = zmsg_recv (monitor);
    zframe_t *header = event ? zmsg_first (event) : NULL;
    if (!header || zframe_size (header) < 6) {
        zmsg_destroy (&event);
        return HANDSHAKE_TIMEOUT;
    }
    uint16_t kind;
    uint32_t value;
    memcpy (&kind, zframe_data (header), sizeof kind);
    memcpy (&value, zframe_data (header) + 2, sizeof value);
    zmsg_destroy (&event);
    *code_p = value;
    if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        return HANDSHAKE_DONE;
    return kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? HANDSHAKE_REFUSED : HANDSHAKE_MISMATCH;
}

zsock_t *handshake_start (zsock_t *socket, const char *endpoint, handshake_result_t *result_p)
{
    char monitor_endpoint[64];
    snprintf (monitor_endpoint, sizeof monitor_endpoint, "inproc://crier-cli-monitor-%p",
              (void *)socket);
    zsock_t *monitor = NULL;
    if (zmq_socket_monitor (zsock_resolve (socket), monitor_endpoint, HANDSHAKE_EVENTS) == 0) {
        monitor = zsock_new (ZMQ_PAIR);
        if (monitor && zsock_connect (monitor, "%s", monitor_endpoint) != 0)
            zsock_destroy (&monitor);
    }
    *result_p = HANDSHAKE_UNWATCHED;
    if (monitor && zsock_connect (socket, "%s", endpoint) != 0) {
        *result_p = HANDSHAKE_BAD_ENDPOINT;
        zsock_destroy (&monitor);
    }
    if (!monitor)
        zmq_socket_monitor (zsock_resolve (socket), NULL, 0);
    return monitor;
}

handshake_result_t handshake_finish (zsock_t *socket, zsock_t **monitor_p, int64_t deadline,
                                     unsigned *code_p)
{
    *code_p = 0;
    handshake_result_t result = s_await (*monitor_p, deadline, code_p);
    zmq_socket_monitor (zsock_resolve (socket), NULL, 0);
    zsock_destroy (monitor_p);
    return result;
}

handshake_result_t handshake_connect (zsock_t *socket, const char *endpoint, uint64_t timeout_ms,
                                      unsigned *code_p)
{
    *code_p = 0;
    int64_t deadline = zclock_mono () + (int64_t)timeout_ms;
    handshake_result_t result;
    zsock_t *monitor = handshake_start (socket, endpoint, &result);
    return monitor ? handshake_finish (socket, &monitor, deadline, code_p) : result;
}

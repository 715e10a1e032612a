/*  socket.c - see socket.h. */
#include "crier/socket.h"
#include "crier/log.h"

#include <errno.h>

zsock_t *crier_socket_open (int type, crier_socket_mode_t mode, const char *endpoint,
                            const crier_links_t *links, const char *purpose)
{
    return crier_socket_open_secured (type, mode, endpoint, links->hwm, purpose,
                                      crier_links_curve (links, mode == CRIER_BIND));
}

zsock_t *crier_socket_open_secured (int type, crier_socket_mode_t mode, const char *endpoint,
                                    int hwm, const char *purpose, const crier_curve_t *curve)
{
    crier_socket_limits_t limits = {hwm, hwm, -1};
    return crier_socket_open_limited (type, mode, endpoint, &limits, purpose, curve);
}

zsock_t *crier_socket_open_limited (int type, crier_socket_mode_t mode, const char *endpoint,
                                    const crier_socket_limits_t *limits, const char *purpose,
                                    const crier_curve_t *curve)
{
    zsock_t *socket = zsock_new (type);
    if (!socket) {
        crier_log (CRIER_LOG_ERROR, "socket.failed", "purpose", purpose, "error",
                   zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_sndhwm (socket, limits->send_hwm);
    zsock_set_rcvhwm (socket, limits->receive_hwm);
    int64_t limit = limits->max_message_bytes;
    zmq_setsockopt (zsock_resolve (socket), ZMQ_MAXMSGSIZE, &limit, sizeof limit);
    if (curve)
        crier_curve_apply (curve, socket);
    int rc = mode == CRIER_BIND ? zsock_bind (socket, "%s", endpoint)
                                : zsock_connect (socket, "%s", endpoint);
    if (rc == -1) {
        const char *hint = mode == CRIER_BIND
                               ? "check that no other process listens there and that the "
                                 "address belongs to this host"
                               : "check the endpoint's syntax";
        crier_log (CRIER_LOG_ERROR,
                   mode == CRIER_BIND ? "socket.bind_failed" : "socket.connect_failed", "purpose",
                   purpose, "endpoint", endpoint, "error", zmq_strerror (zmq_errno ()), "hint",
                   hint);
        zsock_destroy (&socket);
    }
    return socket;
}

char *crier_socket_endpoint (zsock_t *socket)
{
    return zsock_last_endpoint (socket);
}

int crier_socket_send (zsock_t *socket, const void *data, size_t size, int flags)
{
    return zmq_send (zsock_resolve (socket), data, size, flags) >= 0 ? 0 : -1;
}

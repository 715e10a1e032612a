/*  socket.c - see socket.h. */
#include "crier/socket.h"
#include "crier/endpoint_list.h"
#include "crier/log.h"
#include "crier/port_holder.h"

#include <errno.h>

static void s_log_failure (crier_socket_mode_t mode, const char *endpoint, const char *purpose,
                           int error)
{
    if (mode == CRIER_CONNECT) {
        crier_log (CRIER_LOG_ERROR, "socket.connect_failed", "purpose", purpose, "endpoint",
                   endpoint, "error", zmq_strerror (error), "hint", "check the endpoint's syntax");
        return;
    }
    char holder[160] = "";
    if (error == EADDRINUSE)
        crier_port_holder (endpoint, holder, sizeof holder);
    const char *hint =
        error == EADDRINUSE
            ? "another process listens there (held_by): stop it, or give this crier stack ports "
              "of its own (the CRIER_*_ENDPOINT settings: README, Configuration)"
            : "check that the address belongs to this host and the endpoint's syntax";
    crier_log (CRIER_LOG_ERROR, "socket.bind_failed", "purpose", purpose, "endpoint", endpoint,
               "error", zmq_strerror (error), "held_by", holder[0] ? holder : NULL, "hint", hint);
}

//  Connects to each endpoint of a list (one per core: crier/endpoint_list.h).
static int s_connect (zsock_t *socket, const char *endpoints)
{
    crier_endpoint_list_t list;
    if (crier_endpoint_list_parse (endpoints, &list) != 0) {
        errno = EINVAL;
        return -1;
    }
    int rc = 0;
    for (size_t index = 0; index < list.count && rc == 0; index++)
        rc = zsock_connect (socket, "%s", list.items[index]);
    crier_endpoint_list_free (&list);
    return rc;
}

static zsock_t *s_open (int type, crier_socket_mode_t mode, const char *endpoint,
                        const crier_socket_limits_t *limits, const char *purpose,
                        const crier_links_t *links, const crier_curve_t *curve,
                        crier_handshake_watch_t *watch)
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
    if (links) {
        zsock_set_heartbeat_ivl (socket, CRIER_LINK_HEARTBEAT_IVL_MS);
        zsock_set_heartbeat_timeout (socket, CRIER_LINK_HEARTBEAT_TIMEOUT_MS);
        zsock_set_heartbeat_ttl (socket, CRIER_LINK_HEARTBEAT_TTL_MS);
        crier_links_secure (links, socket, mode == CRIER_BIND);
    } else if (curve)
        crier_curve_apply (curve, socket);
    if (watch && crier_handshake_watch_connected (watch, socket, purpose) != 0) {
        zsock_destroy (&socket);
        return NULL;
    }
    int rc =
        mode == CRIER_BIND ? zsock_bind (socket, "%s", endpoint) : s_connect (socket, endpoint);
    if (rc == -1) {
        s_log_failure (mode, endpoint, purpose, zmq_errno ());
        zsock_destroy (&socket);
    }
    return socket;
}

zsock_t *crier_socket_open (int type, crier_socket_mode_t mode, const char *endpoint,
                            const crier_links_t *links, const char *purpose)
{
    crier_socket_limits_t limits = {links->hwm, links->hwm, -1};
    return s_open (type, mode, endpoint, &limits, purpose, links, NULL, NULL);
}

zsock_t *crier_socket_open_link (int type, crier_socket_mode_t mode, const char *endpoint,
                                 const crier_links_t *links, const crier_socket_limits_t *limits,
                                 const char *purpose)
{
    return s_open (type, mode, endpoint, limits, purpose, links, NULL, NULL);
}

zsock_t *crier_socket_open_limited (int type, crier_socket_mode_t mode, const char *endpoint,
                                    const crier_socket_limits_t *limits, const char *purpose,
                                    const crier_curve_t *curve)
{
    return s_open (type, mode, endpoint, limits, purpose, NULL, curve, NULL);
}

zsock_t *crier_socket_connect_watched (int type, const char *endpoint, const crier_links_t *links,
                                       const crier_socket_limits_t *limits, const char *purpose,
                                       crier_handshake_watch_t *watch)
{
    crier_socket_limits_t shared = {links->hwm, links->hwm, -1};
    return s_open (type, CRIER_CONNECT, endpoint, limits ? limits : &shared, purpose, links, NULL,
                   watch);
}

char *crier_socket_endpoint (zsock_t *socket)
{
    return zsock_last_endpoint (socket);
}

int crier_socket_send (zsock_t *socket, const void *data, size_t size, int flags)
{
    return zmq_send (zsock_resolve (socket), data, size, flags) >= 0 ? 0 : -1;
}

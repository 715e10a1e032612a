/*  socket.h - opening the ZeroMQ sockets of a pipeline link, with the settings every crier
    socket shares and one clear log line when it fails. */
#ifndef CRIER_SOCKET_H_INCLUDED
#define CRIER_SOCKET_H_INCLUDED

#include "crier/curve.h"
#include "crier/handshake_watch.h"
#include "crier/links.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

//  Default high-water mark: how many messages a socket queues per peer before it pushes back.
#define CRIER_DEFAULT_HWM 10000

//  ZeroMQ heartbeats on every link between crier's own processes: a peer that vanished without
//  closing its connections (a machine, a container's network gone with it) is noticed within
//  seconds, and a connecting socket connects again, instead of a PULL waiting on a dead
//  connection forever or a PUSH queueing deliveries into it.
#define CRIER_LINK_HEARTBEAT_IVL_MS     2000
#define CRIER_LINK_HEARTBEAT_TIMEOUT_MS 6000
#define CRIER_LINK_HEARTBEAT_TTL_MS     10000

typedef enum { CRIER_BIND, CRIER_CONNECT } crier_socket_mode_t;

//  What a socket holds at most, per connection.
typedef struct {
    int receive_hwm;           //  messages queued from one peer
    int send_hwm;              //  messages queued for one peer (answers it does not read)
    int64_t max_message_bytes; //  a peer sending more is disconnected unread (-1: no limit)
} crier_socket_limits_t;

//  Opens a socket of type on a link between crier's own processes: send and receive high-water
//  marks and who may be on the other end (CURVE keys or the stack identity) from links; then
//  binds or connects it to endpoint. purpose names the link in the error line ("notifications
//  to the resolver"). Returns NULL after logging why; a failed bind names what holds the port.
zsock_t *crier_socket_open (int type, crier_socket_mode_t mode, const char *endpoint,
                            const crier_links_t *links, const char *purpose);

//  crier_socket_open with limits of its own instead of links' high-water mark.
zsock_t *crier_socket_open_link (int type, crier_socket_mode_t mode, const char *endpoint,
                                 const crier_links_t *links, const crier_socket_limits_t *limits,
                                 const char *purpose);

//  crier_socket_open_link for a socket that connects, watched by watch from before its connect
//  (limits NULL: links' high-water mark). ZeroMQ does not retry a connection whose handshake the
//  other end refused, so a watch added after the connect can miss the only refusal there is.
zsock_t *crier_socket_connect_watched (int type, const char *endpoint, const crier_links_t *links,
                                       const crier_socket_limits_t *limits, const char *purpose,
                                       crier_handshake_watch_t *watch);

//  A socket that faces clients (ingest's endpoints for services), with its limits and exactly
//  the keys given: plain when curve is NULL. Like every option, the limits are set before the
//  bind: ZeroMQ copies a listener's options to each connection it accepts, so a limit set later
//  never applies.
zsock_t *crier_socket_open_limited (int type, crier_socket_mode_t mode, const char *endpoint,
                                    const crier_socket_limits_t *limits, const char *purpose,
                                    const crier_curve_t *curve);

//  The endpoint a socket last bound, as it really listens (the port filled in when it was '*').
//  Caller frees.
char *crier_socket_endpoint (zsock_t *socket);

//  Sends one frame of size bytes. Returns 0, or -1 with errno from ZeroMQ (EAGAIN when the
//  high-water mark or ZMQ_SNDTIMEO stopped it).
int crier_socket_send (zsock_t *socket, const void *data, size_t size, int flags);

#endif

/*  ingest_server.c - see ingest_server.h. */
#include "ingest_server.h"

#include "crier/event.h"
#include "crier/frames.h"
#include "crier/id.h"
#include "crier/log.h"
#include "crier/socket.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

//  How often the counters are logged, when they changed.
#define STATS_INTERVAL_MS 60000
//  How long one blocked send to the resolver waits before checking for a stop command.
#define SEND_WAIT_MS 250
//  Frames handled per wake-up before looking at the pipe again.
#define BATCH 1024
//  Frames up to this many times CRIER_MAX_MESSAGE_BYTES are read and rejected with a log line;
//  ZeroMQ drops the connection of a peer sending anything larger, to bound memory.
#define HARD_LIMIT_FACTOR 4

typedef struct {
    const crier_ingest_config_t *config;
    zsock_t *pipe;
    zsock_t *pull;   //  services push here
    zsock_t *push;   //  to the resolver
    zsock_t *events; //  to the event bus
    zpoller_t *poller;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t accepted_logged;
    uint64_t rejected_logged;
    int64_t stats_due;
    int64_t heartbeat_due;
    bool resolver_blocked; //  logged once per change, not per retry
    bool terminated;
} server_t;

static void s_reject (server_t *self, size_t bytes, const crier_error_t *error)
{
    self->rejected++;
    crier_log (CRIER_LOG_WARN, "frame.rejected", "field", error->field, "error", error->message,
               "bytes", CRIER_LOG_INT (bytes), "rejected_total", CRIER_LOG_INT (self->rejected),
               "hint", "fix the sender; other notifications are not affected");
    crier_event_t *event = crier_event_new ("frame.rejected");
    if (event) {
        crier_event_add_text (event, "field", error->field);
        crier_event_add_text (event, "error", error->message);
        crier_event_add_int (event, "bytes", (int64_t)bytes);
        crier_event_send (&event, self->events);
    }
}

static void s_handle_command (server_t *self);

//  Sends a frame to the resolver, waiting while the resolver is slow or away. Returns 0, or -1
//  when a stop command came first.
static int s_send_to_resolver (server_t *self, const char *data, size_t size, const char *id)
{
    while (crier_socket_send (self->push, data, size, 0) != 0) {
        if (errno != EAGAIN) {
            crier_log (CRIER_LOG_ERROR, "resolver.send_failed", "id", id, "error",
                       zmq_strerror (errno));
            return -1;
        }
        if (!self->resolver_blocked) {
            self->resolver_blocked = true;
            crier_log (CRIER_LOG_WARN, "resolver.backpressure", "endpoint",
                       self->config->notifications_endpoint, "hint",
                       "crier-resolver is not running or not keeping up; ingest waits and stops "
                       "reading new frames meanwhile");
        }
        if (zsock_events (self->pipe) & ZMQ_POLLIN) {
            s_handle_command (self);
            if (self->terminated) {
                crier_log (CRIER_LOG_ERROR, "notification.dropped", "id", id, "reason",
                           "stopped while crier-resolver was not taking notifications");
                return -1;
            }
        }
    }
    if (self->resolver_blocked) {
        self->resolver_blocked = false;
        crier_log (CRIER_LOG_INFO, "resolver.flowing", "endpoint",
                   self->config->notifications_endpoint);
    }
    return 0;
}

static void s_accept (server_t *self, crier_notification_t *notification, size_t bytes)
{
    if (!notification->id) {
        char id[CRIER_ID_BYTES];
        crier_id_generate (id);
        if (crier_notification_set (&notification->id, id) != 0)
            return;
    }
    notification->received_at_ms = zclock_time ();
    char *frame;
    size_t frame_size;
    if (crier_frame_encode_notification (notification, &frame, &frame_size) != 0) {
        crier_log (CRIER_LOG_ERROR, "notification.dropped", "id", notification->id, "reason",
                   "out of memory");
        return;
    }
    if (s_send_to_resolver (self, frame, frame_size, notification->id) == 0) {
        self->accepted++;
        //  Per message: only format the numbers when the line is wanted.
        if (crier_log_enabled (CRIER_LOG_DEBUG))
            crier_log (CRIER_LOG_DEBUG, "notification.accepted", "id", notification->id, "groups",
                       CRIER_LOG_INT (notification->to_count), "bytes", CRIER_LOG_INT (bytes));
        crier_event_t *event = crier_event_new ("notification.accepted");
        if (event) {
            crier_event_add_text (event, "notification_id", notification->id);
            crier_event_add_texts (event, "to", notification->to, notification->to_count);
            crier_event_add_text (event, "priority", crier_priority_name (notification->priority));
            crier_event_add_int (event, "bytes", (int64_t)bytes);
            crier_event_send (&event, self->events);
        }
    }
    free (frame);
}

//  Takes one message from the PULL socket. Returns false when none was waiting.
static bool s_take_frame (server_t *self)
{
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, zsock_resolve (self->pull), ZMQ_DONTWAIT) == -1) {
        zmq_msg_close (&part);
        return false;
    }
    size_t bytes = zmq_msg_size (&part);
    if (zmq_msg_more (&part)) {
        size_t parts = 1;
        //  A multi-part message is one client mistake: read all of it, reject it once.
        zmq_msg_t rest;
        zmq_msg_init (&rest);
        bool more = true;
        while (more && zmq_msg_recv (&rest, zsock_resolve (self->pull), 0) != -1) {
            parts++;
            bytes += zmq_msg_size (&rest);
            more = zmq_msg_more (&rest);
        }
        zmq_msg_close (&rest);
        crier_error_t error;
        crier_error_set (&error, "(frame)",
                         "a multi-part message of %zu frames: send each notification as one frame",
                         parts);
        s_reject (self, bytes, &error);
    } else {
        crier_error_t error;
        crier_notification_t *notification = crier_notification_decode (
            zmq_msg_data (&part), bytes, self->config->max_message_bytes, &error);
        if (notification)
            s_accept (self, notification, bytes);
        else
            s_reject (self, bytes, &error);
        crier_notification_destroy (&notification);
    }
    zmq_msg_close (&part);
    return true;
}

static int s_open_sockets (server_t *self)
{
    const crier_ingest_config_t *config = self->config;
    self->pull = crier_socket_open (ZMQ_PULL, CRIER_BIND, config->ingest_endpoint, config->hwm,
                                    "ingest endpoint for services");
    self->push = crier_socket_open (ZMQ_PUSH, CRIER_CONNECT, config->notifications_endpoint,
                                    config->hwm, "notifications to crier-resolver");
    self->events = crier_socket_open (ZMQ_PUB, CRIER_CONNECT, config->events_publish_endpoint,
                                      config->hwm, "event bus");
    if (!self->pull || !self->push || !self->events)
        return -1;
    int64_t hard_limit = (int64_t)config->max_message_bytes * HARD_LIMIT_FACTOR;
    zsock_set_maxmsgsize (self->pull, hard_limit > INT32_MAX ? -1 : (int)hard_limit);
    zsock_set_sndtimeo (self->push, SEND_WAIT_MS);
    //  Give queued notifications a moment to reach the resolver when ingest stops.
    zsock_set_linger (self->push, 2000);
    zpoller_add (self->poller, self->pull);
    return 0;
}

static void s_handle_command (server_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command) {
        self->terminated = true;
        return;
    }
    if (streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "START")) {
        if (!self->pull && s_open_sockets (self) == 0) {
            char *endpoint = crier_socket_endpoint (self->pull);
            crier_log (CRIER_LOG_INFO, "ingest.ready", "endpoint", endpoint, "resolver",
                       self->config->notifications_endpoint, "max_message_bytes",
                       CRIER_LOG_INT (self->config->max_message_bytes));
            zstr_sendx (self->pipe, "OK", endpoint ? endpoint : "", NULL);
            free (endpoint);
        } else
            zstr_send (self->pipe, "ERROR");
    } else if (streq (command, "STATS")) {
        char accepted[24], rejected[24];
        snprintf (accepted, sizeof accepted, "%" PRIu64, self->accepted);
        snprintf (rejected, sizeof rejected, "%" PRIu64, self->rejected);
        zstr_sendx (self->pipe, accepted, rejected, NULL);
    } else
        crier_log (CRIER_LOG_ERROR, "ingest.bad_command", "command", command);
    zstr_free (&command);
}

static void s_log_stats (server_t *self)
{
    if (self->accepted != self->accepted_logged || self->rejected != self->rejected_logged) {
        crier_log (CRIER_LOG_INFO, "ingest.stats", "accepted_total", CRIER_LOG_INT (self->accepted),
                   "rejected_total", CRIER_LOG_INT (self->rejected));
        self->accepted_logged = self->accepted;
        self->rejected_logged = self->rejected;
    }
    self->stats_due = zclock_mono () + STATS_INTERVAL_MS;
}

static void s_heartbeat (server_t *self)
{
    crier_event_t *event = self->events ? crier_event_new ("process.heartbeat") : NULL;
    if (event) {
        crier_event_add_int (event, "accepted", (int64_t)self->accepted);
        crier_event_add_int (event, "rejected", (int64_t)self->rejected);
        crier_event_add_text (event, "resolver", self->resolver_blocked ? "not taking" : "taking");
        crier_event_send (&event, self->events);
    }
    self->heartbeat_due = zclock_mono () + (int64_t)self->config->heartbeat_interval_ms;
}

void crier_ingest_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args, .pipe = pipe};
    self.poller = zpoller_new (pipe, NULL);
    //  Only the owner stops the actor, with $TERM, so that it can finish what it holds.
    zpoller_set_nonstop (self.poller, true);
    self.stats_due = zclock_mono () + STATS_INTERVAL_MS;
    self.heartbeat_due = zclock_mono (); //  the first one as soon as the sockets are open
    zsock_signal (pipe, 0);

    while (!self.terminated) {
        //  Wait until the next deadline: statistics, or a heartbeat once started.
        int64_t due =
            self.pull && self.heartbeat_due < self.stats_due ? self.heartbeat_due : self.stats_due;
        int64_t wait = due - zclock_mono ();
        void *which = zpoller_wait (self.poller, (int)(wait > 0 ? wait : 0));
        if (which == pipe)
            s_handle_command (&self);
        else if (which == self.pull) {
            for (int count = 0; count < BATCH && !self.terminated && s_take_frame (&self);)
                count++;
        }
        if (zclock_mono () >= self.stats_due)
            s_log_stats (&self);
        if (self.pull && zclock_mono () >= self.heartbeat_due)
            s_heartbeat (&self);
    }
    s_log_stats (&self);
    zpoller_destroy (&self.poller);
    zsock_destroy (&self.pull);
    zsock_destroy (&self.push);
    zsock_destroy (&self.events);
}

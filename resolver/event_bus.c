/*  event_bus.c - see event_bus.h. */
#include "event_bus.h"

#include "crier/paced.h"
#include "crier/socket.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  Messages moved per wake-up at most, before the loop looks at its other sockets.
#define BATCH 20000
//  A busy pipeline publishes several events per notification: they are forwarded in batches at
//  most this often (waking for each was much of the resolver's work). Watchers see an event at
//  most this much later.
#define INTERVAL_MS 2

struct crier_event_bus_t {
    zloop_t *loop;
    zsock_t *xsub; //  publishers connect here
    zsock_t *xpub; //  watchers connect here
    crier_paced_t *events;
    const char *watched; //  crier_event_bus_watch's type, or NULL
    size_t watched_length;
    crier_event_bus_fn *on_watched;
    void *arg;
    crier_heartbeat_t *heartbeat; //  the resolver's own, asked for by watchers (or NULL)
    bool heartbeat_asked;         //  a subscription passing asks for heartbeats
    bool outcomes_followed;       //  a watcher subscribes to delivery.delivered (crier-ingest does)
    uint64_t outcomes_passed;     //  delivery.* events forwarded so far
};

//  The subscription that says crier-ingest follows the outcomes of deliveries.
#define OUTCOMES_TOPIC "delivery.delivered"

//  Whether a message's first frame is the watched event type.
static bool s_is_watched (const crier_event_bus_t *self, zmq_msg_t *topic)
{
    return self->watched && zmq_msg_size (topic) == self->watched_length &&
           memcmp (zmq_msg_data (topic), self->watched, self->watched_length) == 0;
}

//  A subscription passing to the publishers. XPUB passes every subscription (XPUB_VERBOSE) and
//  the last unsubscription (also when a watcher goes away), so one flag follows whether someone
//  follows the outcomes. One covering the heartbeats asks for the resolver's own as well.
static void s_note_subscription (crier_event_bus_t *self, zmq_msg_t *message)
{
    const unsigned char *data = zmq_msg_data (message);
    size_t size = zmq_msg_size (message);
    self->heartbeat_asked |= crier_heartbeat_is_request (data, size);
    if (size == 1 + strlen (OUTCOMES_TOPIC) && (data[0] == 0 || data[0] == 1) &&
        memcmp (data + 1, OUTCOMES_TOPIC, size - 1) == 0)
        self->outcomes_followed = data[0] == 1;
}

//  Moves whole messages (all their frames, without copying) from one socket to the other, every
//  one waiting up to BATCH: events (showing the watched events' bodies on the way, and noting
//  when outcomes pass), or subscriptions (noting who follows the outcomes). Never blocks: XPUB
//  drops for a subscriber that is too far behind, which is what PUB/SUB promises.
static void s_move (crier_event_bus_t *self, zsock_t *from, zsock_t *to, bool events)
{
    void *source = zsock_resolve (from);
    void *sink = zsock_resolve (to);
    for (int count = 0; count < BATCH; count++) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int flags = ZMQ_DONTWAIT; //  only the first part may be absent
        bool more = true;
        int index = 0;
        bool watched = false;
        while (more && zmq_msg_recv (&part, source, flags) != -1) {
            more = zmq_msg_more (&part);
            if (events && index == 0) {
                watched = s_is_watched (self, &part);
                self->outcomes_passed +=
                    zmq_msg_size (&part) > 9 && memcmp (zmq_msg_data (&part), "delivery.", 9) == 0;
            } else if (index == 0)
                s_note_subscription (self, &part);
            else if (watched && index == 1)
                self->on_watched (zmq_msg_data (&part), zmq_msg_size (&part), self->arg);
            index++;
            if (zmq_msg_send (&part, sink, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) == -1)
                zmq_msg_close (&part);
            zmq_msg_init (&part);
            flags = 0;
        }
        zmq_msg_close (&part);
        if (flags == ZMQ_DONTWAIT)
            break; //  nothing was waiting
    }
}

//  Events, publishers to watchers: in paced batches.
static void s_on_events (zsock_t *xsub, void *arg)
{
    crier_event_bus_t *self = arg;
    s_move (self, xsub, self->xpub, true);
}

//  Subscriptions, watchers to publishers: rare, forwarded as they come.
static int s_on_subscription (zloop_t *loop, zsock_t *xpub, void *arg)
{
    crier_event_bus_t *self = arg;
    s_move (self, self->xpub, self->xsub, false);
    if (self->heartbeat_asked && self->heartbeat)
        crier_heartbeat_request (self->heartbeat);
    self->heartbeat_asked = false;
    return 0;
}

void crier_event_bus_answer_heartbeats (crier_event_bus_t *self, crier_heartbeat_t *heartbeat)
{
    self->heartbeat = heartbeat;
}

bool crier_event_bus_outcomes_followed (const crier_event_bus_t *self)
{
    return self->outcomes_followed;
}

uint64_t crier_event_bus_outcomes_passed (const crier_event_bus_t *self)
{
    return self->outcomes_passed;
}

crier_event_bus_t *crier_event_bus_new (zloop_t *loop, const char *publish_endpoint,
                                        const char *subscribe_endpoint, const crier_links_t *links)
{
    crier_event_bus_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->xsub = crier_socket_open (ZMQ_XSUB, CRIER_BIND, publish_endpoint, links,
                                    "event bus, publisher side");
    self->xpub = crier_socket_open (ZMQ_XPUB, CRIER_BIND, subscribe_endpoint, links,
                                    "event bus, subscriber side");
    //  Every subscription passes to the publishers, also one to a topic already subscribed:
    //  each crier status asks for heartbeats that way (crier_heartbeat_answer_requests).
    //  ZeroMQ reads this flag at each subscription, so it may follow the bind.
    int verbose = 1;
    if (self->xpub)
        zmq_setsockopt (zsock_resolve (self->xpub), ZMQ_XPUB_VERBOSE, &verbose, sizeof verbose);
    if (self->xsub && self->xpub)
        self->events = crier_paced_new (loop, self->xsub, INTERVAL_MS, s_on_events, self);
    if (!self->events || zloop_reader (loop, self->xpub, s_on_subscription, self) != 0) {
        crier_event_bus_destroy (&self);
        return NULL;
    }
    return self;
}

zsock_t *crier_event_bus_publisher (crier_event_bus_t *self)
{
    return self->xpub;
}

zsock_t *crier_event_bus_intake (crier_event_bus_t *self)
{
    return self->xsub;
}

void crier_event_bus_watch (crier_event_bus_t *self, const char *type, crier_event_bus_fn *fn,
                            void *arg)
{
    self->watched = type;
    self->watched_length = strlen (type);
    self->on_watched = fn;
    self->arg = arg;
    //  Subscribed by the bus itself, so that publishers send these events even while no watcher
    //  wants them (crier-ingest restarting). XSUB counts subscriptions: a watcher leaving does
    //  not end this one, and publishers that connect later get it too.
    size_t length = self->watched_length;
    char *subscription = malloc (length + 1);
    if (subscription) {
        subscription[0] = 1;
        memcpy (subscription + 1, type, length);
        zmq_send (zsock_resolve (self->xsub), subscription, length + 1, ZMQ_DONTWAIT);
        free (subscription);
    }
}

void crier_event_bus_destroy (crier_event_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_event_bus_t *self = *self_p;
    crier_paced_destroy (&self->events);
    if (self->xpub)
        zloop_reader_end (self->loop, self->xpub);
    zsock_destroy (&self->xsub);
    zsock_destroy (&self->xpub);
    free (self);
    *self_p = NULL;
}

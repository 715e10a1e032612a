/*  process.c - see process.h. */
#include "crier/process.h"
#include "crier/config.h"
#include "crier/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int crier_process_options (int argc, char *argv[], const char *name, const char *usage)
{
    //  A peer that hangs up must never kill a process through SIGPIPE.
    signal (SIGPIPE, SIG_IGN);
    //  SIGHUP asks for a reload (crier_process_hangup_fd). Blocked in every thread, before any
    //  exists, so that it never interrupts a poll (czmq's loops and pollers end on EINTR) and
    //  waits for a signalfd to read it; a process that reads none ignores it.
    sigset_t hangup;
    sigemptyset (&hangup);
    sigaddset (&hangup, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &hangup, NULL);
    if (argc == 1)
        return -1;
    if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
        printf ("Usage: %s [--help | --version]\n\n%s\n\nSettings come from CRIER_* environment "
                "variables; the README's configuration table lists them.\n",
                name, usage);
        return 0;
    }
    if (argc == 2 && strcmp (argv[1], "--version") == 0) {
        printf ("%s %s\n", name, CRIER_VERSION);
        return 0;
    }
    fprintf (stderr, "%s: unexpected argument '%s'; try %s --help\n", name, argv[1], name);
    return 2;
}

int crier_process_hangup_fd (void)
{
    static int fd = -1;
    if (fd == -1) {
        sigset_t hangup;
        sigemptyset (&hangup);
        sigaddset (&hangup, SIGHUP);
        fd = signalfd (-1, &hangup, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    return fd;
}

void crier_process_hangup_clear (int fd)
{
    struct signalfd_siginfo info;
    while (read (fd, &info, sizeof info) == (ssize_t)sizeof info)
        ;
}

void crier_process_wait_for_stop (zactor_t *actor)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    //  czmq's own handler turns SIGINT and SIGTERM into zsys_interrupted and ends the wait.
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, 1000);
        if (which == actor) {
            crier_log (CRIER_LOG_ERROR, "process.actor_ended", "hint",
                       "the server stopped on its own; see the lines above");
            break;
        }
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
}

char *crier_process_start_server (zactor_t *server)
{
    zstr_send (server, "START");
    char *status = NULL, *endpoint = NULL;
    //  A SIGTERM right after the start interrupts the wait for the answer, not the start: wait
    //  again, and the caller stops the server the usual way.
    int rc;
    do
        rc = zstr_recvx (server, &status, &endpoint, NULL);
    while (rc == -1 && zmq_errno () == EINTR);
    if (rc < 1 || !streq (status, "OK"))
        zstr_free (&endpoint);
    zstr_free (&status);
    return endpoint;
}

int crier_process_serve (zactor_t **server_p, const char *name)
{
    char *endpoint = *server_p ? crier_process_start_server (*server_p) : NULL;
    char stopping[64], stopped[64];
    snprintf (stopping, sizeof stopping, "%s.stopping", name);
    snprintf (stopped, sizeof stopped, "%s.stopped", name);
    if (endpoint) {
        crier_process_wait_for_stop (*server_p);
        crier_log (CRIER_LOG_INFO, stopping);
    }
    zactor_destroy (server_p);
    if (endpoint)
        crier_log (CRIER_LOG_INFO, stopped);
    int status = endpoint ? 0 : 1;
    zstr_free (&endpoint);
    return status;
}

typedef struct {
    crier_actor_start_fn *start;
    void *arg;
    crier_actor_finishing_fn *finishing;
    void *finishing_arg;
    uint64_t grace_ms;
    bool started;
    int64_t deadline; //  of the grace period, once stopping
} actor_t;

//  While stopping: ends the loop when the actor has finished its work or its time is up.
static int s_on_finishing (zloop_t *loop, int timer_id, void *arg)
{
    actor_t *actor = arg;
    return actor->finishing (actor->finishing_arg, zclock_mono () >= actor->deadline) ? 0 : -1;
}

static int s_on_command (zloop_t *loop, zsock_t *pipe, void *arg)
{
    actor_t *actor = arg;
    char *command = zstr_recv (pipe);
    int rc = 0;
    if (!command || streq (command, "$TERM")) {
        rc = -1;
        //  Finish what is held first, for up to the grace period, if the actor wants to.
        if (command && actor->started && actor->finishing &&
            actor->finishing (actor->finishing_arg, false)) {
            actor->deadline = zclock_mono () + (int64_t)actor->grace_ms;
            zloop_reader_end (loop, pipe);
            zloop_timer (loop, 50, 0, s_on_finishing, actor);
            rc = 0;
        }
    } else if (streq (command, "START")) {
        //  Only a started actor has work to finish: one that could not start has nothing open.
        char *endpoint = actor->started ? NULL : actor->start (actor->arg);
        actor->started = endpoint != NULL;
        if (endpoint)
            zstr_sendx (pipe, "OK", endpoint, NULL);
        else
            zstr_send (pipe, "ERROR");
        free (endpoint);
    } else
        crier_log (CRIER_LOG_ERROR, "actor.bad_command", "command", command);
    zstr_free (&command);
    return rc;
}

void crier_actor_run_finishing (zsock_t *pipe, zloop_t *loop, crier_actor_start_fn *start,
                                void *arg, crier_actor_finishing_fn *finishing, void *finishing_arg,
                                uint64_t grace_ms)
{
    actor_t actor = {start, arg, finishing, finishing_arg, grace_ms, false, 0};
    //  Only the owner stops the actor, with $TERM, so that it can finish what it holds.
    zloop_set_nonstop (loop, true);
    zloop_reader (loop, pipe, s_on_command, &actor);
    zsock_signal (pipe, 0);
    zloop_start (loop);
    zloop_reader_end (loop, pipe);
}

void crier_actor_run (zsock_t *pipe, zloop_t *loop, crier_actor_start_fn *start, void *arg)
{
    crier_actor_run_finishing (pipe, loop, start, arg, NULL, NULL, 0);
}

//  A heartbeat asked for comes at most this often: a burst of requests costs one.
#define HEARTBEAT_ANSWER_GAP_MS 50
//  How often a process looks for requests (subscriptions) on its events socket.
#define HEARTBEAT_REQUEST_CHECK_MS 100

struct crier_heartbeat_t {
    zloop_t *loop;
    zsock_t *events;
    crier_heartbeat_fn *fill;
    void *arg;
    int timer;
    int due_timer;     //  -1, or the one-shot timer of an answer held back by the gap
    int64_t sent_at;   //  when the last heartbeat went out
    int request_timer; //  -1, or the timer looking for requests (crier_heartbeat_answer_requests)
    crier_subscription_fn *on_subscription; //  told of every subscription, or NULL
    void *subscription_arg;
    int64_t started_at; //  Unix ms: with the instance, tells a restarted process (in a container
                        //  its host and pid may be the same) from the one before
};

static void s_publish_heartbeat (crier_heartbeat_t *self)
{
    crier_event_t *event = crier_event_new ("process.heartbeat");
    if (event) {
        crier_event_add_int (event, "started_at", self->started_at);
        self->fill (event, self->arg);
        crier_event_send (&event, self->events);
    }
    self->sent_at = zclock_mono ();
}

static int s_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    s_publish_heartbeat (arg);
    return 0;
}

static int s_on_due (zloop_t *loop, int timer_id, void *arg)
{
    crier_heartbeat_t *self = arg;
    self->due_timer = -1;
    s_publish_heartbeat (self);
    return 0;
}

bool crier_heartbeat_is_request (const void *data, size_t size)
{
    static const char topic[] = "process.heartbeat";
    const unsigned char *bytes = data;
    return size >= 1 && bytes[0] == 1 && size - 1 <= sizeof topic - 1 &&
           memcmp (bytes + 1, topic, size - 1) == 0;
}

void crier_heartbeat_request (crier_heartbeat_t *self)
{
    if (self->due_timer != -1)
        return; //  an answer is already on its way
    int64_t wait = self->sent_at + HEARTBEAT_ANSWER_GAP_MS - zclock_mono ();
    if (wait <= 0)
        s_publish_heartbeat (self);
    else
        self->due_timer = zloop_timer (self->loop, (size_t)wait, 1, s_on_due, self);
}

//  Subscriptions reaching a process's XPUB from the event bus: each that covers the
//  heartbeats asks for one. Looked for on a timer, not with a reader: one more socket in a
//  busy loop's poll set cost the senders a measurable share of their CPU (docs/benchmarks.md).
static int s_on_subscriptions (zloop_t *loop, int timer_id, void *arg)
{
    crier_heartbeat_t *self = arg;
    zsock_t *events = self->events;
    bool requested = false;
    zmq_msg_t message;
    zmq_msg_init (&message);
    for (int count = 0; count < 1000; count++) {
        if (zmq_msg_recv (&message, zsock_resolve (events), ZMQ_DONTWAIT) == -1)
            break;
        const char *data = zmq_msg_data (&message);
        size_t size = zmq_msg_size (&message);
        requested |= crier_heartbeat_is_request (data, size);
        if (self->on_subscription && size > 0 && data[0] == 1)
            self->on_subscription (data + 1, size - 1, self->subscription_arg);
    }
    zmq_msg_close (&message);
    if (requested)
        crier_heartbeat_request (self);
    return 0;
}

crier_heartbeat_t *crier_heartbeat_new (zloop_t *loop, zsock_t *events, uint64_t interval_ms,
                                        crier_heartbeat_fn *fill, void *arg)
{
    crier_heartbeat_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    *self = (crier_heartbeat_t){loop, events, fill, arg, -1, -1, 0, -1, NULL, NULL, zclock_time ()};
    s_publish_heartbeat (self); //  one at once, so that crier status need not wait
    self->timer = zloop_timer (loop, (size_t)interval_ms, 0, s_on_heartbeat, self);
    return self;
}

int crier_heartbeat_answer_requests (crier_heartbeat_t *self)
{
    int verbose = 1;
    if (zmq_setsockopt (zsock_resolve (self->events), ZMQ_XPUB_VERBOSE, &verbose, sizeof verbose) !=
        0)
        return -1;
    self->request_timer =
        zloop_timer (self->loop, HEARTBEAT_REQUEST_CHECK_MS, 0, s_on_subscriptions, self);
    return self->request_timer == -1 ? -1 : 0;
}

void crier_heartbeat_on_subscription (crier_heartbeat_t *self, crier_subscription_fn *fn, void *arg)
{
    self->on_subscription = fn;
    self->subscription_arg = arg;
}

void crier_heartbeat_destroy (crier_heartbeat_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_heartbeat_t *self = *self_p;
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    if (self->due_timer != -1)
        zloop_timer_end (self->loop, self->due_timer);
    if (self->request_timer != -1)
        zloop_timer_end (self->loop, self->request_timer);
    free (self);
    *self_p = NULL;
}

int crier_config_heartbeat (uint64_t *interval_ms_p)
{
    return crier_config_duration_ms ("CRIER_HEARTBEAT_INTERVAL", 5000, 100, 3600000, interval_ms_p);
}

int crier_config_stop_grace (uint64_t *grace_ms_p)
{
    return crier_config_duration_ms ("CRIER_STOP_GRACE", 10000, 0, 3600000, grace_ms_p);
}

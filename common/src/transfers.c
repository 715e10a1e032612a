/*  transfers.c - see transfers.h. */
#include "crier/transfers.h"

#include <stdbool.h>
#include <stdlib.h>

//  What a running transfer remembers, found through CURLOPT_PRIVATE.
typedef struct transfer_t {
    CURL *easy;
    crier_transfer_done_fn *done;
    void *arg;
    struct transfer_t *next; //  running transfers, so that destroy can end them
    struct transfer_t *previous;
} transfer_t;

struct crier_transfers_t {
    zloop_t *loop;
    CURLM *multi;
    int timer_id;     //  the loop's timer for curl, or -1
    int64_t timer_at; //  when it fires at the earliest (monotonic ms)
    int64_t due;      //  when curl wants to be called (monotonic ms), or -1
    bool dispatching; //  in a handler that runs what is due before it returns
    transfer_t *running;
};

//  How many times one handler lets curl act on what is due at once before leaving the rest to
//  the loop's timer: transfers that end at once and start others cannot hold the loop.
#define DUE_ROUNDS_MAX 64

//  Takes a transfer off the multi handle and the running list, and frees it.
static void s_forget (crier_transfers_t *self, transfer_t *transfer)
{
    curl_multi_remove_handle (self->multi, transfer->easy);
    curl_easy_setopt (transfer->easy, CURLOPT_PRIVATE, NULL);
    if (transfer->previous)
        transfer->previous->next = transfer->next;
    else
        self->running = transfer->next;
    if (transfer->next)
        transfer->next->previous = transfer->previous;
    free (transfer);
}

static void s_finish_done_transfers (crier_transfers_t *self)
{
    int queued;
    CURLMsg *message;
    while ((message = curl_multi_info_read (self->multi, &queued))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        CURL *easy = message->easy_handle;
        CURLcode result = message->data.result;
        transfer_t *transfer = NULL;
        curl_easy_getinfo (easy, CURLINFO_PRIVATE, (char **)&transfer);
        if (transfer) {
            crier_transfer_done_fn *done = transfer->done;
            void *done_arg = transfer->arg;
            s_forget (self, transfer);
            done (easy, result, done_arg);
        }
    }
}

static int s_on_timeout (zloop_t *loop, int timer_id, void *arg);

static int s_arm (crier_transfers_t *self, int64_t now, int64_t delay_ms)
{
    self->timer_id = zloop_timer (self->loop, (size_t)delay_ms, 1, s_on_timeout, self);
    self->timer_at = now + delay_ms;
    return self->timer_id == -1 ? -1 : 0;
}

//  Arms the loop's timer for when curl wants to be called, unless one fires early enough (it
//  then waits again for what is left): zloop keeps timers in a list and removes cancelled ones
//  only at the end of a turn, a search each, so the timer is replaced only for an earlier time.
static int s_rearm (crier_transfers_t *self)
{
    if (self->due == -1 || (self->timer_id != -1 && self->timer_at <= self->due))
        return 0;
    if (self->timer_id != -1)
        zloop_timer_end (self->loop, self->timer_id);
    int64_t now = zclock_mono ();
    return s_arm (self, now, self->due > now ? self->due - now : 0);
}

//  Runs fn, then lets curl do at once what it wants done now (a request a done callback or fn
//  started is sent in this turn of the loop, not after one more poll), and arms the loop's
//  timer once for what is left.
static int s_dispatch (crier_transfers_t *self, void (*fn) (crier_transfers_t *, void *), void *arg)
{
    bool outer = !self->dispatching;
    self->dispatching = true;
    fn (self, arg);
    if (!outer)
        return 0; //  the outer dispatch runs what is due
    for (int round = 0; round < DUE_ROUNDS_MAX && self->due != -1 && self->due <= zclock_mono ();
         round++) {
        self->due = -1;
        int running;
        curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        s_finish_done_transfers (self);
    }
    self->dispatching = false;
    return s_rearm (self);
}

typedef struct {
    curl_socket_t socket;
    int flags;
} readiness_t;

static void s_act_on_socket (crier_transfers_t *self, void *arg)
{
    const readiness_t *readiness = arg;
    int running;
    curl_multi_socket_action (self->multi, readiness->socket, readiness->flags, &running);
    s_finish_done_transfers (self);
}

static int s_on_socket_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    readiness_t readiness = {item->fd, 0};
    if (item->revents & ZMQ_POLLIN)
        readiness.flags |= CURL_CSELECT_IN;
    if (item->revents & ZMQ_POLLOUT)
        readiness.flags |= CURL_CSELECT_OUT;
    if (item->revents & ZMQ_POLLERR)
        readiness.flags |= CURL_CSELECT_ERR;
    return s_dispatch (arg, s_act_on_socket, &readiness);
}

static void s_nothing (crier_transfers_t *self, void *arg)
{
}

static int s_on_timeout (zloop_t *loop, int timer_id, void *arg)
{
    crier_transfers_t *self = arg;
    self->timer_id = -1;
    //  Nothing due yet (curl took its timeout back, or wants a later one): only re-armed.
    return s_dispatch (self, s_nothing, NULL);
}

//  CURLMOPT_SOCKETFUNCTION: watch, re-watch or forget one of curl's sockets.
static int s_socket_callback (CURL *easy, curl_socket_t socket, int what, void *user,
                              void *socket_data)
{
    crier_transfers_t *self = user;
    zmq_pollitem_t item = {.socket = NULL, .fd = socket};
    zloop_poller_end (self->loop, &item);
    if (what == CURL_POLL_REMOVE)
        return 0;
    short events = 0;
    if (what & CURL_POLL_IN)
        events |= ZMQ_POLLIN;
    if (what & CURL_POLL_OUT)
        events |= ZMQ_POLLOUT;
    item.events = events;
    if (zloop_poller (self->loop, &item, s_on_socket_ready, self) != 0)
        return -1;
    //  A socket curl is closing may report an error; that is curl's to handle, not a reason for
    //  the loop to drop it.
    zloop_poller_set_tolerant (self->loop, &item);
    return 0;
}

//  CURLMOPT_TIMERFUNCTION: curl wants to be called back after timeout_ms (-1: never). curl
//  calls this many times per transfer: during a dispatch only the time is noted (the dispatch
//  arms the timer once at its end).
static int s_timer_callback (CURLM *multi, long timeout_ms, void *user)
{
    crier_transfers_t *self = user;
    self->due = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    return self->dispatching ? 0 : s_rearm (self);
}

CURLcode crier_transfers_prepare (CURL *easy, const char *protocols, long timeout_ms, char *error)
{
    CURLcode rc = curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, protocols);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, error);
    return rc;
}

crier_transfers_t *crier_transfers_new (zloop_t *loop)
{
    crier_transfers_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->timer_id = -1;
    self->due = -1;
    self->multi = curl_multi_init ();
    if (!self->multi) {
        free (self);
        return NULL;
    }
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_socket_callback);
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_timer_callback);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

void crier_transfers_cancel (crier_transfers_t *self, CURL *easy)
{
    transfer_t *transfer = NULL;
    curl_easy_getinfo (easy, CURLINFO_PRIVATE, (char **)&transfer);
    if (transfer)
        s_forget (self, transfer);
}

void crier_transfers_destroy (crier_transfers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_transfers_t *self = *self_p;
    while (self->running)
        s_forget (self, self->running);
    if (self->timer_id != -1)
        zloop_timer_end (self->loop, self->timer_id);
    curl_multi_cleanup (self->multi);
    free (self);
    *self_p = NULL;
}

int crier_transfers_start (crier_transfers_t *self, CURL *easy, crier_transfer_done_fn *done,
                           void *arg)
{
    transfer_t *transfer = calloc (1, sizeof *transfer);
    if (!transfer)
        return -1;
    transfer->easy = easy;
    transfer->done = done;
    transfer->arg = arg;
    if (curl_easy_setopt (easy, CURLOPT_PRIVATE, transfer) != CURLE_OK ||
        curl_multi_add_handle (self->multi, easy) != CURLM_OK) {
        curl_easy_setopt (easy, CURLOPT_PRIVATE, NULL);
        free (transfer);
        return -1;
    }
    transfer->next = self->running;
    if (self->running)
        self->running->previous = transfer;
    self->running = transfer;
    return 0;
}

void crier_transfers_limit_connections (crier_transfers_t *self, long per_host)
{
    curl_multi_setopt (self->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, per_host);
}

typedef struct {
    crier_transfers_fn *fn;
    void *arg;
} work_t;

static void s_run_work (crier_transfers_t *self, void *arg)
{
    const work_t *work = arg;
    work->fn (work->arg);
}

int crier_transfers_run (crier_transfers_t *self, crier_transfers_fn *fn, void *arg)
{
    work_t work = {fn, arg};
    return s_dispatch (self, s_run_work, &work);
}

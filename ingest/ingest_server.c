/*  ingest_server.c - see ingest_server.h. Everything runs on one zloop: the two ingest sockets
    (ingest_intake.c), the receipts from the event bus and the wait for the resolver to take more
    (ingest_dispatch.c), the control endpoint, and a tick that syncs the journal, redelivers
    expired leases, compacts, and writes the state anew after the journal failed. */
#include "backlog.h"
#include "compaction.h"
#include "ingest_control.h"
#include "ingest_server.h"
#include "ingest_state.h"
#include "records.h"

#include "crier/event.h"
#include "crier/log.h"
#include "crier/socket.h"

#include <stdlib.h>
#include <unistd.h>

//  How often the counters are logged, when they changed.
#define STATS_INTERVAL_MS 60000
//  How often the journal is synced (for receipts; accepted notifications are synced before they
//  are acknowledged), leases checked and the journal's size looked at.
#define TICK_MS 100
//  How long ingest waits at most for the event bus to confirm its receipts' subscription.
#define RECEIPTS_CONFIRM_MS 3000
//  Wait requests held at most (each a few hundred bytes); past it they are answered at once.
#define WAITERS_MAX 10000
//  How soon a failed journal is tried again (by writing the whole state anew), doubling up to
//  the most: each failed try logs what failed.
#define RECOVER_INTERVAL_MS     1000
#define RECOVER_INTERVAL_MAX_MS 30000
//  Frames up to this many times CRIER_MAX_MESSAGE_BYTES are read and rejected with a log line;
//  ZeroMQ drops the connection of a peer sending anything larger, to bound memory.
#define HARD_LIMIT_FACTOR 4
//  A control request is a few ids; nothing larger is read.
#define CONTROL_MAX_BYTES (64 * 1024)
//  Answers queued for one client of the acknowledged endpoint, at most (crier_socket_limits_t).
#define ANSWERS_HWM 2000
//  A stopping ingest stops waiting for outcomes once none came for this long.
#define QUIET_MS 2000
//  The receipts socket queues this many events at most: a lost receipt costs a redelivery.
#define RECEIPTS_HWM 200000
//  Receipts are read in batches at most this often: a busy pipeline sends several per
//  notification, and waking for each was most of ingest's work. They only update the ledger,
//  so a few milliseconds of delay cost nothing (RECEIPTS_HWM holds 2 s at 100,000 a second).
#define RECEIPTS_INTERVAL_MS 5

typedef ingest_server_t server_t;

void crier_ingest_step (server_t *self)
{
    crier_ingest_dispatch (self);
    crier_ingest_set_reading (self);
}

void crier_ingest_journal_failed (server_t *self)
{
    if (crier_journal_broken (self->journal)) {
        //  As databases do after a failed fsync whose damage cannot be undone: stop, and let the
        //  replay at the next start decide from what is really on disk.
        crier_log (CRIER_LOG_ERROR, "ingest.stopping", "reason", "journal broken", "hint",
                   "see journal.cut_back_failed above; start crier-ingest again once the disk "
                   "is sound");
        _exit (EXIT_FAILURE);
    }
    if (self->journal_failing)
        return;
    self->journal_failing = true;
    self->recover_interval_ms = RECOVER_INTERVAL_MS;
    self->recover_at = zclock_mono () + RECOVER_INTERVAL_MS;
    crier_log (
        CRIER_LOG_ERROR, "ingest.journal_failing", "hint",
        "new notifications are refused (\"try again\") and the PULL endpoint is not read; "
        "deliveries in flight go on; the whole state is written anew (tried again after 1 s, "
        "then less and less often, up to every 30 s) until that works: free space on the "
        "data directory's disk");
}

//  Answers crier dead-letters: [routing id][empty][request] -> [routing id][empty][reply], once
//  a retry is on disk. Anything else is dropped (logged at debug level).
static int s_on_control (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = arg;
    zmsg_t *request = zmsg_recv (self->control);
    zframe_t *body = request ? crier_ingest_request_body (request) : NULL;
    if (!body) {
        crier_log (CRIER_LOG_DEBUG, "control.malformed", "frames",
                   CRIER_LOG_INT (request ? zmsg_size (request) : 0), "hint",
                   "send one request frame after the empty delimiter (docs/protocol.md)");
        zmsg_destroy (&request);
        return 0;
    }
    crier_control_reply_t reply = {0};
    const crier_client_t *client =
        self->zap ? crier_zap_client (self->zap, zframe_meta (body, "User-Id")) : NULL;
    if (self->zap && (!client || !client->operator)) {
        crier_log (CRIER_LOG_WARN, "control.refused", "client", client ? client->name : "", "hint",
                   "the control endpoint takes clients whose certificate says operator = "
                   "\"yes\" (crier keygen --operator)");
        reply.error = strdup ("this client is not an operator: its certificate needs operator = "
                              "\"yes\"");
    } else {
        crier_journal_t *journal = self->journal_failing ? NULL : self->journal;
        crier_control_write_t write = crier_ingest_control_answer (
            self->ledger, journal, zframe_data (body), zframe_size (body), &reply);
        if (write == CRIER_CONTROL_SYNC && crier_journal_sync (self->journal) != 0) {
            crier_ingest_control_unwritten (&reply);
            write = CRIER_CONTROL_UNWRITTEN;
        }
        //  The ledger holds the retry: it reaches the disk when the state is written anew.
        if (write == CRIER_CONTROL_UNWRITTEN)
            crier_ingest_journal_failed (self);
    }
    zframe_destroy (&body);
    char *data;
    size_t size;
    if (crier_control_reply_encode (&reply, &data, &size) == 0) {
        zmsg_addmem (request, data, size);
        free (data);
        zmsg_send (&request, self->control);
    }
    crier_control_reply_free (&reply);
    zmsg_destroy (&request);
    crier_ingest_step (self);
    return 0;
}

//  Writes the journal anew with what is live. Returns 0 or -1 (logged).
static int s_compact (server_t *self)
{
    uint64_t before = crier_journal_size (self->journal);
    int rc = crier_compact (self->journal, self->ledger, zclock_time ());
    uint64_t after = crier_journal_size (self->journal);
    if (rc == 0)
        crier_log (CRIER_LOG_INFO, "journal.compacted", "bytes_before", CRIER_LOG_INT (before),
                   "bytes_after", CRIER_LOG_INT (after), "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "dead_letters",
                   CRIER_LOG_INT (crier_ledger_dead_count (self->ledger)));
    //  Compact again when the journal has doubled, so that the work stays proportional.
    self->compact_at =
        after * 2 > self->config->compact_bytes ? after * 2 : self->config->compact_bytes;
    return rc;
}

//  While the journal fails: writes the whole state anew, from memory.
static void s_recover (server_t *self)
{
    if (zclock_mono () < self->recover_at)
        return;
    if (s_compact (self) != 0) {
        self->recover_interval_ms *= 2;
        if (self->recover_interval_ms > RECOVER_INTERVAL_MAX_MS)
            self->recover_interval_ms = RECOVER_INTERVAL_MAX_MS;
        self->recover_at = zclock_mono () + self->recover_interval_ms;
        return;
    }
    self->journal_failing = false;
    crier_log (CRIER_LOG_INFO, "ingest.journal_recovered", "backlog",
               CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "hint",
               "the journal holds the whole state again; new notifications are accepted");
}

//  Nags not kept because CRIER_MAX_PENDING_NAGS were pending: a line a minute at most.
static void s_warn_nags_refused (server_t *self)
{
    uint64_t refused = crier_ledger_nags_refused (self->ledger);
    if (refused == self->nags_refused_logged || zclock_mono () < self->nags_refused_at)
        return;
    crier_log (CRIER_LOG_WARN, "nags.refused", "count",
               CRIER_LOG_INT (refused - self->nags_refused_logged), "pending",
               CRIER_LOG_INT (crier_ledger_nags_pending (self->ledger)), "hint",
               "CRIER_MAX_PENDING_NAGS nags are pending: these notifications were delivered "
               "without a nag; raise the limit (about 1.7 KB each) or shorten the groups' "
               "nag.after");
    self->nags_refused_logged = refused;
    self->nags_refused_at = zclock_mono () + 60000;
}

static int s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    size_t expired = crier_ledger_expire (self->ledger, zclock_time ());
    if (expired > 0) {
        self->redelivered += expired;
        crier_log (CRIER_LOG_WARN, "notifications.redelivering", "count", CRIER_LOG_INT (expired),
                   "hint",
                   "no news of them within CRIER_REDELIVER_AFTER; their pending deliveries go "
                   "again (same delivery ids)");
    }
    size_t due = crier_ledger_nags_due (self->ledger, zclock_time ());
    if (due > 0)
        crier_log (CRIER_LOG_DEBUG, "nags.due", "count", CRIER_LOG_INT (due));
    s_warn_nags_refused (self);
    crier_ingest_summarize (self);
    crier_ingest_edit (self);
    crier_ingest_wait_expire (self, false);
    if (self->journal_failing)
        s_recover (self);
    else if (crier_journal_unsynced (self->journal) > 0 && crier_journal_sync (self->journal) != 0)
        crier_ingest_journal_failed (self);
    else if (crier_journal_size (self->journal) >= self->compact_at)
        s_compact (self);
    crier_ingest_flush_rejections (self);
    crier_ingest_step (self);
    return 0;
}

static int s_on_stats (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    if (self->accepted != self->accepted_logged || self->rejected != self->rejected_logged) {
        crier_log (CRIER_LOG_INFO, "ingest.stats", "accepted_total", CRIER_LOG_INT (self->accepted),
                   "rejected_total", CRIER_LOG_INT (self->rejected), "backlog",
                   CRIER_LOG_INT (crier_ledger_backlog (self->ledger)));
        self->accepted_logged = self->accepted;
        self->rejected_logged = self->rejected;
    }
    return 0;
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_int (event, "accepted", (int64_t)self->accepted);
    crier_event_add_int (event, "rejected", (int64_t)self->rejected);
    crier_event_add_int (event, "duplicates", (int64_t)self->duplicates);
    crier_event_add_int (event, "backlog", (int64_t)crier_ledger_backlog (self->ledger));
    crier_event_add_int (event, "in_flight", (int64_t)crier_ledger_in_flight (self->ledger));
    crier_event_add_int (event, "redelivered", (int64_t)self->redelivered);
    crier_event_add_int (event, "dead_letters", (int64_t)crier_ledger_dead_count (self->ledger));
    crier_event_add_int (event, "nags_pending", (int64_t)crier_ledger_nags_pending (self->ledger));
    crier_throttle_windows_t *windows = crier_ledger_throttles (self->ledger);
    char throttled[2048];
    crier_throttle_windows_describe (windows, throttled, sizeof throttled);
    crier_event_add_int (event, "throttle_windows",
                         (int64_t)crier_throttle_windows_count (windows));
    crier_event_add_text (event, "throttled", throttled);
    crier_event_add_text (event, "resolver", self->waiting_for_resolver ? "not taking" : "taking");
}

static int s_open_journal (server_t *self)
{
    crier_ledger_options_t options = {
        self->config->redeliver_after_ms, self->config->dedup_window_ms,
        (size_t)self->config->dedup_max,  (size_t)self->config->max_in_flight,
        self->config->nag_seen_wait_ms,   (size_t)self->config->max_pending_nags};
    self->ledger = crier_ledger_new (&options);
    self->waiters = crier_waiters_new (WAITERS_MAX);
    if (!self->ledger || !self->waiters)
        return -1;
    crier_records_report_t report;
    self->journal =
        crier_records_open (self->config->data_dir, crier_backlog_replay, self->ledger, &report);
    if (!self->journal)
        return -1;
    crier_ledger_replayed (self->ledger);
    uint64_t size = crier_journal_size (self->journal);
    self->compact_at =
        size * 2 > self->config->compact_bytes ? size * 2 : self->config->compact_bytes;
    crier_log (CRIER_LOG_INFO, "journal.opened", "path", self->config->data_dir, "bytes",
               CRIER_LOG_INT (size), "records", CRIER_LOG_INT (report.journal.records), "format",
               CRIER_LOG_INT (report.format), "backlog",
               CRIER_LOG_INT (crier_ledger_backlog (self->ledger)), "dead_letters",
               CRIER_LOG_INT (crier_ledger_dead_count (self->ledger)));
    return 0;
}

//  With CURVE, the keys and the ZAP handler, which must exist before the secured sockets bind.
static int s_open_curve (server_t *self)
{
    const crier_ingest_config_t *config = self->config;
    //  In plain mode the control endpoint belongs to the stack: its identity or internal
    //  certificate, checked by a handler of its own (docs/security.md).
    if (!config->curve_secret_key_file) {
        bool guarded =
            crier_links_internal_key (&config->links) || crier_links_stack_id (&config->links);
        self->stack_zap = guarded ? crier_zap_new (self->loop, NULL, &config->links) : NULL;
        return !guarded || self->stack_zap ? 0 : -1;
    }
    self->curve =
        crier_curve_server_new (config->curve_secret_key_file, "CRIER_CURVE_SECRET_KEY_FILE");
    self->zap =
        self->curve ? crier_zap_new (self->loop, config->curve_clients_dir, &config->links) : NULL;
    return self->zap ? 0 : -1;
}

//  In plain mode, one warning per endpoint that other hosts can reach.
static void s_warn_if_open (const server_t *self, zsock_t *socket, const char *setting)
{
    char *endpoint = crier_socket_endpoint (socket);
    if (!self->curve && endpoint && !crier_endpoint_is_local (endpoint))
        crier_log (CRIER_LOG_WARN, "ingest.unauthenticated", "endpoint", endpoint, "setting",
                   setting, "hint",
                   "anyone who can reach this address can send notifications through crier: set "
                   "CRIER_CURVE_SECRET_KEY_FILE and CRIER_CURVE_CLIENTS_DIR (docs/security.md), "
                   "or bind to 127.0.0.1");
    free (endpoint);
}

static int s_open_sockets (server_t *self)
{
    const crier_ingest_config_t *config = self->config;
    if (s_open_curve (self) != 0)
        return -1;
    //  Frames up to HARD_LIMIT_FACTOR times the limit are read and refused with a reason; past
    //  that ZeroMQ drops the connection before reading, so that no client can make ingest hold
    //  more.
    int64_t hard_limit = (int64_t)config->max_message_bytes * HARD_LIMIT_FACTOR;
    int hwm = config->links.hwm;
    //  Answers wait for a client that does not read them up to ANSWERS_HWM each, then are
    //  dropped: a client that never reads cannot make ingest hold CRIER_SOCKET_HWM of them.
    crier_socket_limits_t services = {hwm, hwm < ANSWERS_HWM ? hwm : ANSWERS_HWM, hard_limit};
    crier_socket_limits_t control = {100, 100, CONTROL_MAX_BYTES};
    self->pull = crier_socket_open_limited (ZMQ_PULL, CRIER_BIND, config->ingest_endpoint,
                                            &services, "ingest endpoint for services", self->curve);
    self->router =
        crier_socket_open_limited (ZMQ_ROUTER, CRIER_BIND, config->ack_endpoint, &services,
                                   "acknowledged ingest endpoint for services", self->curve);
    self->control =
        self->curve
            ? crier_socket_open_limited (ZMQ_ROUTER, CRIER_BIND, config->control_endpoint, &control,
                                         "control endpoint for crier dead-letters", self->curve)
            : crier_socket_open_link (ZMQ_ROUTER, CRIER_BIND, config->control_endpoint,
                                      &config->links, &control,
                                      "control endpoint for crier dead-letters");
    //  Watched from before they connect: a refusal comes once (crier/socket.h).
    self->watch = crier_handshake_watch_new (self->loop, self->curve ? "curve.handshake_failed"
                                                                     : "link.handshake_failed");
    if (!self->watch)
        return -1;
    self->push =
        crier_socket_connect_watched (ZMQ_PUSH, config->notifications_endpoint, &config->links,
                                      NULL, "notifications to crier-resolver", self->watch);
    //  An XPUB, a PUB that reads subscriptions: crier status asks for heartbeats with them.
    self->events = crier_socket_connect_watched (ZMQ_XPUB, config->events_publish_endpoint,
                                                 &config->links, NULL, "event bus", self->watch);
    crier_socket_limits_t receipts = {RECEIPTS_HWM, RECEIPTS_HWM, -1};
    self->receipts =
        crier_socket_connect_watched (ZMQ_SUB, config->events_endpoint, &config->links, &receipts,
                                      "receipts from the event bus", self->watch);
    if (!self->pull || !self->router || !self->control || !self->push || !self->events ||
        !self->receipts)
        return -1;
    if (self->curve) {
        static const char *hint = "the client needs CURVE with crier-ingest's public "
                                  "certificate (crier send --cert ... --server-cert ...; "
                                  "docs/security.md)";
        if (crier_handshake_watch_add (self->watch, self->pull, "ingest endpoint", hint) != 0 ||
            crier_handshake_watch_add (self->watch, self->router, "acknowledged endpoint", hint) !=
                0 ||
            crier_handshake_watch_add (self->watch, self->control, "control endpoint", hint) != 0)
            return -1;
    } else if (self->stack_zap &&
               crier_handshake_watch_add (self->watch, self->control, "control endpoint",
                                          "crier dead-letters needs this stack's CRIER_STACK_ID "
                                          "(or CRIER_CURVE_INTERNAL_CERT), as its processes "
                                          "have it") != 0)
        return -1;
    s_warn_if_open (self, self->pull, "CRIER_INGEST_ENDPOINT");
    s_warn_if_open (self, self->router, "CRIER_INGEST_ACK_ENDPOINT");
    s_warn_if_open (self, self->control, "CRIER_INGEST_CONTROL_ENDPOINT");
    for (size_t kind = 0; kind < CRIER_RECEIPT_KIND_COUNT; kind++)
        zsock_set_subscribe (self->receipts, crier_receipt_type ((crier_receipt_kind_t)kind));
    //  Asks for heartbeats after them: the first that comes back says they have taken. Kept:
    //  the resolver's say when it restarted (ingest_dispatch.c).
    zsock_set_subscribe (self->receipts, "process.heartbeat");
    zsock_set_subscribe (self->receipts, CRIER_EVENT_DELIVERIES_FLOWING);
    self->receipts_wait_until = zclock_mono () + RECEIPTS_CONFIRM_MS;
    //  Give notifications already handed to ZeroMQ a moment to reach the resolver when ingest
    //  stops (what does not is sent again after a restart: it is in the journal).
    zsock_set_linger (self->push, 2000);
    zsock_set_linger (self->router, 1000);
    zloop_reader (self->loop, self->router, crier_ingest_on_router, self);
    zloop_reader (self->loop, self->control, s_on_control, self);
    self->receipts_reader = crier_paced_new (self->loop, self->receipts, RECEIPTS_INTERVAL_MS,
                                             crier_ingest_on_receipts, self);
    zloop_timer (self->loop, TICK_MS, 0, s_on_tick, self);
    zloop_timer (self->loop, STATS_INTERVAL_MS, 0, s_on_stats, self);
    self->heartbeat = crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    if (!self->heartbeat || crier_heartbeat_answer_requests (self->heartbeat) != 0)
        return -1;
    crier_ingest_step (self);
    return self->receipts_reader ? 0 : -1;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (crier_ingest_intake_new (self) != 0 || s_open_journal (self) != 0 ||
        s_open_sockets (self) != 0)
        return NULL;
    char *endpoint = crier_socket_endpoint (self->pull);
    char *ack_endpoint = crier_socket_endpoint (self->router);
    char *control_endpoint = crier_socket_endpoint (self->control);
    crier_log (CRIER_LOG_INFO, "ingest.ready", "endpoint", endpoint, "ack_endpoint", ack_endpoint,
               "control_endpoint", control_endpoint, "security", self->curve ? "curve" : "plain",
               "resolver", self->config->notifications_endpoint, "data_dir", self->config->data_dir,
               "max_message_bytes", CRIER_LOG_INT (self->config->max_message_bytes));
    free (ack_endpoint);
    free (control_endpoint);
    return endpoint;
}

//  Told to stop: takes nothing new (the endpoints stop reading, nothing more goes to the
//  resolver) and waits, up to CRIER_STOP_GRACE, for the outcomes of what senders may be sending
//  now, until they stop coming (QUIET_MS): a notification stopped in flight would be sent again
//  at the next start, and an email cannot be taken back.
static bool s_finishing (void *arg, bool out_of_time)
{
    server_t *self = arg;
    if (!self->stopping) {
        self->stopping = true;
        self->receipts_seen = self->receipts_applied;
        self->receipt_at = zclock_mono ();
        crier_ingest_commit (self);
        zloop_reader_end (self->loop, self->router);
        crier_ingest_set_reading (self);
        if (crier_ledger_routed_pending (self->ledger) > 0)
            crier_log (
                CRIER_LOG_INFO, "ingest.finishing", "notifications",
                CRIER_LOG_INT (crier_ledger_routed_pending (self->ledger)), "hint",
                "waiting for the outcomes of what senders may be sending (CRIER_STOP_GRACE)");
    }
    size_t waiting = crier_ledger_routed_pending (self->ledger);
    if (self->receipts_applied != self->receipts_seen) {
        self->receipts_seen = self->receipts_applied;
        self->receipt_at = zclock_mono ();
    }
    bool quiet = zclock_mono () - self->receipt_at >= QUIET_MS;
    if (waiting > 0 && (out_of_time || quiet))
        crier_log (CRIER_LOG_INFO, "ingest.stopped_waiting", "notifications",
                   CRIER_LOG_INT (waiting), "hint",
                   "no more outcomes came; what was not delivered is sent again at the next "
                   "start (with the same delivery ids)");
    return waiting > 0 && !quiet && !out_of_time;
}

void crier_ingest_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    crier_actor_run_finishing (pipe, self.loop, s_on_start, &self, s_finishing, &self,
                               self.config->stop_grace_ms);

    //  Anything taken but not yet answered is answered now (it is synced first).
    if (self.waiters)
        crier_ingest_wait_expire (&self, true); //  what is known, rather than silence
    if (self.journal && self.heartbeat) {
        crier_ingest_commit (&self);
        s_on_stats (self.loop, 0, &self);
    }
    crier_heartbeat_destroy (&self.heartbeat);
    crier_paced_destroy (&self.receipts_reader);
    crier_journal_close (&self.journal);
    crier_waiters_destroy (&self.waiters);
    crier_ledger_destroy (&self.ledger);
    crier_ingest_intake_destroy (&self);
    crier_handshake_watch_destroy (&self.watch);
    crier_zap_destroy (&self.zap);
    crier_zap_destroy (&self.stack_zap);
    zloop_destroy (&self.loop);
    zsock_destroy (&self.pull);
    zsock_destroy (&self.router);
    zsock_destroy (&self.control);
    zsock_destroy (&self.push);
    zsock_destroy (&self.events);
    zsock_destroy (&self.receipts);
    crier_curve_destroy (&self.curve);
}

/*  gateway_server.c - see gateway_server.h. */
#include "gateway_server.h"
#include "alertmanager.h"
#include "gateway_config.h"
#include "gateway_requests.h"
#include "http_daemon.h"
#include "ingest_cores.h"
#include "metrics.h"
#include "tokens.h"

#include "crier/bus_dedup.h"
#include "crier/endpoint_list.h"
#include "crier/id.h"
#include "crier/event.h"
#include "crier/log.h"
#include "crier/paced.h"
#include "crier/process.h"
#include "crier/recent.h"
#include "crier/socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What a client that hears 503 should wait before it sends again.
#define RETRY_AFTER_S 5

typedef struct {
    const crier_gateway_config_t *config;
    zloop_t *loop;
    crier_http_t *http;
    crier_ingest_cores_t *ingest; //  a client per crier core
    crier_tokens_t *tokens;       //  NULL: no tokens file (loopback only)
    crier_recent_t *alert_calls;  //  Alertmanager calls lately: digest -> when first seen
    crier_metrics_t *metrics;     //  the pipeline, from the event bus (GET /metrics)
    zsock_t *bus;                 //  SUB to the event bus (of every core)
    crier_bus_dedup_t *dedup;     //  with several cores: each event counted once
    crier_paced_t *bus_reader;
    zsock_t *events; //  XPUB to the event bus: heartbeats (crier status)
    crier_heartbeat_t *heartbeat;
    uint64_t answered;  //  requests answered
    int hangup_fd;      //  SIGHUP: the tokens file is read again
    uint64_t refused;   //  requests without a good token, not said yet
    int64_t refused_at; //  when that was last said (monotonic ms)
} server_t;

static void s_answer_error (crier_http_request_t *request, unsigned status, const char *error,
                            unsigned retry_after_s)
{
    crier_http_answer_json (request, status, json_pack ("{s:s}", "error", error), retry_after_s);
}

//  crier-ingest's answer, as HTTP: 202 on disk, 200 a duplicate, 400 refused for good, 503
//  refused for now or no answer.
static void s_on_ingest_answer (const crier_reply_t *reply, const char *failure, void *request,
                                void *arg)
{
    if (!reply)
        s_answer_error (request, 503, failure, RETRY_AFTER_S);
    else if (reply->ok && reply->duplicate)
        crier_http_answer_json (request, 200,
                                json_pack ("{s:s?, s:b}", "id", reply->id, "duplicate", 1), 0);
    else if (reply->ok)
        crier_http_answer_json (request, 202, json_pack ("{s:s?}", "id", reply->id), 0);
    else
        s_answer_error (request, reply->temporary ? 503 : 400,
                        reply->error ? reply->error : "refused",
                        reply->temporary ? RETRY_AFTER_S : 0);
}

//  Sends a notification frame to crier-ingest; the answer comes back to s_on_ingest_answer.
static void s_send (server_t *self, crier_http_request_t *request, char *frame, size_t size)
{
    char why[200];
    if (crier_ingest_cores_send (self->ingest, frame, size, request, why, sizeof why) != 0)
        s_answer_error (request, 503, why, RETRY_AFTER_S);
    free (frame);
}

static bool s_allows (const char *group, void *arg)
{
    return crier_token_allows (arg, group);
}

//  A request frame's verdict: 0 send it, -1 a 400, -2 a 403.
static void s_send_or_refuse (server_t *self, crier_http_request_t *request, int rc, char *frame,
                              size_t frame_size, const char *error)
{
    if (rc == 0)
        s_send (self, request, frame, frame_size);
    else
        s_answer_error (request, rc == -2 ? 403 : 400, error, 0);
}

//  A notification over CRIER_GATEWAY_MAX_BODY (the daemon reads up to the larger limit of
//  Alertmanager's calls): 413. Returns true when it was.
static bool s_too_large (server_t *self, crier_http_request_t *request, size_t size)
{
    if (size <= self->config->max_body_bytes)
        return false;
    char why[120];
    snprintf (why, sizeof why, "the request's body is over %llu bytes (CRIER_GATEWAY_MAX_BODY)",
              (unsigned long long)self->config->max_body_bytes);
    s_answer_error (request, 413, why, 0);
    return true;
}

static void s_post_notification (server_t *self, crier_http_request_t *request,
                                 const crier_token_t *token)
{
    size_t size;
    const char *body = crier_http_body (request, &size);
    if (s_too_large (self, request, size))
        return;
    if (s_too_large (self, request, size))
        return;
    char *frame, error[300];
    size_t frame_size;
    int rc = crier_gateway_json_request (body, size, crier_http_header (request, "Idempotency-Key"),
                                         token ? s_allows : NULL, (void *)token, &frame,
                                         &frame_size, error, sizeof error);
    s_send_or_refuse (self, request, rc, frame, frame_size, error);
}

static void s_post_group (server_t *self, crier_http_request_t *request, const char *group,
                          const crier_token_t *token)
{
    size_t size;
    const char *body = crier_http_body (request, &size);
    char *frame, error[300];
    size_t frame_size;
    int rc = crier_gateway_text_request (
        group, body, size, crier_http_header (request, "Title"),
        crier_http_header (request, "Priority"), crier_http_header (request, "Idempotency-Key"),
        token ? s_allows : NULL, (void *)token, &frame, &frame_size, error, sizeof error);
    s_send_or_refuse (self, request, rc, frame, frame_size, error);
}

//  The id of an Alertmanager call: the same bytes again within CRIER_GATEWAY_ALERT_REPEAT are
//  the same call retried (the same id: a duplicate); after that, a reminder (a new id).
static void s_alert_id (server_t *self, const char *body, size_t size, char *id, size_t id_size)
{
    char digest[CRIER_DIGEST_BYTES];
    char *copy = strndup (body, size);
    const char *parts[] = {"alertmanager", copy ? copy : ""};
    crier_id_digest (digest, parts, 2);
    free (copy);
    int64_t now = zclock_time ();
    uint64_t first = 0;
    if (!crier_recent_get (self->alert_calls, digest, now, &first)) {
        first = (uint64_t)now;
        crier_recent_add_value (self->alert_calls, digest, now, first);
    }
    snprintf (id, id_size, "alertmanager-%.24s-%llu", digest, (unsigned long long)first);
}

//  POST /v1/alertmanager and /v1/grafana: a webhook call as one notification.
static void s_post_alerts (server_t *self, crier_http_request_t *request,
                           const crier_token_t *token, crier_alert_source_t source)
{
    size_t size;
    const char *body = crier_http_body (request, &size);
    const char *to[CRIER_MAX_GROUPS];
    size_t count = crier_http_query_all (request, "to", to, CRIER_MAX_GROUPS);
    char error[300], id[96];
    json_t *notification =
        crier_alertmanager_notification (body, size, to, count, source, error, sizeof error);
    if (!notification) {
        s_answer_error (request, 400, error, 0);
        return;
    }
    s_alert_id (self, body, size, id, sizeof id);
    char *frame;
    size_t frame_size;
    int rc = crier_gateway_object_request (notification, id, token ? s_allows : NULL, (void *)token,
                                           &frame, &frame_size, error, sizeof error);
    json_decref (notification);
    s_send_or_refuse (self, request, rc, frame, frame_size, error);
}

static void s_on_event (const char *type, size_t type_size, const void *data, size_t size,
                        void *arg)
{
    server_t *self = arg;
    if (self->dedup && !crier_bus_dedup_first (self->dedup, data, size, zclock_mono ()))
        return;
    char *text = crier_event_to_json (data, size);
    json_t *event = text ? json_loads (text, 0, NULL) : NULL;
    if (event)
        crier_metrics_event (self->metrics, event);
    json_decref (event);
    free (text);
}

//  Events from the bus, into the metrics (read in paced batches, like crier-ingest's receipts).
static void s_on_events (zsock_t *socket, void *arg)
{
    crier_event_receive (socket, 5000, s_on_event, arg);
}

static void s_on_answered (unsigned status, void *arg)
{
    server_t *self = arg;
    self->answered++;
    crier_metrics_request (self->metrics, status);
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_text (event, "listen", self->config->listen);
    crier_event_add_int (event, "requests", (int64_t)self->answered);
    crier_event_add_int (event, "in_flight",
                         self->ingest ? (int64_t)crier_ingest_cores_in_flight (self->ingest) : 0);
    size_t cores = self->ingest ? crier_ingest_cores_count (self->ingest) : 1;
    size_t connected = self->ingest ? crier_ingest_cores_connected (self->ingest) : 0;
    char some[64];
    snprintf (some, sizeof some, "%zu of %zu cores connected", connected, cores);
    crier_event_add_text (event, "ingest",
                          connected == cores ? "connected"
                          : connected == 0   ? "not reachable"
                                             : some);
}

static void s_get_metrics (server_t *self, crier_http_request_t *request)
{
    char *text = crier_metrics_render (self->metrics, zclock_time ());
    if (text)
        crier_http_answer (request, 200, "text/plain; version=0.0.4; charset=utf-8", text, 0);
    else
        s_answer_error (request, 503, "out of memory", RETRY_AFTER_S);
    free (text);
}

//  The event bus, for the metrics: what they need only.
static int s_open_bus (server_t *self)
{
    const crier_gateway_config_t *config = self->config;
    self->metrics = crier_metrics_new ();
    self->bus = self->metrics ? crier_socket_open (ZMQ_SUB, CRIER_CONNECT, config->events_endpoint,
                                                   &config->links, "event bus")
                              : NULL;
    if (!self->bus)
        return -1;
    if (crier_endpoint_list_is_many (config->events_endpoint) &&
        !(self->dedup = crier_bus_dedup_new ()))
        return -1;
    const char *topics[] = {"notification.", "frame.rejected", "delivery.", "process.heartbeat",
                            "throttle.summary"};
    for (size_t index = 0; index < sizeof topics / sizeof topics[0]; index++)
        zsock_set_subscribe (self->bus, topics[index]);
    self->bus_reader = crier_paced_new (self->loop, self->bus, 5, s_on_events, self);
    //  Heartbeats: crier status lists the gateway like any process (and a healthcheck asks it).
    self->events = crier_socket_open (ZMQ_XPUB, CRIER_CONNECT, config->events_publish_endpoint,
                                      &config->links, "event bus");
    self->heartbeat =
        self->events ? crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                            s_fill_heartbeat, self)
                     : NULL;
    return self->bus_reader && self->heartbeat &&
                   crier_heartbeat_answer_requests (self->heartbeat) == 0
               ? 0
               : -1;
}

//  With tokens, every request but /healthz shows one: the token, or NULL after a 401 (said in
//  the log once every 10 s, with how many; never the token).
static bool s_authorized (server_t *self, crier_http_request_t *request,
                          const crier_token_t **token_p)
{
    *token_p = NULL;
    if (!self->tokens)
        return true;
    const char *why = NULL;
    *token_p =
        crier_tokens_check (self->tokens, crier_http_header (request, "Authorization"), &why);
    if (*token_p)
        return true;
    self->refused++;
    if (zclock_mono () - self->refused_at >= 10000) {
        crier_log (CRIER_LOG_WARN, "gateway.unauthorized", "count", CRIER_LOG_INT (self->refused),
                   "last", why, "hint",
                   "a client without a token of CRIER_GATEWAY_TOKENS_FILE (docs/http.md)");
        self->refused = 0;
        self->refused_at = zclock_mono ();
    }
    crier_http_answer_unauthorized (request, why);
    return false;
}

static void s_on_request (crier_http_request_t *request, void *arg)
{
    server_t *self = arg;
    const char *method = crier_http_method (request);
    const char *path = crier_http_path (request);
    bool post = strcmp (method, "POST") == 0;
    static const char groups[] = "/v1/groups/";
    const crier_token_t *token = NULL;
    bool open = strcmp (path, "/healthz") == 0;
    if (!open && !s_authorized (self, request, &token))
        return;
    if (strcmp (path, "/healthz") == 0 && strcmp (method, "GET") == 0) {
        //  Ready when it can pass a notification on: a load balancer sends elsewhere meanwhile.
        bool up = crier_ingest_cores_connected (self->ingest) > 0;
        crier_http_answer (request, up ? 200 : 503, "text/plain",
                           up ? "ok\n" : "crier-ingest is not reachable\n", up ? 0 : RETRY_AFTER_S);
    } else if (strcmp (path, "/v1/notifications") == 0 && post)
        s_post_notification (self, request, token);
    else if (strcmp (path, "/metrics") == 0 && strcmp (method, "GET") == 0)
        s_get_metrics (self, request);
    else if (strcmp (path, "/v1/alertmanager") == 0 && post)
        s_post_alerts (self, request, token, CRIER_ALERTS_ALERTMANAGER);
    else if (strcmp (path, "/v1/grafana") == 0 && post)
        s_post_alerts (self, request, token, CRIER_ALERTS_GRAFANA);
    else if (strncmp (path, groups, sizeof groups - 1) == 0 && post && path[sizeof groups - 1] &&
             !strchr (path + sizeof groups - 1, '/'))
        s_post_group (self, request, path + sizeof groups - 1, token);
    else if (strcmp (path, "/v1/notifications") == 0 || strcmp (path, "/v1/alertmanager") == 0 ||
             strcmp (path, "/v1/grafana") == 0 || strncmp (path, groups, sizeof groups - 1) == 0 ||
             strcmp (path, "/healthz") == 0)
        s_answer_error (request, 405, "this path takes POST (and /healthz GET)", 0);
    else
        s_answer_error (request, 404,
                        "no such endpoint: POST /v1/notifications, POST /v1/groups/{name}, POST "
                        "/v1/alertmanager, POST /v1/grafana, GET /metrics and GET /healthz are "
                        "(docs/http.md)",
                        0);
}

static int s_on_tokens_timer (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    crier_tokens_refresh (self->tokens, false);
    return 0;
}

static int s_on_hangup (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    server_t *self = arg;
    crier_process_hangup_clear (item->fd);
    crier_tokens_refresh (self->tokens, true);
    return 0;
}

//  The tokens file, read again when it changes (checked each second) and on SIGHUP.
static int s_open_tokens (server_t *self)
{
    const crier_gateway_config_t *config = self->config;
    bool loopback = crier_http_is_loopback (config->listen);
    if (!config->tokens_file) {
        if (loopback)
            return 0;
        crier_log (CRIER_LOG_ERROR, "gateway.not_loopback", "listen", config->listen, "hint",
                   "without CRIER_GATEWAY_TOKENS_FILE crier-gateway listens on loopback only: "
                   "anyone who reached it could notify anyone (docs/http.md)");
        return -1;
    }
    self->tokens = crier_tokens_new (config->tokens_file);
    if (!self->tokens || zloop_timer (self->loop, 1000, 0, s_on_tokens_timer, self) == -1)
        return -1;
    self->hangup_fd = crier_process_hangup_fd ();
    zmq_pollitem_t item = {NULL, self->hangup_fd, ZMQ_POLLIN, 0};
    if (self->hangup_fd >= 0)
        zloop_poller (self->loop, &item, s_on_hangup, self);
    if (!loopback && !config->tls_cert)
        crier_log (CRIER_LOG_WARN, "gateway.plain_http", "listen", config->listen, "hint",
                   "tokens and notifications cross the network in clear: put a reverse proxy "
                   "that terminates TLS in front, or keep the gateway on a private network");
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    const crier_gateway_config_t *config = self->config;
    if (s_open_tokens (self) != 0)
        return NULL;
    self->ingest = crier_ingest_cores_new (
        self->loop, config->ack_endpoint, config->curve, (int64_t)config->ingest_timeout_ms,
        (size_t)config->max_connections, s_on_ingest_answer, self);
    self->alert_calls = crier_recent_new (10000, (int64_t)config->alert_repeat_ms);
    if (!self->alert_calls || s_open_bus (self) != 0)
        return NULL;
    uint64_t largest = config->max_body_bytes > config->alert_max_body_bytes
                           ? config->max_body_bytes
                           : config->alert_max_body_bytes;
    crier_http_limits_t limits = {
        (size_t)largest, (unsigned)((config->client_timeout_ms + 999) / 1000),
        (unsigned)config->max_connections, config->tls_cert, config->tls_key};
    self->http = self->ingest
                     ? crier_http_new (self->loop, config->listen, &limits, s_on_request, self)
                     : NULL;
    if (!self->http)
        return NULL;
    crier_http_on_answer (self->http, s_on_answered, self);
    crier_log (CRIER_LOG_INFO, "gateway.ready", "listen", config->listen, "ingest",
               config->ack_endpoint, "http", config->tls_cert ? "https" : "plain", "security",
               config->curve ? "curve" : "plain", "tokens",
               self->tokens ? CRIER_LOG_INT (crier_tokens_count (self->tokens)) : "none",
               "max_body", CRIER_LOG_INT (config->max_body_bytes));
    return strdup (config->listen);
}

void crier_gateway_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args, .hangup_fd = -1};
    self.loop = zloop_new ();
    if (self.loop)
        crier_actor_run (pipe, self.loop, s_on_start, &self);
    //  Requests waiting for ingest are answered (503) before the HTTP side closes.
    crier_ingest_cores_destroy (&self.ingest);
    crier_http_destroy (&self.http);
    crier_tokens_destroy (&self.tokens);
    crier_recent_destroy (&self.alert_calls);
    crier_paced_destroy (&self.bus_reader);
    zsock_destroy (&self.bus);
    crier_bus_dedup_destroy (&self.dedup);
    crier_heartbeat_destroy (&self.heartbeat);
    zsock_destroy (&self.events);
    crier_metrics_destroy (&self.metrics);
    zloop_destroy (&self.loop);
}

/*  gateway_server.c - see gateway_server.h. */
#include "gateway_server.h"
#include "gateway_config.h"
#include "gateway_requests.h"
#include "http_daemon.h"
#include "ingest_client.h"

#include "crier/log.h"
#include "crier/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What a client that hears 503 should wait before it sends again.
#define RETRY_AFTER_S 5

typedef struct {
    const crier_gateway_config_t *config;
    zloop_t *loop;
    crier_http_t *http;
    crier_ingest_client_t *ingest;
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
    if (crier_ingest_client_send (self->ingest, frame, size, request, why, sizeof why) != 0)
        s_answer_error (request, 503, why, RETRY_AFTER_S);
    free (frame);
}

static void s_post_notification (server_t *self, crier_http_request_t *request)
{
    size_t size;
    const char *body = crier_http_body (request, &size);
    char *frame, error[300];
    size_t frame_size;
    if (crier_gateway_json_request (body, size, crier_http_header (request, "Idempotency-Key"),
                                    &frame, &frame_size, error, sizeof error) != 0)
        s_answer_error (request, 400, error, 0);
    else
        s_send (self, request, frame, frame_size);
}

static void s_post_group (server_t *self, crier_http_request_t *request, const char *group)
{
    size_t size;
    const char *body = crier_http_body (request, &size);
    char *frame, error[300];
    size_t frame_size;
    if (crier_gateway_text_request (group, body, size, crier_http_header (request, "Title"),
                                    crier_http_header (request, "Priority"),
                                    crier_http_header (request, "Idempotency-Key"), &frame,
                                    &frame_size, error, sizeof error) != 0)
        s_answer_error (request, 400, error, 0);
    else
        s_send (self, request, frame, frame_size);
}

static void s_on_request (crier_http_request_t *request, void *arg)
{
    server_t *self = arg;
    const char *method = crier_http_method (request);
    const char *path = crier_http_path (request);
    bool post = strcmp (method, "POST") == 0;
    static const char groups[] = "/v1/groups/";
    if (strcmp (path, "/healthz") == 0 && strcmp (method, "GET") == 0) {
        //  Ready when it can pass a notification on: a load balancer sends elsewhere meanwhile.
        bool up = crier_ingest_client_connected (self->ingest);
        crier_http_answer (request, up ? 200 : 503, "text/plain",
                           up ? "ok\n" : "crier-ingest is not reachable\n", up ? 0 : RETRY_AFTER_S);
    } else if (strcmp (path, "/v1/notifications") == 0 && post)
        s_post_notification (self, request);
    else if (strncmp (path, groups, sizeof groups - 1) == 0 && post && path[sizeof groups - 1] &&
             !strchr (path + sizeof groups - 1, '/'))
        s_post_group (self, request, path + sizeof groups - 1);
    else if (strcmp (path, "/v1/notifications") == 0 ||
             strncmp (path, groups, sizeof groups - 1) == 0 || strcmp (path, "/healthz") == 0)
        s_answer_error (request, 405, "this path takes POST (and /healthz GET)", 0);
    else
        s_answer_error (request, 404,
                        "no such endpoint: POST /v1/notifications, POST /v1/groups/{name} and "
                        "GET /healthz are (docs/http.md)",
                        0);
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    const crier_gateway_config_t *config = self->config;
    if (!crier_http_is_loopback (config->listen)) {
        crier_log (CRIER_LOG_ERROR, "gateway.not_loopback", "listen", config->listen, "hint",
                   "without bearer tokens (not built yet: docs/http.md) crier-gateway listens "
                   "on loopback only: anyone who reaches it could notify anyone; put it behind "
                   "a reverse proxy that authenticates, on 127.0.0.1");
        return NULL;
    }
    self->ingest = crier_ingest_client_new (
        self->loop, config->ack_endpoint, config->curve, (int64_t)config->ingest_timeout_ms,
        (size_t)config->max_connections, s_on_ingest_answer, self);
    crier_http_limits_t limits = {(size_t)config->max_body_bytes,
                                  (unsigned)((config->client_timeout_ms + 999) / 1000),
                                  (unsigned)config->max_connections};
    self->http = self->ingest
                     ? crier_http_new (self->loop, config->listen, &limits, s_on_request, self)
                     : NULL;
    if (!self->http)
        return NULL;
    crier_log (CRIER_LOG_INFO, "gateway.ready", "listen", config->listen, "ingest",
               config->ack_endpoint, "security", config->curve ? "curve" : "plain", "max_body",
               CRIER_LOG_INT (config->max_body_bytes));
    return strdup (config->listen);
}

void crier_gateway_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    if (self.loop)
        crier_actor_run (pipe, self.loop, s_on_start, &self);
    //  Requests waiting for ingest are answered (503) before the HTTP side closes.
    crier_ingest_client_destroy (&self.ingest);
    crier_http_destroy (&self.http);
    zloop_destroy (&self.loop);
}

/*  http_daemon.c - see http_daemon.h. libmicrohttpd runs without threads of its own (epoll,
    suspend and resume): the zloop polls its epoll descriptor and calls MHD_run, so handlers and
    answers happen on the loop's thread, beside the ZeroMQ sockets. */
#include "http_daemon.h"

#include "crier/log.h"
#include "crier/port_holder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  MHD_run for timeouts, even when nothing happens on the sockets.
#define TIMEOUT_CHECK_MS 250

struct crier_http_t {
    zloop_t *loop;
    struct MHD_Daemon *daemon;
    int epoll_fd;
    int timer;
    crier_http_limits_t limits;
    crier_http_handler_fn *handler;
    void *arg;
    bool running; //  inside MHD_run: a resumed connection is served by this run
    crier_http_answered_fn *answered;
    void *answered_arg;
};

struct crier_http_request_t {
    crier_http_t *http;
    struct MHD_Connection *connection;
    char *method;
    char *path;
    char *body;
    size_t size;
    bool too_large;
    bool handed;                //  given to the handler
    bool suspended;             //  waiting for its answer
    bool gone;                  //  MHD finished with it before the answer came
    struct MHD_Response *ready; //  the answer, to queue at the next call
    unsigned status;
    bool failed; //  no answer could be made (out of memory): the connection is closed
};

static void s_run (crier_http_t *self)
{
    self->running = true;
    MHD_run (self->daemon);
    self->running = false;
}

static void s_request_free (crier_http_request_t *request)
{
    if (request->ready)
        MHD_destroy_response (request->ready);
    free (request->method);
    free (request->path);
    free (request->body);
    free (request);
}

static enum MHD_Result s_queue (crier_http_request_t *request)
{
    enum MHD_Result result =
        MHD_queue_response (request->connection, request->status, request->ready);
    MHD_destroy_response (request->ready);
    request->ready = NULL;
    return result;
}

//  crier_http_answer with one more header (name NULL: none).
static void s_answer (crier_http_request_t *request, unsigned status, const char *content_type,
                      const char *body, unsigned retry_after_s, const char *name, const char *value)
{
    if (request->gone) {
        s_request_free (request);
        return;
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (strlen (body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        request->failed = true; //  out of memory: the connection is closed
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (response && retry_after_s) {
        char seconds[16];
        snprintf (seconds, sizeof seconds, "%u", retry_after_s);
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    if (response && name)
        MHD_add_response_header (response, name, value);
    if (response && request->http->answered)
        request->http->answered (status, request->http->answered_arg);
    request->ready = response;
    request->status = status;
    if (request->suspended) {
        request->suspended = false;
        MHD_resume_connection (request->connection);
        //  Outside MHD's own run, the resumed connection needs one to be served.
        if (!request->http->running)
            s_run (request->http);
    }
}

void crier_http_answer (crier_http_request_t *request, unsigned status, const char *content_type,
                        const char *body, unsigned retry_after_s)
{
    s_answer (request, status, content_type, body, retry_after_s, NULL, NULL);
}

void crier_http_answer_unauthorized (crier_http_request_t *request, const char *why)
{
    json_t *body = json_pack ("{s:s}", "error", why);
    char *text = body ? json_dumps (body, JSON_COMPACT) : NULL;
    json_decref (body);
    s_answer (request, 401, "application/json", text ? text : "{}", 0,
              MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"crier\"");
    free (text);
}

void crier_http_answer_json (crier_http_request_t *request, unsigned status, json_t *body,
                             unsigned retry_after_s)
{
    char *text = body ? json_dumps (body, JSON_COMPACT) : NULL;
    json_decref (body);
    crier_http_answer (request, status, "application/json", text ? text : "{}", retry_after_s);
    free (text);
}

static void s_reject_too_large (crier_http_request_t *request)
{
    char text[240];
    snprintf (text, sizeof text,
              "{\"error\": \"the request's body is over %zu bytes, the most any endpoint takes "
              "(CRIER_GATEWAY_MAX_BODY, CRIER_GATEWAY_ALERT_MAX_BODY)\"}",
              request->http->limits.max_body_bytes);
    crier_http_answer (request, 413, "application/json", text, 0);
}

static enum MHD_Result s_on_request (void *arg, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **state)
{
    crier_http_t *self = arg;
    crier_http_request_t *request = *state;
    if (!request) {
        request = calloc (1, sizeof *request);
        if (!request)
            return MHD_NO;
        *request = (crier_http_request_t){.http = self,
                                          .connection = connection,
                                          .method = strdup (method),
                                          .path = strdup (url)};
        request->body = calloc (1, 1);
        if (!request->method || !request->path || !request->body) {
            s_request_free (request);
            return MHD_NO;
        }
        const char *length =
            MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Content-Length");
        request->too_large = length && strtoull (length, NULL, 10) > self->limits.max_body_bytes;
        *state = request;
        //  Said too large: answered before its body is read (the connection is then closed).
        if (request->too_large) {
            request->handed = true;
            s_reject_too_large (request);
            return request->ready ? s_queue (request) : MHD_NO;
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        //  Collected up to the limit; past it, read and dropped.
        if (!request->too_large && request->size + *upload_data_size > self->limits.max_body_bytes)
            request->too_large = true;
        if (!request->too_large) {
            char *grown = realloc (request->body, request->size + *upload_data_size + 1);
            if (!grown)
                return MHD_NO;
            memcpy (grown + request->size, upload_data, *upload_data_size);
            request->size += *upload_data_size;
            grown[request->size] = '\0';
            request->body = grown;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (request->ready)
        return s_queue (request);
    if (request->handed) //  resumed without an answer: wait on (or give up: no answer made)
        return request->failed ? MHD_NO : MHD_YES;
    request->handed = true;
    if (request->too_large)
        s_reject_too_large (request);
    else
        self->handler (request, self->arg);
    if (request->ready || request->failed)
        return request->ready ? s_queue (request) : MHD_NO;
    request->suspended = true;
    MHD_suspend_connection (connection);
    return MHD_YES;
}

//  A request MHD is done with: freed, unless its answer is still to come (freed then).
static void s_on_completed (void *arg, struct MHD_Connection *connection, void **state,
                            enum MHD_RequestTerminationCode code)
{
    crier_http_request_t *request = *state;
    *state = NULL;
    if (!request)
        return;
    if (request->handed && !request->ready && request->status == 0)
        request->gone = true; //  the handler still holds it
    else
        s_request_free (request);
}

static void s_on_log (void *arg, const char *format, va_list ap)
    __attribute__ ((format (printf, 2, 0)));

//  libmicrohttpd's own messages, as debug lines.
static void s_on_log (void *arg, const char *format, va_list ap)
{
    char text[256];
    vsnprintf (text, sizeof text, format, ap);
    text[strcspn (text, "\n")] = '\0';
    crier_log (CRIER_LOG_DEBUG, "http.daemon", "said", text);
}

static int s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_run (arg);
    return 0;
}

static int s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    s_run (arg);
    return 0;
}

//  Reads "host:port" or "[v6]:port" into address. Returns 0, or -1.
static int s_address (const char *listen, struct sockaddr_storage *address, socklen_t *size)
{
    char host[128];
    const char *colon = strrchr (listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return -1;
    const char *start = listen, *end = colon;
    if (*start == '[' && end[-1] == ']') {
        start++;
        end--;
    }
    snprintf (host, sizeof host, "%.*s", (int)(end - start), start);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *found = NULL;
    if (getaddrinfo (host, colon + 1, &hints, &found) != 0 || !found)
        return -1;
    memcpy (address, found->ai_addr, found->ai_addrlen);
    *size = found->ai_addrlen;
    freeaddrinfo (found);
    return 0;
}

void crier_http_on_answer (crier_http_t *self, crier_http_answered_fn *fn, void *arg)
{
    self->answered = fn;
    self->answered_arg = arg;
}

bool crier_http_is_loopback (const char *listen)
{
    struct sockaddr_storage address;
    socklen_t size;
    if (s_address (listen, &address, &size) != 0)
        return false;
    if (address.ss_family == AF_INET)
        return (ntohl (((struct sockaddr_in *)&address)->sin_addr.s_addr) >> 24) == 127;
    return address.ss_family == AF_INET6 &&
           memcmp (&((struct sockaddr_in6 *)&address)->sin6_addr, &in6addr_loopback,
                   sizeof in6addr_loopback) == 0;
}

crier_http_t *crier_http_new (zloop_t *loop, const char *listen, const crier_http_limits_t *limits,
                              crier_http_handler_fn *handler, void *arg)
{
    struct sockaddr_storage address;
    socklen_t size;
    if (s_address (listen, &address, &size) != 0) {
        crier_log (CRIER_LOG_ERROR, "http.bad_address", "listen", listen, "hint",
                   "CRIER_GATEWAY_LISTEN is host:port with a numeric address, e.g. "
                   "127.0.0.1:7480 or [::1]:7480");
        return NULL;
    }
    crier_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    *self = (crier_http_t){loop, NULL, -1, -1, *limits, handler, arg, false, NULL, NULL};
    bool tls = limits->tls_cert && limits->tls_key;
    if (tls && MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
        crier_log (CRIER_LOG_ERROR, "http.tls_unsupported", "hint",
                   "this libmicrohttpd was built without TLS: terminate TLS in a reverse proxy");
        free (self);
        return NULL;
    }
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (address.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem https[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)limits->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)limits->tls_key},
        {MHD_OPTION_END, 0, NULL}};
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_on_request, self, MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_CONNECTION_LIMIT, limits->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        limits->timeout_s, MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_on_log, self, MHD_OPTION_ARRAY, https, MHD_OPTION_END);
    if (!self->daemon) {
        int error = errno;
        char endpoint[160], holder[160] = "";
        snprintf (endpoint, sizeof endpoint, "tcp://%s", listen);
        crier_port_holder (endpoint, holder, sizeof holder);
        crier_log (CRIER_LOG_ERROR, "http.listen_failed", "listen", listen, "error",
                   strerror (error), "held_by", holder[0] ? holder : NULL, "hint",
                   tls ? "another process listens there, the address is not this host's, or the "
                         "TLS certificate and key do not go together (CRIER_GATEWAY_TLS_CERT, "
                         "CRIER_GATEWAY_TLS_KEY)"
                       : "another process listens there, or the address is not this host's: set "
                         "CRIER_GATEWAY_LISTEN");
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->epoll_fd = info ? info->epoll_fd : -1;
    zmq_pollitem_t item = {NULL, self->epoll_fd, ZMQ_POLLIN, 0};
    if (self->epoll_fd < 0 || zloop_poller (loop, &item, s_on_ready, self) != 0 ||
        (self->timer = zloop_timer (loop, TIMEOUT_CHECK_MS, 0, s_on_timer, self)) == -1) {
        crier_http_destroy (&self);
        return NULL;
    }
    return self;
}

void crier_http_destroy (crier_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_http_t *self = *self_p;
    if (self->epoll_fd >= 0) {
        zmq_pollitem_t item = {NULL, self->epoll_fd, ZMQ_POLLIN, 0};
        zloop_poller_end (self->loop, &item);
    }
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

const char *crier_http_method (const crier_http_request_t *request)
{
    return request->method;
}

const char *crier_http_path (const crier_http_request_t *request)
{
    return request->path;
}

const char *crier_http_header (const crier_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND, name);
}

const char *crier_http_query (const crier_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *crier_http_body (const crier_http_request_t *request, size_t *size_p)
{
    *size_p = request->size;
    return request->body;
}

typedef struct {
    const char *name;
    const char **values;
    size_t max;
    size_t count;
} gathering_t;

static enum MHD_Result s_gather (void *arg, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    gathering_t *gathering = arg;
    if (value && strcmp (key, gathering->name) == 0 && gathering->count < gathering->max)
        gathering->values[gathering->count++] = value;
    return MHD_YES;
}

size_t crier_http_query_all (const crier_http_request_t *request, const char *name,
                             const char **values, size_t max)
{
    gathering_t gathering = {name, values, max, 0};
    MHD_get_connection_values (request->connection, MHD_GET_ARGUMENT_KIND, s_gather, &gathering);
    return gathering.count;
}

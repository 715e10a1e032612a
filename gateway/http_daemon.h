/*  http_daemon.h - libmicrohttpd driven by a zloop: the HTTP server of crier-gateway. It
    collects each request (method, path, headers, query, a body up to a limit: larger ones get
    413 without reaching the handler), hands it to one handler on the loop's thread, and sends
    the answer whenever the handler gives it: at once, or later (the connection waits, suspended,
    meanwhile). Slow clients are cut off after a timeout; connections are limited. */
#ifndef CRIER_HTTP_DAEMON_H_INCLUDED
#define CRIER_HTTP_DAEMON_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_http_t crier_http_t;
typedef struct crier_http_request_t crier_http_request_t;

typedef struct {
    size_t max_body_bytes;
    unsigned timeout_s; //  a connection idle this long is closed
    unsigned max_connections;
    const char *tls_cert; //  HTTPS: the certificate chain and key, PEM; NULL: plain HTTP
    const char *tls_key;
} crier_http_limits_t;

//  Called once per request; answer it with crier_http_answer, now or later.
typedef void (crier_http_handler_fn) (crier_http_request_t *request, void *arg);

//  Listens on listen ("127.0.0.1:7480", "[::1]:7480") on loop. Returns NULL after logging why
//  (a bad address, a port in use: with what holds it).
crier_http_t *crier_http_new (zloop_t *loop, const char *listen, const crier_http_limits_t *limits,
                              crier_http_handler_fn *handler, void *arg);

//  Stops listening and closes every connection. NULL-safe.
void crier_http_destroy (crier_http_t **self_p);

//  Calls fn with the status of every answer given from now on (metrics).
typedef void (crier_http_answered_fn) (unsigned status, void *arg);
void crier_http_on_answer (crier_http_t *self, crier_http_answered_fn *fn, void *arg);

//  Whether listen names a loopback address.
bool crier_http_is_loopback (const char *listen);

const char *crier_http_method (const crier_http_request_t *request);
const char *crier_http_path (const crier_http_request_t *request);
//  A header (case-insensitive) or a query argument, or NULL.
const char *crier_http_header (const crier_http_request_t *request, const char *name);
const char *crier_http_query (const crier_http_request_t *request, const char *name);
//  Every value of a query argument given several times (to=a&to=b), at most max, in order.
//  Returns how many (the strings are the request's).
size_t crier_http_query_all (const crier_http_request_t *request, const char *name,
                             const char **values, size_t max);

//  The body (NUL-terminated after size bytes; "" when there is none).
const char *crier_http_body (const crier_http_request_t *request, size_t *size_p);

//  Answers: status, a body of content_type, and Retry-After (seconds) when retry_after_s is not
//  0. The request is gone afterwards (also when its client left meanwhile).
void crier_http_answer (crier_http_request_t *request, unsigned status, const char *content_type,
                        const char *body, unsigned retry_after_s);

//  Answers 401 with {"error": why} and a WWW-Authenticate challenge for a bearer token.
void crier_http_answer_unauthorized (crier_http_request_t *request, const char *why);

//  Answers with a JSON body.
void crier_http_answer_json (crier_http_request_t *request, unsigned status, json_t *body,
                             unsigned retry_after_s);

#endif

/*  matrix_client.h - requests to a Matrix homeserver's client-server API, driven by crier_transfers
    on the caller's zloop: the URL (path segments percent-encoded), the access token, a bounded
    response, and the answer classified the one way every caller needs (the sender's rooms now;
    the read-receipt watcher and the key endpoints later share a client).

    The classification follows the Client-Server API: 429 carries retry_after_ms (or a
    Retry-After header) and is pacing, not failure; 401 is the token; 403 and 404 are about the
    room; 5xx, 408, transport errors and a 2xx whose body is not a JSON object (a proxy's page,
    a cut body) are worth another try; any other 4xx says the request itself is wrong.
*/
#ifndef CRIER_MATRIX_CLIENT_H_INCLUDED
#define CRIER_MATRIX_CLIENT_H_INCLUDED

#include "crier/transfers.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  A 429 never makes anyone wait longer than this.
#define CRIER_MATRIX_MAX_RATE_LIMIT_MS 600000

typedef enum {
    CRIER_MATRIX_OK,           //  2xx with a JSON object
    CRIER_MATRIX_RATE_LIMITED, //  429: wait delay_ms, then the same request again
    CRIER_MATRIX_UNAUTHORIZED, //  401: the access token was refused
    CRIER_MATRIX_FORBIDDEN,    //  403: not in the room, or not allowed to post
    CRIER_MATRIX_NOT_FOUND,    //  404: no such room, alias or endpoint
    CRIER_MATRIX_RETRYABLE,    //  no answer, 5xx, 408, or a 2xx that is not a JSON object
    CRIER_MATRIX_FATAL,        //  another 4xx: this request can never succeed
} crier_matrix_outcome_t;

typedef struct {
    crier_matrix_outcome_t outcome;
    long status;         //  HTTP status; 0 when there was no answer
    json_t *body;        //  the JSON object answered, or NULL
    const char *errcode; //  body's "errcode" and "error", when given
    const char *error;
    uint64_t delay_ms; //  CRIER_MATRIX_RATE_LIMITED
    bool truncated;    //  the answer was over the client's limit (crier_matrix_client_limit)
    char reason[512];  //  one line for logs and events, e.g. "HTTP 403 M_FORBIDDEN: not in room"
} crier_matrix_answer_t;

//  Classifies a finished transfer: libcurl's result and error text, the status, the response
//  body (NUL-terminated, may be NULL) and the Retry-After header in seconds (0: none). The
//  answer owns its body: free it with crier_matrix_answer_free.
void crier_matrix_classify (CURLcode result, const char *curl_error, long status,
                            const char *response, uint64_t retry_after_s,
                            crier_matrix_answer_t *answer);
void crier_matrix_answer_free (crier_matrix_answer_t *answer);

//  The name of an outcome, for logs and tests ("rate limited").
const char *crier_matrix_outcome_name (crier_matrix_outcome_t outcome);

//  Writes a path into path[size]: the arguments alternate a literal (written as it is) and a
//  segment (percent-encoded: room ids and aliases hold '!', '#' and ':'), ending with (char *)NULL.
//  Returns 0, or -1 when it does not fit (or out of memory).
int crier_matrix_path (char *path, size_t size, ...);

typedef struct crier_matrix_client_t crier_matrix_client_t;

//  Called once per request with its classified answer (valid during the call).
typedef void (crier_matrix_answer_fn) (const crier_matrix_answer_t *answer, void *arg);

//  A client of homeserver (a base URL without a trailing slash) with an access token, each
//  request limited to timeout_ms. Returns NULL when out of memory.
crier_matrix_client_t *crier_matrix_client_new (crier_transfers_t *http, const char *homeserver,
                                                const char *access_token, uint64_t timeout_ms);

//  Which HTTP the client speaks (CRIER_MATRIX_HTTP): auto is HTTP/2 over TLS when the homeserver
//  offers it (ALPN) and HTTP/1.1 otherwise; 1.1 never HTTP/2. With HTTP/2, requests share one
//  connection. (No HTTP/2 over http://: Debian 12's libcurl fails every request after the first
//  on such a connection, "Error in the HTTP2 framing layer".)
typedef enum { CRIER_MATRIX_HTTP_AUTO, CRIER_MATRIX_HTTP_1_1 } crier_matrix_http_t;
void crier_matrix_client_http (crier_matrix_client_t *self, crier_matrix_http_t http);

//  The certificates that may sign the homeserver's (CRIER_MATRIX_CA_FILE, PEM), instead of the
//  system's: a homeserver with a certificate from a private CA. NULL: the system's. Copied.
//  Returns 0, or -1 when out of memory.
int crier_matrix_client_ca_file (crier_matrix_client_t *self, const char *ca_file);

//  How much of an answer the client reads (64 KiB unless set): /sync answers need more. Past
//  it, the answer is marked truncated.
void crier_matrix_client_limit (crier_matrix_client_t *self, size_t max_response_bytes);

//  Cancels what is still running (without calling back) and frees the client. NULL-safe.
void crier_matrix_client_destroy (crier_matrix_client_t **self_p);

//  Starts method path (from crier_matrix_path) with a JSON body (NULL: none; copied). fn is
//  called once when it ends. Returns 0, or -1 with reason[reason_size] saying why it could not
//  start (fn is then never called).
int crier_matrix_client_request (crier_matrix_client_t *self, const char *method, const char *path,
                                 const char *body, crier_matrix_answer_fn *fn, void *arg,
                                 char *reason, size_t reason_size);

//  Requests running.
size_t crier_matrix_client_in_flight (const crier_matrix_client_t *self);

#endif

/*  matrix_client.c - see matrix_client.h. */
#include "matrix_client.h"

#include "crier/log.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Answers are small JSON objects; what is beyond this is not needed.
#define MAX_RESPONSE_BYTES 65536
//  The characters a path segment keeps as they are (RFC 3986).
#define UNRESERVED "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
//  A 429 without a delay of its own waits this long.
#define DEFAULT_RATE_LIMIT_MS 1000

struct crier_matrix_client_t {
    crier_transfers_t *http;
    char *homeserver;
    uint64_t timeout_ms;
    size_t max_response;        //  bytes of an answer read at most
    long http_version;          //  CURLOPT_HTTP_VERSION
    char *ca_file;              //  CURLOPT_CAINFO, or NULL: the system's
    struct curl_slist *headers; //  the same for every request: its token and content type
    zlistx_t *requests;         //  request_t still running
    zlistx_t *idle;             //  easy handles a request ended with, set up for the next
};

typedef struct {
    crier_matrix_client_t *client;
    crier_matrix_answer_fn *fn;
    void *arg;
    CURL *easy;
    char *body;
    char *response;
    size_t response_length;
    bool truncated; //  the answer was longer than the client reads
    char error[CURL_ERROR_SIZE];
    void *handle;
} request_t;

const char *crier_matrix_outcome_name (crier_matrix_outcome_t outcome)
{
    static const char *names[] = {"ok",        "rate limited", "unauthorized", "forbidden",
                                  "not found", "retryable",    "fatal"};
    return outcome <= CRIER_MATRIX_FATAL ? names[outcome] : "?";
}

void crier_matrix_classify (CURLcode result, const char *curl_error, long status,
                            const char *response, uint64_t retry_after_s,
                            crier_matrix_answer_t *answer)
{
    *answer = (crier_matrix_answer_t){.status = result == CURLE_OK ? status : 0};
    if (result != CURLE_OK) {
        answer->outcome = CRIER_MATRIX_RETRYABLE;
        snprintf (answer->reason, sizeof answer->reason, "%s%s%s", curl_easy_strerror (result),
                  curl_error && curl_error[0] ? ": " : "", curl_error ? curl_error : "");
        return;
    }
    json_t *body = response ? json_loads (response, 0, NULL) : NULL;
    if (body && !json_is_object (body))
        json_decref (body), body = NULL;
    answer->body = body;
    answer->errcode = json_string_value (json_object_get (body, "errcode"));
    answer->error = json_string_value (json_object_get (body, "error"));
    if (status >= 200 && status < 300) {
        answer->outcome = body ? CRIER_MATRIX_OK : CRIER_MATRIX_RETRYABLE;
        if (!body)
            snprintf (answer->reason, sizeof answer->reason,
                      "HTTP %ld with a body that is not a JSON object (a proxy's page, or cut "
                      "short)",
                      status);
        else //  formatted only when it says something: this is every delivery's answer
            snprintf (answer->reason, sizeof answer->reason, "HTTP %ld", status);
        return;
    }
    snprintf (answer->reason, sizeof answer->reason, "HTTP %ld%s%s%s%s", status,
              answer->errcode ? " " : "", answer->errcode ? answer->errcode : "",
              answer->error ? ": " : "", answer->error ? answer->error : "");
    if (status == 429) {
        answer->outcome = CRIER_MATRIX_RATE_LIMITED;
        json_t *wait = json_object_get (body, "retry_after_ms");
        //  Newer servers may send only the Retry-After header (seconds).
        if (json_is_integer (wait) && json_integer_value (wait) >= 0)
            answer->delay_ms = (uint64_t)json_integer_value (wait);
        else if (retry_after_s > 0)
            answer->delay_ms = retry_after_s * 1000;
        else
            answer->delay_ms = DEFAULT_RATE_LIMIT_MS;
        if (answer->delay_ms > CRIER_MATRIX_MAX_RATE_LIMIT_MS)
            answer->delay_ms = CRIER_MATRIX_MAX_RATE_LIMIT_MS;
    } else if (status == 401)
        answer->outcome = CRIER_MATRIX_UNAUTHORIZED;
    else if (status == 403)
        answer->outcome = CRIER_MATRIX_FORBIDDEN;
    else if (status == 404)
        answer->outcome = CRIER_MATRIX_NOT_FOUND;
    else if (status >= 500 || status == 408 || status < 200)
        answer->outcome = CRIER_MATRIX_RETRYABLE;
    else
        answer->outcome = CRIER_MATRIX_FATAL;
}

void crier_matrix_answer_free (crier_matrix_answer_t *answer)
{
    json_decref (answer->body);
    answer->body = NULL;
    answer->errcode = answer->error = NULL;
}

int crier_matrix_path (char *path, size_t size, ...)
{
    va_list parts;
    va_start (parts, size);
    size_t length = 0;
    int rc = 0;
    bool segment = false;
    for (const char *part = va_arg (parts, const char *); part && rc == 0;
         part = va_arg (parts, const char *), segment = !segment) {
        //  Escaped only when it has to be: a delivery id (hex) is copied as it is.
        bool escape = segment && part[strspn (part, UNRESERVED)] != '\0';
        char *escaped = escape ? curl_easy_escape (NULL, part, 0) : NULL;
        const char *text = escape ? escaped : part;
        size_t add = text ? strlen (text) : 0;
        if (!text || length + add >= size)
            rc = -1;
        else {
            memcpy (path + length, text, add);
            length += add;
        }
        curl_free (escaped);
    }
    va_end (parts);
    if (size > 0)
        path[rc == 0 ? length : 0] = '\0';
    return rc;
}

crier_matrix_client_t *crier_matrix_client_new (crier_transfers_t *http, const char *homeserver,
                                                const char *access_token, uint64_t timeout_ms)
{
    crier_matrix_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->http = http;
    self->timeout_ms = timeout_ms;
    self->max_response = MAX_RESPONSE_BYTES;
    self->http_version = CURL_HTTP_VERSION_2TLS;
    self->homeserver = strdup (homeserver);
    self->requests = zlistx_new ();
    self->idle = zlistx_new ();
    //  The same header list for every request (curl copies each line into it).
    size_t size = strlen (access_token) + 32;
    char *authorization = malloc (size);
    if (authorization) {
        snprintf (authorization, size, "Authorization: Bearer %s", access_token);
        self->headers = curl_slist_append (NULL, authorization);
        free (authorization);
    }
    struct curl_slist *both =
        self->headers ? curl_slist_append (self->headers, "Content-Type: application/json") : NULL;
    if (!both)
        curl_slist_free_all (self->headers); //  a failed append leaves the list as it was
    self->headers = both;
    if (!self->homeserver || !self->requests || !self->idle || !self->headers) {
        crier_matrix_client_destroy (&self);
        return NULL;
    }
    return self;
}

//  Forgets the easy handles kept for later requests (their options change).
static void s_forget_idle (crier_matrix_client_t *self)
{
    for (CURL *easy = self->idle ? zlistx_first (self->idle) : NULL; easy;
         easy = zlistx_next (self->idle))
        curl_easy_cleanup (easy);
    if (self->idle)
        zlistx_purge (self->idle);
}

//  The request's easy handle is kept for the next request when it ended (a handle set up anew
//  for every request cost each delivery more than its transfer).
static void s_request_destroy (request_t **request_p, bool keep_easy)
{
    request_t *request = *request_p;
    if (request->handle)
        zlistx_delete (request->client->requests, request->handle);
    if (request->easy && keep_easy && zlistx_add_end (request->client->idle, request->easy))
        curl_easy_setopt (request->easy, CURLOPT_ERRORBUFFER, NULL);
    else
        curl_easy_cleanup (request->easy);
    free (request->body);
    free (request->response);
    free (request);
    *request_p = NULL;
}

void crier_matrix_client_destroy (crier_matrix_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_matrix_client_t *self = *self_p;
    for (request_t *request = self->requests ? zlistx_first (self->requests) : NULL; request;
         request = zlistx_first (self->requests)) {
        crier_transfers_cancel (self->http, request->easy);
        s_request_destroy (&request, false);
    }
    zlistx_destroy (&self->requests);
    s_forget_idle (self);
    zlistx_destroy (&self->idle);
    curl_slist_free_all (self->headers);
    free (self->homeserver);
    free (self->ca_file);
    free (self);
    *self_p = NULL;
}

void crier_matrix_client_http (crier_matrix_client_t *self, crier_matrix_http_t http)
{
    self->http_version =
        http == CRIER_MATRIX_HTTP_1_1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS;
    s_forget_idle (self);
}

int crier_matrix_client_ca_file (crier_matrix_client_t *self, const char *ca_file)
{
    free (self->ca_file);
    self->ca_file = ca_file ? strdup (ca_file) : NULL;
    s_forget_idle (self);
    return !ca_file || self->ca_file ? 0 : -1;
}

void crier_matrix_client_limit (crier_matrix_client_t *self, size_t max_response_bytes)
{
    self->max_response = max_response_bytes;
}

size_t crier_matrix_client_in_flight (const crier_matrix_client_t *self)
{
    return zlistx_size (self->requests);
}

static size_t s_on_response_data (char *data, size_t size, size_t count, void *arg)
{
    request_t *request = arg;
    size_t bytes = size * count;
    size_t take = bytes;
    size_t most = request->client->max_response;
    if (request->response_length + take > most) {
        take = most - request->response_length; //  the rest is not read
        request->truncated = true;
    }
    char *grown = realloc (request->response, request->response_length + take + 1);
    if (!grown)
        return 0;
    memcpy (grown + request->response_length, data, take);
    request->response_length += take;
    grown[request->response_length] = '\0';
    request->response = grown;
    return bytes;
}

static void s_on_done (CURL *easy, CURLcode result, void *arg)
{
    request_t *request = arg;
    long status = 0;
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
    //  Only a rate limit needs the header (looked up for every answer, it cost each delivery).
    curl_off_t retry_after = 0;
    struct curl_header *header = NULL;
    if (status != 429 ||
        curl_easy_header (easy, "Retry-After", 0, CURLH_HEADER, -1, &header) != CURLHE_OK ||
        curl_easy_getinfo (easy, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK || retry_after < 0)
        retry_after = 0;
    crier_matrix_answer_t answer;
    crier_matrix_classify (result, request->error, status, request->response, (uint64_t)retry_after,
                           &answer);
    if (request->truncated) {
        answer.truncated = true;
        snprintf (answer.reason, sizeof answer.reason, "HTTP %ld: the answer is over %zu bytes",
                  status, request->client->max_response);
    }
    //  Detached first: the callback may start the next request, or destroy the client.
    crier_matrix_answer_fn *fn = request->fn;
    void *fn_arg = request->arg;
    s_request_destroy (&request, true);
    fn (&answer, fn_arg);
    crier_matrix_answer_free (&answer);
}

//  An easy handle with the options every request of this client has: one kept from an ended
//  request, or a new one. Returns NULL when out of memory or libcurl refused an option.
static CURL *s_easy (crier_matrix_client_t *self)
{
    CURL *easy = zlistx_first (self->idle);
    if (easy) {
        zlistx_delete (self->idle, zlistx_cursor (self->idle));
        return easy;
    }
    easy = curl_easy_init ();
    CURLcode rc = easy ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPHEADER, self->headers);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_response_data);
    if (rc == CURLE_OK)
        rc = crier_transfers_prepare (easy, "http,https", (long)self->timeout_ms, NULL);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_USERAGENT, "crier/" CRIER_VERSION);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTP_VERSION, self->http_version);
    //  On HTTP/2, a request waits for the connection being set up rather than opening another.
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PIPEWAIT, 1L);
    if (rc == CURLE_OK && self->ca_file)
        rc = curl_easy_setopt (easy, CURLOPT_CAINFO, self->ca_file);
    if (rc != CURLE_OK) {
        curl_easy_cleanup (easy);
        return NULL;
    }
    return easy;
}

int crier_matrix_client_request (crier_matrix_client_t *self, const char *method, const char *path,
                                 const char *body, crier_matrix_answer_fn *fn, void *arg,
                                 char *reason, size_t reason_size)
{
    request_t *request = calloc (1, sizeof *request);
    size_t url_size = strlen (self->homeserver) + strlen (path) + 1;
    char *url = malloc (url_size);
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    if (request && url) {
        *request = (request_t){.client = self, .fn = fn, .arg = arg};
        snprintf (url, url_size, "%s%s", self->homeserver, path);
        request->body = strdup (body ? body : "");
        request->easy = s_easy (self);
        if (request->body && request->easy)
            rc = CURLE_OK;
    }
    CURL *easy = request ? request->easy : NULL;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_POSTFIELDS, request->body);
    //  Every request says its method: a kept handle may have sent another one last.
    if (rc == CURLE_OK && strcmp (method, "GET") == 0)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEDATA, request);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, request->error);
    free (url);
    if (rc != CURLE_OK || crier_transfers_start (self->http, easy, s_on_done, request) != 0) {
        snprintf (reason, reason_size, "the request could not be started: %s",
                  rc != CURLE_OK ? curl_easy_strerror (rc) : "libcurl refused the transfer");
        if (request)
            s_request_destroy (&request, false);
        return -1;
    }
    request->handle = zlistx_add_end (self->requests, request);
    return 0;
}

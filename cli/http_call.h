/*  http_call.h - one blocking HTTP request for the command line (a CLI may block; the daemons
    use crier_transfers on their loop instead): CouchDB for crier mapping, the Matrix homeserver
    for crier matrix. */
#ifndef CRIER_CLI_HTTP_CALL_H_INCLUDED
#define CRIER_CLI_HTTP_CALL_H_INCLUDED

#include <curl/curl.h>

typedef struct {
    long status;                      //  HTTP status, 0 when there was no answer
    char *body;                       //  the answer, NUL-terminated (never NULL after a request)
    char error[CURL_ERROR_SIZE + 64]; //  why there was no answer
} cli_response_t;

//  Performs method on easy, which holds the URL and credentials already, with JSON headers plus
//  extra (a header line such as "Authorization: Bearer ...", or NULL) and an optional JSON
//  body. Cleans easy up.
void cli_http_call (CURL *easy, const char *method, const char *extra, const char *body,
                    cli_response_t *response);

void cli_response_free (cli_response_t *response);

#endif

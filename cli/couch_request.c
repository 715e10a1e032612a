/*  couch_request.c - see couch_request.h. */
#include "couch_request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void couch_request (const crier_couchdb_t *couchdb, const char *method, const char *url,
                    const char *body, couch_response_t *response)
{
    CURL *easy = curl_easy_init ();
    if (easy && crier_couchdb_prepare (couchdb, easy, url) != 0) {
        curl_easy_cleanup (easy);
        easy = NULL;
    }
    cli_http_call (easy, method, NULL, body, response);
}

void couch_response_free (couch_response_t *response)
{
    cli_response_free (response);
}

char *couch_response_reason (const couch_response_t *response)
{
    json_t *body = json_loads (response->body, 0, NULL);
    const char *error = json_string_value (json_object_get (body, "error"));
    const char *reason = json_string_value (json_object_get (body, "reason"));
    char text[512];
    if (error)
        snprintf (text, sizeof text, "%s%s%s", error, reason ? ": " : "", reason ? reason : "");
    else
        snprintf (text, sizeof text, "%.200s", response->body);
    json_decref (body);
    return strdup (text);
}

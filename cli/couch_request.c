/*  couch_request.c - see couch_request.h. */
#include "couch_request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS 30000L
#define MAX_RESPONSE_BYTES (64 * 1024 * 1024)

static size_t s_collect (char *data, size_t size, size_t count, void *arg)
{
    couch_response_t *response = arg;
    size_t bytes = size * count;
    size_t length = strlen (response->body);
    if (length + bytes > MAX_RESPONSE_BYTES)
        return 0;
    char *grown = realloc (response->body, length + bytes + 1);
    if (!grown)
        return 0;
    memcpy (grown + length, data, bytes);
    grown[length + bytes] = '\0';
    response->body = grown;
    return bytes;
}

void couch_request (const crier_couchdb_t *couchdb, const char *method, const char *url,
                    const char *body, couch_response_t *response)
{
    memset (response, 0, sizeof *response);
    response->body = calloc (1, 1);
    CURL *easy = curl_easy_init ();
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    headers = curl_slist_append (headers, "Accept: application/json");
    char error_text[CURL_ERROR_SIZE] = "";
    CURLcode rc = easy && headers && response->body ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK && crier_couchdb_prepare (couchdb, easy, url) != 0)
        rc = CURLE_FAILED_INIT;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPHEADER, headers);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_collect);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEDATA, response);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, error_text);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    if (rc == CURLE_OK && body)
        rc = curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body);
    if (rc == CURLE_OK)
        rc = curl_easy_perform (easy);
    if (rc == CURLE_OK)
        curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &response->status);
    else
        snprintf (response->error, sizeof response->error, "%s%s%s", curl_easy_strerror (rc),
                  error_text[0] ? ": " : "", error_text);
    curl_slist_free_all (headers);
    curl_easy_cleanup (easy);
    if (!response->body)
        response->body = calloc (1, 1);
}

void couch_response_free (couch_response_t *response)
{
    free (response->body);
    response->body = NULL;
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

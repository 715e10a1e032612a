/*  http_call.c - see http_call.h. */
#include "http_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS 30000L
#define MAX_RESPONSE_BYTES (64 * 1024 * 1024)

static size_t s_collect (char *data, size_t size, size_t count, void *arg)
{
    cli_response_t *response = arg;
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

void cli_http_call (CURL *easy, const char *method, const char *extra, const char *body,
                    cli_response_t *response)
{
    memset (response, 0, sizeof *response);
    response->body = calloc (1, 1);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    headers = curl_slist_append (headers, "Accept: application/json");
    if (extra)
        headers = curl_slist_append (headers, extra);
    char error_text[CURL_ERROR_SIZE] = "";
    CURLcode rc = easy && headers && response->body ? CURLE_OK : CURLE_OUT_OF_MEMORY;
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

void cli_response_free (cli_response_t *response)
{
    free (response->body);
    response->body = NULL;
}

/*  couchdb.c - see couchdb.h. URLs are taken apart with libcurl's URL API, never by hand. */
#include "crier/couchdb.h"
#include "crier/config.h"
#include "crier/log.h"
#include "crier/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000

int crier_couchdb_load (crier_couchdb_t *self)
{
    int rc = 0;
    rc |= crier_config_string ("CRIER_COUCHDB_URL", "http://127.0.0.1:5984", &self->url);
    rc |= crier_config_string ("CRIER_COUCHDB_USER", NULL, &self->user);
    rc |= crier_config_secret ("CRIER_COUCHDB_PASSWORD", &self->password);
    rc |= crier_config_string ("CRIER_COUCHDB_DB", "crier", &self->database);
    rc |= crier_config_string ("CRIER_MAPPING_DOC", "mapping", &self->document);
    static const char *const schemes[] = {"http", "https", NULL};
    char *display = NULL;
    if (self->url && crier_url_check (self->url, schemes, &display) != 0) {
        //  The value may hold a password: show only that it is wrong.
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_COUCHDB_URL", "expected",
                   "an http:// or https:// URL such as http://127.0.0.1:5984");
        rc = -1;
    }
    if (display) {
        //  Drop a trailing slash so that paths join cleanly.
        size_t length = strlen (display);
        if (length > 0 && display[length - 1] == '/')
            display[length - 1] = '\0';
        self->display_url = display;
    }
    if (self->password && !self->user) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_COUCHDB_USER", "expected",
                   "a user name, since CRIER_COUCHDB_PASSWORD is set");
        rc = -1;
    }
    return rc ? -1 : 0;
}

void crier_couchdb_free (crier_couchdb_t *self)
{
    free (self->url);
    free (self->display_url);
    free (self->user);
    free (self->password);
    free (self->database);
    free (self->document);
    memset (self, 0, sizeof *self);
}

static char *s_escape (const char *text)
{
    char *escaped = curl_easy_escape (NULL, text, 0);
    char *copy = escaped ? strdup (escaped) : NULL;
    curl_free (escaped);
    return copy;
}

char *crier_couchdb_url (const crier_couchdb_t *self, const char *suffix, const char *query)
{
    char *database = s_escape (self->database);
    if (!database)
        return NULL;
    //  The configured URL keeps its credentials; libcurl uses them, logs use display_url.
    size_t base_length = strlen (self->url);
    while (base_length > 0 && self->url[base_length - 1] == '/')
        base_length--;
    size_t size = base_length + strlen (database) + (suffix ? strlen (suffix) : 0) +
                  (query ? strlen (query) : 0) + 4;
    char *url = malloc (size);
    if (url)
        snprintf (url, size, "%.*s/%s%s%s%s", (int)base_length, self->url, database,
                  suffix ? suffix : "", query ? "?" : "", query ? query : "");
    free (database);
    return url;
}

char *crier_couchdb_document_suffix (const crier_couchdb_t *self)
{
    char *document = s_escape (self->document);
    if (!document)
        return NULL;
    size_t size = strlen (document) + 2;
    char *suffix = malloc (size);
    if (suffix)
        snprintf (suffix, size, "/%s", document);
    free (document);
    return suffix;
}

int crier_couchdb_prepare (const crier_couchdb_t *self, CURL *easy, const char *url)
{
    CURLcode rc = curl_easy_setopt (easy, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_USERAGENT, "crier/" CRIER_VERSION);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK && self->user)
        rc = curl_easy_setopt (easy, CURLOPT_USERNAME, self->user);
    if (rc == CURLE_OK && self->password)
        rc = curl_easy_setopt (easy, CURLOPT_PASSWORD, self->password);
    return rc == CURLE_OK ? 0 : -1;
}

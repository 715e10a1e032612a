/*  url.c - see url.h. */
#include "crier/url.h"
#include "crier/secret.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crier_url_check (const char *url, const char *const *schemes, char **display_p)
{
    CURLU *handle = url ? curl_url () : NULL;
    char *scheme = NULL, *display = NULL;
    bool valid = handle && curl_url_set (handle, CURLUPART_URL, url, 0) == CURLUE_OK &&
                 curl_url_get (handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
    bool known = false;
    for (const char *const *candidate = schemes; valid && *candidate && !known; candidate++)
        known = strcmp (scheme, *candidate) == 0;
    //  A password in the URL is a secret like any other: never logged, decoded or as written
    //  (percent-encoded), which is how it shows in the URL itself.
    for (int decode = 0; known && decode < 2; decode++) {
        char *password = NULL;
        if (curl_url_get (handle, CURLUPART_PASSWORD, &password, decode ? CURLU_URLDECODE : 0) ==
            CURLUE_OK)
            crier_secret_register (password);
        curl_free (password);
    }
    if (known && display_p) {
        known = curl_url_set (handle, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
                curl_url_set (handle, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
                curl_url_get (handle, CURLUPART_URL, &display, 0) == CURLUE_OK;
        *display_p = known ? strdup (display) : NULL;
        known = known && *display_p;
    }
    curl_free (display);
    curl_free (scheme);
    curl_url_cleanup (handle);
    return known ? 0 : -1;
}

bool crier_url_has_user (const char *url)
{
    CURLU *handle = url ? curl_url () : NULL;
    char *user = NULL;
    bool has = handle && curl_url_set (handle, CURLUPART_URL, url, 0) == CURLUE_OK &&
               curl_url_get (handle, CURLUPART_USER, &user, 0) == CURLUE_OK && user && *user;
    curl_free (user);
    curl_url_cleanup (handle);
    return has;
}

char *crier_url_escape (const char *text, const char *keep)
{
    //  Three bytes at most for each.
    char *escaped = malloc (strlen (text) * 3 + 1);
    if (!escaped)
        return NULL;
    char *out = escaped;
    for (const unsigned char *at = (const unsigned char *)text; *at; at++) {
        bool plain = (*at >= 'a' && *at <= 'z') || (*at >= 'A' && *at <= 'Z') ||
                     (*at >= '0' && *at <= '9') || strchr (keep, *at);
        if (plain)
            *out++ = (char)*at;
        else
            out += sprintf (out, "%%%02X", *at);
    }
    *out = '\0';
    return escaped;
}

/*  url.h - URLs from settings, taken apart with libcurl's URL API (never by hand): checking
    their scheme, and the form that may be logged, without user name and password. */
#ifndef CRIER_URL_H_INCLUDED
#define CRIER_URL_H_INCLUDED

#include <stdbool.h>

//  Checks that url parses and that its scheme is one of schemes (NULL-ended, lower case). When
//  display_p is not NULL it receives the URL without user and password, for logs and events
//  (caller frees). Returns 0, or -1 when the URL is invalid or out of memory.
int crier_url_check (const char *url, const char *const *schemes, char **display_p);

//  Whether url carries a user name (user:password@host).
bool crier_url_has_user (const char *url);

//  text percent-encoded: every byte but letters, digits and the characters of keep (unreserved
//  ones such as "-._~", and what the part of the URL allows: a query value, a fragment). Caller
//  frees; NULL when out of memory.
char *crier_url_escape (const char *text, const char *keep);

#endif

/*  couchdb.h - where the mapping document lives and how to reach it over HTTP.

    Read from CRIER_COUCHDB_URL (credentials may be in it), CRIER_COUCHDB_USER,
    CRIER_COUCHDB_PASSWORD (or _FILE), CRIER_COUCHDB_DB and CRIER_MAPPING_DOC. crier-resolver
   follows the document; the crier CLI reads and writes it. No other crier process talks to CouchDB.
*/
#ifndef CRIER_COUCHDB_H_INCLUDED
#define CRIER_COUCHDB_H_INCLUDED

#include <curl/curl.h>

typedef struct {
    char *url;         //  base URL as configured, possibly with credentials
    char *display_url; //  base URL without credentials, for logs and messages
    char *user;        //  NULL when not configured
    char *password;    //  NULL when not configured
    char *database;    //  CRIER_COUCHDB_DB
    char *document;    //  CRIER_MAPPING_DOC
} crier_couchdb_t;

//  Reads the settings, logging each bad one. Returns 0 or -1.
int crier_couchdb_load (crier_couchdb_t *self);

void crier_couchdb_free (crier_couchdb_t *self);

//  base/database, then suffix (may be NULL; already escaped), then "?query" when query is not
//  NULL. The database name is percent-encoded. Caller frees; NULL when out of memory.
char *crier_couchdb_url (const crier_couchdb_t *self, const char *suffix, const char *query);

//  The mapping document's path suffix: "/" and the percent-encoded document id. Caller frees.
char *crier_couchdb_document_suffix (const crier_couchdb_t *self);

//  Sets the URL, credentials, a user agent and a connect timeout on an easy handle. Returns 0, or
//  -1 when libcurl refused an option.
int crier_couchdb_prepare (const crier_couchdb_t *self, CURL *easy, const char *url);

#endif

/*  couch_request.h - one blocking HTTP request to CouchDB for the command line (a CLI may block;
    the daemons use crier_transfers on their loop instead). */
#ifndef CRIER_CLI_COUCH_REQUEST_H_INCLUDED
#define CRIER_CLI_COUCH_REQUEST_H_INCLUDED

#include "crier/couchdb.h"
#include "http_call.h"

typedef cli_response_t couch_response_t;

//  Sends method to url (built with crier_couchdb_url) with an optional JSON body.
void couch_request (const crier_couchdb_t *couchdb, const char *method, const char *url,
                    const char *body, couch_response_t *response);

void couch_response_free (couch_response_t *response);

//  "error: reason" from a CouchDB error body, or the raw body. Caller frees.
char *couch_response_reason (const couch_response_t *response);

#endif

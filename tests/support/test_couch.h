/*  test_couch.h - a real CouchDB-API server for tests: pouchdb-server from the repository's
    node_modules (scripts/install-deps.sh installs it), on a free loopback port, with admin
    credentials in its configuration file before it starts, data in a fresh folder. */
#ifndef CRIER_TEST_COUCH_H_INCLUDED
#define CRIER_TEST_COUCH_H_INCLUDED

#include "test_support.h"

#define TEST_COUCH_USER     "admin"
#define TEST_COUCH_PASSWORD "test-secret"

typedef struct {
    test_process_t *server;
    int port;
    char url[64];  //  http://127.0.0.1:PORT, without credentials
    char dir[256]; //  data and configuration
} test_couch_t;

//  Starts the server and waits until it answers. Fails the test when it cannot.
test_couch_t *test_couch_start (void);

//  Stops the server (SIGTERM) but keeps its data, so that test_couch_restart can bring it back.
void test_couch_stop (test_couch_t *couch);
//  The same with SIGKILL: no chance to finish anything.
void test_couch_kill (test_couch_t *couch);
void test_couch_restart (test_couch_t *couch);

//  Stops the server if running, removes its data, frees.
void test_couch_destroy (test_couch_t **couch_p);

//  One HTTP request as admin. Returns the status (0 on connection failure); *response_p (if not
//  NULL) gets the body, which the caller frees.
long test_couch_request (test_couch_t *couch, const char *method, const char *path,
                         const char *body, char **response_p);

//  Stores the mapping document: {"_id": "mapping", "mapping": <mapping_json>}, over the current
//  revision if there is one. Returns the new revision (caller frees).
char *test_couch_put_mapping (test_couch_t *couch, const char *database, const char *mapping_json);

//  The same with the whole document's members beyond _id and _rev, e.g. "\"mapping\": {...},
//  \"people\": {...}".
char *test_couch_put_document (test_couch_t *couch, const char *database, const char *members_json);

#endif

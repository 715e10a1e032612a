/*  test_couch.c - see test_couch.h. */
#include "test_couch.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void s_start (test_couch_t *couch)
{
    char port[16], dir_option[300], config_option[300];
    snprintf (port, sizeof port, "%d", couch->port);
    snprintf (dir_option, sizeof dir_option, "%s/data", couch->dir);
    snprintf (config_option, sizeof config_option, "%s/config.json", couch->dir);
    const char *args[] = {"--host",   "127.0.0.1", "--port",      port, "--dir",
                          dir_option, "--config",  config_option, NULL};
    couch->server =
        test_process_start (CRIER_SOURCE_DIR "/node_modules/.bin/pouchdb-server", args, NULL);
    if (!couch->server)
        fail_msg ("could not start pouchdb-server: run scripts/install-deps.sh first");
    if (!test_process_wait_log (couch->server, "pouchdb-server has started", 30000, NULL, NULL, 0))
        fail_msg ("pouchdb-server did not start within 30 s");
    //  It logs before it listens: wait for an answer.
    for (int attempt = 0; attempt < 300; attempt++) {
        if (test_couch_request (couch, "GET", "/", NULL, NULL) == 200)
            return;
        poll (NULL, 0, 50);
    }
    fail_msg ("pouchdb-server does not answer on %s", couch->url);
}

test_couch_t *test_couch_start (void)
{
    test_couch_t *couch = calloc (1, sizeof *couch);
    //  pouchdb-server cannot be given port 0 (it takes 0 for its default, 5984) and must keep its
    //  port across test_couch_restart: a free port from a range no test binds by accident.
    char endpoint[128];
    test_unused_endpoint (endpoint, sizeof endpoint);
    couch->port = atoi (strrchr (endpoint, ':') + 1);
    snprintf (couch->url, sizeof couch->url, "http://127.0.0.1:%d", couch->port);
    snprintf (couch->dir, sizeof couch->dir, "/tmp/crier-test-couch-XXXXXX");
    assert_non_null (mkdtemp (couch->dir));
    char path[300];
    snprintf (path, sizeof path, "%s/config.json", couch->dir);
    FILE *config = fopen (path, "w");
    assert_non_null (config);
    fprintf (config, "{\"admins\": {\"%s\": \"%s\"}, \"log\": {\"file\": \"%s/log.txt\"}}\n",
             TEST_COUCH_USER, TEST_COUCH_PASSWORD, couch->dir);
    fclose (config);
    s_start (couch);
    return couch;
}

void test_couch_stop (test_couch_t *couch)
{
    test_process_stop (couch->server, SIGTERM, 10000);
    test_process_destroy (&couch->server);
}

void test_couch_kill (test_couch_t *couch)
{
    int status = test_process_stop (couch->server, SIGKILL, 10000);
    if (status != 128 + SIGKILL)
        fail_msg ("pouchdb-server ended with %d after SIGKILL", status);
    test_process_destroy (&couch->server);
}

void test_couch_restart (test_couch_t *couch)
{
    s_start (couch);
}

void test_couch_destroy (test_couch_t **couch_p)
{
    test_couch_t *couch = *couch_p;
    if (!couch)
        return;
    if (couch->server)
        test_couch_stop (couch);
    char command[320];
    snprintf (command, sizeof command, "rm -rf '%s'", couch->dir);
    if (system (command) != 0)
        fprintf (stderr, "could not remove %s\n", couch->dir);
    free (couch);
    *couch_p = NULL;
}

long test_couch_request (test_couch_t *couch, const char *method, const char *path,
                         const char *body, char **response_p)
{
    char url[512];
    snprintf (url, sizeof url, "%s%s", couch->url, path);
    return test_http (method, url, body, TEST_COUCH_USER ":" TEST_COUCH_PASSWORD, response_p);
}

char *test_couch_put_mapping (test_couch_t *couch, const char *database, const char *mapping_json)
{
    size_t size = strlen (mapping_json) + 16;
    char *members = malloc (size);
    snprintf (members, size, "\"mapping\": %s", mapping_json);
    char *revision = test_couch_put_document (couch, database, members);
    free (members);
    return revision;
}

char *test_couch_put_document (test_couch_t *couch, const char *database, const char *members_json)
{
    char path[256];
    snprintf (path, sizeof path, "/%s/mapping", database);
    char *current = NULL;
    char *revision = NULL;
    if (test_couch_request (couch, "GET", path, NULL, &current) == 200) {
        json_t *document = json_loads (current, 0, NULL);
        revision = strdup (json_string_value (json_object_get (document, "_rev")));
        json_decref (document);
    }
    free (current);
    size_t size = strlen (members_json) + 128;
    char *body = malloc (size);
    if (revision)
        snprintf (body, size, "{\"_id\": \"mapping\", \"_rev\": \"%s\", %s}", revision,
                  members_json);
    else
        snprintf (body, size, "{\"_id\": \"mapping\", %s}", members_json);
    free (revision);
    char *response = NULL;
    long status = test_couch_request (couch, "PUT", path, body, &response);
    free (body);
    if (status != 201 && status != 200)
        fail_msg ("PUT %s: HTTP %ld %s", path, status, response);
    json_t *answer = json_loads (response, 0, NULL);
    char *new_revision = strdup (json_string_value (json_object_get (answer, "rev")));
    json_decref (answer);
    free (response);
    return new_revision;
}

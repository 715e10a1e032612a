/*  test_homeserver.c - see test_homeserver.h. */
#include "test_homeserver.h"

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

test_homeserver_t *test_homeserver_start (const char *const *args)
{
    const char *argv[32] = {CRIER_SOURCE_DIR "/tests/matrix/homeserver_double.py", "--token",
                            TEST_MATRIX_TOKEN, "--user", TEST_MATRIX_USER};
    size_t count = 5;
    for (size_t index = 0; args && args[index] && count < 31; index++)
        argv[count++] = args[index];
    test_homeserver_t *homeserver = calloc (1, sizeof *homeserver);
    homeserver->process = test_process_start ("/usr/bin/python3", argv, NULL);
    assert_non_null (homeserver->process);
    char line[256];
    if (!test_process_wait_log (homeserver->process, "listening on ", 20000, NULL, line,
                                sizeof line))
        fail_msg ("the homeserver double did not start");
    bool tls = false;
    for (size_t index = 0; args && args[index]; index++)
        tls |= strcmp (args[index], "--tls-cert") == 0;
    snprintf (homeserver->url, sizeof homeserver->url, "%s://127.0.0.1:%d", tls ? "https" : "http",
              atoi (strstr (line, "listening on ") + 13));
    return homeserver;
}

void test_homeserver_destroy (test_homeserver_t **homeserver_p)
{
    test_homeserver_t *homeserver = *homeserver_p;
    if (!homeserver)
        return;
    test_process_stop (homeserver->process, SIGTERM, 10000);
    test_process_destroy (&homeserver->process);
    free (homeserver);
    *homeserver_p = NULL;
}

json_t *test_homeserver_get (test_homeserver_t *homeserver, const char *what)
{
    char url[160], *body = NULL;
    snprintf (url, sizeof url, "%s/_test/%s", homeserver->url, what);
    assert_int_equal (test_http ("GET", url, NULL, NULL, &body), 200);
    json_t *parsed = json_loads (body, 0, NULL);
    free (body);
    assert_non_null (parsed);
    return parsed;
}

json_t *test_homeserver_call (test_homeserver_t *homeserver, const char *what, const char *json)
{
    char url[160], *answer = NULL;
    snprintf (url, sizeof url, "%s/_test/%s", homeserver->url, what);
    assert_int_equal (test_http ("POST", url, json, NULL, &answer), 200);
    json_t *parsed = json_loads (answer, 0, NULL);
    free (answer);
    assert_non_null (parsed);
    return parsed;
}

void test_homeserver_post (test_homeserver_t *homeserver, const char *what, const char *json)
{
    json_decref (test_homeserver_call (homeserver, what, json));
}

json_t *test_homeserver_wait_events (test_homeserver_t *homeserver, size_t count, int timeout_ms)
{
    for (int waited = 0;; waited += 20) {
        json_t *events = test_homeserver_get (homeserver, "events");
        if (json_array_size (events) >= count || waited >= timeout_ms)
            return events;
        json_decref (events);
        poll (NULL, 0, 20);
    }
}

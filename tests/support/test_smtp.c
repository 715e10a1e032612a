/*  test_smtp.c - see test_smtp.h. */
#include "test_smtp.h"

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
#include <strings.h>

test_smtp_t *test_smtp_start (const char *const *args)
{
    const char *argv[16] = {CRIER_SOURCE_DIR "/tests/smtp/smtp_double.py"};
    size_t count = 1;
    for (size_t index = 0; args && args[index] && count < 15; index++)
        argv[count++] = args[index];
    test_smtp_t *smtp = calloc (1, sizeof *smtp);
    smtp->process = test_process_start ("/usr/bin/python3", argv, NULL);
    assert_non_null (smtp->process);
    char line[256];
    if (!test_process_wait_log (smtp->process, "listening on ", 20000, NULL, line, sizeof line))
        fail_msg ("the SMTP double did not start (is python3-aiosmtpd installed?)");
    int control_port = 0;
    sscanf (strstr (line, "listening on ") + 13, "%d %d", &smtp->smtp_port, &control_port);
    snprintf (smtp->control, sizeof smtp->control, "http://127.0.0.1:%d", control_port);
    return smtp;
}

void test_smtp_destroy (test_smtp_t **smtp_p)
{
    test_smtp_t *smtp = *smtp_p;
    if (!smtp)
        return;
    test_process_stop (smtp->process, SIGTERM, 10000);
    test_process_destroy (&smtp->process);
    free (smtp);
    *smtp_p = NULL;
}

void test_smtp_fault (test_smtp_t *smtp, const char *stage, const char *reply, int count)
{
    char url[128], body[512];
    snprintf (url, sizeof url, "%s/fault", smtp->control);
    snprintf (body, sizeof body, "{\"stage\": \"%s\", \"reply\": \"%s\", \"count\": %d}", stage,
              reply, count);
    assert_int_equal (test_http ("POST", url, body, NULL, NULL), 200);
}

void test_smtp_delay (test_smtp_t *smtp, const char *stage, int delay_ms, int count)
{
    char url[128], body[256];
    snprintf (url, sizeof url, "%s/fault", smtp->control);
    snprintf (body, sizeof body, "{\"stage\": \"%s\", \"delay_ms\": %d, \"count\": %d}", stage,
              delay_ms, count);
    assert_int_equal (test_http ("POST", url, body, NULL, NULL), 200);
}

void test_smtp_set_password (test_smtp_t *smtp, const char *password)
{
    char url[128], body[256];
    snprintf (url, sizeof url, "%s/password", smtp->control);
    snprintf (body, sizeof body, "{\"password\": \"%s\"}", password);
    assert_int_equal (test_http ("POST", url, body, NULL, NULL), 200);
}

long test_smtp_wait_timeouts (test_smtp_t *smtp, long count, int timeout_ms)
{
    char url[128];
    snprintf (url, sizeof url, "%s/timeouts", smtp->control);
    long closed = 0;
    for (int waited = 0; closed < count && waited <= timeout_ms; waited += 50) {
        char *body = NULL;
        assert_int_equal (test_http ("GET", url, NULL, NULL, &body), 200);
        closed = atol (body);
        free (body);
        if (closed < count)
            poll (NULL, 0, 50);
    }
    return closed;
}

json_t *test_smtp_wait_messages (test_smtp_t *smtp, size_t count, int timeout_ms)
{
    char url[128];
    snprintf (url, sizeof url, "%s/messages", smtp->control);
    for (int waited = 0;; waited += 20) {
        char *body = NULL;
        assert_int_equal (test_http ("GET", url, NULL, NULL, &body), 200);
        json_t *messages = json_loads (body, 0, NULL);
        free (body);
        assert_non_null (messages);
        if (json_array_size (messages) >= count || waited >= timeout_ms)
            return messages;
        json_decref (messages);
        poll (NULL, 0, 20);
    }
}

const char *test_smtp_header (const json_t *message, const char *name)
{
    size_t index;
    const json_t *header;
    json_array_foreach (json_object_get (message, "headers"), index, header)
    {
        if (strcasecmp (json_string_value (json_object_get (header, "name")), name) == 0)
            return json_string_value (json_object_get (header, "value"));
    }
    return NULL;
}

/*  test_smtp.h - the SMTP double (tests/smtp/smtp_double.py, aiosmtpd) as a process the tests
    start, fault-inject and question. */
#ifndef CRIER_TEST_SMTP_H_INCLUDED
#define CRIER_TEST_SMTP_H_INCLUDED

#include "test_support.h"

#include <jansson.h>

typedef struct {
    test_process_t *process;
    int smtp_port;
    char control[64]; //  http://127.0.0.1:PORT of the control API
} test_smtp_t;

//  Starts the double with extra arguments (NULL-ended: --tls-cert, --tls-key, --user,
//  --password) and waits until it listens.
test_smtp_t *test_smtp_start (const char *const *args);

void test_smtp_destroy (test_smtp_t **smtp_p);

//  Makes the next count commands of stage (MAIL, RCPT, DATA) answer reply.
void test_smtp_fault (test_smtp_t *smtp, const char *stage, const char *reply, int count);

//  Makes the next count commands of stage wait delay_ms before their answer.
void test_smtp_delay (test_smtp_t *smtp, const char *stage, int delay_ms, int count);

//  Makes the password of --user another (the operator fixed it on the server's side).
void test_smtp_set_password (test_smtp_t *smtp, const char *password);

//  Waits until the double closed at least count idle connections (--idle-timeout), or
//  timeout_ms; returns how many it closed.
long test_smtp_wait_timeouts (test_smtp_t *smtp, long count, int timeout_ms);

//  Waits until at least count messages arrived, or timeout_ms; returns them all (decref).
json_t *test_smtp_wait_messages (test_smtp_t *smtp, size_t count, int timeout_ms);

//  The value of a header of a received message, or NULL.
const char *test_smtp_header (const json_t *message, const char *name);

#endif

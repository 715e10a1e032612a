/*  test_secrets.c - no password or token ever reaches a log line or an event: a whole pipeline
    runs with the CouchDB password inside CRIER_COUCHDB_URL, the Matrix token, and an SMTP
    password from a _FILE, everything logged at debug level and every event recorded by crier
    tail; processes with a wrong token, a wrong SMTP password and a wrong CouchDB password make
    the servers refuse them, so that the error paths (which quote servers and libcurl) run too.
    Then every log and every event is searched for each secret, in clear and as the base64 of
    the HTTP Basic and SMTP AUTH PLAIN forms. */
#include "test_couch.h"
#include "test_homeserver.h"
#include "test_smtp.h"

#include <curl/curl.h>
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM          "!secrets:example.org"
#define MAILBOX       "ops@example.org"
#define SMTP_USER     "crier"
#define SMTP_PASSWORD "smtp-secret-pw"
#define WRONG_TOKEN   "syt_wrong_secret_token"
#define WRONG_SMTP    "wrong-smtp-secret"
#define WRONG_COUCH   "wrong-couch-secret"
#define NOTIFICATIONS 5

static const char *s_secrets[] = {TEST_COUCH_PASSWORD, TEST_MATRIX_TOKEN, SMTP_PASSWORD,
                                  WRONG_TOKEN,         WRONG_SMTP,        WRONG_COUCH};

//  Everything the run wrote, to be searched at the end.
static char *s_output;
static size_t s_output_size;

static void s_keep (const char *text)
{
    size_t length = strlen (text);
    char *grown = realloc (s_output, s_output_size + length + 2);
    assert_non_null (grown);
    s_output = grown;
    memcpy (s_output + s_output_size, text, length);
    s_output_size += length;
    s_output[s_output_size++] = '\n';
    s_output[s_output_size] = '\0';
}

static void s_keep_log (test_process_t *process)
{
    pthread_mutex_lock (&process->lock);
    s_keep (process->log);
    pthread_mutex_unlock (&process->lock);
}

static test_process_t *s_start (const char *name, const char *const *env, const char *ready)
{
    return test_process_start_ready (name, env, ready, 20000);
}

static void s_stop (test_process_t **process_p)
{
    assert_int_equal (test_process_stop (*process_p, SIGTERM, 15000), 0);
    s_keep_log (*process_p);
    test_process_destroy (process_p);
}

//  The base64 of text, as HTTP Basic and SMTP AUTH PLAIN carry credentials.
static char *s_base64 (const char *text, size_t length)
{
    char *encoded = zmalloc (length * 2 + 8);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t used = 0;
    for (size_t index = 0; index < length; index += 3) {
        uint32_t chunk = (uint32_t)(unsigned char)text[index] << 16;
        if (index + 1 < length)
            chunk |= (uint32_t)(unsigned char)text[index + 1] << 8;
        if (index + 2 < length)
            chunk |= (uint32_t)(unsigned char)text[index + 2];
        encoded[used++] = alphabet[(chunk >> 18) & 63];
        encoded[used++] = alphabet[(chunk >> 12) & 63];
        encoded[used++] = index + 1 < length ? alphabet[(chunk >> 6) & 63] : '=';
        encoded[used++] = index + 2 < length ? alphabet[chunk & 63] : '=';
    }
    return encoded;
}

static void s_assert_absent (const char *needle, const char *what)
{
    const char *found = strstr (s_output, needle);
    if (found) {
        const char *line = found;
        while (line > s_output && line[-1] != '\n')
            line--;
        const char *end = strchr (found, '\n');
        fail_msg ("%s appears in the output: %.*s", what, (int)(end ? end - line : 200), line);
    }
}

static void test_no_secret_in_any_log_or_event (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    test_couch_t *couch = test_couch_start ();
    assert_int_equal (test_couch_request (couch, "PUT", "/crier", NULL, NULL), 201);
    free (test_couch_put_mapping (
        couch, "crier", "{\"#all\": {\"matrix\": [\"" ROOM "\"], \"email\": [\"" MAILBOX "\"]}}"));
    const char *rooms[] = {"--joined", ROOM, NULL};
    test_homeserver_t *homeserver = test_homeserver_start (rooms);
    const char *smtp_args[] = {"--user", SMTP_USER, "--password", SMTP_PASSWORD, NULL};
    test_smtp_t *smtp = test_smtp_start (smtp_args);

    //  Secrets as operators give them: the CouchDB password inside the URL, the SMTP password in
    //  a file.
    static char env[16][256];
    const char *links[] = {"CRIER_NOTIFICATIONS_ENDPOINT", "CRIER_MATRIX_DELIVERIES_ENDPOINT",
                           "CRIER_EMAIL_DELIVERIES_ENDPOINT", "CRIER_EVENTS_PUBLISH_ENDPOINT",
                           "CRIER_EVENTS_ENDPOINT"};
    for (int index = 0; index < 5; index++)
        snprintf (env[index], 256, "%s=ipc://%s/link-%d", links[index], test_scratch_dir (), index);
    char password_file[200];
    snprintf (password_file, sizeof password_file, "%s/smtp_password", test_scratch_dir ());
    FILE *file = fopen (password_file, "w");
    assert_non_null (file);
    fputs (SMTP_PASSWORD "\n", file);
    fclose (file);
    char host[64]; //  kept: the URL goes with the server at the end
    snprintf (host, sizeof host, "%s", strstr (couch->url, "://") + 3);
    snprintf (env[5], 256, "CRIER_COUCHDB_URL=http://%s:%s@%s", TEST_COUCH_USER,
              TEST_COUCH_PASSWORD, host);
    snprintf (env[6], 256, "CRIER_MATRIX_HOMESERVER=%s", homeserver->url);
    snprintf (env[7], 256, "CRIER_MATRIX_ACCESS_TOKEN=%s", TEST_MATRIX_TOKEN);
    snprintf (env[8], 256, "CRIER_SMTP_URL=smtp://127.0.0.1:%d", smtp->smtp_port);
    snprintf (env[9], 256, "CRIER_SMTP_PASSWORD_FILE=%s", password_file);
    const char *common[24] = {"CRIER_SMTP_USER=" SMTP_USER, "CRIER_SMTP_TLS=none",
                              "CRIER_EMAIL_FROM=crier <crier@example.org>", "CRIER_LOG_LEVEL=debug",
                              "CRIER_INGEST_ENDPOINT=tcp://127.0.0.1:*"};
    for (size_t index = 0, count = 5; index < 10; index++)
        common[count++] = env[index];

    test_process_t *resolver = s_start ("crier-resolver", common, "mapping.loaded");
    const char *tail_args[] = {"tail", NULL};
    test_process_t *tail = test_process_start ("crier", tail_args, common);
    assert_non_null (tail);
    test_process_t *ingest = s_start ("crier-ingest", common, "ingest.ready");
    test_process_t *matrix = s_start ("crier-sender-matrix", common, "matrix.ready");
    test_process_t *email = s_start ("crier-sender-email", common, "sender.ready");

    char ack[400];
    char line[512], endpoint[160];
    assert_true (test_process_wait_log (ingest, "ingest.ready", 1000, NULL, line, sizeof line));
    assert_true (test_log_value (line, "ack_endpoint", endpoint, sizeof endpoint));
    snprintf (ack, sizeof ack, "CRIER_ACK_ENDPOINT=%s", endpoint);
    const char *send_env[] = {ack, NULL};
    for (int number = 0; number < NOTIFICATIONS; number++) {
        char body[32], *out, *err;
        snprintf (body, sizeof body, "secret-run %d", number);
        const char *args[] = {"send", "--to", "#all", body, NULL};
        assert_int_equal (test_run ("crier", args, send_env, NULL, 15000, &out, &err), 0);
        s_keep (out);
        s_keep (err);
        free (out);
        free (err);
    }
    json_t *events = test_homeserver_wait_events (homeserver, NOTIFICATIONS, 20000);
    assert_int_equal (json_array_size (events), NOTIFICATIONS);
    json_decref (events);
    json_t *mail = test_smtp_wait_messages (smtp, NOTIFICATIONS, 20000);
    assert_int_equal (json_array_size (mail), NOTIFICATIONS);
    json_decref (mail);

    //  A Matrix sender with a token the homeserver does not know, on deliveries of its own.
    static char wrong[4][256];
    snprintf (wrong[0], 256, "CRIER_MATRIX_ACCESS_TOKEN=%s", WRONG_TOKEN);
    snprintf (wrong[1], 256, "CRIER_MATRIX_DELIVERIES_ENDPOINT=ipc://%s/wrong-matrix",
              test_scratch_dir ());
    const char *wrong_matrix_env[] = {wrong[0], wrong[1], "CRIER_SMTP_PASSWORD_FILE=", NULL};
    const char *wrong_env_tail[32];
    size_t count = 0;
    for (size_t index = 0; wrong_matrix_env[index]; index++)
        wrong_env_tail[count++] = wrong_matrix_env[index];
    for (size_t index = 0; common[index]; index++)
        wrong_env_tail[count++] = common[index];
    wrong_env_tail[count] = NULL;
    test_process_t *bad_matrix = test_process_start ("crier-sender-matrix", NULL, wrong_env_tail);
    assert_non_null (bad_matrix);
    assert_true (test_process_wait_log (bad_matrix, "matrix.unauthorized", 20000, NULL, NULL, 0));
    s_stop (&bad_matrix);

    //  An email sender with a wrong password, given one delivery of its own by the test.
    snprintf (wrong[2], 256, "CRIER_SMTP_PASSWORD=%s", WRONG_SMTP);
    snprintf (wrong[3], 256, "CRIER_EMAIL_DELIVERIES_ENDPOINT=ipc://%s/wrong-email",
              test_scratch_dir ());
    char push_endpoint[300];
    snprintf (push_endpoint, sizeof push_endpoint, "@%s", strchr (wrong[3], '=') + 1);
    zsock_t *push = zsock_new_push (push_endpoint);
    assert_non_null (push);
    const char *wrong_email_env[] = {wrong[2], wrong[3], "CRIER_SMTP_PASSWORD_FILE=", NULL};
    count = 0;
    for (size_t index = 0; wrong_email_env[index]; index++)
        wrong_env_tail[count++] = wrong_email_env[index];
    for (size_t index = 0; common[index]; index++)
        wrong_env_tail[count++] = common[index];
    wrong_env_tail[count] = NULL;
    test_process_t *bad_email = s_start ("crier-sender-email", wrong_env_tail, "sender.ready");
    test_push_delivery (push, "email", "wrong-pw-1", MAILBOX, "subject", "body", NULL);
    assert_true (test_process_wait_log (bad_email, "smtp.login_refused", 20000, NULL, NULL, 0));
    s_stop (&bad_email);
    zsock_destroy (&push);

    //  crier mapping with a wrong password inside the URL: CouchDB answers 401.
    char wrong_url[256];
    snprintf (wrong_url, sizeof wrong_url, "CRIER_COUCHDB_URL=http://%s:%s@%s", TEST_COUCH_USER,
              WRONG_COUCH, host);
    const char *mapping_env[] = {wrong_url, NULL};
    const char *mapping_args[] = {"mapping", "get", NULL};
    char *out, *err;
    assert_int_not_equal (test_run ("crier", mapping_args, mapping_env, NULL, 15000, &out, &err),
                          0);
    assert_non_null (strstr (err, "401"));
    s_keep (out);
    s_keep (err);
    free (out);
    free (err);

    s_stop (&ingest);
    s_stop (&matrix);
    s_stop (&email);
    s_stop (&resolver);
    assert_true (test_process_wait_log (tail, "delivery.delivered", 1000, NULL, NULL, 0));
    s_stop (&tail);
    test_smtp_destroy (&smtp);
    test_homeserver_destroy (&homeserver);
    test_couch_destroy (&couch);
    curl_global_cleanup ();

    //  The run did log: failures, deliveries, and the URL without its password.
    assert_non_null (strstr (s_output, "smtp.login_refused"));
    assert_non_null (strstr (s_output, "matrix.unauthorized"));
    assert_non_null (strstr (s_output, "delivery.delivered"));
    char display[200];
    snprintf (display, sizeof display, "url=http://%s", host);
    assert_non_null (strstr (s_output, display));
    for (size_t index = 0; index < sizeof s_secrets / sizeof s_secrets[0]; index++)
        s_assert_absent (s_secrets[index], s_secrets[index]);
    char basic[128], plain[128];
    snprintf (basic, sizeof basic, "%s:%s", TEST_COUCH_USER, TEST_COUCH_PASSWORD);
    char *encoded = s_base64 (basic, strlen (basic));
    s_assert_absent (encoded, "CouchDB's Basic credentials (base64)");
    free (encoded);
    int length = snprintf (plain, sizeof plain, "%c%s%c%s", 0, SMTP_USER, 0, SMTP_PASSWORD);
    encoded = s_base64 (plain, (size_t)length);
    s_assert_absent (encoded, "SMTP AUTH PLAIN (base64)");
    free (encoded);
    encoded = s_base64 (SMTP_PASSWORD, strlen (SMTP_PASSWORD));
    s_assert_absent (encoded, "SMTP AUTH LOGIN password (base64)");
    free (encoded);
    free (s_output);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_secret_in_any_log_or_event),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_sender_email.c - the real crier-sender-email against a real SMTP server (aiosmtpd),
    each received message read back with Python's MIME parser. */
#include "crier/frames.h"
#include "test_smtp.h"

#include <curl/curl.h>
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    test_smtp_t *smtp;
    test_process_t *sender;
    zsock_t *push;
    char endpoint[112];
    size_t cursor;
} fixture_t;

static char s_tls_dir[64];

static int s_group_setup (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    //  A certificate for 127.0.0.1, made for this run.
    snprintf (s_tls_dir, sizeof s_tls_dir, "/tmp/crier-test-tls-XXXXXX");
    assert_non_null (mkdtemp (s_tls_dir));
    char command[512];
    snprintf (command, sizeof command,
              "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
              "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
              ">/dev/null 2>&1",
              s_tls_dir, s_tls_dir);
    assert_int_equal (system (command), 0);
    return 0;
}

static int s_group_teardown (void **state)
{
    char command[128];
    snprintf (command, sizeof command, "rm -rf '%s'", s_tls_dir);
    assert_int_equal (system (command), 0);
    curl_global_cleanup ();
    return 0;
}

//  Starts the SMTP double (args) and one sender (env) configured for it.
static fixture_t *s_start (const char *const *smtp_args, const char *const *env)
{
    static int counter = 0;
    fixture_t *fixture = calloc (1, sizeof *fixture);
    fixture->smtp = test_smtp_start (smtp_args);
    snprintf (fixture->endpoint, sizeof fixture->endpoint, "ipc://%s/email-%d", test_scratch_dir (),
              counter++);
    char bind[128];
    snprintf (bind, sizeof bind, "@%s", fixture->endpoint);
    fixture->push = zsock_new_push (bind);
    char url[96], deliveries[160];
    snprintf (url, sizeof url, "CRIER_SMTP_URL=smtp://127.0.0.1:%d", fixture->smtp->smtp_port);
    snprintf (deliveries, sizeof deliveries, "CRIER_EMAIL_DELIVERIES_ENDPOINT=%s",
              fixture->endpoint);
    const char *all[16] = {NULL};
    size_t count = 0;
    for (size_t index = 0; env && env[index] && count < 10; index++)
        all[count++] = env[index];
    all[count++] = url;
    all[count++] = deliveries;
    all[count++] = "CRIER_SMTP_TLS=none";
    all[count++] = "CRIER_EMAIL_FROM=Crier Alerts <alerts@example.org>";
    char events[300];
    snprintf (events, sizeof events, "CRIER_EVENTS_PUBLISH_ENDPOINT=ipc://%s/nobody-listens",
              test_scratch_dir ());
    all[count++] = events;
    fixture->sender = test_process_start ("crier-sender-email", NULL, all);
    assert_non_null (fixture->sender);
    assert_true (
        test_process_wait_log (fixture->sender, "sender.ready", 10000, &fixture->cursor, NULL, 0));
    return fixture;
}

//  Stops the sender; expected_log (or NULL) must be in its log by then.
static void s_stop_expecting (fixture_t **fixture_p, const char *expected_log)
{
    fixture_t *fixture = *fixture_p;
    //  Unless the test stopped it already (a second SIGTERM could reach a process that is
    //  exiting, past its handler).
    if (!fixture->sender->joined)
        assert_int_equal (test_process_stop (fixture->sender, SIGTERM, 10000), 0);
    if (expected_log && !test_process_wait_log (fixture->sender, expected_log, 1000, NULL, NULL, 0))
        fail_msg ("crier-sender-email never logged \"%s\"", expected_log);
    test_process_destroy (&fixture->sender);
    zsock_destroy (&fixture->push);
    unlink (fixture->endpoint + strlen ("ipc://"));
    test_smtp_destroy (&fixture->smtp);
    free (fixture);
    *fixture_p = NULL;
}

static void s_stop (fixture_t **fixture_p)
{
    s_stop_expecting (fixture_p, NULL);
}

static void s_push (fixture_t *fixture, const char *id, const char *target, const char *subject,
                    const char *body, const char *html)
{
    test_push_delivery (fixture->push, "email", id, target, subject, body, html);
}

static void s_expect_log (fixture_t *fixture, const char *needle, char *line, size_t size)
{
    if (!test_process_wait_log (fixture->sender, needle, 20000, &fixture->cursor, line, size))
        fail_msg ("crier-sender-email never logged \"%s\"", needle);
}

static json_t *s_messages (fixture_t *fixture, size_t count)
{
    json_t *messages = test_smtp_wait_messages (fixture->smtp, count, 15000);
    if (json_array_size (messages) < count)
        fail_msg ("%zu messages received, expected %zu", json_array_size (messages), count);
    return messages;
}

static const json_t *s_part (const json_t *message, size_t index)
{
    return json_array_get (json_object_get (json_object_get (message, "body"), "parts"), index);
}

static const char *s_field (const json_t *node, const char *name)
{
    return json_string_value (json_object_get (node, name));
}

static void test_plain_message (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    s_push (fixture, "plain-1", "ops@example.org", "Sauvegarde échouée ✗",
            "The backup of db1 failed.\nExit code 3. Ünïcödé 🔔", NULL);
    json_t *messages = s_messages (fixture, 1);
    const json_t *message = json_array_get (messages, 0);
    assert_string_equal (s_field (message, "mail_from"), "alerts@example.org");
    assert_int_equal (json_array_size (json_object_get (message, "rcpt_tos")), 1);
    assert_string_equal (
        json_string_value (json_array_get (json_object_get (message, "rcpt_tos"), 0)),
        "ops@example.org");
    assert_string_equal (test_smtp_header (message, "Subject"), "Sauvegarde échouée ✗");
    assert_non_null (strstr (s_field (message, "raw_headers"), "Subject: =?UTF-8?B?"));
    assert_string_equal (test_smtp_header (message, "From"), "Crier Alerts <alerts@example.org>");
    assert_string_equal (test_smtp_header (message, "To"), "ops@example.org");
    assert_string_equal (test_smtp_header (message, "Auto-Submitted"), "auto-generated");
    assert_non_null (test_smtp_header (message, "Date"));
    char delivery_id[CRIER_DIGEST_BYTES], expected[96];
    crier_delivery_id (delivery_id, "plain-1", "email", "ops@example.org");
    snprintf (expected, sizeof expected, "<%s@example.org>", delivery_id);
    assert_string_equal (test_smtp_header (message, "Message-ID"), expected);
    const json_t *body = json_object_get (message, "body");
    assert_string_equal (s_field (body, "content_type"), "text/plain");
    assert_string_equal (s_field (body, "charset"), "utf-8");
    assert_string_equal (s_field (body, "transfer_encoding"), "base64");
    assert_string_equal (s_field (body, "text"),
                         "The backup of db1 failed.\nExit code 3. Ünïcödé 🔔");
    assert_int_equal (json_array_size (json_object_get (message, "defects")), 0);
    char line[1024];
    s_expect_log (fixture, "delivery.delivered id=plain-1", line, sizeof line);
    assert_non_null (strstr (line, "reply=\"250 2.0.0 Ok: queued as CRIER0001\""));
    json_decref (messages);
    s_stop (&fixture);
}

static void test_html_message_is_multipart_alternative (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    s_push (fixture, "html-1", "ops@example.org", NULL, NULL,
            "<h1>Release 2.0 — ready</h1><p>Read the <a "
            "href=\"https://example.org/notes\">notes</a>.</p>");
    json_t *messages = s_messages (fixture, 1);
    const json_t *message = json_array_get (messages, 0);
    assert_string_equal (test_smtp_header (message, "Subject"), "Release 2.0 — ready");
    const json_t *body = json_object_get (message, "body");
    assert_string_equal (s_field (body, "content_type"), "multipart/alternative");
    assert_int_equal (json_array_size (json_object_get (body, "parts")), 2);
    const json_t *plain = s_part (message, 0), *html = s_part (message, 1);
    assert_string_equal (s_field (plain, "content_type"), "text/plain");
    assert_string_equal (s_field (plain, "charset"), "utf-8");
    assert_string_equal (s_field (plain, "transfer_encoding"), "quoted-printable");
    assert_string_equal (s_field (plain, "text"),
                         "Release 2.0 — ready\n\nRead the notes (https://example.org/notes).");
    assert_string_equal (s_field (html, "content_type"), "text/html");
    assert_string_equal (s_field (html, "transfer_encoding"), "quoted-printable");
    assert_string_equal (s_field (html, "text"),
                         "<h1>Release 2.0 — ready</h1><p>Read the <a "
                         "href=\"https://example.org/notes\">notes</a>.</p>");
    assert_int_equal (json_array_size (json_object_get (message, "defects")), 0);
    json_decref (messages);
    s_stop (&fixture);
}

//  The Subject's raw lines (the first and its continuations) each within 78 characters, as
//  RFC 5322 asks (encoded words within 75, RFC 2047). Returns how many lines it takes.
static int s_expect_short_subject_lines (const json_t *message)
{
    const char *raw = strstr (s_field (message, "raw_headers"), "\nSubject:");
    assert_non_null (raw);
    int lines = 0;
    for (const char *line = raw + 1; lines == 0 || *line == ' '; lines++) {
        size_t length = strcspn (line, "\r\n");
        if (length > 78)
            fail_msg ("a Subject line of %zu characters: %.*s", length, (int)length, line);
        line += length;
        line += strspn (line, "\r\n");
    }
    return lines;
}

static void test_long_subjects_are_folded (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    char ascii[301] = "";
    while (strlen (ascii) + 9 + 7 <= 300) //  within the 300 bytes a subject keeps
        strcat (ascii, "replicas ");
    strcat (ascii, "lagging");
    const char *unicode = "Réplication arrêtée sur db1, db2 et db3 depuis douze minutes: le "
                          "disque de la machine primaire est presque plein — à vérifier";
    s_push (fixture, "fold-plain", "ops@example.org", ascii, "body", NULL);
    s_push (fixture, "fold-html", "ops@example.org", unicode, NULL, "<p>body</p>");
    json_t *messages = s_messages (fixture, 2);
    for (size_t index = 0; index < 2; index++) {
        const json_t *message = json_array_get (messages, index);
        const char *id = test_smtp_header (message, "X-Crier-Notification-Id");
        const char *expected = strcmp (id, "fold-plain") == 0 ? ascii : unicode;
        assert_string_equal (test_smtp_header (message, "Subject"), expected);
        assert_true (s_expect_short_subject_lines (message) > 1); //  folded
        assert_int_equal (json_array_size (json_object_get (message, "defects")), 0);
    }
    json_decref (messages);
    s_stop (&fixture);
}

//  The HTML part goes through the same allow-list as Matrix messages: no script, event handler,
//  style or javascript: link reaches a mail client; remote images stay (mail clients ask).
static void test_html_is_sanitized (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    s_push (fixture, "hostile", "ops@example.org", "Hostile", NULL,
            "<p onclick=\"steal()\" style=\"x\">Read <a href=\"javascript:alert(1)\">this</a> and "
            "<a href=\"https://example.org/\">that</a></p><script>steal()</script>"
            "<img src=\"https://example.org/logo.png\" onerror=\"x()\" alt=\"logo\">");
    json_t *messages = s_messages (fixture, 1);
    const char *html = s_field (s_part (json_array_get (messages, 0), 1), "text");
    assert_non_null (html);
    assert_null (strstr (html, "script"));
    assert_null (strstr (html, "steal"));
    assert_null (strstr (html, "onclick"));
    assert_null (strstr (html, "onerror"));
    assert_null (strstr (html, "style"));
    assert_null (strstr (html, "javascript"));
    assert_non_null (strstr (html, "<a href=\"https://example.org/\">that</a>"));
    assert_non_null (strstr (html, "src=\"https://example.org/logo.png\""));
    json_decref (messages);
    s_stop (&fixture);
}

static void test_header_injection_goes_nowhere (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    s_push (fixture, "inject", "ops@example.org", "Hello\r\nBcc: victim@example.org\r\nX-Evil: yes",
            "body\r\n.\r\nRCPT TO:<x@y.org>", NULL);
    json_t *messages = s_messages (fixture, 1);
    const json_t *message = json_array_get (messages, 0);
    assert_null (test_smtp_header (message, "Bcc"));
    assert_null (test_smtp_header (message, "X-Evil"));
    assert_string_equal (test_smtp_header (message, "Subject"),
                         "Hello  Bcc: victim@example.org  X-Evil: yes");
    assert_int_equal (json_array_size (json_object_get (message, "rcpt_tos")), 1);
    //  The SMTP dot and commands in the body stay body text.
    assert_string_equal (s_field (json_object_get (message, "body"), "text"),
                         "body\r\n.\r\nRCPT TO:<x@y.org>");
    json_decref (messages);
    s_stop (&fixture);
}

static void test_one_message_per_recipient_over_few_connections (void **state)
{
    const char *env[] = {"CRIER_SMTP_CONNECTIONS=2", NULL};
    fixture_t *fixture = s_start (NULL, env);
    for (int index = 0; index < 20; index++) {
        char to[64];
        snprintf (to, sizeof to, "user%d@example.org", index);
        s_push (fixture, "fan-out", to, "Same news", "for everyone", NULL);
    }
    json_t *messages = s_messages (fixture, 20);
    zhashx_t *connections = zhashx_new ();
    zhashx_t *recipients = zhashx_new ();
    size_t index;
    json_t *message;
    json_array_foreach (messages, index, message)
    {
        //  Each recipient sees only itself.
        assert_int_equal (json_array_size (json_object_get (message, "rcpt_tos")), 1);
        const char *to = test_smtp_header (message, "To");
        assert_string_equal (
            json_string_value (json_array_get (json_object_get (message, "rcpt_tos"), 0)), to);
        assert_int_equal (zhashx_insert (recipients, to, (void *)1), 0);
        zhashx_update (connections, s_field (message, "connection"), (void *)1);
    }
    assert_int_equal (zhashx_size (recipients), 20);
    assert_true (zhashx_size (connections) <= 2); //  reused, not one per email
    zhashx_destroy (&connections);
    zhashx_destroy (&recipients);
    json_decref (messages);
    s_stop (&fixture);
}

static void test_temporary_failure_then_success_sends_once (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    test_smtp_fault (fixture->smtp, "RCPT", "451 4.3.0 Mailbox temporarily unavailable", 1);
    test_smtp_fault (fixture->smtp, "DATA", "421 4.3.2 System not accepting messages", 1);
    s_push (fixture, "later", "ops@example.org", "x", "y", NULL);
    char line[1024];
    s_expect_log (fixture, "delivery.retrying id=later", line, sizeof line);
    assert_non_null (strstr (line, "451 4.3.0"));
    s_expect_log (fixture, "delivery.delivered id=later", line, sizeof line);
    assert_non_null (strstr (line, "attempts=3"));
    json_t *messages = test_smtp_wait_messages (fixture->smtp, 2, 500);
    assert_int_equal (json_array_size (messages), 1);
    json_decref (messages);
    s_stop (&fixture);
}

static void test_a_delivery_that_comes_again_is_not_emailed_twice (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    s_push (fixture, "twice", "ops@example.org", "x", "y", NULL);
    s_expect_log (fixture, "delivery.delivered id=twice", NULL, 0);
    //  crier-ingest missed the outcome and sends the same delivery again: it is said delivered
    //  again, and not sent.
    test_push_redelivery (fixture->push, "email", "twice", "ops@example.org", 2);
    s_expect_log (fixture, "delivery.repeated id=twice", NULL, 0);
    //  Another target of the same notification is another delivery: sent.
    s_push (fixture, "twice", "dev@example.org", "x", "y", NULL);
    s_expect_log (fixture, "delivery.delivered id=twice", NULL, 0);
    //  A first attempt is a new notification (a client used the id again): sent.
    s_push (fixture, "twice", "ops@example.org", "x", "y", NULL);
    s_expect_log (fixture, "delivery.delivered id=twice", NULL, 0);
    json_t *messages = test_smtp_wait_messages (fixture->smtp, 4, 500);
    assert_int_equal (json_array_size (messages), 3);
    json_decref (messages);
    s_stop (&fixture);
}

static void test_sigterm_finishes_what_it_holds (void **state)
{
    const char *env[] = {"CRIER_STOP_GRACE=20s", NULL};
    fixture_t *fixture = s_start (NULL, env);
    test_smtp_fault (fixture->smtp, "RCPT", "451 4.3.0 Mailbox temporarily unavailable", 1);
    s_push (fixture, "held", "ops@example.org", "x", "sent while stopping", NULL);
    s_expect_log (fixture, "delivery.retrying id=held", NULL, 0);
    //  Stopped while it waits to retry: it goes on until the email is sent, then exits.
    assert_int_equal (kill (fixture->sender->pid, SIGTERM), 0);
    s_expect_log (fixture, "sender.finishing deliveries=1", NULL, 0);
    s_expect_log (fixture, "delivery.delivered id=held", NULL, 0);
    json_t *messages = s_messages (fixture, 1);
    json_decref (messages);
    assert_int_equal (test_process_stop (fixture->sender, 0, 20000), 0); //  it ends by itself
    s_stop (&fixture);
}

static void test_permanent_failure_reports_the_reply (void **state)
{
    fixture_t *fixture = s_start (NULL, NULL);
    test_smtp_fault (fixture->smtp, "DATA", "554 5.7.1 Message rejected as spam", 1);
    s_push (fixture, "spam", "ops@example.org", "x", "y", NULL);
    char line[1024];
    s_expect_log (fixture, "delivery.failed id=spam", line, sizeof line);
    assert_non_null (strstr (line, "554 5.7.1 Message rejected as spam"));
    assert_non_null (strstr (line, "attempts=1"));
    test_smtp_fault (fixture->smtp, "RCPT", "550 5.1.1 No such user", 1);
    s_push (fixture, "nobody", "nobody@example.org", "x", "y", NULL);
    s_expect_log (fixture, "delivery.failed id=nobody", line, sizeof line);
    assert_non_null (strstr (line, "550 5.1.1 No such user"));
    json_t *messages = test_smtp_wait_messages (fixture->smtp, 1, 300);
    assert_int_equal (json_array_size (messages), 0);
    json_decref (messages);
    s_stop (&fixture);
}

static void test_starttls_and_auth (void **state)
{
    char cert[96], key[96], ca[128];
    snprintf (cert, sizeof cert, "%s/cert.pem", s_tls_dir);
    snprintf (key, sizeof key, "%s/key.pem", s_tls_dir);
    snprintf (ca, sizeof ca, "CRIER_SMTP_CA_FILE=%s", cert);
    const char *args[] = {"--tls-cert", cert,         "--tls-key", key, "--user",
                          "crier",      "--password", "s3cret",    NULL};
    const char *env[] = {ca, "CRIER_SMTP_TLS=starttls", "CRIER_SMTP_USER=crier",
                         "CRIER_SMTP_PASSWORD=s3cret", NULL};
    fixture_t *fixture = s_start (args, env);
    s_push (fixture, "secure", "ops@example.org", "x", "over TLS", NULL);
    json_t *messages = s_messages (fixture, 1);
    const json_t *message = json_array_get (messages, 0);
    assert_true (json_is_true (json_object_get (message, "tls")));
    assert_true (json_is_true (json_object_get (message, "authenticated")));
    json_decref (messages);
    s_stop (&fixture);

    const char *wrong[] = {ca,
                           "CRIER_SMTP_TLS=starttls",
                           "CRIER_SMTP_USER=crier",
                           "CRIER_SMTP_PASSWORD=wrong",
                           "CRIER_STOP_GRACE=300ms",
                           NULL};
    fixture = s_start (args, wrong);
    s_push (fixture, "refused", "ops@example.org", "x", "y", NULL);
    char line[1024];
    s_expect_log (fixture, "smtp.login_refused", line, sizeof line);
    assert_non_null (strstr (line, "check CRIER_SMTP_USER and CRIER_SMTP_PASSWORD"));
    assert_int_equal (test_process_count_log (fixture->sender, "wrong"), 0); //  never logged
    //  Stopped while holding it: after the grace period, it is handed back to be sent again.
    s_stop_expecting (&fixture, "sender.released deliveries=1");
}

static void test_server_down_backs_off_and_fails_at_the_deadline (void **state)
{
    char unused[128], url[96];
    test_unused_endpoint (unused, sizeof unused);
    snprintf (url, sizeof url, "CRIER_SMTP_URL=smtp://127.0.0.1:%s", strrchr (unused, ':') + 1);
    const char *env[] = {url, "CRIER_SMTP_RETRY_DEADLINE=3s", NULL};
    fixture_t *fixture = s_start (NULL, env);
    s_push (fixture, "unreachable", "ops@example.org", "x", "y", NULL);
    char line[1024];
    s_expect_log (fixture, "delivery.retrying id=unreachable", line, sizeof line);
    assert_non_null (strstr (line, "Couldn't connect"));
    s_expect_log (fixture, "delivery.failed id=unreachable", line, sizeof line);
    assert_non_null (strstr (line, "CRIER_SMTP_RETRY_DEADLINE"));
    //  Backing off, not spinning: a handful of attempts in three seconds.
    assert_true (test_process_count_log (fixture->sender, "delivery.retrying") <= 5);
    s_stop (&fixture);
}

static void test_bad_configuration (void **state)
{
    char *out, *err;
    const char *env[] = {"CRIER_EMAIL_FROM=Crier <alerts@example.org>\r\nBcc: x@y.org",
                         "CRIER_SMTP_URL=http://127.0.0.1:25", "CRIER_SMTP_TLS=maybe", NULL};
    assert_int_equal (test_run ("crier-sender-email", NULL, env, NULL, 10000, &out, &err), 2);
    assert_non_null (strstr (err, "variable=CRIER_EMAIL_FROM"));
    assert_non_null (strstr (err, "variable=CRIER_SMTP_URL"));
    assert_non_null (strstr (err, "variable=CRIER_SMTP_TLS"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_message),
        cmocka_unit_test (test_html_message_is_multipart_alternative),
        cmocka_unit_test (test_header_injection_goes_nowhere),
        cmocka_unit_test (test_html_is_sanitized),
        cmocka_unit_test (test_long_subjects_are_folded),
        cmocka_unit_test (test_one_message_per_recipient_over_few_connections),
        cmocka_unit_test (test_temporary_failure_then_success_sends_once),
        cmocka_unit_test (test_a_delivery_that_comes_again_is_not_emailed_twice),
        cmocka_unit_test (test_sigterm_finishes_what_it_holds),
        cmocka_unit_test (test_permanent_failure_reports_the_reply),
        cmocka_unit_test (test_starttls_and_auth),
        cmocka_unit_test (test_server_down_backs_off_and_fails_at_the_deadline),
        cmocka_unit_test (test_bad_configuration),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}

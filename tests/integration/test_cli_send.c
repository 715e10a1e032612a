/*  test_cli_send.c - the real crier send against the real crier-ingest: on the acknowledged
    endpoint by default (its exit status says whether it was accepted), or pushed with --no-ack. */
#include "ingest_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static ingest_fixture_t *s_fixture;

static int s_setup (void **state)
{
    s_fixture = ingest_fixture_start (NULL);
    return 0;
}

static int s_teardown (void **state)
{
    ingest_fixture_stop (&s_fixture, NULL);
    return 0;
}

//  Runs crier with args (NULL-ended) against an ingest. Returns the exit status.
static int s_crier_at (ingest_fixture_t *fixture, const char *const *args, const char *stdin_text,
                       char **out_p, char **err_p)
{
    char endpoint[160], ack_endpoint[160];
    snprintf (endpoint, sizeof endpoint, "CRIER_ENDPOINT=%s", fixture->ingest_endpoint);
    snprintf (ack_endpoint, sizeof ack_endpoint, "CRIER_ACK_ENDPOINT=%s", fixture->ack_endpoint);
    const char *env[] = {endpoint, ack_endpoint, NULL};
    return test_run ("crier", args, env, stdin_text, 15000, out_p, err_p);
}

static int s_crier (const char *const *args, const char *stdin_text, char **out_p, char **err_p)
{
    return s_crier_at (s_fixture, args, stdin_text, out_p, err_p);
}

static void test_send_arrives_with_every_field (void **state)
{
    char *out, *err;
    const char *args[] = {"send",
                          "--to",
                          "#admins",
                          "-t",
                          "#ops",
                          "--subject",
                          "Disk full ✓",
                          "--priority",
                          "urgent",
                          "--html",
                          "<b>srv1</b> is full",
                          "srv1 is full",
                          NULL};
    assert_int_equal (s_crier (args, NULL, &out, &err), 0);
    //  It prints the id it gave the notification.
    assert_int_equal (strlen (out), 37);
    out[36] = '\0';
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->id, out);
    assert_int_equal (forwarded->to_count, 2);
    assert_string_equal (forwarded->to[0], "#admins");
    assert_string_equal (forwarded->to[1], "#ops");
    assert_string_equal (forwarded->subject, "Disk full ✓");
    assert_string_equal (forwarded->body, "srv1 is full");
    assert_string_equal (forwarded->html, "<b>srv1</b> is full");
    assert_int_equal (forwarded->priority, CRIER_PRIORITY_URGENT);
    crier_notification_destroy (&forwarded);
    free (out);
    free (err);
}

static void test_body_from_stdin_and_own_id (void **state)
{
    char *out, *err;
    const char *args[] = {"send", "--to", "#admins", "--id", "cron-backup-2026-11-25", NULL};
    assert_int_equal (s_crier (args, "backup failed\nexit code 3\n", &out, &err), 0);
    assert_string_equal (out, "cron-backup-2026-11-25\n");
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->body, "backup failed\nexit code 3\n");
    assert_string_equal (forwarded->id, "cron-backup-2026-11-25");
    crier_notification_destroy (&forwarded);
    free (out);
    free (err);

    const char *dash[] = {"send", "--to", "#admins", "-", NULL};
    assert_int_equal (s_crier (dash, "from a pipe", &out, &err), 0);
    forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->body, "from a pipe");
    crier_notification_destroy (&forwarded);
    free (out);
    free (err);
}

static void test_no_ack_pushes_without_an_answer (void **state)
{
    char *out, *err;
    const char *args[] = {"send", "--no-ack", "--to", "#admins", "pushed", NULL};
    assert_int_equal (s_crier (args, NULL, &out, &err), 0);
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->body, "pushed");
    out[strcspn (out, "\n")] = '\0';
    assert_string_equal (forwarded->id, out);
    crier_notification_destroy (&forwarded);
    free (out);
    free (err);
}

static void test_same_id_twice_is_accepted_and_sent_once (void **state)
{
    char *out, *err;
    const char *args[] = {"send", "--to", "#admins", "--id", "deploy-42", "deployed", NULL};
    assert_int_equal (s_crier (args, NULL, &out, &err), 0);
    assert_string_equal (err, "");
    free (out);
    free (err);
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    crier_notification_destroy (&forwarded);
    assert_int_equal (s_crier (args, NULL, &out, &err), 0);
    assert_string_equal (out, "deploy-42\n");
    assert_non_null (strstr (err, "id deploy-42 was accepted before"));
    free (out);
    free (err);
    assert_null (ingest_fixture_receive (s_fixture, 300));
}

static void test_full_backlog_exits_1 (void **state)
{
    const char *env[] = {"CRIER_MAX_BACKLOG=1", NULL};
    ingest_fixture_t *full = ingest_fixture_start (env);
    char *out, *err;
    const char *args[] = {"send", "--to", "#admins", "first", NULL};
    assert_int_equal (s_crier_at (full, args, NULL, &out, &err), 0);
    free (out);
    free (err);
    assert_int_equal (s_crier_at (full, args, NULL, &out, &err), 1);
    assert_string_equal (out, "");
    assert_non_null (strstr (err, "crier-ingest did not accept it: backlog full"));
    free (out);
    free (err);
    ingest_fixture_stop (&full, NULL);
}

static void test_html_only_does_not_read_stdin (void **state)
{
    char *out, *err;
    const char *args[] = {"send", "--to", "#admins", "--html", "<p>only html</p>", NULL};
    assert_int_equal (s_crier (args, "ignored", &out, &err), 0);
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_null (forwarded->body);
    assert_string_equal (forwarded->html, "<p>only html</p>");
    crier_notification_destroy (&forwarded);
    free (out);
    free (err);
}

static void test_bad_input_is_refused_before_sending (void **state)
{
    struct {
        const char *args[8];
        const char *stdin_text;
        const char *message;
    } cases[] = {
        {{"send", "--to", "admins", "hi", NULL},
         NULL,
         "invalid notification: to: group \"admins\" must start with '#' (quote the group: "
         "--to '#admins')"},
        {{"send", "hi", NULL}, NULL, "--to GROUP is required, quoted so that the shell keeps"},
        //  What the shell leaves of: crier send --to #admins hi
        {{"send", "--to", NULL}, NULL, "this option needs a value (quote a value that starts"},
        {{"send", "--to", "#a", "--priority", "asap", "hi", NULL}, NULL, "--priority must be"},
        {{"send", "--to", "#a", "--id", "has space", "hi", NULL}, NULL, "id: must be 1 to 128"},
        {{"send", "--to", "#a", NULL}, "caf\xc3\x28", "body: not valid UTF-8"},
        {{"send", "--to", "#a", NULL}, "", "body: a notification needs body, html or both"},
        {{"send", "--to", "#a", "--bogus", "hi", NULL}, NULL, "unknown or incomplete option"},
        {{"send", "--to", "#a", "one", "two", NULL}, NULL, "more than one BODY"},
        {{"send", "--to", "#a", "--timeout", "soon", "hi", NULL},
         NULL,
         "--timeout needs a duration such as 500ms or 5s: soon"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *out, *err;
        assert_int_equal (s_crier (cases[index].args, cases[index].stdin_text, &out, &err), 2);
        if (!strstr (err, cases[index].message))
            fail_msg ("case %zu: stderr \"%s\" lacks \"%s\"", index, err, cases[index].message);
        assert_string_equal (out, "");
        free (out);
        free (err);
    }
    //  A NUL byte in the body on standard input would cut it short: refused, with where.
    char command[512];
    snprintf (command, sizeof command,
              "printf 'a\\000b' | CRIER_ACK_ENDPOINT=%s %s/crier send --to '#admins' -",
              s_fixture->ack_endpoint, CRIER_BIN_DIR);
    const char *shell[] = {"-c", command, NULL};
    char *out, *err;
    assert_int_equal (test_run ("/bin/sh", shell, NULL, NULL, 15000, &out, &err), 2);
    assert_non_null (strstr (err, "holds a NUL byte at byte 1"));
    free (out);
    free (err);
    //  None of them reached crier-ingest.
    crier_notification_t *nothing = ingest_fixture_receive (s_fixture, 300);
    assert_null (nothing);
    assert_int_equal (test_process_count_log (s_fixture->ingest, "frame.rejected"), 0);
}

static void test_unreachable_ingest_is_an_error (void **state)
{
    char closed[128];
    test_unused_endpoint (closed, sizeof closed);
    char *out, *err;
    const char *args[] = {"send", "--endpoint", closed,  "--timeout", "300ms",
                          "--to", "#admins",    "hello", NULL};
    assert_int_equal (s_crier (args, NULL, &out, &err), 1);
    assert_non_null (strstr (err, "could not reach crier-ingest at"));
    assert_non_null (strstr (err, "within 300ms"));
    assert_string_equal (out, "");
    free (out);
    free (err);
}

static void test_help_and_version (void **state)
{
    char *out, *err;
    assert_int_equal (s_crier ((const char *[]){"--help", NULL}, NULL, &out, &err), 0);
    assert_non_null (strstr (out, "send"));
    free (out);
    free (err);
    assert_int_equal (s_crier ((const char *[]){"send", "--help", NULL}, NULL, &out, &err), 0);
    assert_non_null (strstr (out, "--to GROUP"));
    free (out);
    free (err);
    //  Every command's help lists -h and says what its exit statuses mean.
    const char *commands[] = {"send", "tail", "status", "dead-letters", "keygen", "mapping"};
    for (size_t index = 0; index < sizeof commands / sizeof commands[0]; index++) {
        assert_int_equal (
            s_crier ((const char *[]){commands[index], "--help", NULL}, NULL, &out, &err), 0);
        if (!strstr (out, "Exit status"))
            fail_msg ("crier %s --help does not say its exit statuses", commands[index]);
        free (out);
        free (err);
    }
    assert_int_equal (s_crier ((const char *[]){"--version", NULL}, NULL, &out, &err), 0);
    assert_string_equal (out, "crier " CRIER_VERSION "\n");
    free (out);
    free (err);
    assert_int_equal (s_crier ((const char *[]){"frobnicate", NULL}, NULL, &out, &err), 2);
    assert_non_null (strstr (err, "unknown command 'frobnicate'"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_send_arrives_with_every_field),
        cmocka_unit_test (test_body_from_stdin_and_own_id),
        cmocka_unit_test (test_no_ack_pushes_without_an_answer),
        cmocka_unit_test (test_same_id_twice_is_accepted_and_sent_once),
        cmocka_unit_test (test_full_backlog_exits_1),
        cmocka_unit_test (test_html_only_does_not_read_stdin),
        cmocka_unit_test (test_bad_input_is_refused_before_sending),
        cmocka_unit_test (test_unreachable_ingest_is_an_error),
        cmocka_unit_test (test_help_and_version),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

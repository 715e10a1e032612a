/*  test_secret.c - passwords and tokens never leave the process: every secret read from the
    settings (or found in a URL) is masked in log lines and events, wherever it appears. */
#include "crier/config.h"
#include "crier/event.h"
#include "crier/log.h"
#include "crier/secret.h"
#include "crier/url.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_forget (void **state)
{
    crier_secret_forget_all ();
    return 0;
}

static void test_scrub_masks_every_occurrence (void **state)
{
    crier_secret_register ("hunter22");
    crier_secret_register ("syt_token");
    char buffer[128];
    const char *plain = "nothing to hide";
    assert_ptr_equal (crier_secret_scrub (plain, buffer, sizeof buffer), plain);
    assert_string_equal (
        crier_secret_scrub ("a hunter22 b syt_token c hunter22", buffer, sizeof buffer),
        "a [secret] b [secret] c [secret]");
    assert_string_equal (crier_secret_scrub ("hunter22", buffer, sizeof buffer), "[secret]");
    //  Cut to the buffer, never past it.
    assert_string_equal (crier_secret_scrub ("abc hunter22 def", buffer, 8), "abc [se");
}

//  A secret that begins with another one is masked whole.
static void test_longest_secret_wins (void **state)
{
    crier_secret_register ("pass");
    crier_secret_register ("password-long");
    char buffer[64];
    assert_string_equal (crier_secret_scrub ("x password-long y pass", buffer, sizeof buffer),
                         "x [secret] y [secret]");
}

static void test_short_secrets_are_not_masked (void **state)
{
    crier_secret_register ("abc");
    crier_secret_register ("");
    crier_secret_register (NULL);
    char buffer[64];
    const char *text = "abc abc";
    assert_ptr_equal (crier_secret_scrub (text, buffer, sizeof buffer), text);
}

static void test_log_lines_mask_secrets_from_settings (void **state)
{
    setenv ("CRIER_TEST_PASSWORD", "s3cret-pw", 1);
    char *password = NULL;
    assert_int_equal (crier_config_secret ("CRIER_TEST_PASSWORD", &password), 0);
    assert_string_equal (password, "s3cret-pw");
    crier_log_init ("crier-test");
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    crier_log_set_stream (stream);
    crier_log (CRIER_LOG_WARN, "smtp.failed", "reason", "535 bad password s3cret-pw for user",
               "url", "smtp://u:s3cret-pw@mail");
    crier_log_set_stream (NULL);
    fclose (stream);
    assert_null (strstr (text, "s3cret-pw"));
    assert_non_null (strstr (text, "\"535 bad password [secret] for user\""));
    assert_non_null (strstr (text, "url=smtp://u:[secret]@mail"));
    free (text);
    free (password);
    unsetenv ("CRIER_TEST_PASSWORD");
}

static void test_events_mask_secrets (void **state)
{
    crier_secret_register ("syt_abcdef");
    crier_event_t *event = crier_event_new ("delivery.failed");
    assert_non_null (event);
    crier_event_add_text (event, "reason", "401: token syt_abcdef is unknown");
    char *data;
    size_t size;
    assert_int_equal (crier_event_encode (event, 1, &data, &size), 0);
    crier_event_destroy (&event);
    char *json = crier_event_to_json (data, size);
    assert_non_null (json);
    assert_null (strstr (json, "syt_abcdef"));
    assert_non_null (strstr (json, "401: token [secret] is unknown"));
    free (json);
    free (data);
}

static void test_url_password_is_a_secret (void **state)
{
    static const char *const schemes[] = {"http", "https", NULL};
    char *display = NULL;
    assert_int_equal (crier_url_check ("http://admin:p%40ss-word@couch:5984/", schemes, &display),
                      0);
    assert_string_equal (display, "http://couch:5984/");
    free (display);
    char buffer[64];
    //  Registered decoded, as a server or a library would echo it.
    assert_string_equal (crier_secret_scrub ("auth p@ss-word failed", buffer, sizeof buffer),
                         "auth [secret] failed");
    //  And as written, percent-encoded: how it stands in the URL a log line might show.
    assert_string_equal (
        crier_secret_scrub ("https://admin:p%40ss-word@matrix.example.org", buffer, sizeof buffer),
        "https://admin:[secret]@matrix.example.org");
    assert_int_equal (crier_url_check ("ftp://x/", schemes, NULL), -1);
    assert_int_equal (crier_url_check ("not a url", schemes, NULL), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_scrub_masks_every_occurrence, s_forget),
        cmocka_unit_test_teardown (test_longest_secret_wins, s_forget),
        cmocka_unit_test_teardown (test_short_secrets_are_not_masked, s_forget),
        cmocka_unit_test_teardown (test_log_lines_mask_secrets_from_settings, s_forget),
        cmocka_unit_test_teardown (test_events_mask_secrets, s_forget),
        cmocka_unit_test_teardown (test_url_password_is_a_secret, s_forget),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

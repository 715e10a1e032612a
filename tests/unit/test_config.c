/*  test_config.c - settings from the environment: defaults, units, *_FILE secrets, bad values. */
#include "crier/config.h"
#include "crier/links.h"
#include "crier/log.h"
#include "crier/process.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *s_log;
static char *s_log_text;
static size_t s_log_size;

static int s_setup (void **state)
{
    s_log = open_memstream (&s_log_text, &s_log_size);
    crier_log_set_stream (s_log);
    return 0;
}

static int s_teardown (void **state)
{
    crier_log_set_stream (NULL);
    fclose (s_log);
    free (s_log_text);
    unsetenv ("CRIER_TEST");
    unsetenv ("CRIER_TEST_FILE");
    unsetenv ("CRIER_STACK_ID");
    return 0;
}

static void s_expect_logged (const char *fragment)
{
    fflush (s_log);
    if (!strstr (s_log_text, fragment))
        fail_msg ("log \"%s\" lacks \"%s\"", s_log_text, fragment);
}

static void test_defaults_when_unset_or_empty (void **state)
{
    uint64_t value = 0;
    assert_int_equal (crier_config_uint ("CRIER_TEST", 7, 1, 10, &value), 0);
    assert_int_equal (value, 7);
    setenv ("CRIER_TEST", "", 1);
    assert_int_equal (crier_config_uint ("CRIER_TEST", 8, 1, 10, &value), 0);
    assert_int_equal (value, 8);
    char *text = NULL;
    assert_int_equal (crier_config_string ("CRIER_TEST", "fallback", &text), 0);
    assert_string_equal (text, "fallback");
    free (text);
}

static void test_uint_range_and_garbage (void **state)
{
    uint64_t value = 0;
    setenv ("CRIER_TEST", "10", 1);
    assert_int_equal (crier_config_uint ("CRIER_TEST", 1, 1, 10, &value), 0);
    assert_int_equal (value, 10);
    setenv ("CRIER_TEST", "11", 1);
    assert_int_equal (crier_config_uint ("CRIER_TEST", 1, 1, 10, &value), -1);
    s_expect_logged (
        "config.invalid variable=CRIER_TEST value=11 expected=\"a whole number from 1 to 10\"");
    const char *bad[] = {"-1", "ten", "5x", " 5", "99999999999999999999999"};
    for (size_t index = 0; index < 5; index++) {
        setenv ("CRIER_TEST", bad[index], 1);
        assert_int_equal (crier_config_uint ("CRIER_TEST", 1, 0, UINT64_MAX, &value), -1);
    }
}

static void test_bytes_with_units (void **state)
{
    uint64_t value = 0;
    const char *texts[] = {"2048", "256K", "256KiB", "1M", "1MiB"};
    const uint64_t expected[] = {2048, 262144, 262144, 1048576, 1048576};
    for (size_t index = 0; index < 5; index++) {
        setenv ("CRIER_TEST", texts[index], 1);
        assert_int_equal (crier_config_bytes ("CRIER_TEST", 0, 0, UINT64_MAX, &value), 0);
        assert_int_equal (value, expected[index]);
    }
    setenv ("CRIER_TEST", "256kb", 1);
    assert_int_equal (crier_config_bytes ("CRIER_TEST", 0, 0, UINT64_MAX, &value), -1);
    s_expect_logged ("suffixes K, KiB, M, MiB, G, GiB");
    setenv ("CRIER_TEST", "17179869184G", 1); //  overflows 64 bits once multiplied
    assert_int_equal (crier_config_bytes ("CRIER_TEST", 0, 0, UINT64_MAX, &value), -1);
}

static void test_durations (void **state)
{
    uint64_t value = 0;
    const char *texts[] = {"250ms", "5s", "2m", "1h"};
    const uint64_t expected[] = {250, 5000, 120000, 3600000};
    for (size_t index = 0; index < 4; index++) {
        setenv ("CRIER_TEST", texts[index], 1);
        assert_int_equal (crier_config_duration_ms ("CRIER_TEST", 0, 0, UINT64_MAX, &value), 0);
        assert_int_equal (value, expected[index]);
    }
    setenv ("CRIER_TEST", "5", 1); //  a bare number is ambiguous: seconds or milliseconds?
    assert_int_equal (crier_config_duration_ms ("CRIER_TEST", 0, 0, UINT64_MAX, &value), -1);
    s_expect_logged ("a duration with a unit");
}

static void test_choice (void **state)
{
    static const char *const choices[] = {"none", "starttls", "try", NULL};
    int index = -1;
    setenv ("CRIER_TEST", "STARTTLS", 1);
    assert_int_equal (crier_config_choice ("CRIER_TEST", "none", choices, &index), 0);
    assert_int_equal (index, 1);
    setenv ("CRIER_TEST", "maybe", 1);
    assert_int_equal (crier_config_choice ("CRIER_TEST", "none", choices, &index), -1);
    s_expect_logged ("expected=\"one of: none starttls try\"");
}

static void test_endpoint (void **state)
{
    char *endpoint = NULL;
    assert_int_equal (crier_config_endpoint ("CRIER_TEST", "tcp://127.0.0.1:7400", &endpoint), 0);
    assert_string_equal (endpoint, "tcp://127.0.0.1:7400");
    free (endpoint);
    setenv ("CRIER_TEST", "127.0.0.1:7400", 1);
    assert_int_equal (crier_config_endpoint ("CRIER_TEST", "tcp://x:1", &endpoint), -1);
    assert_null (endpoint);
    s_expect_logged ("a ZeroMQ endpoint such as tcp://127.0.0.1:7400");
}

//  A process of one core takes one endpoint; what connects to every core takes a list.
static void test_endpoint_lists (void **state)
{
    char *endpoint = NULL;
    setenv ("CRIER_TEST", "tcp://core-0:7411,tcp://core-1:7411", 1);
    assert_int_equal (crier_config_endpoint ("CRIER_TEST", "tcp://x:1", &endpoint), -1);
    assert_null (endpoint);
    s_expect_logged ("this process belongs to one crier core");
    assert_int_equal (crier_config_endpoints ("CRIER_TEST", "tcp://x:1", &endpoint), 0);
    assert_string_equal (endpoint, "tcp://core-0:7411,tcp://core-1:7411");
    free (endpoint);
    const char *bad[] = {"tcp://a:1,", "tcp://a:1,,tcp://b:1", "tcp://a:1,b:2", ","};
    for (size_t index = 0; index < 4; index++) {
        setenv ("CRIER_TEST", bad[index], 1);
        assert_int_equal (crier_config_endpoints ("CRIER_TEST", "tcp://x:1", &endpoint), -1);
        assert_null (endpoint);
    }
    s_expect_logged ("separated by commas");
    unsetenv ("CRIER_TEST");
    assert_int_equal (crier_config_endpoints ("CRIER_TEST", "tcp://x:1", &endpoint), 0);
    assert_string_equal (endpoint, "tcp://x:1");
    free (endpoint);
}

static void s_write_file (const char *path, const char *content, size_t length)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    fwrite (content, 1, length, file);
    fclose (file);
}

static void test_secret_from_variable_and_file (void **state)
{
    char *secret = NULL;
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), 0);
    assert_null (secret);

    setenv ("CRIER_TEST", "s3cret", 1);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), 0);
    assert_string_equal (secret, "s3cret");
    free (secret);
    unsetenv ("CRIER_TEST");

    char path[] = "/tmp/crier-test-secret-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    s_write_file (path, "from-file\n", 10);
    setenv ("CRIER_TEST_FILE", path, 1);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), 0);
    assert_string_equal (secret, "from-file"); //  the trailing newline editors add is dropped
    free (secret);

    s_write_file (path, "crlf\r\n", 6);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), 0);
    assert_string_equal (secret, "crlf");
    free (secret);

    //  An empty file is no secret (docs/deploy.md: a mail relay without AUTH), not an error.
    s_write_file (path, "\n", 1);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), 0);
    assert_null (secret);

    setenv ("CRIER_TEST", "also-set", 1);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), -1);
    s_expect_logged ("both the variable and its _FILE form are set");
    fflush (s_log);
    assert_null (strstr (s_log_text, "also-set")); //  a secret never reaches the log
    unsetenv ("CRIER_TEST");

    unlink (path);
    assert_int_equal (crier_config_secret ("CRIER_TEST", &secret), -1);
    assert_null (secret);
    s_expect_logged ("variable=CRIER_TEST_FILE");
    s_expect_logged ("No such file or directory");
}

static void test_log_level (void **state)
{
    crier_log_level_t level;
    setenv ("CRIER_LOG_LEVEL", "loud", 1);
    assert_int_equal (crier_config_log_level (&level), -1);
    s_expect_logged ("variable=CRIER_LOG_LEVEL value=loud");
    setenv ("CRIER_LOG_LEVEL", "WARN", 1);
    assert_int_equal (crier_config_log_level (&level), 0);
    assert_int_equal (level, CRIER_LOG_WARN);
    //  Reading the setting changes nothing by itself: main applies it.
    crier_log (CRIER_LOG_INFO, "still.shown");
    fflush (s_log);
    assert_non_null (strstr (s_log_text, "still.shown"));
    unsetenv ("CRIER_LOG_LEVEL");
    assert_int_equal (crier_config_log_level (&level), 0);
    assert_int_equal (level, CRIER_LOG_INFO);
}

//  The stack identity: printable ASCII without spaces, at most what PLAIN carries.
static void test_stack_identity (void **state)
{
    crier_links_t links = {0};
    assert_int_equal (crier_links_load (&links), 0);
    assert_string_equal (crier_links_security (&links), "plain");
    assert_null (crier_links_stack_id (&links));
    crier_links_free (&links);
    setenv ("CRIER_STACK_ID", "k3Yq-stack_1", 1);
    assert_int_equal (crier_links_load (&links), 0);
    assert_string_equal (crier_links_security (&links), "stack");
    assert_string_equal (crier_links_stack_id (&links), "k3Yq-stack_1");
    crier_links_free (&links);
    char long_id[300];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    const char *bad[] = {"two words", "tab\there", "caf\xc3\xa9!", long_id};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        setenv ("CRIER_STACK_ID", bad[index], 1);
        assert_int_equal (crier_links_load (&links), -1);
        crier_links_free (&links);
    }
    s_expect_logged ("config.invalid variable=CRIER_STACK_ID error=\"longer than 255 bytes\"");
    s_expect_logged ("holds a space, a control character or a non-ASCII byte");
}

//  A subscription (1, then the topic) asks for heartbeats when it covers process.heartbeat.
static void test_heartbeat_requests (void **state)
{
    assert_true (crier_heartbeat_is_request ("\x01process.heartbeat", 18));
    assert_true (crier_heartbeat_is_request ("\x01process.", 9));
    assert_true (crier_heartbeat_is_request ("\x01", 1));
    assert_false (crier_heartbeat_is_request ("\x00process.heartbeat", 18)); //  unsubscribe
    assert_false (crier_heartbeat_is_request ("\x01process.heartbeats", 19));
    assert_false (crier_heartbeat_is_request ("\x01"
                                              "delivery.",
                                              10));
    assert_false (crier_heartbeat_is_request ("", 0));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_defaults_when_unset_or_empty, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_uint_range_and_garbage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bytes_with_units, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_durations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_choice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_endpoint, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_endpoint_lists, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_from_variable_and_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_log_level, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stack_identity, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat_requests, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

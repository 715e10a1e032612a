/*  test_gateway_requests.c - what crier-gateway makes of a request's body: a JSON object as the
    wire protocol's frame, its Idempotency-Key as its id; a group's text with ntfy's Title and
    Priority (1-5, min ... max) as subject and priority; what cannot be one refused with why. */
#include "gateway_requests.h"

#include "crier/notification.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

//  Decodes a frame as crier-ingest does.
static crier_notification_t *s_decode (char *frame, size_t size)
{
    crier_error_t error;
    crier_notification_t *notification =
        crier_notification_decode (frame, size, CRIER_DEFAULT_MAX_MESSAGE, &error);
    if (!notification)
        fail_msg ("%s: %s", error.field, error.message);
    free (frame);
    return notification;
}

static void test_a_json_object_is_the_frame (void **state)
{
    const char body[] = "{\"to\": [\"#ops\", \"#dev\"], \"subject\": \"Disk\", \"body\": \"full\","
                        " \"priority\": \"high\"}";
    char *frame, error[200];
    size_t size;
    assert_int_equal (crier_gateway_json_request (body, sizeof body - 1, "key-1", NULL, NULL,
                                                  &frame, &size, error, sizeof error),
                      0);
    crier_notification_t *notification = s_decode (frame, size);
    assert_int_equal (notification->to_count, 2);
    assert_string_equal (notification->to[1], "#dev");
    assert_string_equal (notification->subject, "Disk");
    assert_string_equal (notification->id, "key-1");
    assert_int_equal (notification->priority, CRIER_PRIORITY_HIGH);
    crier_notification_destroy (&notification);
    //  Not JSON, not an object, an id that is not the key, a key given twice.
    const char *bad[] = {"{\"to\": ", "[1]", "{\"to\": \"#a\", \"body\": \"b\", \"id\": \"x\"}",
                         "{\"to\": \"#a\", \"to\": \"#b\"}"};
    const char *why[] = {"not JSON", "must be a JSON object", "differs from the Idempotency-Key",
                         "not JSON"};
    for (size_t index = 0; index < 4; index++) {
        assert_int_equal (crier_gateway_json_request (bad[index], strlen (bad[index]), "key-1",
                                                      NULL, NULL, &frame, &size, error,
                                                      sizeof error),
                          -1);
        if (!strstr (error, why[index]))
            fail_msg ("%s: %s", bad[index], error);
    }
}

static void test_a_group_text_with_title_and_priority (void **state)
{
    const char text[] = "backup failed on db1";
    char *frame, error[200];
    size_t size;
    assert_int_equal (crier_gateway_text_request ("admins", text, sizeof text - 1, "Backup", "5",
                                                  NULL, NULL, NULL, &frame, &size, error,
                                                  sizeof error),
                      0);
    crier_notification_t *notification = s_decode (frame, size);
    assert_string_equal (notification->to[0], "#admins");
    assert_string_equal (notification->subject, "Backup");
    assert_string_equal (notification->body, text);
    assert_int_equal (notification->priority, CRIER_PRIORITY_URGENT);
    assert_null (notification->id);
    crier_notification_destroy (&notification);
    assert_int_equal (crier_gateway_text_request ("admins", "x", 1, NULL, "nine", NULL, NULL, NULL,
                                                  &frame, &size, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "Priority: must be 1 to 5"));
    assert_int_equal (crier_gateway_text_request ("admins", "\xff", 1, NULL, NULL, NULL, NULL, NULL,
                                                  &frame, &size, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "UTF-8"));
}

static bool s_only_builds (const char *group, void *arg)
{
    return strcmp (group, "#builds") == 0;
}

//  A token's groups: a group it may not send to is a 403 (-2), whichever endpoint.
static void test_a_token_limits_the_groups (void **state)
{
    const char body[] = "{\"to\": [\"#builds\", \"#admins\"], \"body\": \"x\"}";
    char *frame, error[200];
    size_t size;
    assert_int_equal (crier_gateway_json_request (body, sizeof body - 1, NULL, s_only_builds, NULL,
                                                  &frame, &size, error, sizeof error),
                      -2);
    assert_non_null (strstr (error, "may not send to #admins"));
    assert_int_equal (crier_gateway_text_request ("admins", "x", 1, NULL, NULL, NULL, s_only_builds,
                                                  NULL, &frame, &size, error, sizeof error),
                      -2);
    assert_int_equal (crier_gateway_text_request ("builds", "x", 1, NULL, NULL, NULL, s_only_builds,
                                                  NULL, &frame, &size, error, sizeof error),
                      0);
    free (frame);
}

static void test_ntfy_priorities (void **state)
{
    const char *pairs[][2] = {{"1", "low"},      {"2", "low"},          {"3", "normal"},
                              {"4", "high"},     {"5", "urgent"},       {"min", "low"},
                              {"low", "low"},    {"DEFAULT", "normal"}, {"high", "high"},
                              {"max", "urgent"}, {"urgent", "urgent"}};
    for (size_t index = 0; index < sizeof pairs / sizeof pairs[0]; index++)
        assert_string_equal (crier_gateway_priority (pairs[index][0]), pairs[index][1]);
    assert_null (crier_gateway_priority ("6"));
    assert_null (crier_gateway_priority (""));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_json_object_is_the_frame),
        cmocka_unit_test (test_a_group_text_with_title_and_priority),
        cmocka_unit_test (test_a_token_limits_the_groups),
        cmocka_unit_test (test_ntfy_priorities),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

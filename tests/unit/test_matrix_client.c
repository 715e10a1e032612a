/*  test_matrix_client.c - the Matrix client's classification of homeserver answers, on
    responses as Synapse and proxies send them, and its request paths. */
#include "matrix_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static crier_matrix_answer_t s_classify (long status, const char *body, uint64_t retry_after_s)
{
    crier_matrix_answer_t answer;
    crier_matrix_classify (CURLE_OK, "", status, body, retry_after_s, &answer);
    return answer;
}

static void s_expect (long status, const char *body, crier_matrix_outcome_t outcome,
                      const char *reason_part)
{
    crier_matrix_answer_t answer = s_classify (status, body, 0);
    if (answer.outcome != outcome)
        fail_msg ("HTTP %ld %s: %s, expected %s", status, body ? body : "(none)",
                  crier_matrix_outcome_name (answer.outcome), crier_matrix_outcome_name (outcome));
    if (reason_part && !strstr (answer.reason, reason_part))
        fail_msg ("reason \"%s\" does not say \"%s\"", answer.reason, reason_part);
    crier_matrix_answer_free (&answer);
}

static void test_a_sent_event_is_ok_with_its_body (void **state)
{
    crier_matrix_answer_t answer = s_classify (200, "{\"event_id\":\"$abc:example.org\"}", 0);
    assert_int_equal (answer.outcome, CRIER_MATRIX_OK);
    assert_string_equal (json_string_value (json_object_get (answer.body, "event_id")),
                         "$abc:example.org");
    crier_matrix_answer_free (&answer);
    assert_null (answer.body);
}

static void test_a_success_that_is_not_json_is_tried_again (void **state)
{
    s_expect (200, "<html><body>502 Bad Gateway</body></html>", CRIER_MATRIX_RETRYABLE,
              "not a JSON object");
    s_expect (200, "{\"event_id\": \"$cut", CRIER_MATRIX_RETRYABLE, "not a JSON object");
    s_expect (200, NULL, CRIER_MATRIX_RETRYABLE, "not a JSON object");
    s_expect (200, "[1, 2]", CRIER_MATRIX_RETRYABLE, "not a JSON object");
}

static void test_rate_limits_carry_their_delay (void **state)
{
    crier_matrix_answer_t answer = s_classify (429,
                                               "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":\"Too "
                                               "many requests\",\"retry_after_ms\":2500}",
                                               0);
    assert_int_equal (answer.outcome, CRIER_MATRIX_RATE_LIMITED);
    assert_int_equal (answer.delay_ms, 2500);
    assert_non_null (strstr (answer.reason, "M_LIMIT_EXCEEDED: Too many requests"));
    crier_matrix_answer_free (&answer);
    //  Only the Retry-After header (seconds), as newer servers may send.
    answer = s_classify (429, "{\"errcode\":\"M_LIMIT_EXCEEDED\"}", 3);
    assert_int_equal (answer.delay_ms, 3000);
    crier_matrix_answer_free (&answer);
    //  Nothing said: a second. An absurd wait is capped.
    answer = s_classify (429, "", 0);
    assert_int_equal (answer.delay_ms, 1000);
    crier_matrix_answer_free (&answer);
    answer = s_classify (429, "{\"retry_after_ms\": 99999999999}", 0);
    assert_int_equal (answer.delay_ms, CRIER_MATRIX_MAX_RATE_LIMIT_MS);
    crier_matrix_answer_free (&answer);
}

static void test_refusals_are_told_apart (void **state)
{
    s_expect (401, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"Invalid access token passed.\"}",
              CRIER_MATRIX_UNAUTHORIZED, "HTTP 401 M_UNKNOWN_TOKEN: Invalid access token passed.");
    s_expect (403,
              "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"User @crier:example.org not in room "
              "!a:example.org\"}",
              CRIER_MATRIX_FORBIDDEN, "M_FORBIDDEN");
    s_expect (404, "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"Room alias not found\"}",
              CRIER_MATRIX_NOT_FOUND, "M_NOT_FOUND");
    s_expect (400, "{\"errcode\":\"M_BAD_JSON\",\"error\":\"Content not JSON.\"}",
              CRIER_MATRIX_FATAL, "HTTP 400 M_BAD_JSON");
    s_expect (413, "{\"errcode\":\"M_TOO_LARGE\"}", CRIER_MATRIX_FATAL, "M_TOO_LARGE");
}

static void test_server_trouble_is_tried_again (void **state)
{
    s_expect (500, "{\"errcode\":\"M_UNKNOWN\",\"error\":\"Internal server error\"}",
              CRIER_MATRIX_RETRYABLE, "HTTP 500 M_UNKNOWN");
    s_expect (502, "<html>Bad Gateway</html>", CRIER_MATRIX_RETRYABLE, "HTTP 502");
    s_expect (408, NULL, CRIER_MATRIX_RETRYABLE, "HTTP 408");
    crier_matrix_answer_t answer;
    crier_matrix_classify (CURLE_COULDNT_CONNECT, "Failed to connect to localhost port 8008", 0,
                           NULL, 0, &answer);
    assert_int_equal (answer.outcome, CRIER_MATRIX_RETRYABLE);
    assert_int_equal (answer.status, 0);
    assert_non_null (strstr (answer.reason, "Failed to connect to localhost port 8008"));
    crier_matrix_answer_free (&answer);
}

static void test_paths_encode_their_segments_and_fit (void **state)
{
    char path[128];
    assert_int_equal (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/",
                                         "!room:example.org", "/send/m.room.message/", "txn/1",
                                         (char *)NULL),
                      0);
    assert_string_equal (
        path, "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/txn%2F1");
    assert_int_equal (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/directory/room/",
                                         "#ops:example.org", (char *)NULL),
                      0);
    assert_string_equal (path, "/_matrix/client/v3/directory/room/%23ops%3Aexample.org");
    //  Segments of unreserved characters only (a delivery id) are copied as they are.
    assert_int_equal (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/",
                                         "!r:example.org", "/send/m.room.message/", "0f-A.z_~9",
                                         (char *)NULL),
                      0);
    assert_string_equal (
        path, "/_matrix/client/v3/rooms/%21r%3Aexample.org/send/m.room.message/0f-A.z_~9");
    char room[200];
    memset (room, 'a', sizeof room - 1);
    room[sizeof room - 1] = '\0';
    assert_int_equal (
        crier_matrix_path (path, sizeof path, "/_matrix/client/v3/join/", room, (char *)NULL), -1);
    memset (room, '/', sizeof room - 1);
    room[sizeof room - 1] = '\0';
    assert_int_equal (
        crier_matrix_path (path, sizeof path, "/_matrix/client/v3/join/", room, (char *)NULL), -1);
    assert_string_equal (path, "");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_sent_event_is_ok_with_its_body),
        cmocka_unit_test (test_a_success_that_is_not_json_is_tried_again),
        cmocka_unit_test (test_rate_limits_carry_their_delay),
        cmocka_unit_test (test_refusals_are_told_apart),
        cmocka_unit_test (test_server_trouble_is_tried_again),
        cmocka_unit_test (test_paths_encode_their_segments_and_fit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

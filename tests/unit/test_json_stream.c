/*  test_json_stream.c - JSON as a stream of tokens (yajl) and the small trees built from them:
    every kind of token in order however the bytes are cut, syntax errors with their offset, a
    consumer that stops the stream, and the tree's refusals (too deep, a key twice, a NUL in a
    key). */
#include "crier/json_stream.h"
#include "crier/json_tree.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char kinds[64]; //  one letter per token
    size_t count;
    int stop_at; //  -1: never
} seen_t;

static int s_collect (const crier_json_token_t *token, void *arg)
{
    seen_t *seen = arg;
    static const char letters[] = "nbqsk{}[]"; //  null, boolean, number, string, key, ...
    if (seen->count + 1 < sizeof seen->kinds)
        seen->kinds[seen->count] = letters[token->kind];
    seen->count++;
    return (int)seen->count == seen->stop_at ? -1 : 0;
}

static void test_tokens_come_in_order_however_the_bytes_are_cut (void **state)
{
    const char *text = "{\"a\": [1, \"two\", true, null], \"b\": {\"c\": -3.5e2}}";
    for (size_t cut = 1; cut < strlen (text); cut++) {
        seen_t seen = {.stop_at = -1};
        crier_json_stream_t *stream = crier_json_stream_new (s_collect, &seen);
        char problem[128];
        assert_int_equal (crier_json_stream_feed (stream, text, cut, problem, sizeof problem), 0);
        assert_int_equal (crier_json_stream_feed (stream, text + cut, strlen (text) - cut, problem,
                                                  sizeof problem),
                          0);
        assert_int_equal (crier_json_stream_finish (stream, problem, sizeof problem), 0);
        assert_string_equal (seen.kinds, "{k[qsbn]k{kq}}");
        crier_json_stream_destroy (&stream);
    }
}

static void test_errors_and_stops (void **state)
{
    seen_t seen = {.stop_at = -1};
    crier_json_stream_t *stream = crier_json_stream_new (s_collect, &seen);
    char problem[128];
    assert_int_equal (crier_json_stream_feed (stream, "{\"a\": tru", 9, problem, sizeof problem),
                      0);
    assert_int_equal (crier_json_stream_feed (stream, "x}", 2, problem, sizeof problem), -1);
    assert_non_null (strstr (problem, "error"));
    assert_true (crier_json_stream_offset (stream) >= 9);
    crier_json_stream_destroy (&stream);

    seen_t stopping = {.stop_at = 2};
    stream = crier_json_stream_new (s_collect, &stopping);
    assert_int_equal (crier_json_stream_feed (stream, "[1, 2, 3]", 9, problem, sizeof problem), -1);
    assert_int_equal (stopping.count, 2);
    assert_non_null (strstr (problem, "stopped"));
    crier_json_stream_destroy (&stream);

    //  An unfinished value is an error at the end.
    seen_t partial = {.stop_at = -1};
    stream = crier_json_stream_new (s_collect, &partial);
    assert_int_equal (crier_json_stream_feed (stream, "[1, 2", 5, problem, sizeof problem), 0);
    assert_int_equal (crier_json_stream_finish (stream, problem, sizeof problem), -1);
    crier_json_stream_destroy (&stream);
}

typedef struct {
    crier_json_tree_t *tree;
    int last; //  what the tree said of the last token
    char problem[128];
} building_t;

static int s_build (const crier_json_token_t *token, void *arg)
{
    building_t *building = arg;
    building->last =
        crier_json_tree_add (building->tree, token, building->problem, sizeof building->problem);
    return building->last < 0 ? -1 : 0;
}

//  Builds text as one value: the tree's verdict on its last token (1: complete).
static int s_tree (building_t *building, const char *text)
{
    crier_json_tree_reset (building->tree);
    building->last = 0;
    building->problem[0] = '\0';
    crier_json_stream_t *stream = crier_json_stream_new (s_build, building);
    char problem[128];
    if (crier_json_stream_feed (stream, text, strlen (text), problem, sizeof problem) == 0)
        crier_json_stream_finish (stream, problem, sizeof problem);
    crier_json_stream_destroy (&stream);
    return building->last;
}

static void test_trees_and_their_refusals (void **state)
{
    building_t building = {.tree = crier_json_tree_new (3)};
    assert_int_equal (s_tree (&building, "{\"a\": [1, {\"b\": \"x\\u0000y\"}]}"), 1);
    json_t *value = crier_json_tree_take (building.tree);
    const json_t *inner = json_array_get (json_object_get (value, "a"), 1);
    assert_int_equal (json_string_length (json_object_get (inner, "b")), 3); //  the NUL kept
    json_decref (value);
    assert_int_equal (s_tree (&building, "[[[[1]]]]"), -1);
    assert_non_null (strstr (building.problem, "nested more than 3 deep"));
    assert_int_equal (s_tree (&building, "{\"a\": 1, \"a\": 2}"), -1);
    assert_non_null (strstr (building.problem, "\"a\" appears twice"));
    assert_int_equal (s_tree (&building, "{\"a\\u0000b\": 1}"), -1);
    assert_non_null (strstr (building.problem, "NUL"));
    assert_int_equal (s_tree (&building, "12345678901234567890123"), 1); //  too big: a real
    value = crier_json_tree_take (building.tree);
    assert_true (json_is_real (value));
    json_decref (value);
    crier_json_tree_destroy (&building.tree);
}

static void test_a_token_is_copied_without_reading_past_it (void **state)
{
    char bytes[3] = {'a', 'b', 'c'}; //  no NUL after them
    crier_json_token_t token = {.kind = CRIER_JSON_STRING, .text = bytes, .length = 2};
    char *copy = crier_json_token_copy (&token);
    assert_string_equal (copy, "ab");
    free (copy);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tokens_come_in_order_however_the_bytes_are_cut),
        cmocka_unit_test (test_errors_and_stops),
        cmocka_unit_test (test_trees_and_their_refusals),
        cmocka_unit_test (test_a_token_is_copied_without_reading_past_it),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_changes_parser.c - lines of CouchDB's continuous _changes feed, however they arrive. */
#include "changes_parser.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int documents;
    int last_seqs;
    int too_large;
    char seq[128];
    char id[64];
    bool deleted;
    char body[640];
} seen_t;

static void s_collect (crier_change_t *change, void *arg)
{
    seen_t *seen = arg;
    if (change->kind == CRIER_CHANGE_TOO_LARGE) {
        seen->too_large++;
        return;
    }
    char *seq = crier_change_seq_text (change->seq);
    snprintf (seen->seq, sizeof seen->seq, "%s", seq);
    free (seq);
    if (change->kind == CRIER_CHANGE_LAST_SEQ) {
        seen->last_seqs++;
        return;
    }
    seen->documents++;
    snprintf (seen->id, sizeof seen->id, "%s", change->id);
    seen->deleted = change->deleted;
    //  What the included document read as: its revision and groups, or its first problem.
    if (change->mapping) {
        crier_targets_t targets = {0};
        crier_mapping_targets (change->mapping, "#ops", CRIER_CHANNEL_EMAIL, &targets);
        snprintf (seen->body, sizeof seen->body, "%s: %zu groups, #ops email %s",
                  change->revision ? change->revision : "no _rev",
                  crier_mapping_group_count (change->mapping),
                  targets.count ? targets.first : "none");
    } else if (change->error)
        snprintf (seen->body, sizeof seen->body, "%s: %s: %s",
                  change->revision ? change->revision : "no _rev", change->error->path,
                  change->error->message);
    else
        seen->body[0] = '\0';
    assert_true (change->has_doc == (change->mapping || change->error));
}

static const char *s_line =
    "{\"seq\":\"12-g1AAAABteJzLYWBgYMpgTmHgz8tPSTV0MDQy0TM0NLIAAIqAB9k\",\"id\":\"mapping\","
    "\"changes\":[{\"rev\":\"2-x\"}],\"doc\":{\"_id\":\"mapping\",\"_rev\":\"2-x\","
    "\"mapping\":{\"#ops\":{\"email\":[\"ops@example.org\"]},\"#dev\":{}}},\"x\":[1]}\n";

static void test_whole_line_with_string_seq (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    seen_t seen = {0};
    char problem[256];
    assert_int_equal (crier_changes_parser_feed (parser, s_line, strlen (s_line), s_collect, &seen,
                                                 problem, sizeof problem),
                      1);
    assert_int_equal (seen.documents, 1);
    assert_string_equal (seen.seq, "12-g1AAAABteJzLYWBgYMpgTmHgz8tPSTV0MDQy0TM0NLIAAIqAB9k");
    assert_string_equal (seen.id, "mapping");
    assert_false (seen.deleted);
    assert_string_equal (seen.body, "2-x: 2 groups, #ops email ops@example.org");
    crier_changes_parser_destroy (&parser);
}

static void test_line_split_across_reads_byte_by_byte (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    seen_t seen = {0};
    char problem[256];
    size_t length = strlen (s_line);
    for (size_t index = 0; index < length; index++) {
        assert_int_equal (crier_changes_parser_feed (parser, s_line + index, 1, s_collect, &seen,
                                                     problem, sizeof problem),
                          index + 1 == length ? 1 : 0);
        assert_int_equal (seen.documents, index + 1 == length ? 1 : 0);
    }
    assert_string_equal (seen.body, "2-x: 2 groups, #ops email ops@example.org");
    crier_changes_parser_destroy (&parser);
}

static void test_heartbeats_and_several_lines_in_one_read (void **state)
{
    const char *feed = "\n\n{\"seq\":1,\"id\":\"mapping\",\"changes\":[],\"doc\":{\"a\":1}}\r\n"
                       "\n{\"seq\":2,\"id\":\"mapping\",\"deleted\":true,\"changes\":[],"
                       "\"doc\":{\"_deleted\":true}}\n\n{\"last_seq\":2}\n";
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    seen_t seen = {0};
    char problem[256];
    assert_int_equal (crier_changes_parser_feed (parser, feed, strlen (feed), s_collect, &seen,
                                                 problem, sizeof problem),
                      7); //  heartbeats count: the feed is alive
    assert_int_equal (seen.documents, 2);
    assert_true (seen.deleted);
    //  A deleted revision's document is no mapping: its problem is there, unused.
    assert_string_equal (seen.body, "no _rev: mapping: missing: the document needs a \"mapping\" "
                                    "object of groups");
    assert_int_equal (seen.last_seqs, 1);
    assert_string_equal (seen.seq, "2"); //  integers (pouchdb-server) echo as their digits
    crier_changes_parser_destroy (&parser);
}

static void test_reset_forgets_a_partial_line (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    seen_t seen = {0};
    char problem[256];
    assert_int_equal (crier_changes_parser_feed (parser, "{\"seq\":1,\"id\":\"map", 18, s_collect,
                                                 &seen, problem, sizeof problem),
                      0);
    crier_changes_parser_reset (parser);
    const char *fresh = "{\"seq\":[3,\"x\"],\"id\":\"mapping\",\"changes\":[]}\n";
    assert_int_equal (crier_changes_parser_feed (parser, fresh, strlen (fresh), s_collect, &seen,
                                                 problem, sizeof problem),
                      1);
    assert_int_equal (seen.documents, 1);
    assert_string_equal (seen.seq, "[3,\"x\"]"); //  CouchDB 1.x array seqs echo as JSON
    assert_string_equal (seen.body, "");         //  no doc included
    crier_changes_parser_destroy (&parser);
}

static void test_bad_lines (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (64);
    seen_t seen = {0};
    char problem[256];
    assert_int_equal (crier_changes_parser_feed (parser, "not json\n", 9, s_collect, &seen, problem,
                                                 sizeof problem),
                      -1);
    assert_non_null (strstr (problem, "not a JSON object"));
    const char *error =
        "{\"error\":\"unauthorized\",\"reason\":\"Name or password is incorrect.\"}\n";
    crier_changes_parser_reset (parser);
    crier_changes_parser_t *roomy = crier_changes_parser_new (65536);
    assert_int_equal (crier_changes_parser_feed (roomy, error, strlen (error), s_collect, &seen,
                                                 problem, sizeof problem),
                      -1);
    assert_string_equal (problem,
                         "the server reported unauthorized: Name or password is incorrect.");
    assert_int_equal (seen.documents, 0);
    crier_changes_parser_destroy (&parser);
    crier_changes_parser_destroy (&roomy);
}

//  A line over the limit is skipped whole, in whatever pieces it comes, said once, and the
//  feed goes on: reconnecting would only download it again.
static void test_a_line_over_the_limit_is_skipped_and_the_feed_goes_on (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (64);
    seen_t seen = {0};
    char problem[256];
    char long_line[100];
    memset (long_line, 'x', sizeof long_line);
    for (int piece = 0; piece < 3; piece++)
        assert_int_equal (crier_changes_parser_feed (parser, long_line, sizeof long_line, s_collect,
                                                     &seen, problem, sizeof problem),
                          0);
    const char *after = "tail of it\n{\"seq\":7,\"id\":\"mapping\",\"changes\":[]}\n";
    assert_int_equal (crier_changes_parser_feed (parser, after, strlen (after), s_collect, &seen,
                                                 problem, sizeof problem),
                      2);
    assert_int_equal (seen.too_large, 1);
    assert_int_equal (seen.documents, 1);
    assert_string_equal (seen.seq, "7");
    crier_changes_parser_destroy (&parser);
}

//  A \u0000 in a string reaches the mapping's validation, which names it (a feed line refused
//  for it would make the resolver reconnect and download it again and again).
static void test_a_nul_in_a_string_is_read (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    seen_t seen = {0};
    char problem[256];
    const char *line = "{\"seq\":3,\"id\":\"mapping\",\"changes\":[],"
                       "\"doc\":{\"description\":\"a\\u0000b\"}}\n";
    assert_int_equal (crier_changes_parser_feed (parser, line, strlen (line), s_collect, &seen,
                                                 problem, sizeof problem),
                      1);
    assert_int_equal (seen.documents, 1);
    assert_string_equal (seen.body,
                         "no _rev: description: contains a NUL character (\\u0000): remove it");
    crier_changes_parser_destroy (&parser);
}

static void s_keep (crier_change_t *change, void *arg)
{
    crier_mapping_t **kept = arg;
    if (change->mapping) {
        crier_mapping_destroy (kept);
        *kept = change->mapping;
        change->mapping = NULL;
    }
}

//  The callback may keep the mapping it was given; the line's envelope is not part of it, and
//  a second "doc" key or a broken envelope fails the line.
static void test_the_mapping_can_be_kept_and_the_envelope_is_checked (void **state)
{
    crier_changes_parser_t *parser = crier_changes_parser_new (65536);
    crier_mapping_t *kept = NULL;
    char problem[256];
    assert_int_equal (crier_changes_parser_feed (parser, s_line, strlen (s_line), s_keep, &kept,
                                                 problem, sizeof problem),
                      1);
    assert_non_null (kept);
    assert_string_equal (crier_mapping_revision (kept), "2-x");
    crier_targets_t targets;
    assert_int_equal (crier_mapping_targets (kept, "#dev", CRIER_CHANNEL_MATRIX, &targets), 0);
    assert_int_equal (targets.count, 0);
    assert_int_equal (crier_mapping_targets (kept, "x", CRIER_CHANNEL_MATRIX, &targets), -1);
    const char *twice = "{\"seq\":4,\"id\":\"mapping\",\"seq\":5}\n";
    assert_int_equal (crier_changes_parser_feed (parser, twice, strlen (twice), s_keep, &kept,
                                                 problem, sizeof problem),
                      -1);
    assert_non_null (strstr (problem, "appears twice"));
    const char *unfinished = "{\"seq\":4,\"id\":\"mapping\",\"doc\":{\"mapping\":{}}\n";
    assert_int_equal (crier_changes_parser_feed (parser, unfinished, strlen (unfinished), s_keep,
                                                 &kept, problem, sizeof problem),
                      -1);
    assert_non_null (strstr (problem, "not a JSON object"));
    crier_mapping_destroy (&kept);
    crier_changes_parser_destroy (&parser);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_whole_line_with_string_seq),
        cmocka_unit_test (test_line_split_across_reads_byte_by_byte),
        cmocka_unit_test (test_a_line_over_the_limit_is_skipped_and_the_feed_goes_on),
        cmocka_unit_test (test_a_nul_in_a_string_is_read),
        cmocka_unit_test (test_heartbeats_and_several_lines_in_one_read),
        cmocka_unit_test (test_reset_forgets_a_partial_line),
        cmocka_unit_test (test_bad_lines),
        cmocka_unit_test (test_the_mapping_can_be_kept_and_the_envelope_is_checked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

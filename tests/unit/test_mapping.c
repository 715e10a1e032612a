/*  test_mapping.c - the mapping document's rules, each with the JSON path it reports. */
#include "crier/mapping.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_expect_error (const char *json, const char *path, const char *fragment)
{
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (json, strlen (json), &error);
    if (mapping)
        fail_msg ("accepted: %s", json);
    if (strcmp (error.path, path) != 0)
        fail_msg ("path \"%s\", expected \"%s\" (%s)", error.path, path, error.message);
    if (!strstr (error.message, fragment))
        fail_msg ("message \"%s\" lacks \"%s\"", error.message, fragment);
}

static void test_valid_document (void **state)
{
    const char *json = "{\"_id\": \"mapping\", \"_rev\": \"3-abc\", \"note\": \"ignored\","
                       " \"mapping\": {"
                       "  \"#admins\": {\"matrix\": [\"!PxMWbvomtRqGOTsaDK:half-shot.uk\"],"
                       "               \"email\": [\"will@half-shot.uk\"]},"
                       "  \"#users\": {\"matrix\": [\"#staff:example.org\"], \"email\": []},"
                       "  \"#équipe\": {\"email\": [\"nuit+alertes@exemple.fr\"]},"
                       "  \"#placeholder\": {}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (json, strlen (json), &error);
    if (!mapping)
        fail_msg ("%s: %s", error.path, error.message);
    assert_string_equal (crier_mapping_revision (mapping), "3-abc");
    assert_int_equal (crier_mapping_group_count (mapping), 4);
    crier_targets_t targets;
    assert_int_equal (crier_mapping_targets (mapping, "#admins", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 1);
    assert_string_equal (targets.first, "will@half-shot.uk");
    assert_int_equal (crier_mapping_targets (mapping, "#équipe", CRIER_CHANNEL_MATRIX, &targets),
                      0);
    assert_int_equal (targets.count, 0);
    assert_int_equal (crier_mapping_targets (mapping, "#nobody", CRIER_CHANNEL_EMAIL, &targets),
                      -1);
    assert_int_equal (targets.count, 0);
    crier_mapping_destroy (&mapping);
    crier_mapping_destroy (&mapping);
}

static void test_document_shape (void **state)
{
    s_expect_error ("[1, 2]", "(document)", "must be a JSON object, got array");
    s_expect_error ("{\"_id\": \"mapping\"}", "mapping", "missing");
    s_expect_error ("{\"mapping\": [\"#admins\"]}", "mapping", "must be an object of groups");
    s_expect_error ("{\"mapping\": {}, ", "(line 1, column 16)", "not valid JSON");
    s_expect_error ("{\"mapping\": {},\n \"people\": {]}", "(line 2, column 13)", "not valid JSON");
    s_expect_error ("{\"mapping\": {}, \"mapping\": {}}", "mapping", "appears twice");
    s_expect_error ("{\"mapping\": {\"#a\": {}, \"#b\": {}, \"#a\": {}}}", "mapping[\"#a\"]",
                    "appears twice");
    s_expect_error ("{\"mapping\": {\"#a\": {\"email\": [], \"email\": []}}}", "mapping[\"#a\"]",
                    "the key \"email\" appears twice");
}

static void test_group_names (void **state)
{
    s_expect_error ("{\"mapping\": {\"admins\": {}}}", "mapping[\"admins\"]",
                    "must start with '#'");
    s_expect_error ("{\"mapping\": {\"#\": {}}}", "mapping[\"#\"]", "needs a name after '#'");
    s_expect_error ("{\"mapping\": {\"#my admins\": {}}}", "mapping[\"#my admins\"]",
                    "white space");
    s_expect_error ("{\"mapping\": {\"#admins\": [\"!r:s\"]}}", "mapping[\"#admins\"]",
                    "must be an object of channels");
}

//  A \u0000 anywhere, even in a field crier ignores, is named with its path (read from the
//  feed, such a document once made the resolver reconnect again and again).
static void test_a_nul_anywhere_is_refused_with_its_path (void **state)
{
    s_expect_error ("{\"description\": \"ops\\u0000team\", \"mapping\": {}}", "description",
                    "contains a NUL character");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"a@b.org\", \"x\\u0000@b.org\"]}}}",
                    "mapping[\"#admins\"].email[1]", "contains a NUL character");
    s_expect_error ("{\"notes\": [{\"a\": [1, \"\\u0000\"]}], \"mapping\": {}}", "notes[0].a[1]",
                    "contains a NUL character");
}

static void test_channels (void **state)
{
    s_expect_error ("{\"mapping\": {\"#admins\": {\"slack\": [\"#ops\"]}}}",
                    "mapping[\"#admins\"].slack", "unknown channel: crier knows matrix and email");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"emial\": []}}}", "mapping[\"#admins\"].emial",
                    "unknown channel");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": \"a@b.org\"}}}",
                    "mapping[\"#admins\"].email", "must be an array of addresses, got string");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": {}}}}", "mapping[\"#admins\"].matrix",
                    "must be an array of room ids or aliases, got object");
}

//  A group's targets stream in (mapping_reader.c): any channel order, a nag's addresses apart,
//  a target listed twice kept once, and a group of 50,000 addresses whole and in order.
static void test_targets_stream_in (void **state)
{
    const char *document =
        "{\"mapping\": {\"#g\": {\"email\": [\"a@b.org\", \"b@b.org\", \"a@b.org\"], "
        "\"nag\": {\"after\": \"1h\", \"email\": [\"n@b.org\"]}, "
        "\"matrix\": [\"!r:s\"]}, \"#h\": {\"email\": [\"h@b.org\"]}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (document, strlen (document), &error);
    assert_non_null (mapping);
    crier_targets_t targets;
    assert_int_equal (crier_mapping_targets (mapping, "#g", CRIER_CHANNEL_MATRIX, &targets), 0);
    assert_int_equal (targets.count, 1);
    assert_string_equal (targets.first, "!r:s");
    assert_int_equal (crier_mapping_targets (mapping, "#g", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 2);
    assert_string_equal (targets.first, "a@b.org");
    assert_string_equal (crier_targets_next (targets.first), "b@b.org");
    uint64_t after_ms;
    assert_int_equal (crier_mapping_nag (mapping, "#g", &after_ms, &targets), 0);
    assert_int_equal (targets.count, 1);
    assert_string_equal (targets.first, "n@b.org");
    assert_int_equal (crier_mapping_targets (mapping, "#h", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 1);
    assert_string_equal (targets.first, "h@b.org");
    crier_mapping_destroy (&mapping);

    //  A big group, its first addresses listed again at the end: kept once.
    size_t size = 64 + 50100 * 24;
    char *big = malloc (size);
    assert_non_null (big);
    size_t used = (size_t)snprintf (big, size, "{\"mapping\": {\"#big\": {\"email\": [");
    for (int index = 0; index < 50100; index++)
        used += (size_t)snprintf (big + used, size - used, "%s\"c%d@x.org\"", index ? "," : "",
                                  index % 50000);
    used += (size_t)snprintf (big + used, size - used, "]}}}");
    mapping = crier_mapping_parse (big, used, &error);
    assert_non_null (mapping);
    assert_int_equal (crier_mapping_targets (mapping, "#big", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 50000);
    const char *target = targets.first;
    for (size_t index = 1; index < targets.count; index++)
        target = crier_targets_next (target);
    assert_string_equal (target, "c49999@x.org");
    crier_mapping_destroy (&mapping);
    free (big);
}

static void test_targets (void **state)
{
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"a@b.org\", 42]}}}",
                    "mapping[\"#admins\"].email[1]", "must be a string, got number");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"a@b.org\", [\"c@b.org\"]]}}}",
                    "mapping[\"#admins\"].email[1]", "must be a string, got array");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": [{\"room\": \"!r:s\"}]}}}",
                    "mapping[\"#admins\"].matrix[0]", "must be a string, got object");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"a@b.org\", \"nobody\"]}}}",
                    "mapping[\"#admins\"].email[1]", "not an email address");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": [\"room:server\"]}}}",
                    "mapping[\"#admins\"].matrix[0]", "not a Matrix room id");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": [\"!room\"]}}}",
                    "mapping[\"#admins\"].matrix[0]", "needs a name and a server");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": [\"!ro om:server\"]}}}",
                    "mapping[\"#admins\"].matrix[0]", "white space");
    //  Separators and bidirectional controls, which the byte checks alone let through.
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"ops\\u0085@example.org\"]}}}",
                    "mapping[\"#admins\"].email[0]", "invisible or bidirectional");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"email\": [\"ops@exa\\u2028mple.org\"]}}}",
                    "mapping[\"#admins\"].email[0]", "invisible or bidirectional");
    s_expect_error ("{\"mapping\": {\"#admins\": {\"matrix\": [\"!room\\u202e:server\"]}}}",
                    "mapping[\"#admins\"].matrix[0]", "invisible or bidirectional");
    s_expect_error ("{\"mapping\": {\"#adm\\u00a0ins\": {}}}", "mapping[\"#adm\xc2\xa0ins\"]",
                    "invisible or bidirectional");
}

static void test_email_syntax (void **state)
{
    char message[256];
    const char *good[] = {"a@b.org", "first.last+tag@sub.example.co.uk", "admin@localhost",
                          "ünïcode@exämple.de", "o'brien@example.ie"};
    for (size_t index = 0; index < sizeof good / sizeof *good; index++) {
        if (crier_email_address_check (good[index], message, sizeof message) != 0)
            fail_msg ("%s refused: %s", good[index], message);
    }
    const char *bad[] = {"plain",
                         "@b.org",
                         "a@",
                         "a@@b.org",
                         "a b@c.org",
                         "a@b .org",
                         "a\r\nBcc: x@y.org@c.org",
                         "a@b.org\r\n",
                         ".a@b.org",
                         "a.@b.org",
                         "a..b@c.org",
                         "a@b..org",
                         "a@-b.org",
                         "a@b-.org",
                         "a@b.org.",
                         "<a@b.org>",
                         "a@[127.0.0.1]"};
    for (size_t index = 0; index < sizeof bad / sizeof *bad; index++) {
        if (crier_email_address_check (bad[index], message, sizeof message) == 0)
            fail_msg ("%s accepted", bad[index]);
    }
}

//  A group's nag and the document's people (docs/mapping.md, docs/nag.md).
static void test_nag_and_people (void **state)
{
    const char *json =
        "{\"mapping\": {"
        "  \"#admins\": {\"matrix\": [\"!PxMWbvomtRqGOTsaDK:half-shot.uk\"],"
        "               \"email\": [\"archive@half-shot.uk\"],"
        "               \"nag\": {\"after\": \"15m\", \"email\": [\"oncall@half-shot.uk\"]}},"
        "  \"#ops\": {\"matrix\": [], \"nag\": {\"after\": \"2s\"}},"
        "  \"#quiet\": {\"matrix\": [\"!q:s\"]}},"
        " \"people\": {\"@will:half-shot.uk\": {\"email\": \"will@half-shot.uk\"}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (json, strlen (json), &error);
    if (!mapping)
        fail_msg ("%s: %s", error.path, error.message);
    assert_int_equal (crier_mapping_group_count (mapping), 3);
    uint64_t after = 0;
    crier_targets_t emails;
    assert_int_equal (crier_mapping_nag (mapping, "#admins", &after, &emails), 0);
    assert_int_equal (after, 15 * 60 * 1000);
    assert_int_equal (emails.count, 1);
    assert_string_equal (emails.first, "oncall@half-shot.uk");
    assert_int_equal (crier_mapping_nag (mapping, "#ops", &after, &emails), 0);
    assert_int_equal (after, 2000);
    assert_int_equal (emails.count, 0);
    assert_int_equal (crier_mapping_nag (mapping, "#quiet", &after, NULL), -1);
    assert_int_equal (crier_mapping_nag (mapping, "#nobody", &after, NULL), -1);
    //  nag is no channel: routing sees only the group's rooms and addresses.
    crier_targets_t targets;
    assert_int_equal (crier_mapping_targets (mapping, "#admins", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 1);
    assert_string_equal (crier_mapping_person_email (mapping, "@will:half-shot.uk"),
                         "will@half-shot.uk");
    assert_null (crier_mapping_person_email (mapping, "@nobody:half-shot.uk"));
    assert_int_equal (crier_mapping_person_count (mapping), 1);
    assert_int_equal (crier_mapping_nag_count (mapping), 2);
    crier_mapping_destroy (&mapping);

    const char *room = "\"matrix\": [\"!r:s\"]";
    char text[512];
    struct {
        const char *nag;
        const char *path;
        const char *message;
    } nags[] = {
        {"\"15m\"", "mapping[\"#a\"].nag", "must be an object such as"},
        {"{}", "mapping[\"#a\"].nag.after", "missing: how long a message may stay unread"},
        {"{\"after\": \"soon\"}", "mapping[\"#a\"].nag.after", "must be a duration such as"},
        {"{\"after\": 900}", "mapping[\"#a\"].nag.after", "must be a duration such as"},
        {"{\"after\": \"500ms\"}", "mapping[\"#a\"].nag.after", "must be from 1s to 168h"},
        {"{\"after\": \"169h\"}", "mapping[\"#a\"].nag.after", "must be from 1s to 168h"},
        {"{\"after\": \"1m\", \"emails\": []}", "mapping[\"#a\"].nag.emails",
         "unknown key: a nag has \"after\" and \"email\""},
        {"{\"after\": \"1m\", \"email\": \"a@b.org\"}", "mapping[\"#a\"].nag.email",
         "must be an array of addresses"},
        {"{\"after\": \"1m\", \"email\": [\"nobody\"]}", "mapping[\"#a\"].nag.email[0]",
         "not an email address"},
    };
    for (size_t index = 0; index < sizeof nags / sizeof nags[0]; index++) {
        snprintf (text, sizeof text, "{\"mapping\": {\"#a\": {%s, \"nag\": %s}}}", room,
                  nags[index].nag);
        s_expect_error (text, nags[index].path, nags[index].message);
    }
    s_expect_error ("{\"mapping\": {\"#a\": {\"email\": [], \"nag\": {\"after\": \"1m\"}}}}",
                    "mapping[\"#a\"].nag", "the group has no \"matrix\"");
    s_expect_error ("{\"mapping\": {\"#a\": {\"nags\": {}}}}", "mapping[\"#a\"].nags",
                    "unknown channel: crier knows matrix and email (and the reserved keys nag "
                    "and throttle)");

    struct {
        const char *people;
        const char *path;
        const char *message;
    } people[] = {
        {"[]", "people", "must be an object of Matrix users"},
        {"{\"will:s\": {\"email\": \"w@b.org\"}}", "people[\"will:s\"]", "starts with '@'"},
        {"{\"@will\": {\"email\": \"w@b.org\"}}", "people[\"@will\"]", "needs a name and a server"},
        {"{\"@will:s\": \"w@b.org\"}", "people[\"@will:s\"]", "must be an object such as"},
        {"{\"@will:s\": {}}", "people[\"@will:s\"].email", "missing"},
        {"{\"@will:s\": {\"email\": \"w@b.org\"}, \"@will:s\": {\"email\": \"x@b.org\"}}",
         "people[\"@will:s\"]", "appears twice: each person once"},
        {"{\"@will:s\": {\"email\": [\"w@b.org\"]}}", "people[\"@will:s\"].email",
         "must be a string, got array"},
        {"{\"@will:s\": {\"email\": \"w@b..org\"}}", "people[\"@will:s\"].email",
         "not an email address"},
        {"{\"@will:s\": {\"email\": \"w@b.org\", \"phone\": \"1\"}}", "people[\"@will:s\"].phone",
         "unknown key: a person has \"email\""},
    };
    for (size_t index = 0; index < sizeof people / sizeof people[0]; index++) {
        snprintf (text, sizeof text, "{\"mapping\": {}, \"people\": %s}", people[index].people);
        s_expect_error (text, people[index].path, people[index].message);
    }
}

//  A group's throttle (docs/throttle.md).
static void test_throttle (void **state)
{
    const char *json =
        "{\"mapping\": {"
        "  \"#admins\": {\"email\": [\"a@b.org\"], \"throttle\": {\"window\": \"10m\"}},"
        "  \"#ops\": {\"throttle\": {\"window\": \"2s\"}},"
        "  \"#quiet\": {\"matrix\": [\"!q:s\"]}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (json, strlen (json), &error);
    if (!mapping)
        fail_msg ("%s: %s", error.path, error.message);
    uint64_t window = 0;
    assert_int_equal (crier_mapping_throttle (mapping, "#admins", &window), 0);
    assert_int_equal (window, 10 * 60 * 1000);
    assert_int_equal (crier_mapping_throttle (mapping, "#ops", &window), 0);
    assert_int_equal (window, 2000);
    assert_int_equal (crier_mapping_throttle (mapping, "#quiet", &window), -1);
    assert_int_equal (crier_mapping_throttle (mapping, "#nobody", &window), -1);
    //  throttle is no channel: the group still reaches its one address.
    crier_targets_t targets;
    assert_int_equal (crier_mapping_targets (mapping, "#admins", CRIER_CHANNEL_EMAIL, &targets), 0);
    assert_int_equal (targets.count, 1);
    crier_mapping_destroy (&mapping);

    struct {
        const char *throttle;
        const char *path;
        const char *message;
    } throttles[] = {
        {"\"10m\"", "mapping[\"#a\"].throttle", "must be an object such as {\"window\": \"10m\"}"},
        {"{}", "mapping[\"#a\"].throttle.window", "missing: how long repeats of one key"},
        {"{\"window\": 600}", "mapping[\"#a\"].throttle.window", "must be a duration such as"},
        {"{\"window\": \"500ms\"}", "mapping[\"#a\"].throttle.window", "must be from 1s to 24h"},
        {"{\"window\": \"25h\"}", "mapping[\"#a\"].throttle.window", "must be from 1s to 24h"},
        {"{\"window\": \"1m\", \"max\": 3}", "mapping[\"#a\"].throttle.max",
         "unknown key: a throttle has \"window\""},
    };
    char text[512];
    for (size_t index = 0; index < sizeof throttles / sizeof throttles[0]; index++) {
        snprintf (text, sizeof text, "{\"mapping\": {\"#a\": {\"email\": [], \"throttle\": %s}}}",
                  throttles[index].throttle);
        s_expect_error (text, throttles[index].path, throttles[index].message);
    }
}

static int s_take (const crier_json_token_t *token, void *reader)
{
    return crier_mapping_reader_take (reader, token);
}

//  Fed in pieces of every size, with the group whose name hashes anywhere: every group is
//  found, and the compact form takes less memory than its JSON.
static void test_a_large_mapping_read_in_pieces (void **state)
{
    enum { GROUPS = 20000 };
    size_t capacity = GROUPS * 80 + 64, length = 0;
    char *text = malloc (capacity);
    assert_non_null (text);
    length += (size_t)snprintf (text, capacity, "{\"_rev\": \"7-big\", \"mapping\": {");
    for (int group = 0; group < GROUPS; group++)
        length += (size_t)snprintf (text + length, capacity - length,
                                    "%s\"#g%d\": {\"email\": [\"u%d@example.org\"]}",
                                    group ? ", " : "", group, group);
    length += (size_t)snprintf (text + length, capacity - length, "}}");
    crier_mapping_reader_t *reader = crier_mapping_reader_new ();
    crier_json_stream_t *stream = crier_json_stream_new (s_take, reader);
    char problem[128];
    size_t piece = 1;
    for (size_t at = 0; at < length; at += piece, piece = piece % 4093 + 7)
        assert_int_equal (crier_json_stream_feed (stream, text + at,
                                                  at + piece > length ? length - at : piece,
                                                  problem, sizeof problem),
                          0);
    assert_int_equal (crier_json_stream_finish (stream, problem, sizeof problem), 0);
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_reader_finish (reader, &error);
    if (!mapping)
        fail_msg ("%s: %s", error.path, error.message);
    assert_string_equal (crier_mapping_revision (mapping), "7-big");
    assert_int_equal (crier_mapping_group_count (mapping), GROUPS);
    for (int group = 0; group < GROUPS; group++) {
        char name[32], address[48];
        snprintf (name, sizeof name, "#g%d", group);
        snprintf (address, sizeof address, "u%d@example.org", group);
        crier_targets_t targets;
        assert_int_equal (crier_mapping_targets (mapping, name, CRIER_CHANNEL_EMAIL, &targets), 0);
        assert_int_equal (targets.count, 1);
        assert_string_equal (targets.first, address);
    }
    crier_targets_t none;
    assert_int_equal (crier_mapping_targets (mapping, "#g20000", CRIER_CHANNEL_EMAIL, &none), -1);
    assert_true (crier_mapping_memory (mapping) < length * 3 / 2);
    crier_mapping_destroy (&mapping);
    crier_json_stream_destroy (&stream);
    crier_mapping_reader_destroy (&reader);
    free (text);
}

//  One reader reads document after document; a failed one leaves nothing behind.
static void test_a_reader_reads_one_document_after_another (void **state)
{
    crier_mapping_reader_t *reader = crier_mapping_reader_new ();
    const char *documents[] = {"{\"mapping\": {\"#a\": {\"email\": 3}}, \"_rev\": \"2-b\"}",
                               "{\"_rev\": \"3-c\", \"mapping\": {\"#b\": {}}}"};
    for (int index = 0; index < 2; index++) {
        crier_json_stream_t *stream = crier_json_stream_new (s_take, reader);
        char problem[128];
        assert_int_equal (crier_json_stream_feed (stream, documents[index],
                                                  strlen (documents[index]), problem,
                                                  sizeof problem),
                          0);
        assert_int_equal (crier_json_stream_finish (stream, problem, sizeof problem), 0);
        //  The revision is read even after the first problem (the resolver logs it).
        assert_string_equal (crier_mapping_reader_revision (reader), index ? "3-c" : "2-b");
        crier_mapping_error_t error;
        crier_mapping_t *mapping = crier_mapping_reader_finish (reader, &error);
        if (index == 0) {
            assert_null (mapping);
            assert_string_equal (error.path, "mapping[\"#a\"].email");
        } else {
            assert_non_null (mapping);
            crier_targets_t targets;
            assert_int_equal (crier_mapping_targets (mapping, "#a", CRIER_CHANNEL_EMAIL, &targets),
                              -1);
            assert_int_equal (crier_mapping_targets (mapping, "#b", CRIER_CHANNEL_EMAIL, &targets),
                              0);
        }
        crier_mapping_destroy (&mapping);
        crier_json_stream_destroy (&stream);
    }
    crier_mapping_reader_destroy (&reader);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_document),
        cmocka_unit_test (test_targets_stream_in),
        cmocka_unit_test (test_a_large_mapping_read_in_pieces),
        cmocka_unit_test (test_a_reader_reads_one_document_after_another),
        cmocka_unit_test (test_document_shape),
        cmocka_unit_test (test_group_names),
        cmocka_unit_test (test_channels),
        cmocka_unit_test (test_a_nul_anywhere_is_refused_with_its_path),
        cmocka_unit_test (test_targets),
        cmocka_unit_test (test_email_syntax),
        cmocka_unit_test (test_nag_and_people),
        cmocka_unit_test (test_throttle),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

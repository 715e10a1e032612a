/*  test_cli_mapping.c - crier mapping get|put|check against a real CouchDB-API server. */
#include "test_couch.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static test_couch_t *s_couch;
static char s_file[64];

static int s_setup (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_couch = test_couch_start ();
    snprintf (s_file, sizeof s_file, "/tmp/crier-test-mapping-%d.json", (int)getpid ());
    return 0;
}

static int s_teardown (void **state)
{
    unlink (s_file);
    test_couch_destroy (&s_couch);
    curl_global_cleanup ();
    return 0;
}

static void s_write (const char *text)
{
    FILE *file = fopen (s_file, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

//  Runs crier mapping with args against database db. Returns the exit status.
static int s_mapping (const char *db, const char *password, const char *const *args,
                      const char *stdin_text, char **out_p, char **err_p)
{
    char url[96], user[64], secret[96], database[64];
    snprintf (url, sizeof url, "CRIER_COUCHDB_URL=%s", s_couch->url);
    snprintf (user, sizeof user, "CRIER_COUCHDB_USER=%s", TEST_COUCH_USER);
    snprintf (secret, sizeof secret, "CRIER_COUCHDB_PASSWORD=%s", password);
    snprintf (database, sizeof database, "CRIER_COUCHDB_DB=%s", db);
    const char *env[] = {url, user, secret, database, NULL};
    const char *argv[8] = {"mapping"};
    for (int index = 0; index < 6 && args[index]; index++)
        argv[index + 1] = args[index];
    return test_run ("crier", argv, env, stdin_text, 30000, out_p, err_p);
}

static void test_put_creates_database_and_get_returns_it (void **state)
{
    s_write ("{\"mapping\": {\"#admins\": {\"email\": [\"a@example.org\"]}}}");
    char *out, *err;
    assert_int_equal (s_mapping ("fresh", TEST_COUCH_PASSWORD,
                                 (const char *[]){"put", s_file, NULL}, NULL, &out, &err),
                      0);
    assert_non_null (strstr (err, "created database 'fresh'"));
    assert_non_null (strstr (out, "stored revision 1-"));
    assert_non_null (strstr (out, "(1 groups)"));
    free (out);
    free (err);

    assert_int_equal (
        s_mapping ("fresh", TEST_COUCH_PASSWORD, (const char *[]){"get", NULL}, NULL, &out, &err),
        0);
    assert_non_null (strstr (out, "\"a@example.org\""));
    assert_non_null (strstr (out, "\"_rev\": \"1-"));
    free (out);
    free (err);
}

//  put says what changes, and storing a document that loses groups in use takes --force (a
//  {"mapping": {}} once wiped every group without a word).
static void test_put_says_what_changes_and_guards_removals (void **state)
{
    char *out, *err;
    s_write ("{\"mapping\": {\"#a\": {\"email\": [\"a@example.org\"]}, "
             "\"#b\": {\"email\": [\"b@example.org\"]}}}");
    assert_int_equal (s_mapping ("changes", TEST_COUCH_PASSWORD,
                                 (const char *[]){"put", s_file, NULL}, NULL, &out, &err),
                      0);
    free (out);
    free (err);
    s_write ("{\"mapping\": {\"#a\": {\"email\": [\"new@example.org\"]}, "
             "\"#b\": {\"email\": [\"b@example.org\"]}, \"#c\": {}}}");
    assert_int_equal (s_mapping ("changes", TEST_COUCH_PASSWORD,
                                 (const char *[]){"put", s_file, NULL}, NULL, &out, &err),
                      0);
    assert_non_null (strstr (out, "(3 groups: 1 added, 0 removed, 1 changed)"));
    free (out);
    free (err);
    s_write ("{\"mapping\": {}}");
    assert_int_equal (s_mapping ("changes", TEST_COUCH_PASSWORD,
                                 (const char *[]){"put", s_file, NULL}, NULL, &out, &err),
                      2);
    assert_non_null (strstr (err, "would remove 3 groups now in use (#a #b #c)"));
    assert_non_null (strstr (err, "--force"));
    free (out);
    free (err);
    assert_int_equal (s_mapping ("changes", TEST_COUCH_PASSWORD,
                                 (const char *[]){"put", "--force", s_file, NULL}, NULL, &out,
                                 &err),
                      0);
    assert_non_null (strstr (out, "(0 groups: 0 added, 3 removed, 0 changed)"));
    free (out);
    free (err);
}

static void test_rev_is_handled (void **state)
{
    char *out, *err;
    //  Without _rev, put replaces whatever is current.
    s_write ("{\"mapping\": {\"#ops\": {\"email\": [\"one@example.org\"]}}}");
    assert_int_equal (s_mapping ("revs", TEST_COUCH_PASSWORD, (const char *[]){"put", s_file, NULL},
                                 NULL, &out, &err),
                      0);
    free (out);
    free (err);
    s_write ("{\"mapping\": {\"#ops\": {\"email\": [\"two@example.org\"]}}}");
    assert_int_equal (s_mapping ("revs", TEST_COUCH_PASSWORD, (const char *[]){"put", s_file, NULL},
                                 NULL, &out, &err),
                      0);
    assert_non_null (strstr (out, "stored revision 2-"));
    free (out);
    free (err);

    //  get writes a file with _rev; editing and putting it works once...
    assert_int_equal (s_mapping ("revs", TEST_COUCH_PASSWORD, (const char *[]){"get", s_file, NULL},
                                 NULL, &out, &err),
                      0);
    free (out);
    free (err);
    assert_int_equal (s_mapping ("revs", TEST_COUCH_PASSWORD, (const char *[]){"put", s_file, NULL},
                                 NULL, &out, &err),
                      0);
    assert_non_null (strstr (out, "stored revision 3-"));
    free (out);
    free (err);
    //  ...and a second time it is stale: refused, nothing overwritten.
    assert_int_equal (s_mapping ("revs", TEST_COUCH_PASSWORD, (const char *[]){"put", s_file, NULL},
                                 NULL, &out, &err),
                      1);
    assert_non_null (strstr (err, "the document changed since revision 2-"));
    free (out);
    free (err);
}

static void test_invalid_documents_are_refused_with_their_path (void **state)
{
    char *out, *err;
    assert_int_equal (s_mapping ("invalid", TEST_COUCH_PASSWORD, (const char *[]){"put", "-", NULL},
                                 "{\"mapping\": {\"#admins\": {\"sms\": [\"+123\"]}}}", &out, &err),
                      2);
    assert_non_null (strstr (err, "mapping[\"#admins\"].sms: unknown channel"));
    free (out);
    free (err);
    //  Nothing was stored, not even the database.
    assert_int_equal (test_couch_request (s_couch, "GET", "/invalid", NULL, NULL), 404);

    s_write ("{\"mapping\": {\"#admins\": {\"email\": [\"a@example.org\"]}}, }");
    assert_int_equal (s_mapping ("invalid", TEST_COUCH_PASSWORD,
                                 (const char *[]){"check", s_file, NULL}, NULL, &out, &err),
                      2);
    assert_non_null (strstr (err, "not valid JSON"));
    free (out);
    free (err);

    //  Over CRIER_MAPPING_MAX_BYTES: refused before anything is stored, with what to raise.
    s_write ("{\"mapping\": {\"#admins\": {\"email\": [\"a@example.org\"]}}}");
    setenv ("CRIER_MAPPING_MAX_BYTES", "1KiB", 1);
    char large[4096] = "{\"mapping\": {";
    for (int group = 0; group < 100; group++)
        snprintf (large + strlen (large), sizeof large - strlen (large), "%s\"#group-%d\": {}",
                  group ? ", " : "", group);
    strcat (large, "}}");
    assert_true (strlen (large) > 1024);
    assert_int_equal (s_mapping ("invalid", TEST_COUCH_PASSWORD, (const char *[]){"put", "-", NULL},
                                 large, &out, &err),
                      2);
    assert_non_null (strstr (err, "larger than CRIER_MAPPING_MAX_BYTES (1024 bytes)"));
    assert_non_null (strstr (err, "max_document_size"));
    free (out);
    free (err);
    //  A file within the limit is read as before.
    assert_int_equal (s_mapping ("invalid", TEST_COUCH_PASSWORD,
                                 (const char *[]){"check", s_file, NULL}, NULL, &out, &err),
                      0);
    unsetenv ("CRIER_MAPPING_MAX_BYTES");
    free (out);
    free (err);
    assert_int_equal (test_couch_request (s_couch, "GET", "/invalid", NULL, NULL), 404);
}

static void test_errors_say_what_to_do (void **state)
{
    char *out, *err;
    //  A file that is not there: said with the command's name, like every other error.
    assert_int_not_equal (s_mapping ("nothing", TEST_COUCH_PASSWORD,
                                     (const char *[]){"put", "/nonexistent/mapping.json", NULL},
                                     NULL, &out, &err),
                          0);
    assert_non_null (
        strstr (err, "crier mapping: could not open /nonexistent/mapping.json: No such file"));
    free (out);
    free (err);
    assert_int_equal (
        s_mapping ("nothing", TEST_COUCH_PASSWORD, (const char *[]){"get", NULL}, NULL, &out, &err),
        1);
    assert_non_null (strstr (err, "store one with 'crier mapping put FILE'"));
    free (out);
    free (err);
    assert_int_equal (s_mapping ("fresh", "wrong", (const char *[]){"get", NULL}, NULL, &out, &err),
                      1);
    assert_non_null (strstr (err, "HTTP 401"));
    assert_non_null (strstr (err, "check CRIER_COUCHDB_USER and CRIER_COUCHDB_PASSWORD"));
    free (out);
    free (err);
    //  Credentials in the URL: the hint points there (and the password is not printed).
    char url[160];
    snprintf (url, sizeof url, "CRIER_COUCHDB_URL=http://%s:wrong-in-url@127.0.0.1:%d",
              TEST_COUCH_USER, s_couch->port);
    const char *env[] = {url, "CRIER_COUCHDB_DB=fresh", NULL};
    const char *argv[] = {"mapping", "get", NULL};
    assert_int_equal (test_run ("crier", argv, env, NULL, 30000, &out, &err), 1);
    assert_non_null (strstr (err, "HTTP 401"));
    assert_non_null (strstr (err, "check the user:password in CRIER_COUCHDB_URL"));
    assert_null (strstr (err, "wrong-in-url"));
    free (out);
    free (err);
    assert_int_equal (
        s_mapping ("fresh", TEST_COUCH_PASSWORD, (const char *[]){"frob", NULL}, NULL, &out, &err),
        2);
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_put_creates_database_and_get_returns_it),
        cmocka_unit_test (test_rev_is_handled),
        cmocka_unit_test (test_put_says_what_changes_and_guards_removals),
        cmocka_unit_test (test_invalid_documents_are_refused_with_their_path),
        cmocka_unit_test (test_errors_say_what_to_do),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

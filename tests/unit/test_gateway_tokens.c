/*  test_gateway_tokens.c - crier-gateway's bearer tokens: a token is known by its SHA-256 only;
    a missing, malformed or unknown one says why; each token's groups limit where it sends
    (none: anywhere); a file that changes is read again, one that no longer reads keeps the
    tokens read before; a bad file is refused with where it is wrong. */
#include "test_support.h"
#include "tokens.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_path[300];

static void s_write (const char *text)
{
    FILE *file = fopen (s_path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

//  The SHA-256 of text as hex, from sha256sum (so the test does not reuse the code it tests).
static void s_digest (const char *text, char hex[65])
{
    char command[200];
    snprintf (command, sizeof command, "printf %%s '%s' | sha256sum", text);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    assert_non_null (fgets (hex, 65, pipe));
    pclose (pipe);
    hex[64] = '\0';
}

static void test_tokens_are_checked_and_limit_groups (void **state)
{
    snprintf (s_path, sizeof s_path, "%s/tokens.json", test_scratch_dir ());
    char ci[65], am[65], text[600];
    s_digest ("secret-ci", ci);
    s_digest ("secret-am", am);
    snprintf (text, sizeof text,
              "{\"tokens\": [{\"name\": \"ci\", \"sha256\": \"%s\", \"groups\": [\"#builds\"]},"
              " {\"name\": \"alertmanager\", \"sha256\": \"%s\"}]}",
              ci, am);
    s_write (text);
    crier_tokens_t *tokens = crier_tokens_new (s_path);
    assert_non_null (tokens);
    assert_int_equal (crier_tokens_count (tokens), 2);
    const char *why = NULL;
    const crier_token_t *token = crier_tokens_check (tokens, "Bearer secret-ci", &why);
    assert_non_null (token);
    assert_string_equal (crier_token_name (token), "ci");
    assert_true (crier_token_allows (token, "#builds"));
    assert_false (crier_token_allows (token, "#admins"));
    token = crier_tokens_check (tokens, "bearer secret-am", &why);
    assert_non_null (token);
    assert_true (crier_token_allows (token, "#admins"));
    assert_null (crier_tokens_check (tokens, NULL, &why));
    assert_non_null (strstr (why, "needs a token"));
    assert_null (crier_tokens_check (tokens, "Basic Y2k6c2VjcmV0", &why));
    assert_non_null (strstr (why, "Bearer TOKEN"));
    assert_null (crier_tokens_check (tokens, "Bearer secret-cj", &why));
    assert_string_equal (why, "unknown token");

    //  A new token in the file: read again once it changed.
    char new_one[65];
    s_digest ("secret-new", new_one);
    snprintf (text, sizeof text, "{\"tokens\": [{\"name\": \"new\", \"sha256\": \"%s\"}]}",
              new_one);
    s_write (text);
    crier_tokens_refresh (tokens, true);
    assert_non_null (crier_tokens_check (tokens, "Bearer secret-new", &why));
    assert_null (crier_tokens_check (tokens, "Bearer secret-ci", &why));
    //  A file that no longer reads: the tokens read before stay.
    s_write ("{\"tokens\": [{\"name\": \"broken\"}]}");
    crier_tokens_refresh (tokens, true);
    assert_non_null (crier_tokens_check (tokens, "Bearer secret-new", &why));
    crier_tokens_destroy (&tokens);

    //  A bad file at start: refused.
    s_write ("{\"tokens\": [{\"name\": \"x\", \"sha256\": \"abc\"}]}");
    assert_null (crier_tokens_new (s_path));
    s_write ("not json");
    assert_null (crier_tokens_new (s_path));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tokens_are_checked_and_limit_groups),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

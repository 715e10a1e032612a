/*  test_email_message.c - header encoding, injection attempts, default subjects, senders. */
#include "email_config.h"
#include "email_message.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void s_header_is (const char *text, const char *expected)
{
    char *encoded = crier_email_header_text (text);
    assert_non_null (encoded);
    if (strcmp (encoded, expected) != 0)
        fail_msg ("header text (%s) gave %s, expected %s", text, encoded, expected);
    free (encoded);
}

static void test_header_text (void **state)
{
    s_header_is ("Disk full", "Disk full");
    s_header_is ("Grüße", "=?UTF-8?B?R3LDvMOfZQ==?=");
    //  CR/LF can never start a new header: they become spaces before anything else.
    s_header_is ("Hi\r\nBcc: evil@example.org", "Hi  Bcc: evil@example.org");
    //  Text that looks like an encoded word is encoded, so that it reads back as written.
    s_header_is ("=?UTF-8?B?eA==?=", "=?UTF-8?B?PT9VVEYtOD9CP2VBPT0/PQ==?=");
    //  Long non-ASCII text: several words, none over 75 characters, no character split.
    char *encoded = crier_email_header_text (
        "Ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé");
    assert_non_null (encoded);
    for (char *word = strtok (encoded, " "); word; word = strtok (NULL, " ")) {
        assert_true (strlen (word) <= 75);
        assert_int_equal (strncmp (word, "=?UTF-8?B?", 10), 0);
    }
    free (encoded);
}

static void test_default_subject (void **state)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->body, "\n  backup failed on db1\nexit code 3");
    char *subject = crier_notification_title (notification, 78);
    assert_string_equal (subject, "backup failed on db1");
    free (subject);
    crier_notification_set (&notification->body,
                            "a very long first line that goes on and on well past the length "
                            "that a subject line should ever have in a mail client");
    subject = crier_notification_title (notification, 78);
    assert_true (strlen (subject) <= 78);
    assert_non_null (strstr (subject, "…"));
    free (subject);
    crier_notification_set (&notification->body, NULL);
    crier_notification_set (&notification->html, "<h1>Release 2.0</h1><p>details</p>");
    subject = crier_notification_title (notification, 78);
    assert_string_equal (subject, "Release 2.0");
    free (subject);
    crier_notification_destroy (&notification);
}

static void test_from_parsing (void **state)
{
    char *address, *name, message[256];
    assert_int_equal (
        crier_email_parse_from ("alerts@example.org", &address, &name, message, sizeof message), 0);
    assert_string_equal (address, "alerts@example.org");
    assert_null (name);
    free (address);
    assert_int_equal (crier_email_parse_from ("\"Crier, Alerts\" <alerts@example.org>", &address,
                                              &name, message, sizeof message),
                      0);
    assert_string_equal (address, "alerts@example.org");
    assert_string_equal (name, "Crier, Alerts");
    free (address);
    free (name);
    const char *bad[] = {"Crier <alerts@example.org>\r\nBcc: x@y.org", "Crier <not an address>",
                         "Crier <a@b.org> trailing", "plainly wrong"};
    for (size_t index = 0; index < 4; index++)
        assert_int_equal (
            crier_email_parse_from (bad[index], &address, &name, message, sizeof message), -1);
}

static void test_forged_recipient_is_refused (void **state)
{
    crier_email_config_t config = {.from_address = "alerts@example.org"};
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, "n");
    crier_notification_set (&notification->body, "x");
    crier_delivery_t *delivery =
        crier_delivery_new (&notification, "email", "a@example.org\r\nBcc: evil@example.org");
    CURL *easy = curl_easy_init ();
    crier_email_t email;
    char message[256];
    assert_int_equal (crier_email_build (&email, easy, &config, delivery, message, sizeof message),
                      -1);
    assert_non_null (strstr (message, "not an email address"));
    crier_email_free (&email);
    curl_easy_cleanup (easy);
    crier_delivery_destroy (&delivery);
}

//  Every line of a folded header within 78 characters, and unfolding gives the line back.
static void s_expect_folded (const char *name, const char *value)
{
    char *folded = crier_email_header_fold (name, value);
    assert_non_null (folded);
    char *unfolded = malloc (strlen (folded) + 1);
    size_t used = 0;
    for (char *line = folded; *line;) {
        size_t length = strcspn (line, "\r");
        assert_true (length <= 78);
        assert_true (length > 0 && strspn (line, " ") < length); //  no line of white space only
        memcpy (unfolded + used, line, length);
        used += length;
        line += length;
        if (*line) {
            assert_int_equal (strncmp (line, "\r\n ", 3), 0); //  a fold is CRLF then a space
            line += 2;
        }
    }
    unfolded[used] = '\0';
    char expected[1024];
    snprintf (expected, sizeof expected, "%s: %s", name, value);
    assert_string_equal (unfolded, expected);
    free (unfolded);
    free (folded);
}

static void test_long_headers_are_folded (void **state)
{
    char words[400] = "";
    for (int index = 0; index < 30; index++)
        strcat (words, index ? " backup9" : "backup9");
    s_expect_folded ("Subject", words);
    char *encoded = crier_email_header_text (
        "Sauvegarde échouée sur db1, db2 et db3 — la réplication est arrêtée depuis 12 minutes "
        "et le disque est presque plein: à vérifier");
    s_expect_folded ("Subject", encoded);
    free (encoded);
    s_expect_folded ("Subject", "short");
    s_expect_folded ("Subject", "two  spaces kept");
    char *folded = crier_email_header_fold ("Subject", "");
    assert_string_equal (folded, "Subject:");
    free (folded);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_header_text),
        cmocka_unit_test (test_long_headers_are_folded),
        cmocka_unit_test (test_default_subject),
        cmocka_unit_test (test_from_parsing),
        cmocka_unit_test (test_forged_recipient_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

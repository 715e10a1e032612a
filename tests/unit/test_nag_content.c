/*  test_nag_content.c - what a nag email says and whom a nag request reaches (docs/nag.md): the
    matrix.to link percent-encodes what a URI fragment cannot hold; the reason reads as words;
    the subject is "Unread: " and the original's subject or first line; the people among the
    unread members get one each, a person once across rooms, and the escalation addresses only
    when the request escalates. */
#include "nag_content.h"
#include "nag_emails.h"

#include "crier/nag_text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void test_the_link_encodes_what_a_fragment_cannot_hold (void **state)
{
    char *link = crier_nag_link ("!room:example.org", "$abc/def+g=");
    assert_string_equal (link, "https://matrix.to/#/!room:example.org/$abc%2Fdef+g=");
    free (link);
    link = crier_nag_link ("!r:example.org", "");
    assert_string_equal (link, "https://matrix.to/#/!r:example.org");
    free (link);
    link = crier_nag_link ("!r #?:example.org", "$é");
    assert_string_equal (link, "https://matrix.to/#/!r%20%23%3F:example.org/$%C3%A9");
    free (link);
}

static void test_the_reason_reads_as_words (void **state)
{
    char why[128];
    crier_nag_reason (15 * 60000, "@will:example.org", why, sizeof why);
    assert_string_equal (why, "not read in Matrix for 15 minutes");
    crier_nag_reason (3600000 + 60000 + 1000, "@will:example.org", why, sizeof why);
    assert_string_equal (why, "not read in Matrix for 1 hour 1 minute 1 second");
    crier_nag_reason (2000, "oncall@example.org", why, sizeof why);
    assert_string_equal (why, "nobody read it in Matrix for 2 seconds");
    assert_true (crier_nag_is_escalation ("oncall@example.org"));
    assert_false (crier_nag_is_escalation ("@will:example.org"));
}

static void test_the_content_names_the_original (void **state)
{
    crier_notification_t *original = crier_notification_new ();
    crier_notification_set (&original->id, "n-1");
    crier_notification_set (&original->body, "first line\nsecond <line> & more");
    crier_notification_add_group (original, "#ops");
    original->priority = CRIER_PRIORITY_HIGH;
    crier_frame_nag_t nag = {.room_id = "!r:example.org", .event_id = "$e", .after_ms = 120000};
    crier_notification_t *content = crier_nag_content (original, &nag, "@will:example.org");
    assert_non_null (content);
    assert_string_equal (content->id, "n-1");
    assert_string_equal (content->to[0], "#ops");
    assert_int_equal (content->priority, CRIER_PRIORITY_HIGH);
    assert_string_equal (content->subject, "Unread: first line");
    assert_string_equal (content->body, "Not read in Matrix for 2 minutes.\n"
                                        "Open it in Matrix: https://matrix.to/#/!r:example.org/$e\n"
                                        "\n"
                                        "first line\nsecond <line> & more");
    assert_non_null (strstr (content->html, "<a href=\"https://matrix.to/#/!r:example.org/$e\">"));
    assert_non_null (strstr (content->html, "second &lt;line&gt; &amp; more"));
    crier_notification_destroy (&content);
    //  A room crier-matrix-watch never reported: no link.
    crier_frame_nag_t unseen = {.room_id = "", .event_id = "", .after_ms = 120000};
    content = crier_nag_content (original, &unseen, "oncall@example.org");
    assert_null (strstr (content->body, "matrix.to"));
    assert_non_null (strstr (content->body, "Nobody read it in Matrix for 2 minutes."));
    crier_notification_destroy (&content);
    crier_notification_destroy (&original);
}

static void test_people_get_one_each_and_escalation_only_when_asked (void **state)
{
    const char *document =
        "{\"mapping\": {\"#ops\": {\"matrix\": [\"!r:example.org\"], \"nag\": {\"after\": \"1m\","
        " \"email\": [\"oncall@example.org\"]}}, \"#dev\": {\"matrix\": [\"!d:example.org\"]}},"
        " \"people\": {\"@will:example.org\": {\"email\": \"will@example.org\"}}}";
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (document, strlen (document), &error);
    assert_non_null (mapping);
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, "n-2");
    crier_notification_add_group (notification, "#ops");
    crier_notification_add_group (notification, "#dev");
    char *unread_r[] = {"@will:example.org", "@stranger:example.org"};
    char *unread_d[] = {"@will:example.org"};
    crier_frame_nag_t nags[2] = {
        {.room_id = "!r:example.org", .event_id = "$1", .unread = unread_r, .unread_count = 2},
        {.room_id = "!d:example.org", .event_id = "$2", .unread = unread_d, .unread_count = 1}};
    crier_frame_redelivery_t request = {.attempt = 1, .nags = nags, .nag_count = 2};
    crier_nag_emails_t found = {0};
    assert_int_equal (crier_nag_emails_find (mapping, notification, &request, &found), 0);
    assert_int_equal (found.count, 1);
    assert_string_equal (found.emails[0].target, "will@example.org");
    assert_int_equal (found.emails[0].nag, 0);
    request.escalate = true;
    assert_int_equal (crier_nag_emails_find (mapping, notification, &request, &found), 0);
    assert_int_equal (found.count, 2);
    assert_string_equal (found.emails[1].nag_of, "oncall@example.org");
    assert_string_equal (found.emails[1].target, "oncall@example.org");
    crier_nag_emails_free (&found);
    crier_notification_destroy (&notification);
    crier_mapping_destroy (&mapping);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_link_encodes_what_a_fragment_cannot_hold),
        cmocka_unit_test (test_the_reason_reads_as_words),
        cmocka_unit_test (test_the_content_names_the_original),
        cmocka_unit_test (test_people_get_one_each_and_escalation_only_when_asked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

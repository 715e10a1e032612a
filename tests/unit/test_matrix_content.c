/*  test_matrix_content.c - the m.room.message content of a delivery: plain, formatted (subject,
    escaped body, sanitized HTML), tagged with its delivery; and the content of a Matrix edit
    (docs/throttle.md): the new content under m.new_content, a "* " fallback for clients without
    edits, and the m.replace relation to the message it edits. */
#include "matrix_content.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static crier_notification_t *s_notification (const char *subject, const char *body,
                                             const char *html)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, "n-1");
    if (subject)
        crier_notification_set (&notification->subject, subject);
    if (body)
        crier_notification_set (&notification->body, body);
    if (html)
        crier_notification_set (&notification->html, html);
    return notification;
}

static const char *s_text (json_t *content, const char *key)
{
    return json_string_value (json_object_get (content, key));
}

static void test_a_plain_body_is_the_message_tagged_with_its_delivery (void **state)
{
    crier_notification_t *notification = s_notification (NULL, "disk \"db1\"\n99% \\ full", NULL);
    char *text = crier_matrix_content (notification, "d-1");
    assert_string_equal (text, "{\"msgtype\":\"m.text\",\"" CRIER_MATRIX_TAG
                               "\":{\"id\":\"d-1\",\"notification\":\"n-1\"},"
                               "\"body\":\"disk \\\"db1\\\"\\n99% \\\\ full\"}");
    json_t *content = json_loads (text, 0, NULL);
    assert_string_equal (s_text (content, "body"), "disk \"db1\"\n99% \\ full");
    assert_null (json_object_get (content, "formatted_body"));
    json_decref (content);
    free (text);
    //  Untagged when no delivery is given.
    text = crier_matrix_content (notification, NULL);
    content = json_loads (text, 0, NULL);
    assert_null (json_object_get (content, CRIER_MATRIX_TAG));
    json_decref (content);
    free (text);
    crier_notification_destroy (&notification);
}

static void test_a_subject_makes_a_formatted_message (void **state)
{
    crier_notification_t *notification =
        s_notification ("Disk <full> & \"hot\"", "db1 at 99%\nsee <runbook>", NULL);
    char *text = crier_matrix_content (notification, "d-1");
    json_t *content = json_loads (text, 0, NULL);
    assert_non_null (content);
    assert_string_equal (s_text (content, "body"),
                         "Disk <full> & \"hot\"\ndb1 at 99%\nsee <runbook>");
    assert_string_equal (s_text (content, "format"), "org.matrix.custom.html");
    assert_string_equal (s_text (content, "formatted_body"),
                         "<strong>Disk &lt;full&gt; &amp; &quot;hot&quot;</strong><br>"
                         "db1 at 99%<br>see &lt;runbook&gt;");
    json_decref (content);
    free (text);
    crier_notification_destroy (&notification);
}

static void test_html_is_sanitized_and_rendered_for_the_plain_body (void **state)
{
    crier_notification_t *notification =
        s_notification (NULL, NULL, "<p>Hello <b>ops</b><script>x()</script></p>");
    char *text = crier_matrix_content (notification, "d-1");
    json_t *content = json_loads (text, 0, NULL);
    assert_non_null (content);
    assert_non_null (strstr (s_text (content, "formatted_body"), "<b>ops</b>"));
    assert_null (strstr (s_text (content, "formatted_body"), "script"));
    assert_non_null (strstr (s_text (content, "body"), "Hello ops"));
    json_decref (content);
    free (text);
    crier_notification_destroy (&notification);
}

static void test_text_that_is_not_utf8_makes_no_content (void **state)
{
    crier_notification_t *notification = s_notification (NULL, "caf\xe9", NULL);
    assert_null (crier_matrix_content (notification, "d-1"));
    crier_notification_destroy (&notification);
    notification = s_notification ("caf\xe9", "body", NULL);
    assert_null (crier_matrix_content (notification, "d-1"));
    crier_notification_destroy (&notification);
}

static void test_an_edit_replaces_the_message (void **state)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, "throttle-1-x38");
    crier_notification_set (&notification->subject, "×38 Disk full");
    crier_notification_set (&notification->body, "db1 <at> 99%");
    char *text = crier_matrix_edit_content (notification, "$first:example.org");
    assert_non_null (text);
    json_t *content = json_loads (text, 0, NULL);
    assert_non_null (content);
    assert_string_equal (json_string_value (json_object_get (content, "msgtype")), "m.text");
    assert_string_equal (json_string_value (json_object_get (content, "body")),
                         "* ×38 Disk full\ndb1 <at> 99%");
    assert_string_equal (json_string_value (json_object_get (content, "formatted_body")),
                         "* <strong>×38 Disk full</strong><br>db1 &lt;at&gt; 99%");
    json_t *relation = json_object_get (content, "m.relates_to");
    assert_string_equal (json_string_value (json_object_get (relation, "rel_type")), "m.replace");
    assert_string_equal (json_string_value (json_object_get (relation, "event_id")),
                         "$first:example.org");
    json_t *replacement = json_object_get (content, "m.new_content");
    assert_string_equal (json_string_value (json_object_get (replacement, "body")),
                         "×38 Disk full\ndb1 <at> 99%");
    assert_string_equal (json_string_value (json_object_get (replacement, "format")),
                         "org.matrix.custom.html");
    //  Untagged: crier-matrix-watch follows the first message, not its edits.
    assert_null (json_object_get (replacement, CRIER_MATRIX_TAG));
    assert_null (json_object_get (content, CRIER_MATRIX_TAG));
    json_decref (content);
    free (text);
    crier_notification_destroy (&notification);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_plain_body_is_the_message_tagged_with_its_delivery),
        cmocka_unit_test (test_a_subject_makes_a_formatted_message),
        cmocka_unit_test (test_html_is_sanitized_and_rendered_for_the_plain_body),
        cmocka_unit_test (test_text_that_is_not_utf8_makes_no_content),
        cmocka_unit_test (test_an_edit_replaces_the_message),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

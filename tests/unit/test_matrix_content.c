/*  test_matrix_content.c - the content of a Matrix edit (docs/throttle.md): the new content
    under m.new_content, a "* " fallback for clients without edits, and the m.replace relation
    to the message it edits. */
#include "matrix_content.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
        cmocka_unit_test (test_an_edit_replaces_the_message),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_pipeline.c - end to end: every real crier process (ingest, resolver, two Matrix senders,
    two email senders) with pouchdb-server, the homeserver double and a real SMTP server. */
#include "crier/event.h"
#include "e2e_stack.h"

#include <curl/curl.h>
#include <czmq.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROOM_OPS   "!ops:example.org"
#define ROOM_USERS "!users:example.org"

static e2e_stack_t *s_stack;
static char s_ack_env[160]; //  CRIER_ACK_ENDPOINT=..., for crier send

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM_OPS, ROOM_USERS, NULL};
    const char *mailboxes[] = {"ops@example.org", "oncall@example.org", "users@example.org",
                               "load@example.org", NULL};
    const char *env[] = {"CRIER_HEARTBEAT_INTERVAL=300ms", NULL};
    s_stack = e2e_stack_start_mapped (
        "{\"#admins\": {\"matrix\": [\"" ROOM_OPS "\"],"
        "               \"email\": [\"ops@example.org\", \"oncall@example.org\"]},"
        " \"#users\": {\"matrix\": [\"" ROOM_USERS "\"], \"email\": [\"users@example.org\"]},"
        " \"#load\": {\"matrix\": [\"" ROOM_OPS "\"], \"email\": [\"load@example.org\"]}}",
        rooms, mailboxes, env);
    snprintf (s_ack_env, sizeof s_ack_env, "CRIER_ACK_ENDPOINT=%s",
              e2e_stack_endpoint (s_stack, "CRIER_INGEST_ACK_ENDPOINT"));
    return 0;
}

static int s_teardown (void **state)
{
    e2e_stack_stop (&s_stack);
    return 0;
}

static json_t *s_all_mail (void)
{
    return test_smtp_wait_messages (s_stack->smtp, 0, 0);
}

static json_t *s_all_events (void)
{
    return test_homeserver_get (s_stack->homeserver, "events");
}

static bool s_mail_is_to (const json_t *message, const char *address)
{
    const char *to = test_smtp_header (message, "To");
    return to && strcmp (to, address) == 0;
}

static bool s_event_is_in (const json_t *event, const char *room)
{
    return strcmp (json_string_value (json_object_get (event, "room_id")), room) == 0;
}

//  Re-reads what a server recorded until at least count items match value, or the deadline.
//  Returns the matching items (decref).
static json_t *s_wait_for (json_t *(*fetch) (void), bool (*match) (const json_t *, const char *),
                           const char *value, size_t count)
{
    json_t *found = NULL;
    for (int attempt = 0; attempt < 300; attempt++) {
        json_t *all = fetch ();
        json_decref (found);
        found = json_array ();
        size_t index;
        json_t *item;
        json_array_foreach (all, index, item)
        {
            if (match (item, value))
                json_array_append (found, item);
        }
        json_decref (all);
        if (json_array_size (found) >= count)
            break;
        poll (NULL, 0, 50);
    }
    if (json_array_size (found) < count)
        fail_msg ("%zu items for %s, expected %zu", json_array_size (found), value, count);
    return found;
}

static json_t *s_mail_to (const char *address, size_t count)
{
    return s_wait_for (s_all_mail, s_mail_is_to, address, count);
}

static json_t *s_room_events (const char *room, size_t count)
{
    return s_wait_for (s_all_events, s_event_is_in, room, count);
}

static void test_crier_send_reaches_every_room_and_mailbox (void **state)
{
    char *out, *err;
    const char *env[] = {s_ack_env, NULL};
    const char *args[] = {"send", "--to", "#admins", "--subject", "Disk full", "db1: /var at 100 %",
                          NULL};
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    free (out);
    free (err);
    json_t *events = s_room_events (ROOM_OPS, 1);
    json_t *content = json_object_get (json_array_get (events, 0), "content");
    assert_string_equal (json_string_value (json_object_get (content, "body")),
                         "Disk full\ndb1: /var at 100 %");
    json_decref (events);
    const char *mailboxes[] = {"ops@example.org", "oncall@example.org"};
    for (int index = 0; index < 2; index++) {
        json_t *mail = s_mail_to (mailboxes[index], 1);
        assert_string_equal (test_smtp_header (json_array_get (mail, 0), "Subject"), "Disk full");
        assert_string_equal (json_string_value (json_object_get (
                                 json_object_get (json_array_get (mail, 0), "body"), "text")),
                             "db1: /var at 100 %");
        json_decref (mail);
    }
}

static void test_raw_push_with_html (void **state)
{
    char endpoint[320];
    snprintf (endpoint, sizeof endpoint, ">%s",
              e2e_stack_endpoint (s_stack, "CRIER_INGEST_ENDPOINT"));
    zsock_t *push = zsock_new_push (endpoint);
    const char *html = "<p>A customer left a <b>review</b></p>";
    assert_int_equal (test_send_notification (push, "#users", "html", html), 0);
    json_t *events = s_room_events (ROOM_USERS, 1);
    json_t *content = json_object_get (json_array_get (events, 0), "content");
    assert_string_equal (json_string_value (json_object_get (content, "formatted_body")), html);
    assert_string_equal (json_string_value (json_object_get (content, "body")),
                         "A customer left a review");
    json_decref (events);
    json_t *mail = s_mail_to ("users@example.org", 1);
    json_t *body = json_object_get (json_array_get (mail, 0), "body");
    assert_string_equal (json_string_value (json_object_get (body, "content_type")),
                         "multipart/alternative");
    json_decref (mail);
    zsock_destroy (&push);
}

static void test_a_live_mapping_edit_reroutes_the_next_notification (void **state)
{
    char *revision = test_couch_put_mapping (
        s_stack->couch, "crier",
        "{\"#admins\": {\"email\": [\"new-admin@example.org\"]},"
        " \"#load\": {\"matrix\": [\"" ROOM_OPS "\"], \"email\": [\"load@example.org\"]}}");
    char needle[128];
    snprintf (needle, sizeof needle, "mapping.loaded revision=%s", revision);
    assert_true (test_process_wait_log (s_stack->processes[STACK_RESOLVER][0], needle, 15000, NULL,
                                        NULL, 0));
    free (revision);
    char *out, *err;
    const char *env[] = {s_ack_env, NULL};
    const char *args[] = {"send", "--to", "#admins", "rerouted", NULL};
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    free (out);
    free (err);
    json_t *mail = s_mail_to ("new-admin@example.org", 1);
    json_decref (mail);
    json_t *old = s_mail_to ("ops@example.org", 1); //  still only the first one
    assert_int_equal (json_array_size (old), 1);
    json_decref (old);
}

static void test_two_senders_of_each_channel_share_2000_deliveries_exactly_once (void **state)
{
    char endpoint[320];
    snprintf (endpoint, sizeof endpoint, ">%s",
              e2e_stack_endpoint (s_stack, "CRIER_INGEST_ENDPOINT"));
    zsock_t *push = zsock_new_push (endpoint);
    json_t *before = s_room_events (ROOM_OPS, 0);
    size_t events_before = json_array_size (before);
    json_decref (before);
    for (int index = 0; index < 1000; index++) {
        char body[32];
        snprintf (body, sizeof body, "load %d", index);
        assert_int_equal (test_send_notification (push, "#load", "body", body), 0);
    }
    json_t *events = s_room_events (ROOM_OPS, events_before + 1000);
    json_t *mail = s_mail_to ("load@example.org", 1000);
    //  Absence can only be checked by looking again a little later: nothing more arrives.
    poll (NULL, 0, 500);
    json_decref (events);
    json_decref (mail);
    events = s_room_events (ROOM_OPS, 0);
    mail = s_mail_to ("load@example.org", 0);
    assert_int_equal (json_array_size (events), events_before + 1000);
    assert_int_equal (json_array_size (mail), 1000);
    zhashx_t *seen = zhashx_new ();
    size_t index;
    json_t *message;
    json_array_foreach (mail, index, message)
    {
        assert_int_equal (zhashx_insert (seen, test_smtp_header (message, "Message-ID"), (void *)1),
                          0);
    }
    zhashx_destroy (&seen);
    //  Both senders of each channel did part of the work.
    for (int sender = 0; sender < 2; sender++) {
        assert_true (test_process_count_log (s_stack->processes[STACK_MATRIX][sender],
                                             "delivery.delivered") > 0);
        assert_true (test_process_count_log (s_stack->processes[STACK_EMAIL][sender],
                                             "delivery.delivered") > 0);
    }
    json_decref (events);
    json_decref (mail);
    zsock_destroy (&push);
}

static void test_crier_status_lists_every_process (void **state)
{
    const char *events = e2e_stack_endpoint (s_stack, "CRIER_EVENTS_ENDPOINT");
    char *out, *err;
    const char *args[] = {"status", "--wait", "1500ms", "--endpoint", events, NULL};
    const char *env[] = {s_stack->stack_id, NULL};
    assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
    //  A header and one line per process: ingest, resolver, two of each sender.
    int lines = 0;
    for (char *at = out; (at = strchr (at, '\n')); at++)
        lines++;
    if (lines != 1 + 6)
        fail_msg ("crier status printed:\n%s", out);
    assert_non_null (strstr (out, "crier-ingest"));
    assert_non_null (strstr (out, "feed=connected mapping_revision="));
    assert_non_null (strstr (out, "token=accepted"));
    assert_non_null (strstr (out, "crier-sender-email"));
    free (out);
    free (err);
    //  As a container's healthcheck asks: is this process, on this host, alive?
    const char *one[] = {"status",     "--here", "--only", "crier-resolver", "--wait", "1s",
                         "--endpoint", events,   NULL};
    assert_int_equal (test_run ("crier", one, env, NULL, 15000, &out, &err), 0);
    assert_non_null (strstr (out, "crier-resolver"));
    assert_null (strstr (out, "crier-ingest"));
    free (out);
    free (err);
    const char *none[] = {"status", "--only",     "crier-nothing", "--wait",
                          "700ms",  "--endpoint", events,          NULL};
    assert_int_equal (test_run ("crier", none, env, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "answered, but no crier-nothing did"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crier_send_reaches_every_room_and_mailbox),
        cmocka_unit_test (test_raw_push_with_html),
        cmocka_unit_test (test_a_live_mapping_edit_reroutes_the_next_notification),
        cmocka_unit_test (test_crier_status_lists_every_process),
        cmocka_unit_test (test_two_senders_of_each_channel_share_2000_deliveries_exactly_once),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

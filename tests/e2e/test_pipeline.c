/*  test_pipeline.c - end to end: every real crier process (ingest, resolver, two Matrix senders,
    two email senders) with pouchdb-server, the homeserver double and a real SMTP server. */
#include "crier/event.h"
#include "test_couch.h"
#include "test_homeserver.h"
#include "test_smtp.h"

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

static struct {
    test_couch_t *couch;
    test_homeserver_t *homeserver;
    test_smtp_t *smtp;
    test_process_t *resolver;
    test_process_t *ingest;
    test_process_t *matrix[2];
    test_process_t *email[2];
    char ingest_endpoint[128];
    char ack_endpoint[160]; //  CRIER_ACK_ENDPOINT=..., for crier send
    char endpoints[5][96];
    size_t resolver_cursor;
} s;

static test_process_t *s_start (const char *name, const char *const *env, const char *ready)
{
    return test_process_start_ready (name, env, ready, 20000);
}

static int s_setup (void **state)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s.couch = test_couch_start ();
    assert_int_equal (test_couch_request (s.couch, "PUT", "/crier", NULL, NULL), 201);
    free (test_couch_put_mapping (
        s.couch, "crier",
        "{\"#admins\": {\"matrix\": [\"" ROOM_OPS "\"],"
        "               \"email\": [\"ops@example.org\", \"oncall@example.org\"]},"
        " \"#users\": {\"matrix\": [\"" ROOM_USERS "\"], \"email\": [\"users@example.org\"]},"
        " \"#load\": {\"matrix\": [\"" ROOM_OPS "\"], \"email\": [\"load@example.org\"]}}"));
    const char *rooms[] = {"--joined", ROOM_OPS, "--joined", ROOM_USERS, NULL};
    s.homeserver = test_homeserver_start (rooms);
    s.smtp = test_smtp_start (NULL);

    const char *names[] = {"notifications", "matrix", "email", "events-in", "events-out"};
    for (int index = 0; index < 5; index++)
        snprintf (s.endpoints[index], sizeof s.endpoints[index], "ipc:///tmp/crier-e2e-%d-%s",
                  (int)getpid (), names[index]);
    static char env[16][200];
    snprintf (env[0], 200, "CRIER_NOTIFICATIONS_ENDPOINT=%s", s.endpoints[0]);
    snprintf (env[1], 200, "CRIER_MATRIX_DELIVERIES_ENDPOINT=%s", s.endpoints[1]);
    snprintf (env[2], 200, "CRIER_EMAIL_DELIVERIES_ENDPOINT=%s", s.endpoints[2]);
    snprintf (env[3], 200, "CRIER_EVENTS_PUBLISH_ENDPOINT=%s", s.endpoints[3]);
    snprintf (env[4], 200, "CRIER_EVENTS_ENDPOINT=%s", s.endpoints[4]);
    snprintf (env[5], 200, "CRIER_COUCHDB_URL=%s", s.couch->url);
    snprintf (env[6], 200, "CRIER_COUCHDB_USER=%s", TEST_COUCH_USER);
    snprintf (env[7], 200, "CRIER_COUCHDB_PASSWORD=%s", TEST_COUCH_PASSWORD);
    snprintf (env[8], 200, "CRIER_MATRIX_HOMESERVER=%s", s.homeserver->url);
    snprintf (env[9], 200, "CRIER_MATRIX_ACCESS_TOKEN=%s", TEST_MATRIX_TOKEN);
    snprintf (env[10], 200, "CRIER_SMTP_URL=smtp://127.0.0.1:%d", s.smtp->smtp_port);
    const char *common[] = {env[0],
                            env[1],
                            env[2],
                            env[3],
                            env[4],
                            env[5],
                            env[6],
                            env[7],
                            env[8],
                            env[9],
                            env[10],
                            "CRIER_SMTP_TLS=none",
                            "CRIER_EMAIL_FROM=crier <crier@example.org>",
                            "CRIER_INGEST_ENDPOINT=tcp://127.0.0.1:*",
                            "CRIER_HEARTBEAT_INTERVAL=300ms",
                            NULL};
    s.resolver = s_start ("crier-resolver", common, "resolver.ready");
    assert_true (
        test_process_wait_log (s.resolver, "mapping.loaded", 20000, &s.resolver_cursor, NULL, 0));
    s.ingest = test_process_start ("crier-ingest", NULL, common);
    char line[512];
    assert_true (test_process_wait_log (s.ingest, "ingest.ready", 20000, NULL, line, sizeof line));
    assert_true (test_log_value (line, "endpoint", s.ingest_endpoint, sizeof s.ingest_endpoint));
    char ack_endpoint[128];
    assert_true (test_log_value (line, "ack_endpoint", ack_endpoint, sizeof ack_endpoint));
    snprintf (s.ack_endpoint, sizeof s.ack_endpoint, "CRIER_ACK_ENDPOINT=%s", ack_endpoint);
    for (int index = 0; index < 2; index++) {
        s.matrix[index] = s_start ("crier-sender-matrix", common, "matrix.ready");
        s.email[index] = s_start ("crier-sender-email", common, "sender.ready");
    }
    return 0;
}

static int s_teardown (void **state)
{
    test_process_t **all[] = {&s.ingest,   &s.matrix[0], &s.matrix[1],
                              &s.email[0], &s.email[1],  &s.resolver};
    for (size_t index = 0; index < 6; index++) {
        assert_int_equal (test_process_stop (*all[index], SIGTERM, 10000), 0);
        test_process_destroy (all[index]);
    }
    for (int index = 0; index < 5; index++)
        unlink (s.endpoints[index] + strlen ("ipc://"));
    test_smtp_destroy (&s.smtp);
    test_homeserver_destroy (&s.homeserver);
    test_couch_destroy (&s.couch);
    curl_global_cleanup ();
    return 0;
}

static json_t *s_all_mail (void)
{
    return test_smtp_wait_messages (s.smtp, 0, 0);
}

static json_t *s_all_events (void)
{
    return test_homeserver_get (s.homeserver, "events");
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
    const char *env[] = {s.ack_endpoint, NULL};
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
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", s.ingest_endpoint);
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
        s.couch, "crier",
        "{\"#admins\": {\"email\": [\"new-admin@example.org\"]},"
        " \"#load\": {\"matrix\": [\"" ROOM_OPS "\"], \"email\": [\"load@example.org\"]}}");
    char needle[128];
    snprintf (needle, sizeof needle, "mapping.loaded revision=%s", revision);
    assert_true (test_process_wait_log (s.resolver, needle, 15000, &s.resolver_cursor, NULL, 0));
    free (revision);
    char *out, *err;
    const char *env[] = {s.ack_endpoint, NULL};
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
    char endpoint[160];
    snprintf (endpoint, sizeof endpoint, ">%s", s.ingest_endpoint);
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
        assert_true (test_process_count_log (s.matrix[sender], "delivery.delivered") > 0);
        assert_true (test_process_count_log (s.email[sender], "delivery.delivered") > 0);
    }
    json_decref (events);
    json_decref (mail);
    zsock_destroy (&push);
}

static void test_crier_status_lists_every_process (void **state)
{
    char *out, *err;
    const char *args[] = {"status", "--wait", "1500ms", "--endpoint", s.endpoints[4], NULL};
    assert_int_equal (test_run ("crier", args, NULL, NULL, 15000, &out, &err), 0);
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
    const char *one[] = {"status",     "--here",       "--only", "crier-resolver", "--wait", "1s",
                         "--endpoint", s.endpoints[4], NULL};
    assert_int_equal (test_run ("crier", one, NULL, NULL, 15000, &out, &err), 0);
    assert_non_null (strstr (out, "crier-resolver"));
    assert_null (strstr (out, "crier-ingest"));
    free (out);
    free (err);
    const char *none[] = {"status", "--only",     "crier-nothing", "--wait",
                          "700ms",  "--endpoint", s.endpoints[4],  NULL};
    assert_int_equal (test_run ("crier", none, NULL, NULL, 15000, &out, &err), 1);
    assert_non_null (strstr (err, "no crier-nothing answered"));
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

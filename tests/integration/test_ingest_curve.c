/*  test_ingest_curve.c - crier-ingest with CURVE (docs/security.md): only clients whose public
    certificates are in CRIER_CURVE_CLIENTS_DIR get in, on both ingest endpoints and the control
    endpoint; a refused key is logged; a certificate's groups limit where its client may send;
    the folder is read again when it changes and on SIGHUP; certificates made by crier keygen. */
#include "ingest_fixture.h"

#include "crier/curve.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ingest_fixture_t *s_fixture;
static char s_keys[256];     //  secret certificates, and the server's public one
static char s_clients[256];  //  CRIER_CURVE_CLIENTS_DIR
static int s_clients_loaded; //  "curve.clients_loaded" lines seen so far

//  crier keygen NAME [options] into s_keys; copies the public key into key (may be NULL).
static void s_keygen (const char *name, const char *option, const char *value, char *key)
{
    const char *args[] = {"keygen", "--dir", s_keys, name, NULL, NULL, NULL};
    if (option) {
        args[3] = option;
        args[4] = value ? value : name;
        args[5] = value ? name : NULL;
    }
    char *out, *err;
    if (test_run ("crier", args, NULL, NULL, 10000, &out, &err) != 0)
        fail_msg ("crier keygen %s failed: %s", name, err);
    //  "public: DIR/NAME (key KEY)"
    const char *start = strstr (out, "(key ");
    assert_non_null (start);
    if (key) {
        memcpy (key, start + 5, 40);
        key[40] = '\0';
    }
    free (out);
    free (err);
}

//  Moves a public certificate from s_keys into the clients folder.
static void s_admit (const char *name)
{
    char from[512], to[512];
    snprintf (from, sizeof from, "%s/%s", s_keys, name);
    snprintf (to, sizeof to, "%s/%s", s_clients, name);
    assert_int_equal (rename (from, to), 0);
}

static void s_await_clients (int count)
{
    char needle[64];
    snprintf (needle, sizeof needle, "curve.clients_loaded");
    char line[512], value[16] = "";
    do {
        if (!test_process_wait_log (s_fixture->ingest, needle, 5000, &s_fixture->log_cursor, line,
                                    sizeof line))
            fail_msg ("crier-ingest did not read %s again within 5 s", s_clients);
        s_clients_loaded++;
        test_log_value (line, "clients", value, sizeof value);
    } while (atoi (value) != count);
}

//  The id crier send gives its notification, or NULL for none.
static const char *s_id;

//  What follows "dead-letters" (e.g. "drop", "--all"), NULL-ended, or NULL for the listing.
static const char *const *s_words;

//  Runs crier send (or dead-letters) as client NAME (NULL: plain). Returns the exit status.
static int s_crier_as (const char *client, const char *command, const char *to, bool no_ack,
                       char **err_p)
{
    char cert[512], server_cert[512], endpoint[192];
    snprintf (cert, sizeof cert, "%s/%s_secret", s_keys, client ? client : "");
    snprintf (server_cert, sizeof server_cert, "%s/ingest", s_keys);
    const char *args[16] = {command};
    size_t count = 1;
    if (strcmp (command, "send") == 0) {
        snprintf (endpoint, sizeof endpoint, "%s",
                  no_ack ? s_fixture->ingest_endpoint : s_fixture->ack_endpoint);
        args[count++] = "--to";
        args[count++] = to;
        if (no_ack)
            args[count++] = "--no-ack";
    } else {
        for (size_t index = 0; s_words && s_words[index] && count < 6; index++)
            args[count++] = s_words[index];
        snprintf (endpoint, sizeof endpoint, "%s", s_fixture->control_endpoint);
    }
    args[count++] = "--endpoint";
    args[count++] = endpoint;
    args[count++] = "--timeout";
    args[count++] = "3s";
    if (client) {
        args[count++] = "--cert";
        args[count++] = cert;
        args[count++] = "--server-cert";
        args[count++] = server_cert;
    }
    if (strcmp (command, "send") == 0 && s_id) {
        args[count++] = "--id";
        args[count++] = s_id;
    }
    if (strcmp (command, "send") == 0)
        args[count++] = "the body";
    char *out;
    int status = test_run ("crier", args, NULL, NULL, 15000, &out, err_p);
    free (out);
    return status;
}

static void s_expect_forwarded (const char *group)
{
    crier_notification_t *forwarded = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (forwarded);
    assert_string_equal (forwarded->to[0], group);
    crier_notification_destroy (&forwarded);
}

static int s_setup (void **state)
{
    snprintf (s_keys, sizeof s_keys, "%s/keys", test_scratch_dir ());
    snprintf (s_clients, sizeof s_clients, "%s/clients", test_scratch_dir ());
    //  s_keys is made by crier keygen itself (docs/security.md's first step needs that).
    assert_int_equal (mkdir (s_clients, 0700), 0);
    s_keygen ("ingest", NULL, NULL, NULL);
    s_keygen ("any", NULL, NULL, NULL);
    s_keygen ("shop", "--groups", "#staff #customers", NULL);
    s_keygen ("ops", "--operator", NULL, NULL);
    s_admit ("any");
    s_admit ("shop");
    s_admit ("ops");
    char secret[320], clients[320];
    snprintf (secret, sizeof secret, "CRIER_CURVE_SECRET_KEY_FILE=%s/ingest_secret", s_keys);
    snprintf (clients, sizeof clients, "CRIER_CURVE_CLIENTS_DIR=%s", s_clients);
    const char *env[] = {secret, clients, "CRIER_MAX_DEAD_LETTERS=1", NULL};
    s_fixture = ingest_fixture_start (env);
    assert_true (test_process_wait_log (s_fixture->ingest, "security=curve", 1000, NULL, NULL, 0));
    assert_true (test_process_wait_log (s_fixture->ingest, "clients=3", 1000, NULL, NULL, 0));
    return 0;
}

static int s_teardown (void **state)
{
    ingest_fixture_stop (&s_fixture, NULL);
    return 0;
}

static void test_known_client_sends_on_both_endpoints (void **state)
{
    char *err;
    assert_int_equal (s_crier_as ("any", "send", "#admins", false, &err), 0);
    free (err);
    s_expect_forwarded ("#admins");
    assert_int_equal (s_crier_as ("any", "send", "#ops", true, &err), 0);
    free (err);
    s_expect_forwarded ("#ops");
}

//  Ids are scoped by client: one client using the id another's job will use cannot make ingest
//  drop the job's notification as a duplicate, nor share its delivery ids; the same client
//  sending its id again is a duplicate, as before.
static void test_ids_are_scoped_by_client (void **state)
{
    s_id = "backups-nightly-2026-11-30";
    char *err;
    assert_int_equal (s_crier_as ("shop", "send", "#staff", false, &err), 0);
    assert_null (strstr (err, "accepted before"));
    free (err);
    crier_notification_t *first = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (first);
    assert_int_equal (s_crier_as ("any", "send", "#admins", false, &err), 0);
    assert_null (strstr (err, "accepted before"));
    free (err);
    crier_notification_t *second = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (second);
    assert_string_equal (second->to[0], "#admins");
    //  Two notifications, two ids inside crier, each the client's id and its tag.
    assert_string_not_equal (first->id, second->id);
    assert_int_equal (strncmp (first->id, s_id, strlen (s_id)), 0);
    assert_int_equal (strncmp (second->id, s_id, strlen (s_id)), 0);
    char one[CRIER_DIGEST_BYTES], other[CRIER_DIGEST_BYTES];
    crier_delivery_id (one, first->id, "email", "ops@example.org");
    crier_delivery_id (other, second->id, "email", "ops@example.org");
    assert_string_not_equal (one, other);
    crier_notification_destroy (&first);
    crier_notification_destroy (&second);
    //  The same client again: a duplicate, said so, not forwarded.
    assert_int_equal (s_crier_as ("any", "send", "#admins", false, &err), 0);
    assert_non_null (strstr (err, "id backups-nightly-2026-11-30 was accepted before"));
    free (err);
    assert_null (ingest_fixture_receive (s_fixture, 300));
    s_id = NULL;
}

//  A client whose dead letters fill its share (CRIER_MAX_DEAD_LETTERS=1 here) is refused, with
//  what to do, while the others go on; once an operator drops them, it may send again.
static void test_dead_letters_count_toward_their_clients_share (void **state)
{
    char *err;
    s_id = "to-nowhere";
    assert_int_equal (s_crier_as ("any", "send", "#nowhere", false, &err), 0);
    free (err);
    crier_notification_t *sent = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (sent);
    //  The resolver's word: its group is unknown. Only a dead letter keeps it now.
    char *groups[] = {"#nowhere"};
    crier_receipt_t unroutable = {.kind = CRIER_RECEIPT_UNROUTABLE,
                                  .notification_id = sent->id,
                                  .reason = "not in the mapping document",
                                  .groups = groups,
                                  .group_count = 1};
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED, .notification_id = sent->id};
    ingest_fixture_publish (s_fixture, &unroutable);
    ingest_fixture_publish (s_fixture, &routed);
    crier_notification_destroy (&sent);
    s_id = "refused";
    int status = 0;
    for (int64_t deadline = zclock_mono () + 10000; zclock_mono () < deadline;) {
        status = s_crier_as ("any", "send", "#admins", false, &err);
        bool refused = status != 0 && strstr (err, "dead letters fill its share");
        free (err);
        if (refused)
            break;
        if (status == 0) { //  sent before the receipts arrived: it goes on as any other
            crier_notification_t *early = ingest_fixture_receive (s_fixture, 5000);
            crier_notification_destroy (&early);
        }
    }
    assert_int_equal (status, 1); //  temporary: crier send exits 1
    //  The other clients go on.
    s_id = NULL;
    assert_int_equal (s_crier_as ("shop", "send", "#staff", false, &err), 0);
    free (err);
    s_expect_forwarded ("#staff");
    //  An operator lets them go; the client may send again.
    const char *drop[] = {"drop", "--all", NULL};
    s_words = drop;
    assert_int_equal (s_crier_as ("ops", "dead-letters", NULL, false, &err), 0);
    free (err);
    s_words = NULL;
    assert_int_equal (s_crier_as ("any", "send", "#admins", false, &err), 0);
    free (err);
    s_expect_forwarded ("#admins");
}

//  crier send --wait as a CURVE client: its id is scoped inside crier, and the wait request,
//  which names it as the client gave it, still finds the notification and its outcome.
static void test_send_wait_finds_the_clients_scoped_id (void **state)
{
    char cert[512], server_cert[512];
    snprintf (cert, sizeof cert, "%s/shop_secret", s_keys);
    snprintf (server_cert, sizeof server_cert, "%s/ingest", s_keys);
    const char *args[] = {"send",     "--to",       "#staff",        "--id",
                          "waited-1", "--wait=20s", "--endpoint",    s_fixture->ack_endpoint,
                          "--cert",   cert,         "--server-cert", server_cert,
                          "the body", NULL};
    test_process_t *send = test_process_start ("crier", args, NULL);
    assert_non_null (send);
    crier_notification_t *sent = ingest_fixture_receive (s_fixture, 5000);
    assert_non_null (sent);
    assert_string_not_equal (sent->id, "waited-1"); //  scoped: waited-1@<tag>
    crier_receipt_delivery_t delivery = {.channel = "email", .target = "staff@example.org"};
    crier_delivery_id (delivery.delivery_id, sent->id, "email", "staff@example.org");
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = sent->id,
                              .deliveries = &delivery,
                              .delivery_count = 1};
    crier_receipt_t delivered = {
        .kind = CRIER_RECEIPT_DELIVERED, .notification_id = sent->id, .delivery = delivery};
    ingest_fixture_publish (s_fixture, &routed);
    ingest_fixture_publish (s_fixture, &delivered);
    crier_notification_destroy (&sent);
    assert_int_equal (test_process_stop (send, 0, 25000), 0);
    assert_true (
        test_process_wait_log (send, "crier send: delivered (1 delivery)", 0, NULL, NULL, 0));
    test_process_destroy (&send);
}

static void test_plain_client_is_refused (void **state)
{
    char *err;
    assert_int_equal (s_crier_as (NULL, "send", "#admins", false, &err), 1);
    assert_non_null (strstr (err, "may require CURVE"));
    free (err);
    assert_int_equal (s_crier_as (NULL, "send", "#admins", true, &err), 1);
    free (err);
    assert_null (ingest_fixture_receive (s_fixture, 300));
    //  Such a client never reaches the ZAP handler: ingest's handshake watch says it (as a
    //  mechanism mismatch, or as a hang-up when the client gave up first).
    assert_true (
        test_process_wait_log (s_fixture->ingest, "curve.handshake_failed", 5000, NULL, NULL, 0));
}

static void test_unknown_client_is_refused_and_logged_with_its_key (void **state)
{
    char key[41], *err;
    s_keygen ("stranger", NULL, NULL, key);
    assert_int_equal (s_crier_as ("stranger", "send", "#admins", false, &err), 1);
    assert_non_null (strstr (err, "refused this client's certificate"));
    assert_non_null (strstr (err, key));
    free (err);
    char line[512], logged[64];
    assert_true (test_process_wait_log (s_fixture->ingest, "curve.client_refused", 5000, NULL, line,
                                        sizeof line));
    assert_true (test_log_value (line, "key", logged, sizeof logged));
    assert_string_equal (logged, key);
    assert_null (ingest_fixture_receive (s_fixture, 300));
}

static void test_certificate_groups_limit_the_client (void **state)
{
    char *err;
    assert_int_equal (s_crier_as ("shop", "send", "#customers", false, &err), 0);
    free (err);
    s_expect_forwarded ("#customers");
    //  Acknowledged: refused as not allowed, exit status 2, and logged.
    assert_int_equal (s_crier_as ("shop", "send", "#admins", false, &err), 2);
    assert_non_null (strstr (err, "may not send to #admins"));
    free (err);
    assert_true (
        test_process_wait_log (s_fixture->ingest, "notification.refused", 5000, NULL, NULL, 0));
    //  Pushed: dropped, and the same refusal again within 10 s is counted, not said again; the
    //  next allowed one is the next forwarded.
    assert_int_equal (s_crier_as ("shop", "send", "#admins", true, &err), 0);
    free (err);
    assert_int_equal (s_crier_as ("shop", "send", "#staff", true, &err), 0);
    free (err);
    s_expect_forwarded ("#staff");
    assert_int_equal (test_process_count_log (s_fixture->ingest, "notification.refused"), 1);
}

static void test_clients_folder_is_read_again_when_it_changes (void **state)
{
    char *err;
    s_keygen ("late", NULL, NULL, NULL);
    assert_int_equal (s_crier_as ("late", "send", "#admins", false, &err), 1);
    free (err);
    s_admit ("late");
    s_await_clients (4);
    assert_int_equal (s_crier_as ("late", "send", "#admins", false, &err), 0);
    free (err);
    s_expect_forwarded ("#admins");
    //  A connection of its own that stays open across the revocation.
    char cert[512], server_cert[512];
    snprintf (cert, sizeof cert, "%s/late_secret", s_keys);
    snprintf (server_cert, sizeof server_cert, "%s/ingest", s_keys);
    crier_curve_t *curve = crier_curve_client_new (cert, "cert", server_cert, "server cert");
    assert_non_null (curve);
    zsock_t *request = zsock_new (ZMQ_REQ);
    assert_non_null (request);
    crier_curve_apply (curve, request);
    zsock_set_rcvtimeo (request, 5000);
    assert_int_equal (zsock_connect (request, "%s", s_fixture->ack_endpoint), 0);
    assert_int_equal (test_send_notification (request, "#admins", "body", "open"), 0);
    char *answer = zstr_recv (request);
    assert_non_null (answer);
    zstr_free (&answer);
    s_expect_forwarded ("#admins");
    //  Revoked: removing the certificate shuts the client out, new connections and open ones.
    char path[512];
    snprintf (path, sizeof path, "%s/late", s_clients);
    assert_int_equal (unlink (path), 0);
    s_await_clients (3);
    assert_int_equal (s_crier_as ("late", "send", "#admins", false, &err), 1);
    free (err);
    assert_int_equal (test_send_notification (request, "#admins", "body", "after"), 0);
    zframe_t *refusal = zframe_recv (request);
    assert_non_null (refusal);
    crier_reply_t reply;
    crier_error_t error;
    assert_int_equal (
        crier_reply_decode (zframe_data (refusal), zframe_size (refusal), &reply, &error), 0);
    assert_false (reply.ok);
    assert_non_null (strstr (reply.error, "removed"));
    crier_reply_free (&reply);
    zframe_destroy (&refusal);
    assert_null (ingest_fixture_receive (s_fixture, 300));
    zsock_destroy (&request);
    crier_curve_destroy (&curve);
}

static void test_sighup_reads_a_certificate_edited_in_place (void **state)
{
    char *err;
    assert_int_equal (s_crier_as ("shop", "send", "#admins", false, &err), 2);
    free (err);
    //  Rewrite shop's certificate in the same file (the folder itself does not change), with
    //  #admins added to its groups.
    char path[512], line[256];
    snprintf (path, sizeof path, "%s/shop", s_clients);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char key_line[256] = "";
    while (fgets (line, sizeof line, file))
        if (strstr (line, "public-key"))
            snprintf (key_line, sizeof key_line, "%s", line);
    fclose (file);
    assert_true (key_line[0] != '\0');
    file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "metadata\n    name = \"shop\"\n    groups = \"#staff #admins\"\ncurve\n%s",
             key_line);
    fclose (file);
    assert_int_equal (kill (s_fixture->ingest->pid, SIGHUP), 0);
    assert_true (test_process_wait_log (s_fixture->ingest, "curve.reload", 5000, NULL, NULL, 0));
    s_await_clients (3);
    assert_int_equal (s_crier_as ("shop", "send", "#admins", false, &err), 0);
    free (err);
    s_expect_forwarded ("#admins");
}

static void test_control_endpoint_takes_operators_only (void **state)
{
    char *err;
    assert_int_equal (s_crier_as ("any", "dead-letters", NULL, false, &err), 1);
    assert_non_null (strstr (err, "not an operator"));
    free (err);
    assert_int_equal (s_crier_as ("ops", "dead-letters", NULL, false, &err), 0);
    free (err);
    assert_int_equal (s_crier_as (NULL, "dead-letters", NULL, false, &err), 1);
    free (err);
}

//  Plain mode: one warning for each endpoint other hosts can reach, none for loopback.
static void test_plain_mode_warns_about_open_endpoints (void **state)
{
    const char *env[] = {"CRIER_INGEST_ACK_ENDPOINT=tcp://0.0.0.0:*", NULL};
    ingest_fixture_t *plain = ingest_fixture_start (env);
    char line[512];
    assert_true (test_process_wait_log (plain->ingest, "ingest.unauthenticated", 1000, NULL, line,
                                        sizeof line));
    assert_non_null (strstr (line, "setting=CRIER_INGEST_ACK_ENDPOINT"));
    assert_int_equal (test_process_count_log (plain->ingest, "ingest.unauthenticated"), 1);
    ingest_fixture_stop (&plain, NULL);
}

//  A public certificate where the secret one belongs, or half the settings: a clear line, no
//  start.
static void test_bad_curve_settings_stop_the_start (void **state)
{
    //  (A public certificate with its _secret file beside it would do: czmq reads that one.)
    char secret[320], clients[320], data[320];
    snprintf (secret, sizeof secret, "CRIER_CURVE_SECRET_KEY_FILE=%s/any", s_clients);
    snprintf (clients, sizeof clients, "CRIER_CURVE_CLIENTS_DIR=%s", s_clients);
    snprintf (data, sizeof data, "CRIER_DATA_DIR=%s/data-bad-curve", test_scratch_dir ());
    const char *public_instead[] = {secret,
                                    clients,
                                    data,
                                    "CRIER_INGEST_ENDPOINT=tcp://127.0.0.1:*",
                                    "CRIER_INGEST_ACK_ENDPOINT=tcp://127.0.0.1:*",
                                    "CRIER_INGEST_CONTROL_ENDPOINT=tcp://127.0.0.1:*",
                                    NULL};
    char *out, *err;
    assert_int_not_equal (test_run ("crier-ingest", NULL, public_instead, NULL, 10000, &out, &err),
                          0);
    assert_non_null (strstr (err, "holds no secret key"));
    free (out);
    free (err);
    const char *half[] = {clients, NULL};
    assert_int_equal (test_run ("crier-ingest", NULL, half, NULL, 10000, &out, &err), 2);
    assert_non_null (strstr (err, "CRIER_CURVE_SECRET_KEY_FILE"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_known_client_sends_on_both_endpoints),
        cmocka_unit_test (test_ids_are_scoped_by_client),
        cmocka_unit_test (test_send_wait_finds_the_clients_scoped_id),
        cmocka_unit_test (test_dead_letters_count_toward_their_clients_share),
        cmocka_unit_test (test_plain_client_is_refused),
        cmocka_unit_test (test_unknown_client_is_refused_and_logged_with_its_key),
        cmocka_unit_test (test_certificate_groups_limit_the_client),
        cmocka_unit_test (test_clients_folder_is_read_again_when_it_changes),
        cmocka_unit_test (test_sighup_reads_a_certificate_edited_in_place),
        cmocka_unit_test (test_control_endpoint_takes_operators_only),
        cmocka_unit_test (test_plain_mode_warns_about_open_endpoints),
        cmocka_unit_test (test_bad_curve_settings_stop_the_start),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

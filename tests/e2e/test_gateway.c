/*  test_gateway.c - crier-gateway (issue 19, first part): HTTP in front of crier-ingest's
    acknowledged endpoint, through the real processes. A JSON notification is answered 202 with
    its id once on disk and reaches the room and the mailbox; a repeated id or Idempotency-Key
    is 200 "duplicate"; a curl one-liner to /v1/groups/{name} with Title and Priority arrives
    with that subject; what the wire protocol refuses is 400 with its message; a body over the
    limit is 413; ingest away or silent is 503 with Retry-After, and the gateway recovers when
    it is back; a client that stops sending is cut off. */
#include "e2e_stack.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROOM    "!gateway:example.org"
#define MAILBOX "gateway@example.org"

static e2e_stack_t *s_stack;
static test_process_t *s_gateway;
static char s_listen[64];
static char s_ack[400];
static size_t s_log; //  how far the gateway's log was read

//  The gateway, with the stack's settings and the clients' name for its acknowledged endpoint.
static void s_start_gateway (void)
{
    char listen[96];
    snprintf (listen, sizeof listen, "CRIER_GATEWAY_LISTEN=%s", s_listen);
    snprintf (s_ack, sizeof s_ack, "CRIER_ACK_ENDPOINT=%s", s_stack->ack_endpoint);
    const char *env[48] = {listen, s_ack};
    size_t count = 2;
    for (size_t index = 0; index < s_stack->common_count && count < 47; index++)
        env[count++] = s_stack->common[index];
    s_gateway = test_process_start ("crier-gateway", NULL, env);
    assert_non_null (s_gateway);
    assert_true (test_process_wait_log (s_gateway, "gateway.ready", 15000, NULL, NULL, 0));
    assert_true (
        test_process_wait_log (s_gateway, "gateway.ingest_connected", 15000, &s_log, NULL, 0));
}

static int s_setup (void **state)
{
    const char *rooms[] = {ROOM, NULL};
    const char *mailboxes[] = {MAILBOX, NULL};
    char unused[64];
    test_unused_endpoint (unused, sizeof unused); //  tcp://127.0.0.1:PORT
    snprintf (s_listen, sizeof s_listen, "%s", unused + strlen ("tcp://"));
    s_stack = e2e_stack_start (rooms, mailboxes,
                               (const char *[]){"CRIER_GATEWAY_MAX_BODY=4KiB",
                                                "CRIER_GATEWAY_ALERT_MAX_BODY=4MiB",
                                                "CRIER_GATEWAY_INGEST_TIMEOUT=1s",
                                                "CRIER_GATEWAY_CLIENT_TIMEOUT=1s", NULL});
    return 0;
}

static int s_teardown (void **state)
{
    if (s_gateway)
        assert_int_equal (test_process_stop (s_gateway, SIGTERM, 10000), 0);
    test_process_destroy (&s_gateway);
    e2e_stack_stop (&s_stack);
    return 0;
}

//  One request to the gateway; headers NULL-ended (may be NULL). Returns the status, the body
//  in *body_p (free it) and the response's headers in *headers_p (free it; may be NULL).
static long s_request (const char *method, const char *path, const char *const *headers,
                       const char *body, char **body_p, char **headers_p)
{
    char url[160];
    snprintf (url, sizeof url, "http://%s%s", s_listen, path);
    return test_http_full (method, url, headers, body, NULL, body_p, headers_p);
}

//  Expects status and a body holding needle.
static void s_expect (const char *method, const char *path, const char *const *headers,
                      const char *body, long status, const char *needle)
{
    char *answer;
    long got = s_request (method, path, headers, body, &answer, NULL);
    if (got != status || !strstr (answer, needle))
        fail_msg ("%s %s: %ld %s (expected %ld with %s)", method, path, got, answer, status,
                  needle);
    free (answer);
}

static void test_a_notification_is_accepted_and_delivered (void **state)
{
    s_start_gateway ();
    s_expect ("POST", "/v1/notifications", NULL,
              "{\"to\": \"#all\", \"body\": \"gateway 0\", \"id\": \"gw-0\"}", 202,
              "{\"id\":\"gw-0\"}");
    //  The same id again: on disk already.
    s_expect ("POST", "/v1/notifications", NULL,
              "{\"to\": \"#all\", \"body\": \"gateway 0\", \"id\": \"gw-0\"}", 200,
              "\"duplicate\":true");
    //  Idempotency-Key stands for the id.
    const char *key[] = {"Idempotency-Key: gw-1", NULL};
    s_expect ("POST", "/v1/notifications", key, "{\"to\": \"#all\", \"body\": \"gateway 1\"}", 202,
              "{\"id\":\"gw-1\"}");
    s_expect ("POST", "/v1/notifications", key, "{\"to\": \"#all\", \"body\": \"gateway 1\"}", 200,
              "\"duplicate\":true");
    s_expect ("POST", "/v1/notifications", key,
              "{\"to\": \"#all\", \"body\": \"x\", \"id\": \"other\"}", 400,
              "differs from the Idempotency-Key");
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "gateway", 2, 30000);
    assert_int_equal (tally.missing, 0);
    assert_int_equal (tally.mail_duplicates, 0);
    assert_int_equal (tally.room_duplicates, 0);
}

static void test_a_curl_one_liner_to_a_group (void **state)
{
    const char *headers[] = {"Title: Backup", "Priority: 5", "Content-Type: text/plain", NULL};
    s_expect ("POST", "/v1/groups/all", headers, "backup failed on db1", 202, "\"id\"");
    json_t *messages = NULL;
    const json_t *found = NULL;
    int64_t deadline = zclock_mono () + 30000;
    while (!found && zclock_mono () < deadline) {
        json_decref (messages);
        messages = test_smtp_wait_messages (s_stack->smtp, 3, 1000);
        size_t index;
        const json_t *message;
        json_array_foreach (messages, index, message)
        {
            const char *subject = test_smtp_header (message, "Subject");
            if (subject && strcmp (subject, "Backup") == 0)
                found = message;
        }
    }
    assert_non_null (found);
    const char *text =
        json_string_value (json_object_get (json_object_get (found, "body"), "text"));
    assert_non_null (strstr (text, "backup failed on db1"));
    json_decref (messages);
    const char *bad[] = {"Priority: 9", NULL};
    s_expect ("POST", "/v1/groups/all", bad, "x", 400, "Priority: must be 1 to 5");
}

static void test_what_cannot_succeed_is_4xx (void **state)
{
    //  The wire protocol's own message.
    s_expect ("POST", "/v1/notifications", NULL, "{\"to\": \"all\", \"body\": \"x\"}", 400,
              "to: group \\\"all\\\" must start with '#'");
    s_expect ("POST", "/v1/notifications", NULL, "{\"to\": ", 400, "not JSON");
    s_expect ("POST", "/v1/notifications", NULL, "[1, 2]", 400, "must be a JSON object");
    char big[5000];
    memset (big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s_expect ("POST", "/v1/notifications", NULL, big, 413, "CRIER_GATEWAY_MAX_BODY");
    //  Past the largest body any endpoint takes (an Alertmanager call's): refused before it is
    //  read.
    size_t huge_size = 5 * 1024 * 1024;
    char *huge = malloc (huge_size + 1);
    assert_non_null (huge);
    memset (huge, 'a', huge_size);
    huge[huge_size] = '\0';
    s_expect ("POST", "/v1/alertmanager?to=%23all", NULL, huge, 413, "over 4194304 bytes");
    free (huge);
    s_expect ("GET", "/v1/notifications", NULL, NULL, 405, "POST");
    s_expect ("POST", "/v2/anything", NULL, "{}", 404, "no such endpoint");
    s_expect ("GET", "/healthz", NULL, NULL, 200, "ok");
}

//  503 with Retry-After, never a 2xx, while crier-ingest is away or silent; served again once
//  it is back.
static void test_ingest_away_or_silent_is_503 (void **state)
{
    test_process_t *ingest = s_stack->processes[STACK_INGEST][0];
    kill (ingest->pid, SIGSTOP);
    char *answer, *headers;
    long status = s_request ("POST", "/v1/notifications", NULL,
                             "{\"to\": \"#all\", \"body\": \"gateway 2\", \"id\": \"gw-2\"}",
                             &answer, &headers);
    kill (ingest->pid, SIGCONT);
    if (status != 503 || !strstr (answer, "did not answer in time") ||
        !strstr (headers, "Retry-After: 5"))
        fail_msg ("%ld %s\n%s", status, answer, headers);
    free (answer);
    free (headers);
    //  The silent connection was replaced: a new one is up once ingest goes on.
    assert_true (
        test_process_wait_log (s_gateway, "gateway.ingest_connected", 15000, &s_log, NULL, 0));
    e2e_stack_stop_one (s_stack, STACK_INGEST, 0, SIGTERM, 0);
    assert_true (test_process_wait_log (s_gateway, "gateway.ingest_lost", 15000, &s_log, NULL, 0));
    s_expect ("POST", "/v1/notifications", NULL,
              "{\"to\": \"#all\", \"body\": \"gateway 3\", \"id\": \"gw-3\"}", 503,
              "not reachable");
    s_expect ("GET", "/healthz", NULL, NULL, 503, "not reachable");
    e2e_stack_start_one (s_stack, STACK_INGEST, 0);
    assert_true (
        test_process_wait_log (s_gateway, "gateway.ingest_connected", 15000, &s_log, NULL, 0));
    s_expect ("GET", "/healthz", NULL, NULL, 200, "ok");
    //  Sent again with the same id, as a client told 503 does: accepted (or a duplicate, when
    //  the silent ingest had taken it).
    long got =
        s_request ("POST", "/v1/notifications", NULL,
                   "{\"to\": \"#all\", \"body\": \"gateway 2\", \"id\": \"gw-2\"}", &answer, NULL);
    free (answer);
    assert_true (got == 202 || got == 200);
    e2e_tally_t tally = e2e_stack_await_all (s_stack, "gateway", 3, 30000);
    assert_int_equal (tally.missing, 0);
}

//  A client that sends half a request and nothing more is cut off after
//  CRIER_GATEWAY_CLIENT_TIMEOUT.
static void test_a_silent_client_is_cut_off (void **state)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    const char *colon = strrchr (s_listen, ':');
    address.sin_port = htons ((uint16_t)atoi (colon + 1));
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *)&address, sizeof address), 0);
    const char partial[] = "POST /v1/notifications HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal (write (fd, partial, sizeof partial - 1), (ssize_t)(sizeof partial - 1));
    struct pollfd item = {fd, POLLIN, 0};
    //  Closed (readable, then end of file) within a few seconds; never kept open.
    assert_int_equal (poll (&item, 1, 10000), 1);
    char byte;
    assert_true (read (fd, &byte, 1) <= 0);
    close (fd);
}

//  A gateway started with its own environment entries (NULL-ended) before the stack's; when
//  connected, waits until it is connected to crier-ingest.
static test_process_t *s_start_gateway_with (const char *const *entries, bool connected)
{
    const char *env[48];
    size_t count = 0;
    for (size_t index = 0; entries[index] && count < 8; index++)
        env[count++] = entries[index];
    env[count++] = s_ack;
    for (size_t index = 0; index < s_stack->common_count && count < 47; index++)
        env[count++] = s_stack->common[index];
    env[count] = NULL;
    test_process_t *gateway = test_process_start ("crier-gateway", NULL, env);
    assert_non_null (gateway);
    if (connected)
        assert_true (
            test_process_wait_log (gateway, "gateway.ingest_connected", 15000, NULL, NULL, 0));
    return gateway;
}

//  A gateway with tokens: a request without one, or with an unknown one, is 401 with a
//  challenge; a token sends only to its groups (403 elsewhere). Without tokens, a gateway will
//  not listen beyond loopback.
static void test_tokens_say_who_may_send_where (void **state)
{
    char path[300], digest[65], text[300];
    snprintf (path, sizeof path, "%s/gateway-tokens.json", test_scratch_dir ());
    FILE *pipe = popen ("printf %s 'tok-ci' | sha256sum", "r");
    assert_non_null (pipe);
    assert_non_null (fgets (digest, sizeof digest, pipe));
    pclose (pipe);
    snprintf (text, sizeof text,
              "{\"tokens\": [{\"name\": \"ci\", \"sha256\": \"%.64s\", \"groups\": [\"#all\"]}]}",
              digest);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    char listen[96], tokens[400], unused[64];
    test_unused_endpoint (unused, sizeof unused);
    const char *port = strrchr (unused, ':') + 1;
    snprintf (listen, sizeof listen, "CRIER_GATEWAY_LISTEN=127.0.0.1:%s", port);
    snprintf (tokens, sizeof tokens, "CRIER_GATEWAY_TOKENS_FILE=%s", path);
    test_process_t *guarded = s_start_gateway_with ((const char *[]){listen, tokens, NULL}, true);
    char saved[64];
    snprintf (saved, sizeof saved, "%s", s_listen);
    snprintf (s_listen, sizeof s_listen, "127.0.0.1:%s", port);
    char *answer, *headers;
    long status = s_request ("POST", "/v1/groups/all", NULL, "x", &answer, &headers);
    if (status != 401 || !strstr (answer, "needs a token") ||
        !strstr (headers, "WWW-Authenticate: Bearer"))
        fail_msg ("%ld %s\n%s", status, answer, headers);
    free (answer);
    free (headers);
    s_expect ("POST", "/v1/groups/all", (const char *[]){"Authorization: Bearer tok-cj", NULL}, "x",
              401, "unknown token");
    const char *good[] = {"Authorization: Bearer tok-ci", NULL};
    s_expect ("POST", "/v1/groups/admins", good, "x", 403, "may not send to #admins");
    s_expect ("POST", "/v1/groups/all", good, "gateway 4", 202, "\"id\"");
    s_expect ("GET", "/healthz", NULL, NULL, 200, "ok"); //  for load balancers: no token
    snprintf (s_listen, sizeof s_listen, "%s", saved);
    assert_int_equal (test_process_stop (guarded, SIGTERM, 10000), 0);
    test_process_destroy (&guarded);

    //  Beyond loopback without tokens: refused at start, with why.
    snprintf (listen, sizeof listen, "CRIER_GATEWAY_LISTEN=0.0.0.0:%s", port);
    test_process_t *open =
        s_start_gateway_with ((const char *[]){listen, "CRIER_GATEWAY_TOKENS_FILE=", NULL}, false);
    assert_true (test_process_wait_log (open, "gateway.not_loopback", 15000, NULL, NULL, 0));
    assert_int_equal (test_process_stop (open, 0, 15000), 1);
    test_process_destroy (&open);
}

//  Waits until the mailbox has an email whose subject is subject; returns its text (free it),
//  or NULL after 30 s.
static char *s_await_mail (const char *subject)
{
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        json_t *messages = test_smtp_wait_messages (s_stack->smtp, 0, 0);
        size_t index;
        const json_t *message;
        json_array_foreach (messages, index, message)
        {
            const char *said = test_smtp_header (message, "Subject");
            if (said && strcmp (said, subject) == 0) {
                const json_t *body = json_object_get (message, "body");
                const json_t *parts = json_object_get (body, "parts");
                const char *text = json_string_value (
                    json_object_get (parts ? json_array_get (parts, 0) : body, "text"));
                char *copy = strdup (text ? text : "");
                json_decref (messages);
                return copy;
            }
        }
        size_t seen = json_array_size (messages);
        json_decref (messages);
        //  Until one more comes (or half a second passes), then look again.
        json_decref (test_smtp_wait_messages (s_stack->smtp, seen + 1, 500));
    }
    return NULL;
}

//  The real Alertmanager (Debian's prometheus-alertmanager) with a webhook receiver pointing at
//  the gateway: an alert posted to its API arrives as "[FIRING:1] ..." with its summary and a
//  silence link, and its resolution as "[RESOLVED] ...".
static void test_alertmanager_calls_become_notifications (void **state)
{
    char unused[64], web[64], config[300], storage[300], listen[96];
    test_unused_endpoint (unused, sizeof unused);
    snprintf (web, sizeof web, "127.0.0.1:%s", strrchr (unused, ':') + 1);
    snprintf (config, sizeof config, "%s/alertmanager.yml", test_scratch_dir ());
    snprintf (storage, sizeof storage, "--storage.path=%s/alertmanager", test_scratch_dir ());
    FILE *file = fopen (config, "w");
    assert_non_null (file);
    fprintf (file,
             "route:\n  receiver: crier\n  group_by: [alertname, service]\n"
             "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n"
             "receivers:\n  - name: crier\n    webhook_configs:\n"
             "      - url: 'http://%s/v1/alertmanager?to=%%23all'\n        send_resolved: true\n",
             s_listen);
    fclose (file);
    char config_option[320], web_option[96];
    snprintf (config_option, sizeof config_option, "--config.file=%s", config);
    snprintf (web_option, sizeof web_option, "--web.listen-address=%s", web);
    const char *args[] = {config_option, storage, web_option, "--cluster.listen-address=", NULL};
    test_process_t *alertmanager =
        test_process_start ("/usr/bin/prometheus-alertmanager", args, NULL);
    assert_non_null (alertmanager);
    assert_true (test_process_wait_log (alertmanager, "Listening", 30000, NULL, NULL, 0));
    snprintf (listen, sizeof listen, "http://%s/api/v2/alerts", web);
    const char firing[] =
        "[{\"labels\": {\"alertname\": \"HighLatency\", \"service\": \"api\", \"severity\":"
        " \"warning\"}, \"annotations\": {\"summary\": \"p99 over 1 s\"}, \"generatorURL\":"
        " \"http://prometheus.example.org/graph\"}]";
    assert_int_equal (test_http ("POST", listen, firing, NULL, NULL), 200);
    char *text = s_await_mail ("[FIRING:1] HighLatency api");
    if (!text || !strstr (text, "summary: p99 over 1 s") ||
        !strstr (text, "/#/silences/new?filter=%7Balertname%3D%22HighLatency%22"))
        fail_msg ("the firing alert's email: %s", text ? text : "(none)");
    free (text);
    //  Resolved: ended a moment ago.
    const char resolved[] =
        "[{\"labels\": {\"alertname\": \"HighLatency\", \"service\": \"api\", \"severity\":"
        " \"warning\"}, \"annotations\": {\"summary\": \"p99 over 1 s\"}, \"endsAt\":"
        " \"2020-01-01T00:00:00Z\", \"generatorURL\": \"http://prometheus.example.org/graph\"}]";
    assert_int_equal (test_http ("POST", listen, resolved, NULL, NULL), 200);
    text = s_await_mail ("[RESOLVED] HighLatency api");
    if (!text || !strstr (text, "RESOLVED HighLatency"))
        fail_msg ("the resolved alert's email: %s", text ? text : "(none)");
    free (text);
    assert_int_equal (test_process_stop (alertmanager, SIGTERM, 15000), 0);
    test_process_destroy (&alertmanager);
}

//  Grafana's webhook contact point (recorded payload: Grafana is not packaged here).
static void test_a_grafana_call_becomes_a_notification (void **state)
{
    const char call[] =
        "{\"receiver\": \"crier\", \"status\": \"firing\", \"orgId\": 1, \"alerts\": [{\"status\":"
        " \"firing\", \"labels\": {\"alertname\": \"High memory usage\", \"team\": \"blue\"},"
        " \"annotations\": {\"summary\": \"memory at 97 %\"}, \"startsAt\": "
        "\"2026-11-30T12:00:00Z\","
        " \"generatorURL\": \"https://grafana.example.org/alerting/x/edit\", \"silenceURL\":"
        " \"https://grafana.example.org/alerting/silence/new\", \"values\": {\"B\": 97}}],"
        " \"groupLabels\": {}, \"commonLabels\": {\"team\": \"blue\"}, \"externalURL\":"
        " \"https://grafana.example.org/\", \"version\": \"1\", \"groupKey\": \"{}:{}\","
        " \"truncatedAlerts\": 0, \"title\": \"[FIRING:1] memory (blue)\", \"state\": "
        "\"alerting\"}";
    s_expect ("POST", "/v1/grafana?to=%23all", NULL, call, 202, "\"id\"");
    //  Grafana retries a failed call: the same bytes at once are a duplicate.
    s_expect ("POST", "/v1/grafana?to=%23all", NULL, call, 200, "\"duplicate\":true");
    char *text = s_await_mail ("[FIRING:1] memory (blue)");
    if (!text || !strstr (text, "summary: memory at 97 %") || !strstr (text, "value: B=97") ||
        !strstr (text, "silence: https://grafana.example.org/alerting/silence/new"))
        fail_msg ("the Grafana alert's email: %s", text ? text : "(none)");
    free (text);
}

//  GET /metrics: the whole pipeline from the event bus, in a format promtool accepts and a real
//  Prometheus scrapes.
static void test_metrics_show_the_pipeline (void **state)
{
    char *metrics = NULL;
    //  The heartbeats of every process arrive once the gateway's subscription took: until then
    //  the processes are not listed (polled with a deadline).
    int64_t deadline = zclock_mono () + 15000;
    while (zclock_mono () < deadline) {
        free (metrics);
        assert_int_equal (s_request ("GET", "/metrics", NULL, NULL, &metrics, NULL), 200);
        if (strstr (metrics, "crier_process_up{process=\"crier-sender-email\"") &&
            strstr (metrics, "crier_process_up{process=\"crier-ingest\"") &&
            strstr (metrics, "crier_process_up{process=\"crier-gateway\""))
            break;
        zclock_sleep (200); //  a scraper's interval, not a wait for a state change
    }
    const char *needles[] = {
        "# TYPE crier_notifications_accepted_total counter",
        "crier_deliveries_total{channel=\"email\",outcome=\"delivered\"} ",
        "crier_delivery_latency_seconds_bucket{channel=\"matrix\",le=\"+Inf\"}",
        "crier_process_up{process=\"crier-ingest\"",
        "crier_process_up{process=\"crier-resolver\"",
        "crier_process_up{process=\"crier-gateway\"",
        "crier_backlog ",
        "crier_gateway_requests_total{status=\"202\"} "};
    for (size_t index = 0; index < sizeof needles / sizeof needles[0]; index++)
        if (!strstr (metrics, needles[index]))
            fail_msg ("/metrics lacks %s:\n%s", needles[index], metrics);
    //  Prometheus' own checker accepts it.
    char path[300], command[400];
    snprintf (path, sizeof path, "%s/metrics.txt", test_scratch_dir ());
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (metrics, file);
    fclose (file);
    snprintf (command, sizeof command, "promtool check metrics < %s 2>&1", path);
    FILE *check = popen (command, "r");
    assert_non_null (check);
    char said[4096] = "";
    size_t got = fread (said, 1, sizeof said - 1, check);
    said[got] = '\0';
    int status = pclose (check);
    if (status != 0)
        fail_msg ("promtool check metrics: %s", said);
    free (metrics);

    //  And a real Prometheus scrapes it.
    char unused[64], web[64], config[300], storage[320], config_option[320], web_option[96];
    test_unused_endpoint (unused, sizeof unused);
    snprintf (web, sizeof web, "127.0.0.1:%s", strrchr (unused, ':') + 1);
    snprintf (config, sizeof config, "%s/prometheus.yml", test_scratch_dir ());
    snprintf (storage, sizeof storage, "--storage.tsdb.path=%s/prometheus", test_scratch_dir ());
    file = fopen (config, "w");
    assert_non_null (file);
    fprintf (file,
             "global:\n  scrape_interval: 1s\n"
             "scrape_configs:\n  - job_name: crier\n    static_configs:\n"
             "      - targets: ['%s']\n",
             s_listen);
    fclose (file);
    snprintf (config_option, sizeof config_option, "--config.file=%s", config);
    snprintf (web_option, sizeof web_option, "--web.listen-address=%s", web);
    const char *args[] = {config_option, storage, web_option, NULL};
    test_process_t *prometheus = test_process_start ("/usr/bin/prometheus", args, NULL);
    assert_non_null (prometheus);
    char query[160];
    snprintf (
        query, sizeof query,
        "http://%s/api/v1/query?query=crier_process_up%%7Bprocess%%3D%%22crier-ingest%%22%%7D",
        web);
    bool scraped = false;
    deadline = zclock_mono () + 30000;
    while (!scraped && zclock_mono () < deadline) {
        char *answer = NULL;
        if (test_http ("GET", query, NULL, NULL, &answer) == 200)
            scraped = strstr (answer, "\"crier-ingest\"") && strstr (answer, "\"1\"]");
        free (answer);
        if (!scraped)
            zclock_sleep (250); //  Prometheus' scrape interval, not a wait for a state change
    }
    assert_true (scraped);
    assert_int_equal (test_process_stop (prometheus, SIGTERM, 15000), 0);
    test_process_destroy (&prometheus);
}

//  HTTPS with a certificate of its own: a client that trusts it is answered; plain HTTP to the
//  same port gets nothing.
static void test_https (void **state)
{
    char key[300], cert[300], command[1200];
    snprintf (key, sizeof key, "%s/gateway-key.pem", test_scratch_dir ());
    snprintf (cert, sizeof cert, "%s/gateway-cert.pem", test_scratch_dir ());
    snprintf (command, sizeof command,
              "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1"
              " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null",
              key, cert);
    assert_int_equal (system (command), 0);
    char unused[64], listen[96], cert_entry[340], key_entry[340], url[160];
    test_unused_endpoint (unused, sizeof unused);
    snprintf (listen, sizeof listen, "CRIER_GATEWAY_LISTEN=127.0.0.1:%s",
              strrchr (unused, ':') + 1);
    snprintf (cert_entry, sizeof cert_entry, "CRIER_GATEWAY_TLS_CERT=%s", cert);
    snprintf (key_entry, sizeof key_entry, "CRIER_GATEWAY_TLS_KEY=%s", key);
    test_process_t *gateway =
        s_start_gateway_with ((const char *[]){listen, cert_entry, key_entry, NULL}, true);
    assert_true (test_process_wait_log (gateway, "http=https", 0, NULL, NULL, 0));
    snprintf (url, sizeof url, "https://127.0.0.1:%s/v1/groups/all", strrchr (unused, ':') + 1);
    CURL *easy = curl_easy_init ();
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_CAINFO, cert);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDS, "gateway 5");
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, 15000L);
    FILE *sink = fopen ("/dev/null", "w");
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, sink);
    long status = 0;
    assert_int_equal (curl_easy_perform (easy), CURLE_OK);
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal (status, 202);
    curl_easy_cleanup (easy);
    fclose (sink);
    //  Plain HTTP to it: no answer.
    snprintf (url, sizeof url, "http://127.0.0.1:%s/healthz", strrchr (unused, ':') + 1);
    assert_int_equal (test_http ("GET", url, NULL, NULL, NULL), 0);
    assert_int_equal (test_process_stop (gateway, SIGTERM, 10000), 0);
    test_process_destroy (&gateway);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_notification_is_accepted_and_delivered),
        cmocka_unit_test (test_a_curl_one_liner_to_a_group),
        cmocka_unit_test (test_what_cannot_succeed_is_4xx),
        cmocka_unit_test (test_ingest_away_or_silent_is_503),
        cmocka_unit_test (test_a_silent_client_is_cut_off),
        cmocka_unit_test (test_tokens_say_who_may_send_where),
        cmocka_unit_test (test_alertmanager_calls_become_notifications),
        cmocka_unit_test (test_a_grafana_call_becomes_a_notification),
        cmocka_unit_test (test_metrics_show_the_pipeline),
        cmocka_unit_test (test_https),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

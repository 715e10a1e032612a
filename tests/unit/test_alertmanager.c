/*  test_alertmanager.c - an Alertmanager webhook call (payload version 4) as one notification:
    the subject from the status and the group labels, each alert's labels, summary,
    description and links (the silence link built from externalURL), resolved alerts marked; a
    group too long for one Matrix event cut with "... and N more" (truncatedAlerts counted too),
    never refused; a payload that is not Alertmanager's refused with why. */
#include "alertmanager.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A call as Alertmanager 0.25 makes it (its documentation's example, two alerts).
static const char s_payload[] =
    "{\"version\": \"4\", \"groupKey\": \"{}:{alertname=\\\"HighLatency\\\", "
    "service=\\\"api\\\"}\","
    " \"truncatedAlerts\": 0, \"status\": \"firing\", \"receiver\": \"crier\","
    " \"groupLabels\": {\"service\": \"api\", \"alertname\": \"HighLatency\"},"
    " \"commonLabels\": {\"alertname\": \"HighLatency\", \"service\": \"api\", \"severity\": "
    "\"critical\"},"
    " \"commonAnnotations\": {}, \"externalURL\": \"http://am.example.org:9093\","
    " \"alerts\": ["
    "  {\"status\": \"firing\", \"labels\": {\"alertname\": \"HighLatency\", \"service\": \"api\","
    "   \"instance\": \"db1:9100\", \"severity\": \"critical\"}, \"annotations\": {\"summary\":"
    "   \"p99 over 1 s\", \"description\": \"<b>slow</b> for 10m\"}, \"startsAt\":"
    "   \"2026-11-30T12:00:00Z\", \"endsAt\": \"0001-01-01T00:00:00Z\", \"generatorURL\":"
    "   \"http://prom.example.org/graph?g0.expr=x\", \"fingerprint\": \"a1\"},"
    "  {\"status\": \"resolved\", \"labels\": {\"alertname\": \"HighLatency\", \"service\":"
    "   \"api\", \"instance\": \"db2:9100\"}, \"annotations\": {\"summary\": \"p99 back\"},"
    "   \"startsAt\": \"2026-11-30T11:00:00Z\", \"endsAt\": \"2026-11-30T11:30:00Z\","
    "   \"generatorURL\": \"\", \"fingerprint\": \"a2\"}]}";

static const char *s_text (const json_t *notification, const char *key)
{
    return json_string_value (json_object_get (notification, key));
}

static void test_a_call_is_one_notification (void **state)
{
    const char *to[] = {"#admins", "#ops"};
    char error[200];
    json_t *notification = crier_alertmanager_notification (
        s_payload, sizeof s_payload - 1, to, 2, CRIER_ALERTS_ALERTMANAGER, error, sizeof error);
    if (!notification)
        fail_msg ("%s", error);
    assert_string_equal (s_text (notification, "subject"), "[FIRING:1] HighLatency api");
    assert_string_equal (s_text (notification, "priority"), "urgent"); //  severity critical
    //  The group's key, for throttles: receiver and groupKey hashed.
    const char *key = s_text (notification, "key");
    assert_non_null (key);
    assert_int_equal (strlen (key), strlen ("alerts/") + 40);
    assert_int_equal (strncmp (key, "alerts/", 7), 0);
    assert_int_equal (json_array_size (json_object_get (notification, "to")), 2);
    const char *body = s_text (notification, "body");
    const char *expected[] = {
        "FIRING HighLatency (alertname=HighLatency, instance=db1:9100, service=api, "
        "severity=critical)",
        "  summary: p99 over 1 s",
        "  description: <b>slow</b> for 10m",
        "  since: 2026-11-30T12:00:00Z",
        "  source: http://prom.example.org/graph?g0.expr=x",
        "  silence: http://am.example.org:9093/#/silences/new?filter=%7Balertname%3D%22HighLatency"
        "%22%2Cinstance%3D%22db1%3A9100%22%2Cservice%3D%22api%22%2Cseverity%3D%22critical%22%7D",
        "RESOLVED HighLatency (alertname=HighLatency, instance=db2:9100, service=api)"};
    for (size_t index = 0; index < sizeof expected / sizeof expected[0]; index++)
        if (!strstr (body, expected[index]))
            fail_msg ("the text lacks \"%s\":\n%s", expected[index], body);
    const char *html = s_text (notification, "html");
    assert_non_null (strstr (html, "&lt;b&gt;slow&lt;/b&gt;")); //  annotations are text
    assert_non_null (strstr (html, "<a href=\"http://prom.example.org/graph?g0.expr=x\">source"));
    assert_non_null (strstr (html, "<b>RESOLVED</b>"));
    json_decref (notification);
}

static void test_a_long_group_is_cut_never_refused (void **state)
{
    size_t count = 2000;
    size_t size = 300 * count + 1000;
    char *payload = malloc (size);
    size_t used = (size_t)snprintf (payload, size,
                                    "{\"version\": \"4\", \"status\": \"resolved\","
                                    " \"truncatedAlerts\": 7, \"groupLabels\": {},"
                                    " \"alerts\": [");
    for (size_t index = 0; index < count; index++)
        used += (size_t)snprintf (payload + used, size - used,
                                  "%s{\"status\": \"resolved\", \"labels\": {\"alertname\":"
                                  " \"DiskFull\", \"instance\": \"host-%zu\"}, \"annotations\":"
                                  " {\"summary\": \"the disk of host %zu is full again\"}}",
                                  index ? "," : "", index, index);
    snprintf (payload + used, size - used, "]}");
    const char *to[] = {"#admins"};
    char error[200];
    json_t *notification = crier_alertmanager_notification (
        payload, strlen (payload), to, 1, CRIER_ALERTS_ALERTMANAGER, error, sizeof error);
    assert_non_null (notification);
    assert_string_equal (s_text (notification, "subject"), "[RESOLVED] alerts");
    assert_string_equal (s_text (notification, "priority"), "normal");
    const char *body = s_text (notification, "body");
    assert_true (strlen (body) < CRIER_ALERTMANAGER_TEXT_MAX);
    assert_true (strlen (s_text (notification, "html")) < CRIER_ALERTMANAGER_HTML_MAX);
    //  How many more: those left out, and the 7 Alertmanager left out itself.
    const char *more = strstr (body, "... and ");
    assert_non_null (more);
    size_t shown = 0;
    for (const char *at = body; (at = strstr (at, "RESOLVED DiskFull")); at++)
        shown++;
    assert_true (shown > 10 && shown < count);
    char line[64];
    snprintf (line, sizeof line, "... and %zu more", count - shown + 7);
    assert_non_null (strstr (body, line));
    json_decref (notification);
    free (payload);
}

static void test_what_is_not_alertmanagers_is_refused (void **state)
{
    const char *to[] = {"#admins"};
    char error[200];
    assert_null (crier_alertmanager_notification ("{\"alerts\": [", 12, to, 1,
                                                  CRIER_ALERTS_ALERTMANAGER, error, sizeof error));
    assert_non_null (strstr (error, "not JSON"));
    const char *old_version = "{\"version\": \"3\", \"alerts\": []}";
    assert_null (crier_alertmanager_notification (old_version, strlen (old_version), to, 1,
                                                  CRIER_ALERTS_ALERTMANAGER, error, sizeof error));
    assert_non_null (strstr (error, "version 4"));
    assert_null (crier_alertmanager_notification ("[]", 2, to, 1, CRIER_ALERTS_ALERTMANAGER, error,
                                                  sizeof error));
    assert_null (crier_alertmanager_notification (s_payload, sizeof s_payload - 1, to, 0,
                                                  CRIER_ALERTS_ALERTMANAGER, error, sizeof error));
    assert_non_null (strstr (error, "?to=%23admins"));
}

//  Grafana's webhook contact point (its documentation's example, recorded: Grafana is not
//  packaged here): its own title, each alert's silence, dashboard and panel links, its values.
static const char s_grafana[] =
    "{\"receiver\": \"My Super Webhook\", \"status\": \"firing\", \"orgId\": 1, \"alerts\": ["
    " {\"status\": \"firing\", \"labels\": {\"alertname\": \"High memory usage\", \"team\": "
    "\"blue\","
    "  \"zone\": \"us-1\"}, \"annotations\": {\"description\": \"The system has high memory "
    "usage\","
    "  \"runbook_url\": \"https://myrunbook.com/runbook/1234\", \"summary\": \"This alert was"
    "  triggered for zone us-1\"}, \"startsAt\": \"2021-10-12T09:51:03.157076+02:00\", \"endsAt\":"
    "  \"0001-01-01T00:00:00Z\", \"generatorURL\": "
    "\"https://play.grafana.org/alerting/1afz29v7z/edit\","
    "  \"fingerprint\": \"c6eadffa33fcdf37\", \"silenceURL\": \"https://play.grafana.org/alerting/"
    "silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1\","
    "  \"dashboardURL\": \"\", \"panelURL\": \"\", \"values\": {\"B\": 44.23943737541908, \"C\": "
    "1}},"
    " {\"status\": \"firing\", \"labels\": {\"alertname\": \"High CPU usage\", \"team\": \"blue\","
    "  \"zone\": \"eu-1\"}, \"annotations\": {\"description\": \"The system has high CPU usage\","
    "  \"summary\": \"This alert was triggered for zone eu-1\"}, \"startsAt\":"
    "  \"2021-10-12T09:56:03.157076+02:00\", \"endsAt\": \"0001-01-01T00:00:00Z\", "
    "\"generatorURL\":"
    "  \"https://play.grafana.org/alerting/d1rdpdv7k/edit\", \"fingerprint\": \"bc97ff14869b13e3\","
    "  \"silenceURL\": \"https://play.grafana.org/alerting/silence/new?alertmanager=grafana\","
    "  \"dashboardURL\": \"https://play.grafana.org/d/x\", \"panelURL\": "
    "\"https://play.grafana.org/d/x?viewPanel=2\","
    "  \"valueString\": \"[ metric='' labels={} value=14151.331895396988 ]\"}],"
    " \"groupLabels\": {}, \"commonLabels\": {\"team\": \"blue\"}, \"commonAnnotations\": {},"
    " \"externalURL\": \"https://play.grafana.org/\", \"version\": \"1\", \"groupKey\": \"{}:{}\","
    " \"truncatedAlerts\": 0, \"title\": \"[FIRING:2]  (blue)\", \"state\": \"alerting\","
    " \"message\": \"**Firing**\"}";

static void test_a_grafana_call_is_one_notification (void **state)
{
    const char *to[] = {"#admins"};
    char error[200];
    json_t *notification = crier_alertmanager_notification (
        s_grafana, sizeof s_grafana - 1, to, 1, CRIER_ALERTS_GRAFANA, error, sizeof error);
    if (!notification)
        fail_msg ("%s", error);
    assert_string_equal (s_text (notification, "subject"), "[FIRING:2]  (blue)");
    assert_string_equal (s_text (notification, "priority"), "high");
    const char *body = s_text (notification, "body");
    const char *expected[] = {
        "FIRING High memory usage (alertname=High memory usage, team=blue, zone=us-1)",
        "  summary: This alert was  triggered for zone us-1",
        "  value: B=44.2394, C=1",
        "  silence: https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers="
        "alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
        "  value: [ metric='' labels={} value=14151.331895396988 ]",
        "  dashboard: https://play.grafana.org/d/x",
        "  panel: https://play.grafana.org/d/x?viewPanel=2"};
    for (size_t index = 0; index < sizeof expected / sizeof expected[0]; index++)
        if (!strstr (body, expected[index]))
            fail_msg ("the text lacks \"%s\":\n%s", expected[index], body);
    json_decref (notification);
    //  Alertmanager's payload is not Grafana's, nor the other way round.
    assert_null (crier_alertmanager_notification (s_payload, sizeof s_payload - 1, to, 1,
                                                  CRIER_ALERTS_GRAFANA, error, sizeof error));
    assert_non_null (strstr (error, "Grafana webhook payload of version 1"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_call_is_one_notification),
        cmocka_unit_test (test_a_long_group_is_cut_never_refused),
        cmocka_unit_test (test_what_is_not_alertmanagers_is_refused),
        cmocka_unit_test (test_a_grafana_call_is_one_notification),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

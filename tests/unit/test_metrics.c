/*  test_metrics.c - the pipeline's metrics from events: counters by type, delivery outcomes by
    channel (a redelivery answered from memory not counted twice), the latency histogram from
    acceptance to delivery (cumulative buckets), ingest's gauges, processes up while their
    heartbeats are recent and forgotten later, the gateway's requests by status. */
#include "metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void s_event (crier_metrics_t *metrics, const char *json)
{
    json_t *event = json_loads (json, 0, NULL);
    assert_non_null (event);
    crier_metrics_event (metrics, event);
    json_decref (event);
}

static void s_expect (const char *text, const char *line)
{
    if (!strstr (text, line))
        fail_msg ("no \"%s\" in:\n%s", line, text);
}

static void test_events_become_metrics (void **state)
{
    crier_metrics_t *metrics = crier_metrics_new ();
    s_event (metrics,
             "{\"type\": \"notification.accepted\", \"time\": 1000, \"notification_id\": \"n1\"}");
    s_event (metrics,
             "{\"type\": \"notification.routed\", \"time\": 1001, \"notification_id\": \"n1\"}");
    //  A notification in parts (docs/delivery.md, Large groups) counts once, with its part 0.
    s_event (metrics, "{\"type\": \"notification.routed\", \"time\": 1001, \"notification_id\":"
                      " \"n2\", \"parts\": 3, \"part\": 0}");
    s_event (metrics, "{\"type\": \"notification.routed\", \"time\": 1002, \"notification_id\":"
                      " \"n2\", \"parts\": 3, \"part\": 1}");
    s_event (metrics, "{\"type\": \"frame.rejected\", \"time\": 1001, \"more_like_it\": 4}");
    //  Delivered 300 ms after acceptance; retried once; the redelivery answered from memory.
    s_event (metrics,
             "{\"type\": \"delivery.retrying\", \"time\": 1100, \"notification_id\": \"n1\","
             " \"channel\": \"email\", \"attempts\": 1}");
    s_event (metrics,
             "{\"type\": \"delivery.delivered\", \"time\": 1300, \"notification_id\": \"n1\","
             " \"channel\": \"email\", \"attempts\": 2}");
    s_event (metrics,
             "{\"type\": \"delivery.delivered\", \"time\": 9000, \"notification_id\": \"n1\","
             " \"channel\": \"email\", \"attempts\": 0, \"repeated\": \"delivered lately\"}");
    s_event (metrics,
             "{\"type\": \"process.heartbeat\", \"time\": 2000, \"source\": \"crier-ingest\","
             " \"instance\": \"h:1\", \"backlog\": 7, \"dead_letters\": 2, \"nags_pending\": 1,"
             " \"throttle_windows\": 3}");
    s_event (metrics,
             "{\"type\": \"notification.throttled\", \"time\": 2001, \"group\": \"#ops\"}");
    s_event (metrics,
             "{\"type\": \"notification.throttled\", \"time\": 2002, \"group\": \"#ops\"}");
    s_event (metrics, "{\"type\": \"throttle.summary\", \"time\": 3000, \"count\": 2}");
    s_event (metrics, "{\"type\": \"process.heartbeat\", \"time\": 2000, \"source\":"
                      " \"crier-sender-email\", \"instance\": \"h:2\"}");
    crier_metrics_request (metrics, 202);
    crier_metrics_request (metrics, 202);
    crier_metrics_request (metrics, 503);
    char *text = crier_metrics_render (metrics, 10000);
    s_expect (text, "crier_notifications_accepted_total 1\n");
    s_expect (text, "crier_notifications_routed_total 2\n");
    s_expect (text, "crier_notifications_rejected_total 5\n");
    s_expect (text, "crier_deliveries_total{channel=\"email\",outcome=\"delivered\"} 1\n");
    s_expect (text, "crier_deliveries_total{channel=\"email\",outcome=\"retrying\"} 1\n");
    s_expect (text, "crier_deliveries_total{channel=\"matrix\",outcome=\"delivered\"} 0\n");
    s_expect (text, "crier_delivery_latency_seconds_bucket{channel=\"email\",le=\"0.25\"} 0\n");
    s_expect (text, "crier_delivery_latency_seconds_bucket{channel=\"email\",le=\"0.5\"} 1\n");
    s_expect (text, "crier_delivery_latency_seconds_bucket{channel=\"email\",le=\"+Inf\"} 1\n");
    s_expect (text, "crier_delivery_latency_seconds_sum{channel=\"email\"} 0.300000\n");
    s_expect (text, "crier_delivery_latency_seconds_count{channel=\"email\"} 1\n");
    s_expect (text, "crier_backlog 7\n");
    s_expect (text, "crier_dead_letters 2\n");
    s_expect (text, "crier_nags_pending 1\n");
    s_expect (text, "crier_throttle_windows 3\n");
    s_expect (text, "crier_notifications_throttled_total 2\n");
    s_expect (text, "crier_throttle_summaries_total 1\n");
    s_expect (text, "crier_process_up{process=\"crier-ingest\",instance=\"h:1\"} 1\n");
    s_expect (text, "crier_gateway_requests_total{status=\"202\"} 2\n");
    s_expect (text, "crier_gateway_requests_total{status=\"503\"} 1\n");
    free (text);
    //  40 s without a heartbeat: down; 10 minutes: gone.
    text = crier_metrics_render (metrics, 42000);
    s_expect (text, "crier_process_up{process=\"crier-ingest\",instance=\"h:1\"} 0\n");
    free (text);
    text = crier_metrics_render (metrics, 2000 + 600000);
    assert_null (strstr (text, "crier_process_up{"));
    free (text);
    crier_metrics_destroy (&metrics);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_events_become_metrics),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

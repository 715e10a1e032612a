/*  ingest_config.c - see ingest_config.h. */
#include "ingest_config.h"

#include "crier/config.h"
#include "crier/curve.h"
#include "crier/endpoints.h"
#include "crier/log.h"
#include "crier/notification.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <stdlib.h>

int crier_ingest_config_load (crier_ingest_config_t *config)
{
    uint64_t max_bytes = 0;
    int rc = 0;
    rc |= crier_config_log_level (&config->log_level);
    rc |= crier_config_endpoint ("CRIER_INGEST_ENDPOINT", CRIER_DEFAULT_INGEST_ENDPOINT,
                                 &config->ingest_endpoint);
    rc |= crier_config_endpoint ("CRIER_INGEST_ACK_ENDPOINT", CRIER_DEFAULT_INGEST_ACK_ENDPOINT,
                                 &config->ack_endpoint);
    rc |= crier_config_endpoint ("CRIER_INGEST_CONTROL_ENDPOINT",
                                 CRIER_DEFAULT_INGEST_CONTROL_ENDPOINT, &config->control_endpoint);
    rc |= crier_config_endpoint ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                 &config->events_endpoint);
    rc |= crier_config_string ("CRIER_DATA_DIR", "crier-data", &config->data_dir);
    rc |= crier_config_duration_ms ("CRIER_REDELIVER_AFTER", 300000, 100, 7 * 86400000ull,
                                    &config->redeliver_after_ms);
    rc |= crier_config_uint ("CRIER_MAX_BACKLOG", 100000, 1, 100000000, &config->max_backlog);
    rc |= crier_config_uint ("CRIER_MAX_PENDING_NAGS", 100000, 0, 100000000,
                             &config->max_pending_nags);
    rc |= crier_config_uint ("CRIER_MAX_DEAD_LETTERS", 10000, 1, 100000000,
                             &config->max_dead_letters);
    rc |= crier_config_bytes ("CRIER_MAX_DEAD_LETTER_BYTES", 256 * 1024 * 1024, 4096,
                              UINT64_C (1) << 40, &config->max_dead_letter_bytes);
    rc |= crier_config_uint ("CRIER_MAX_IN_FLIGHT", 10000, 1, 10000000, &config->max_in_flight);
    rc |= crier_config_duration_ms ("CRIER_DEDUP_WINDOW", 86400000, 0, 30 * 86400000ull,
                                    &config->dedup_window_ms);
    rc |= crier_config_duration_ms ("CRIER_NAG_SEEN_WAIT", 300000, 0, 7 * 86400000ull,
                                    &config->nag_seen_wait_ms);
    rc |= crier_config_uint ("CRIER_DEDUP_MAX", 100000, 0, 100000000, &config->dedup_max);
    rc |= crier_config_bytes ("CRIER_JOURNAL_COMPACT_BYTES", 64 * 1024 * 1024, 4096,
                              UINT64_C (1) << 40, &config->compact_bytes);
    rc |=
        crier_config_endpoint ("CRIER_NOTIFICATIONS_ENDPOINT", CRIER_DEFAULT_NOTIFICATIONS_ENDPOINT,
                               &config->notifications_endpoint);
    rc |= crier_config_endpoint ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                 CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                 &config->events_publish_endpoint);
    //  Up to 64 MiB: ZeroMQ keeps whole frames in memory, so a larger limit invites trouble.
    rc |= crier_config_bytes ("CRIER_MAX_MESSAGE_BYTES", CRIER_DEFAULT_MAX_MESSAGE, 1024,
                              64 * 1024 * 1024, &max_bytes);
    config->max_message_bytes = (size_t)max_bytes;
    rc |= crier_config_heartbeat (&config->heartbeat_interval_ms);
    rc |= crier_config_stop_grace (&config->stop_grace_ms);
    rc |= crier_links_load (&config->links);
    rc |= crier_config_string ("CRIER_CURVE_SECRET_KEY_FILE", NULL, &config->curve_secret_key_file);
    rc |= crier_config_string ("CRIER_CURVE_CLIENTS_DIR", NULL, &config->curve_clients_dir);
    if (!config->curve_secret_key_file != !config->curve_clients_dir) {
        crier_log (
            CRIER_LOG_ERROR, "config.invalid", "variable",
            config->curve_clients_dir ? "CRIER_CURVE_SECRET_KEY_FILE" : "CRIER_CURVE_CLIENTS_DIR",
            "error", "CURVE needs both CRIER_CURVE_SECRET_KEY_FILE and CRIER_CURVE_CLIENTS_DIR",
            "hint", "set both to secure ingest's endpoints, or neither (docs/security.md)");
        rc = -1;
    }
    return rc ? -1 : 0;
}

void crier_ingest_config_free (crier_ingest_config_t *config)
{
    crier_links_free (&config->links);
    free (config->ingest_endpoint);
    free (config->ack_endpoint);
    free (config->control_endpoint);
    config->control_endpoint = NULL;
    free (config->events_endpoint);
    free (config->data_dir);
    config->ack_endpoint = config->events_endpoint = config->data_dir = NULL;
    free (config->notifications_endpoint);
    free (config->events_publish_endpoint);
    config->ingest_endpoint = config->notifications_endpoint = NULL;
    config->events_publish_endpoint = NULL;
    free (config->curve_secret_key_file);
    free (config->curve_clients_dir);
    config->curve_secret_key_file = config->curve_clients_dir = NULL;
}

/*  resolver_config.c - see resolver_config.h. */
#include "resolver_config.h"

#include "crier/config.h"
#include "crier/curve.h"
#include "crier/endpoints.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <stdlib.h>

int crier_resolver_config_load (crier_resolver_config_t *config)
{
    int rc = 0;
    rc |= crier_config_log_level (&config->log_level);
    rc |=
        crier_config_endpoint ("CRIER_NOTIFICATIONS_ENDPOINT", CRIER_DEFAULT_NOTIFICATIONS_ENDPOINT,
                               &config->notifications_endpoint);
    rc |= crier_config_endpoint ("CRIER_MATRIX_DELIVERIES_ENDPOINT",
                                 CRIER_DEFAULT_MATRIX_DELIVERIES_ENDPOINT,
                                 &config->deliveries_endpoint[CRIER_CHANNEL_MATRIX]);
    rc |= crier_config_endpoint ("CRIER_EMAIL_DELIVERIES_ENDPOINT",
                                 CRIER_DEFAULT_EMAIL_DELIVERIES_ENDPOINT,
                                 &config->deliveries_endpoint[CRIER_CHANNEL_EMAIL]);
    rc |= crier_config_endpoint ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                 CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                 &config->events_publish_endpoint);
    rc |= crier_config_endpoint ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                 &config->events_endpoint);
    rc |= crier_couchdb_load (&config->couchdb);
    rc |= crier_config_duration_ms ("CRIER_COUCHDB_HEARTBEAT", 10000, 100, 600000,
                                    &config->heartbeat_ms);
    rc |= crier_config_duration_ms ("CRIER_COUCHDB_RETRY_MAX", 30000, 500, 3600000,
                                    &config->retry_max_ms);
    rc |= crier_mapping_max_bytes_load (&config->mapping_max_bytes);
    rc |= crier_config_heartbeat (&config->heartbeat_interval_ms);
    rc |= crier_config_duration_ms ("CRIER_STALLED_AFTER", 10000, 100, 3600000,
                                    &config->stalled_after_ms);
    rc |= crier_links_load (&config->links);
    rc |= crier_config_stop_grace (&config->stop_grace_ms);
    rc |=
        crier_config_uint ("CRIER_FANOUT_PART_SIZE", 10000, 2, 1000000, &config->fanout_part_size);
    return rc ? -1 : 0;
}

void crier_resolver_config_free (crier_resolver_config_t *config)
{
    crier_links_free (&config->links);
    free (config->notifications_endpoint);
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        free (config->deliveries_endpoint[channel]);
    free (config->events_publish_endpoint);
    free (config->events_endpoint);
    crier_couchdb_free (&config->couchdb);
}

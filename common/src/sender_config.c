/*  sender_config.c - see sender_config.h. */
#include "crier/sender_config.h"
#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/process.h"

#include <stdlib.h>

int crier_sender_config_load (crier_sender_config_t *self, const char *deliveries_variable,
                              const char *default_endpoint, const char *retry_deadline_variable)
{
    self->deliveries_variable = deliveries_variable;
    self->retry_deadline_variable = retry_deadline_variable;
    int rc = crier_config_log_level (&self->log_level);
    rc |=
        crier_config_endpoints (deliveries_variable, default_endpoint, &self->deliveries_endpoint);
    rc |= crier_config_endpoints ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                  CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                  &self->events_publish_endpoint);
    rc |= crier_links_load (&self->links);
    rc |= crier_config_heartbeat (&self->heartbeat_interval_ms);
    rc |= crier_config_stop_grace (&self->stop_grace_ms);
    rc |= crier_config_duration_ms (retry_deadline_variable, 3600000, 1000, 7 * 86400000ULL,
                                    &self->retry_deadline_ms);
    return rc ? -1 : 0;
}

void crier_sender_config_free (crier_sender_config_t *self)
{
    free (self->deliveries_endpoint);
    free (self->events_publish_endpoint);
    crier_links_free (&self->links);
    self->deliveries_endpoint = self->events_publish_endpoint = NULL;
}

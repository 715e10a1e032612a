/*  ingest_config.c - see ingest_config.h. */
#include "ingest_config.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/notification.h"
#include "crier/process.h"
#include "crier/socket.h"

#include <stdlib.h>

int crier_ingest_config_load (crier_ingest_config_t *config)
{
    uint64_t max_bytes = 0, hwm = 0;
    int rc = 0;
    rc |= crier_config_log_level ();
    rc |= crier_config_endpoint ("CRIER_INGEST_ENDPOINT", CRIER_DEFAULT_INGEST_ENDPOINT,
                                 &config->ingest_endpoint);
    rc |=
        crier_config_endpoint ("CRIER_NOTIFICATIONS_ENDPOINT", CRIER_DEFAULT_NOTIFICATIONS_ENDPOINT,
                               &config->notifications_endpoint);
    rc |= crier_config_endpoint ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                 CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                 &config->events_publish_endpoint);
    //  Up to 64 MiB: ZeroMQ keeps whole frames in memory, so a larger limit invites trouble.
    rc |= crier_config_bytes ("CRIER_MAX_MESSAGE_BYTES", CRIER_DEFAULT_MAX_MESSAGE, 1024,
                              64 * 1024 * 1024, &max_bytes);
    rc |= crier_config_uint ("CRIER_SOCKET_HWM", CRIER_DEFAULT_HWM, 1, 1000000, &hwm);
    config->max_message_bytes = (size_t)max_bytes;
    rc |= crier_config_heartbeat (&config->heartbeat_interval_ms);
    config->hwm = (int)hwm;
    return rc ? -1 : 0;
}

void crier_ingest_config_free (crier_ingest_config_t *config)
{
    free (config->ingest_endpoint);
    free (config->notifications_endpoint);
    free (config->events_publish_endpoint);
    config->ingest_endpoint = config->notifications_endpoint = NULL;
    config->events_publish_endpoint = NULL;
}

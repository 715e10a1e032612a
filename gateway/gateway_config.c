/*  gateway_config.c - see gateway_config.h. */
#include "gateway_config.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/notification.h"

#include <stdlib.h>
#include <string.h>

int crier_gateway_config_load (crier_gateway_config_t *config)
{
    int rc = crier_config_log_level (&config->log_level);
    rc |= crier_config_string ("CRIER_GATEWAY_LISTEN", "127.0.0.1:7480", &config->listen);
    const char *tokens = getenv ("CRIER_GATEWAY_TOKENS_FILE");
    if (tokens && *tokens && !(config->tokens_file = strdup (tokens)))
        rc = -1;
    rc |= crier_config_endpoint ("CRIER_ACK_ENDPOINT", CRIER_DEFAULT_CLIENT_ACK_ENDPOINT,
                                 &config->ack_endpoint);
    rc |= crier_config_endpoint ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                 &config->events_endpoint);
    rc |= crier_links_load (&config->links);
    //  The same limit as crier-ingest's on a notification (a JSON body is a little larger).
    rc |= crier_config_bytes ("CRIER_GATEWAY_MAX_BODY", CRIER_DEFAULT_MAX_MESSAGE, 1024,
                              64 * 1024 * 1024, &config->max_body_bytes);
    //  A group of many alerts is cut to fit a Matrix event, never refused for its size: the
    //  call itself may be larger than a notification.
    rc |= crier_config_bytes ("CRIER_GATEWAY_ALERT_MAX_BODY", 4 * 1024 * 1024, 1024,
                              256 * 1024 * 1024, &config->alert_max_body_bytes);
    //  Alertmanager's reminders (repeat_interval) are the same bytes as its first call.
    rc |= crier_config_duration_ms ("CRIER_GATEWAY_ALERT_REPEAT", 300000, 0, 86400000,
                                    &config->alert_repeat_ms);
    rc |= crier_config_duration_ms ("CRIER_GATEWAY_INGEST_TIMEOUT", 10000, 100, 600000,
                                    &config->ingest_timeout_ms);
    rc |= crier_config_duration_ms ("CRIER_GATEWAY_CLIENT_TIMEOUT", 30000, 1000, 3600000,
                                    &config->client_timeout_ms);
    //  crier-ingest keeps at most 2,000 answers waiting for one connection.
    rc |= crier_config_uint ("CRIER_GATEWAY_CONNECTIONS", 1000, 1, 2000, &config->max_connections);
    //  crier-ingest with CURVE (docs/security.md): the gateway is one of its clients, with a
    //  certificate of its own (its groups limit what the gateway may send).
    const char *cert = getenv ("CRIER_CURVE_CERT");
    const char *server_cert = getenv ("CRIER_CURVE_SERVER_CERT");
    if ((cert && *cert) != (server_cert && *server_cert)) {
        crier_log (CRIER_LOG_ERROR, "config.invalid", "setting",
                   cert && *cert ? "CRIER_CURVE_SERVER_CERT" : "CRIER_CURVE_CERT", "error",
                   "CURVE needs both", "hint",
                   "set CRIER_CURVE_CERT (this gateway's secret certificate) and "
                   "CRIER_CURVE_SERVER_CERT (crier-ingest's public one), or neither");
        rc = -1;
    } else if (cert && *cert &&
               !(config->curve = crier_curve_client_new (cert, "CRIER_CURVE_CERT", server_cert,
                                                         "CRIER_CURVE_SERVER_CERT")))
        rc = -1;
    return rc ? -1 : 0;
}

void crier_gateway_config_free (crier_gateway_config_t *config)
{
    free (config->listen);
    free (config->tokens_file);
    free (config->ack_endpoint);
    free (config->events_endpoint);
    crier_links_free (&config->links);
    crier_curve_destroy (&config->curve);
    memset (config, 0, sizeof *config);
}

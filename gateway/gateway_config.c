/*  gateway_config.c - see gateway_config.h. */
#include "gateway_config.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/notification.h"
#include "crier/process.h"

#include <czmq.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A PEM file's contents, or NULL (logged) when it cannot be read.
static char *s_read_pem (const char *setting, const char *path)
{
    zchunk_t *chunk = NULL;
    zfile_t *file = zfile_new (NULL, path);
    if (file && zfile_input (file) == 0)
        chunk = zfile_read (file, 1024 * 1024, 0);
    zfile_destroy (&file);
    char *text = NULL;
    if (chunk && zchunk_size (chunk) > 0 && (text = malloc (zchunk_size (chunk) + 1))) {
        memcpy (text, zchunk_data (chunk), zchunk_size (chunk));
        text[zchunk_size (chunk)] = '\0';
    }
    zchunk_destroy (&chunk);
    if (!text)
        crier_log (CRIER_LOG_ERROR, "config.invalid", "setting", setting, "path", path, "error",
                   "cannot be read", "hint", "a PEM file this process can read");
    return text;
}

//  Two settings that go together (what: for what): both, or neither. Returns 0 with their
//  values in *one_p and *other_p (NULL when neither), or -1 (logged).
static int s_both_or_neither (const char *one, const char *other, const char *what,
                              const char **one_p, const char **other_p)
{
    const char *first = getenv (one), *second = getenv (other);
    bool has_first = first && *first, has_second = second && *second;
    *one_p = has_first ? first : NULL;
    *other_p = has_second ? second : NULL;
    if (has_first == has_second)
        return 0;
    char hint[200];
    snprintf (hint, sizeof hint, "%s needs both %s and %s, or neither", what, one, other);
    crier_log (CRIER_LOG_ERROR, "config.invalid", "setting", has_first ? other : one, "error",
               "missing", "hint", hint);
    return -1;
}

int crier_gateway_config_load (crier_gateway_config_t *config)
{
    int rc = crier_config_log_level (&config->log_level);
    rc |= crier_config_string ("CRIER_GATEWAY_LISTEN", "127.0.0.1:7480", &config->listen);
    const char *tokens = getenv ("CRIER_GATEWAY_TOKENS_FILE");
    if (tokens && *tokens && !(config->tokens_file = strdup (tokens)))
        rc = -1;
    //  HTTPS: the certificate chain and its key (PEM files).
    const char *tls_cert, *tls_key;
    if (s_both_or_neither ("CRIER_GATEWAY_TLS_CERT", "CRIER_GATEWAY_TLS_KEY", "HTTPS", &tls_cert,
                           &tls_key) != 0)
        rc = -1;
    else if (tls_cert) {
        config->tls_cert = s_read_pem ("CRIER_GATEWAY_TLS_CERT", tls_cert);
        config->tls_key = s_read_pem ("CRIER_GATEWAY_TLS_KEY", tls_key);
        if (!config->tls_cert || !config->tls_key)
            rc = -1;
    }
    rc |= crier_config_endpoints ("CRIER_ACK_ENDPOINT", CRIER_DEFAULT_CLIENT_ACK_ENDPOINT,
                                  &config->ack_endpoint);
    rc |= crier_config_endpoints ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                  &config->events_endpoint);
    rc |= crier_config_endpoints ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                  CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                  &config->events_publish_endpoint);
    rc |= crier_config_heartbeat (&config->heartbeat_interval_ms);
    rc |= crier_links_load (&config->links);
    //  The same limit as crier-ingest's on a notification (a JSON body is a little larger).
    rc |= crier_config_bytes ("CRIER_GATEWAY_MAX_BODY", CRIER_DEFAULT_MAX_MESSAGE, 1024,
                              64 * 1024 * 1024, &config->max_body_bytes);
    //  A group of many alerts is cut to fit a Matrix event, never refused for its size: the
    //  call itself may be larger than a notification.
    rc |= crier_config_bytes ("CRIER_GATEWAY_ALERT_MAX_BODY", 32 * 1024 * 1024, 1024,
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
    const char *cert, *server_cert;
    if (s_both_or_neither ("CRIER_CURVE_CERT", "CRIER_CURVE_SERVER_CERT",
                           "CURVE to crier-ingest (this gateway's secret certificate, ingest's "
                           "public one)",
                           &cert, &server_cert) != 0)
        rc = -1;
    else if (cert && !(config->curve = crier_curve_client_new (
                           cert, "CRIER_CURVE_CERT", server_cert, "CRIER_CURVE_SERVER_CERT")))
        rc = -1;
    return rc ? -1 : 0;
}

void crier_gateway_config_free (crier_gateway_config_t *config)
{
    free (config->listen);
    free (config->tokens_file);
    free (config->tls_cert);
    if (config->tls_key)
        memset (config->tls_key, 0, strlen (config->tls_key)); //  a secret: wiped
    free (config->tls_key);
    free (config->ack_endpoint);
    free (config->events_endpoint);
    free (config->events_publish_endpoint);
    crier_links_free (&config->links);
    crier_curve_destroy (&config->curve);
    memset (config, 0, sizeof *config);
}

/*  watch_config.c - see watch_config.h. */
//  explicit_bzero (glibc, BSD): wiping secrets that the compiler must not optimise away.
#define _DEFAULT_SOURCE
#include "watch_config.h"
#include "matrix_config.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/log.h"
#include "crier/process.h"

#include <stdlib.h>
#include <string.h>

//  The E2EE state key: at least 32 characters (openssl rand -base64 32 makes 44).
#define STATE_KEY_MIN_BYTES 32

int crier_watch_config_load (crier_watch_config_t *config)
{
    int rc = crier_config_log_level (&config->log_level);
    rc |= crier_matrix_account_load (&config->homeserver, &config->display_homeserver,
                                     &config->access_token, &config->user_id, &config->ca_file);
    rc |= crier_config_string ("CRIER_MATRIX_WATCH_DIR", "crier-matrix-watch", &config->state_dir);
    rc |= crier_config_secret ("CRIER_MATRIX_STATE_KEY", &config->state_key);
    if (config->state_key && strlen (config->state_key) < STATE_KEY_MIN_BYTES) {
        crier_log (
            CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_MATRIX_STATE_KEY", "error",
            "shorter than 32 characters", "hint",
            "make one with: openssl rand -base64 32 (docs/matrix.md, End-to-end encryption)");
        rc = -1;
    }
    rc |= crier_config_endpoints ("CRIER_EVENTS_PUBLISH_ENDPOINT",
                                  CRIER_DEFAULT_EVENTS_PUBLISH_ENDPOINT,
                                  &config->events_publish_endpoint);
    rc |= crier_config_endpoint ("CRIER_MATRIX_E2EE_ENDPOINT", CRIER_DEFAULT_MATRIX_E2EE_ENDPOINT,
                                 &config->e2ee_endpoint);
    rc |= crier_links_load (&config->links);
    rc |= crier_config_heartbeat (&config->heartbeat_interval_ms);
    rc |= crier_config_duration_ms ("CRIER_MATRIX_SYNC_TIMEOUT", 30000, 0, 300000,
                                    &config->sync_timeout_ms);
    //  A nag waits at most 168 h (docs/mapping.md): a day more.
    rc |= crier_config_duration_ms ("CRIER_MATRIX_WATCH_KEEP", 192 * 3600000ULL, 1000,
                                    30 * 24 * 3600000ULL, &config->keep_ms);
    rc |= crier_config_uint ("CRIER_MATRIX_WATCH_MAX", 100000, 1, 10000000, &config->max_tracked);
    rc |= crier_config_bytes ("CRIER_MATRIX_SYNC_MAX_BYTES", 16 * 1024 * 1024, 64 * 1024,
                              1024ULL * 1024 * 1024, &config->max_answer_bytes);
    return rc ? -1 : 0;
}

void crier_watch_config_free (crier_watch_config_t *config)
{
    crier_matrix_account_free (&config->homeserver, &config->display_homeserver,
                               &config->access_token, &config->user_id, &config->ca_file);
    free (config->state_dir);
    if (config->state_key)
        explicit_bzero (config->state_key, strlen (config->state_key));
    free (config->state_key);
    free (config->events_publish_endpoint);
    free (config->e2ee_endpoint);
    crier_links_free (&config->links);
    memset (config, 0, sizeof *config);
}

/*  watch_config.h - crier-matrix-watch's settings, from the environment (docs/nag.md). */
#ifndef CRIER_WATCH_CONFIG_H_INCLUDED
#define CRIER_WATCH_CONFIG_H_INCLUDED

#include "crier/links.h"
#include "crier/log.h"

#include <stdint.h>

typedef struct {
    char *homeserver;               //  CRIER_MATRIX_HOMESERVER
    char *display_homeserver;       //  the same without credentials, for logs
    char *access_token;             //  CRIER_MATRIX_ACCESS_TOKEN (or _FILE)
    char *user_id;                  //  CRIER_MATRIX_USER_ID (optional: asked with whoami)
    char *ca_file;                  //  CRIER_MATRIX_CA_FILE (optional)
    char *state_dir;                //  CRIER_MATRIX_WATCH_DIR: where the sync position is kept
    char *state_key;                //  CRIER_MATRIX_STATE_KEY (or _FILE): encrypts the E2EE
                                    //  device's keys at rest; NULL: no E2EE device
    char *events_publish_endpoint;  //  CRIER_EVENTS_PUBLISH_ENDPOINT
    char *e2ee_endpoint;            //  CRIER_MATRIX_E2EE_ENDPOINT: bound, for the senders'
                                    //  encryption requests (with a state key)
    crier_links_t links;            //  CRIER_SOCKET_HWM, CRIER_CURVE_INTERNAL_CERT, CRIER_STACK_ID
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
    uint64_t sync_timeout_ms;       //  CRIER_MATRIX_SYNC_TIMEOUT: how long one /sync may wait
    uint64_t keep_ms;               //  CRIER_MATRIX_WATCH_KEEP: how long a message is followed
    uint64_t max_tracked;           //  CRIER_MATRIX_WATCH_MAX: messages followed at most
    uint64_t max_answer_bytes;      //  CRIER_MATRIX_SYNC_MAX_BYTES: the largest /sync answer read
    crier_log_level_t log_level;    //  CRIER_LOG_LEVEL
} crier_watch_config_t;

//  Reads every setting, logging each bad or missing one. Returns 0 or -1; free with
//  crier_watch_config_free in either case.
int crier_watch_config_load (crier_watch_config_t *config);

void crier_watch_config_free (crier_watch_config_t *config);

#endif

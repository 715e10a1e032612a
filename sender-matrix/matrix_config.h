/*  matrix_config.h - crier-sender-matrix's settings, from the environment. */
#ifndef CRIER_MATRIX_CONFIG_H_INCLUDED
#define CRIER_MATRIX_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char *homeserver;               //  CRIER_MATRIX_HOMESERVER, base URL without trailing slash
    char *access_token;             //  CRIER_MATRIX_ACCESS_TOKEN (or _FILE)
    char *user_id;                  //  CRIER_MATRIX_USER_ID, optional: checked against whoami
    bool autojoin;                  //  CRIER_MATRIX_AUTOJOIN
    unsigned concurrency;           //  CRIER_MATRIX_CONCURRENCY: requests in flight at once
    uint64_t retry_deadline_ms;     //  CRIER_MATRIX_RETRY_DEADLINE
    uint64_t request_timeout_ms;    //  CRIER_MATRIX_TIMEOUT
    char *deliveries_endpoint;      //  CRIER_MATRIX_DELIVERIES_ENDPOINT (connect, PULL)
    char *events_publish_endpoint;  //  CRIER_EVENTS_PUBLISH_ENDPOINT (connect, PUB)
    int hwm;                        //  CRIER_SOCKET_HWM
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
    uint64_t stop_grace_ms;         //  CRIER_STOP_GRACE
} crier_matrix_config_t;

//  Reads every setting, logging each bad or missing one. Returns 0 or -1.
int crier_matrix_config_load (crier_matrix_config_t *config);

void crier_matrix_config_free (crier_matrix_config_t *config);

#endif

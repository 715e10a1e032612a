/*  matrix_config.h - crier-sender-matrix's settings, from the environment. */
#ifndef CRIER_MATRIX_CONFIG_H_INCLUDED
#define CRIER_MATRIX_CONFIG_H_INCLUDED

#include "crier/sender_config.h"
#include "matrix_client.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char *homeserver;             //  CRIER_MATRIX_HOMESERVER, base URL without trailing slash
    char *display_homeserver;     //  the same without user and password, for logs
    char *access_token;           //  CRIER_MATRIX_ACCESS_TOKEN (or _FILE)
    char *user_id;                //  CRIER_MATRIX_USER_ID, optional: checked against whoami
    char *ca_file;                //  CRIER_MATRIX_CA_FILE, optional: a private CA's certificates
    bool autojoin;                //  CRIER_MATRIX_AUTOJOIN
    unsigned concurrency;         //  CRIER_MATRIX_CONCURRENCY: requests in flight at once
    uint64_t request_timeout_ms;  //  CRIER_MATRIX_TIMEOUT
    crier_matrix_http_t http;     //  CRIER_MATRIX_HTTP
    bool e2ee;                    //  CRIER_MATRIX_E2EE: every message through crier-matrix-watch
    char *e2ee_endpoint;          //  CRIER_MATRIX_E2EE_ENDPOINT: where it answers
    crier_sender_config_t sender; //  CRIER_MATRIX_DELIVERIES_ENDPOINT, ..._RETRY_DEADLINE...
} crier_matrix_config_t;

//  Reads every setting, logging each bad or missing one. Returns 0 or -1.
int crier_matrix_config_load (crier_matrix_config_t *config);

void crier_matrix_config_free (crier_matrix_config_t *config);

//  The bot account's settings, shared with crier-matrix-watch: CRIER_MATRIX_HOMESERVER (and its
//  form without credentials, for logs), CRIER_MATRIX_ACCESS_TOKEN (or _FILE), CRIER_MATRIX_USER_ID
//  (optional), CRIER_MATRIX_CA_FILE (optional). Returns 0, or -1 after logging each bad one;
//  free with crier_matrix_account_free.
int crier_matrix_account_load (char **homeserver_p, char **display_p, char **token_p,
                               char **user_id_p, char **ca_file_p);
void crier_matrix_account_free (char **homeserver_p, char **display_p, char **token_p,
                                char **user_id_p, char **ca_file_p);

#endif

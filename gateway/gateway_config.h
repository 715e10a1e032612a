/*  gateway_config.h - crier-gateway's settings, from the environment (README, Configuration). */
#ifndef CRIER_GATEWAY_CONFIG_H_INCLUDED
#define CRIER_GATEWAY_CONFIG_H_INCLUDED

#include "crier/curve.h"
#include "crier/links.h"
#include "crier/log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *listen;       //  CRIER_GATEWAY_LISTEN: host:port ([v6]:port)
    char *tokens_file;  //  CRIER_GATEWAY_TOKENS_FILE: who may send (tokens.h); NULL: none
    char *tls_cert;     //  CRIER_GATEWAY_TLS_CERT: HTTPS, the certificate chain (PEM, read); NULL
    char *tls_key;      //  CRIER_GATEWAY_TLS_KEY: its private key (PEM, read)
    char *ack_endpoint; //  CRIER_ACK_ENDPOINT: crier-ingest's acknowledged endpoint
    char *events_endpoint;          //  CRIER_EVENTS_ENDPOINT: the event bus, for GET /metrics
    char *events_publish_endpoint;  //  CRIER_EVENTS_PUBLISH_ENDPOINT: its heartbeats
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
    crier_links_t links;            //  the stack's identity (or internal CURVE) to join the bus
    uint64_t max_body_bytes;        //  CRIER_GATEWAY_MAX_BODY: a larger request gets 413
    uint64_t alert_max_body_bytes;  //  CRIER_GATEWAY_ALERT_MAX_BODY: an Alertmanager call, at most
    uint64_t alert_repeat_ms; //  CRIER_GATEWAY_ALERT_REPEAT: the same call again within it: a retry
    uint64_t ingest_timeout_ms; //  CRIER_GATEWAY_INGEST_TIMEOUT: no answer by then: 503
    uint64_t client_timeout_ms; //  CRIER_GATEWAY_CLIENT_TIMEOUT: a client silent this long
    uint64_t max_connections;   //  CRIER_GATEWAY_CONNECTIONS: at once, at most
    crier_curve_t *curve; //  CRIER_CURVE_CERT and CRIER_CURVE_SERVER_CERT: CURVE to ingest; NULL
    crier_log_level_t log_level; //  CRIER_LOG_LEVEL
} crier_gateway_config_t;

//  Reads every setting, logging each bad one. Returns 0, or -1 when any was invalid.
int crier_gateway_config_load (crier_gateway_config_t *config);

void crier_gateway_config_free (crier_gateway_config_t *config);

#endif

/*  ingest_config.h - crier-ingest's settings, from the environment. */
#ifndef CRIER_INGEST_CONFIG_H_INCLUDED
#define CRIER_INGEST_CONFIG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *ingest_endpoint;          //  CRIER_INGEST_ENDPOINT: PULL, bound
    char *notifications_endpoint;   //  CRIER_NOTIFICATIONS_ENDPOINT: PUSH to the resolver
    char *events_publish_endpoint;  //  CRIER_EVENTS_PUBLISH_ENDPOINT: PUB to the event bus
    size_t max_message_bytes;       //  CRIER_MAX_MESSAGE_BYTES
    int hwm;                        //  CRIER_SOCKET_HWM
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
} crier_ingest_config_t;

//  Reads every setting, logging each bad one. Returns 0, or -1 when any was invalid.
int crier_ingest_config_load (crier_ingest_config_t *config);

//  Frees the strings; the struct itself belongs to the caller.
void crier_ingest_config_free (crier_ingest_config_t *config);

#endif

/*  sender_config.h - the settings every channel sender reads the same way (each sender adds its
    own beside them): where its deliveries come from and its events go, its links, heartbeat,
    stop grace, retry deadline and log level. */
#ifndef CRIER_SENDER_CONFIG_H_INCLUDED
#define CRIER_SENDER_CONFIG_H_INCLUDED

#include "crier/links.h"
#include "crier/log.h"

#include <stdint.h>

typedef struct {
    const char *deliveries_variable;     //  e.g. CRIER_EMAIL_DELIVERIES_ENDPOINT
    const char *retry_deadline_variable; //  e.g. CRIER_SMTP_RETRY_DEADLINE
    char *deliveries_endpoint;           //  PULL, connected to the resolver
    char *events_publish_endpoint;       //  CRIER_EVENTS_PUBLISH_ENDPOINT: PUB, connected
    crier_links_t links;                 //  CRIER_SOCKET_HWM, CRIER_CURVE_INTERNAL_CERT
    uint64_t heartbeat_interval_ms;      //  CRIER_HEARTBEAT_INTERVAL
    uint64_t stop_grace_ms;              //  CRIER_STOP_GRACE
    uint64_t retry_deadline_ms;          //  how long temporary failures are retried
    crier_log_level_t log_level;         //  CRIER_LOG_LEVEL
} crier_sender_config_t;

//  Reads the shared settings; the two variables (static strings) name the sender's deliveries
//  endpoint (default_endpoint when unset) and retry deadline (1 h when unset). Returns 0, or -1
//  after logging each bad one. Free with crier_sender_config_free in either case.
int crier_sender_config_load (crier_sender_config_t *self, const char *deliveries_variable,
                              const char *default_endpoint, const char *retry_deadline_variable);

void crier_sender_config_free (crier_sender_config_t *self);

#endif

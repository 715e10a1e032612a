/*  resolver_config.h - crier-resolver's settings, from the environment. */
#ifndef CRIER_RESOLVER_CONFIG_H_INCLUDED
#define CRIER_RESOLVER_CONFIG_H_INCLUDED

#include "crier/couchdb.h"
#include "crier/links.h"
#include "crier/log.h"
#include "crier/mapping.h"

#include <stdint.h>

typedef struct {
    char *notifications_endpoint;                   //  PULL, bound: from ingest
    char *deliveries_endpoint[CRIER_CHANNEL_COUNT]; //  PUSH, bound: to each channel's senders
    char *events_publish_endpoint;                  //  the bus's XSUB side, bound
    char *events_endpoint;                          //  the bus's XPUB side, bound
    crier_links_t links;                            //  CRIER_SOCKET_HWM, CRIER_CURVE_INTERNAL_CERT
    crier_log_level_t log_level;                    //  CRIER_LOG_LEVEL
    crier_couchdb_t couchdb;
    uint64_t heartbeat_ms;          //  CRIER_COUCHDB_HEARTBEAT
    uint64_t retry_max_ms;          //  CRIER_COUCHDB_RETRY_MAX
    uint64_t mapping_max_bytes;     //  CRIER_MAPPING_MAX_BYTES
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
    uint64_t stalled_after_ms;      //  CRIER_STALLED_AFTER
    uint64_t stop_grace_ms;         //  CRIER_STOP_GRACE: the bus kept for crier-ingest
    uint64_t fanout_part_size;      //  CRIER_FANOUT_PART_SIZE: past it, a notification goes in
                                    //  parts (docs/delivery.md, Large groups)
} crier_resolver_config_t;

//  Reads every setting, logging each bad one. Returns 0, or -1 when any was invalid.
int crier_resolver_config_load (crier_resolver_config_t *config);

void crier_resolver_config_free (crier_resolver_config_t *config);

#endif

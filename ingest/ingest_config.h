/*  ingest_config.h - crier-ingest's settings, from the environment. */
#ifndef CRIER_INGEST_CONFIG_H_INCLUDED
#define CRIER_INGEST_CONFIG_H_INCLUDED

#include "crier/links.h"
#include "crier/log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *ingest_endpoint;          //  CRIER_INGEST_ENDPOINT: PULL, bound
    char *ack_endpoint;             //  CRIER_INGEST_ACK_ENDPOINT: ROUTER, bound
    char *control_endpoint;         //  CRIER_INGEST_CONTROL_ENDPOINT: ROUTER, bound
    char *events_endpoint;          //  CRIER_EVENTS_ENDPOINT: SUB, the receipts
    char *data_dir;                 //  CRIER_DATA_DIR: the journal
    uint64_t redeliver_after_ms;    //  CRIER_REDELIVER_AFTER: the lease
    uint64_t max_backlog;           //  CRIER_MAX_BACKLOG: accepted and not done, at most
    uint64_t max_dead_letters;      //  CRIER_MAX_DEAD_LETTERS: per client
    uint64_t max_dead_letter_bytes; //  CRIER_MAX_DEAD_LETTER_BYTES: per client
    uint64_t max_in_flight;         //  CRIER_MAX_IN_FLIGHT: sent to the resolver and not done
    uint64_t dedup_window_ms;       //  CRIER_DEDUP_WINDOW
    uint64_t dedup_max;             //  CRIER_DEDUP_MAX
    uint64_t nag_seen_wait_ms;      //  CRIER_NAG_SEEN_WAIT: a nag waiting for crier-matrix-watch
    uint64_t max_pending_nags;      //  CRIER_MAX_PENDING_NAGS: nags held at most (0: no limit)
    uint64_t compact_bytes;         //  CRIER_JOURNAL_COMPACT_BYTES
    char *notifications_endpoint;   //  CRIER_NOTIFICATIONS_ENDPOINT: PUSH to the resolver
    char *events_publish_endpoint;  //  CRIER_EVENTS_PUBLISH_ENDPOINT: PUB to the event bus
    size_t max_message_bytes;       //  CRIER_MAX_MESSAGE_BYTES
    crier_links_t links;            //  CRIER_SOCKET_HWM, CRIER_CURVE_INTERNAL_CERT
    crier_log_level_t log_level;    //  CRIER_LOG_LEVEL
    uint64_t heartbeat_interval_ms; //  CRIER_HEARTBEAT_INTERVAL
    uint64_t stop_grace_ms;         //  CRIER_STOP_GRACE: waiting for outcomes when stopping
    char *curve_secret_key_file;    //  CRIER_CURVE_SECRET_KEY_FILE: NULL for plain sockets
    char *curve_clients_dir;        //  CRIER_CURVE_CLIENTS_DIR: who may connect, with CURVE
} crier_ingest_config_t;

//  Reads every setting, logging each bad one. Returns 0, or -1 when any was invalid.
int crier_ingest_config_load (crier_ingest_config_t *config);

//  Frees the strings; the struct itself belongs to the caller.
void crier_ingest_config_free (crier_ingest_config_t *config);

#endif

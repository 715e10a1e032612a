/*  matrix_watch.h - crier-matrix-watch's actor: the one /sync client of the bot's device. It
    long-polls the homeserver's /sync (filtered to membership, timelines and receipts), keeps its
    position (next_batch) in CRIER_MATRIX_WATCH_DIR so that a restart goes on where it stopped,
    follows crier's own messages in the timelines and publishes delivery.read once per message
    and joined member who read it (read_watch.h has the rule; docs/nag.md). One per bot account:
    two /sync loops on one device would split its to-device messages. */
#ifndef CRIER_MATRIX_WATCH_H_INCLUDED
#define CRIER_MATRIX_WATCH_H_INCLUDED

#include <czmq.h>

//  The actor; args is a crier_watch_config_t that outlives it. Answers START with "OK" and the
//  homeserver, or "ERROR".
void crier_matrix_watch (zsock_t *pipe, void *args);

#endif

/*  sender_main.h - the whole main of a channel sender: options (--help, --version), libcurl,
    settings, log level, the actor served until SIGINT or SIGTERM, exit status. */
#ifndef CRIER_SENDER_MAIN_H_INCLUDED
#define CRIER_SENDER_MAIN_H_INCLUDED

#include "crier/sender_config.h"

#include <czmq.h>
#include <stddef.h>

typedef struct {
    const char *name;  //  e.g. "crier-sender-email"
    const char *usage; //  what --help says it does
    int (*load) (void *config);
    void (*free) (void *config);
    size_t shared_at; //  offsetof the crier_sender_config_t in the sender's config
    zactor_fn *actor; //  started on the loaded config
} crier_sender_program_t;

//  Runs the program on config (the sender's own settings struct, zeroed). Returns the exit
//  status (CRIER_EXIT_CONFIG for bad settings).
int crier_sender_main (int argc, char *argv[], const crier_sender_program_t *program, void *config);

#endif

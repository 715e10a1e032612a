/*  sender_main.c - see sender_main.h. */
#include "crier/sender_main.h"
#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <curl/curl.h>

int crier_sender_main (int argc, char *argv[], const crier_sender_program_t *program, void *config)
{
    crier_log_init (program->name);
    int rc = crier_process_options (argc, argv, program->name, program->usage);
    if (rc >= 0)
        return rc;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        crier_log (CRIER_LOG_ERROR, "process.failed", "error", "libcurl did not initialise");
        return 1;
    }
    if (program->load (config) != 0)
        rc = CRIER_EXIT_CONFIG;
    else {
        const crier_sender_config_t *shared =
            (const crier_sender_config_t *)((const char *)config + program->shared_at);
        crier_log_set_level (shared->log_level);
        zactor_t *server = zactor_new (program->actor, config);
        rc = crier_process_serve (&server, "sender");
    }
    program->free (config);
    curl_global_cleanup ();
    return rc;
}

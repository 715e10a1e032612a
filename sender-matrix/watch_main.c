/*  crier-matrix-watch: follows the bot's /sync and says who read crier's Matrix messages.
    See matrix_watch.h. */
#include "matrix_watch.h"
#include "watch_config.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <curl/curl.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-matrix-watch");
    int rc =
        crier_process_options (argc, argv, "crier-matrix-watch",
                               "Follows the Matrix bot's /sync and publishes delivery.read when a "
                               "member of a room\nreads one of crier's messages (docs/nag.md). "
                               "One per bot account.");
    if (rc >= 0)
        return rc;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        crier_log (CRIER_LOG_ERROR, "process.failed", "error", "libcurl did not initialise");
        return 1;
    }
    crier_watch_config_t config = {0};
    if (crier_watch_config_load (&config) != 0) {
        crier_watch_config_free (&config);
        curl_global_cleanup ();
        return CRIER_EXIT_CONFIG;
    }
    crier_log_set_level (config.log_level);
    zactor_t *watch = zactor_new (crier_matrix_watch, &config);
    rc = crier_process_serve (&watch, "watch");
    crier_watch_config_free (&config);
    curl_global_cleanup ();
    return rc;
}

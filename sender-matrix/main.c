/*  crier-sender-matrix: delivers notifications to Matrix rooms. See matrix_sender.h. */
#include "matrix_config.h"
#include "matrix_sender.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <curl/curl.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-sender-matrix");
    int rc = crier_process_options (argc, argv, "crier-sender-matrix",
                                    "Pulls Matrix deliveries from crier-resolver and sends each "
                                    "to its room, exactly once\n(the transaction id is the "
                                    "delivery id), in order per room, at the homeserver's "
                                    "pace.\nStart several to share the work.");
    if (rc >= 0)
        return rc;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        crier_log (CRIER_LOG_ERROR, "process.failed", "error", "libcurl did not initialise");
        return 1;
    }
    crier_matrix_config_t config = {0};
    if (crier_matrix_config_load (&config) != 0)
        rc = CRIER_EXIT_CONFIG;
    else {
        crier_log_set_level (config.sender.log_level);
        zactor_t *server = zactor_new (crier_matrix_sender, &config);
        rc = crier_process_serve (&server, "sender");
    }
    crier_matrix_config_free (&config);
    curl_global_cleanup ();
    return rc;
}

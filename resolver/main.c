/*  crier-resolver: routes notifications by groups from the live mapping document in CouchDB.
    See resolver_server.h. */
#include "resolver_config.h"
#include "resolver_server.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <curl/curl.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-resolver");
    int rc = crier_process_options (argc, argv, "crier-resolver",
                                    "Follows the mapping document in CouchDB and turns each "
                                    "notification from crier-ingest\ninto deliveries for the "
                                    "channel senders. Hosts the event bus.");
    if (rc >= 0)
        return rc;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        crier_log (CRIER_LOG_ERROR, "process.failed", "error", "libcurl did not initialise");
        return 1;
    }
    crier_resolver_config_t config = {0};
    if (crier_resolver_config_load (&config) != 0) {
        crier_resolver_config_free (&config);
        curl_global_cleanup ();
        return CRIER_EXIT_CONFIG;
    }
    crier_log_set_level (config.log_level);
    zactor_t *server = zactor_new (crier_resolver_server, &config);
    rc = crier_process_serve (&server, "resolver");
    crier_resolver_config_free (&config);
    curl_global_cleanup ();
    return rc;
}

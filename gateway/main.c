/*  crier-gateway: HTTP intake for crier (docs/http.md); see gateway_server.h. */
#include "gateway_config.h"
#include "gateway_server.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <signal.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-gateway");
    int rc = crier_process_options (argc, argv, "crier-gateway",
                                    "Takes notifications over HTTP (POST /v1/notifications, "
                                    "POST /v1/groups/{name})\nand hands them to crier-ingest's "
                                    "acknowledged endpoint (docs/http.md).");
    if (rc >= 0)
        return rc;
    //  A client that hangs up while its answer is written must not end the process.
    signal (SIGPIPE, SIG_IGN);
    crier_gateway_config_t config = {0};
    if (crier_gateway_config_load (&config) != 0) {
        crier_gateway_config_free (&config);
        return CRIER_EXIT_CONFIG;
    }
    crier_log_set_level (config.log_level);
    zactor_t *server = zactor_new (crier_gateway_server, &config);
    rc = crier_process_serve (&server, "gateway");
    crier_gateway_config_free (&config);
    return rc;
}

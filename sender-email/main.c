/*  crier-sender-email: delivers notifications by email over SMTP. See email_sender.h. */
#include "email_config.h"
#include "email_sender.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <curl/curl.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-sender-email");
    int rc = crier_process_options (argc, argv, "crier-sender-email",
                                    "Pulls email deliveries from crier-resolver and sends each "
                                    "as one email to one recipient\nover SMTP, reusing "
                                    "connections. Start several to share the work.");
    if (rc >= 0)
        return rc;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        crier_log (CRIER_LOG_ERROR, "process.failed", "error", "libcurl did not initialise");
        return 1;
    }
    crier_email_config_t config = {0};
    if (crier_email_config_load (&config) != 0)
        rc = CRIER_EXIT_CONFIG;
    else {
        crier_log_set_level (config.sender.log_level);
        zactor_t *server = zactor_new (crier_email_sender, &config);
        rc = crier_process_serve (&server, "sender");
    }
    crier_email_config_free (&config);
    curl_global_cleanup ();
    return rc;
}

/*  crier-sender-email: not built yet. This placeholder keeps the pipeline's shape and says so. */
#include "crier/log.h"
#include "crier/process.h"

int main (int argc, char *argv[])
{
    crier_log_init ("crier-sender-email");
    int rc = crier_process_options (
        argc, argv, "crier-sender-email",
        "Delivers notifications by email over SMTP.\n"
        "NOT IMPLEMENTED YET: this build only has a placeholder that exits.");
    if (rc >= 0)
        return rc;
    crier_log (CRIER_LOG_ERROR, "process.not_implemented", "hint",
               "this version of crier does not have crier-sender-email yet");
    return 1;
}

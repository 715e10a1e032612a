/*  crier-ingest: the front door. Services push notifications here; see ingest_server.h. */
#include "ingest_config.h"
#include "ingest_server.h"

#include "crier/config.h"
#include "crier/log.h"
#include "crier/process.h"

#include <malloc.h>
#include <signal.h>

int main (int argc, char *argv[])
{
    crier_log_init ("crier-ingest");
    int rc = crier_process_options (argc, argv, "crier-ingest",
                                    "Receives notifications from services on a ZeroMQ PULL "
                                    "socket, validates them\nand passes them to crier-resolver.");
    if (rc >= 0)
        return rc;

    //  A file size limit (ulimit -f) must make journal writes fail, which ingest handles, not
    //  kill the process.
    signal (SIGXFSZ, SIG_IGN);
    //  libzmq holds a multi-part message whole before ingest can refuse it (it limits each part,
    //  not their number). Parts of 128 KiB and more are mapped on their own and given back to
    //  the system once freed: glibc's default raises that threshold as large blocks come and
    //  go, after which a client's refused message would stay in ingest's memory for good.
    mallopt (M_MMAP_THRESHOLD, 128 * 1024);
    crier_ingest_config_t config = {0};
    if (crier_ingest_config_load (&config) != 0) {
        crier_ingest_config_free (&config);
        return CRIER_EXIT_CONFIG;
    }
    crier_log_set_level (config.log_level);
    zactor_t *server = zactor_new (crier_ingest_server, &config);
    rc = crier_process_serve (&server, "ingest");
    crier_ingest_config_free (&config);
    return rc;
}

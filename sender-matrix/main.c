/*  crier-sender-matrix: delivers notifications to Matrix rooms. See matrix_sender.h. */
#include "matrix_config.h"
#include "matrix_sender.h"

#include "crier/sender_main.h"

static int s_load (void *config)
{
    return crier_matrix_config_load (config);
}

static void s_free (void *config)
{
    crier_matrix_config_free (config);
}

int main (int argc, char *argv[])
{
    static const crier_sender_program_t program = {
        "crier-sender-matrix",
        "Pulls Matrix deliveries from crier-resolver and sends each to its room, exactly once\n"
        "(the transaction id is the delivery id), in order per room, at the homeserver's pace.\n"
        "Start several to share the work.",
        s_load,
        s_free,
        offsetof (crier_matrix_config_t, sender),
        crier_matrix_sender};
    crier_matrix_config_t config = {0};
    return crier_sender_main (argc, argv, &program, &config);
}

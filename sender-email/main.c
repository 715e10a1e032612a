/*  crier-sender-email: delivers notifications by email over SMTP. See email_sender.h. */
#include "email_config.h"
#include "email_sender.h"

#include "crier/sender_main.h"

static int s_load (void *config)
{
    return crier_email_config_load (config);
}

static void s_free (void *config)
{
    crier_email_config_free (config);
}

int main (int argc, char *argv[])
{
    static const crier_sender_program_t program = {
        "crier-sender-email",
        "Pulls email deliveries from crier-resolver and sends each as one email to one recipient\n"
        "over SMTP, reusing connections. Start several to share the work.",
        s_load,
        s_free,
        offsetof (crier_email_config_t, sender),
        crier_email_sender};
    crier_email_config_t config = {0};
    return crier_sender_main (argc, argv, &program, &config);
}

/*  crier: the command line for people and scripts. main only dispatches to a subcommand. */
#include "commands.h"

#include "crier/log.h"

#include <stdio.h>
#include <string.h>

static const char *s_usage =
    "Usage: crier <command> [options]\n"
    "\n"
    "Commands:\n"
    "  send          push a notification to crier-ingest (crier send --help)\n"
    "  mapping       read, check and store the mapping document (crier mapping --help)\n"
    "  tail          print the events of every crier process as they happen (crier tail --help)\n"
    "  status        which crier processes are up and what they report (crier status --help)\n"
    "  dead-letters  list what could not be delivered, and retry it (crier dead-letters --help)\n"
    "  keygen        make a CURVE certificate pair for crier-ingest or a client (crier keygen "
    "--help)\n"
    "  matrix        cross-sign the Matrix bot's device (crier matrix --help)\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      show the version\n";

typedef struct {
    const char *name;
    int (*run) (int argc, char *argv[]);
} command_t;

static const command_t s_commands[] = {{"send", crier_cmd_send},
                                       {"mapping", crier_cmd_mapping},
                                       {"tail", crier_cmd_tail},
                                       {"status", crier_cmd_status},
                                       {"dead-letters", crier_cmd_dead_letters},
                                       {"keygen", crier_cmd_keygen},
                                       {"matrix", crier_cmd_matrix},
                                       {NULL, NULL}};

int main (int argc, char *argv[])
{
    crier_log_init ("crier");
    if (argc < 2) {
        fputs (s_usage, stderr);
        return CRIER_EXIT_USAGE;
    }
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
        strcmp (argv[1], "help") == 0) {
        fputs (s_usage, stdout);
        return CRIER_EXIT_OK;
    }
    if (strcmp (argv[1], "--version") == 0) {
        printf ("crier %s\n", CRIER_VERSION);
        return CRIER_EXIT_OK;
    }
    for (const command_t *command = s_commands; command->name; command++) {
        if (strcmp (argv[1], command->name) == 0)
            return command->run (argc - 1, argv + 1);
    }
    fprintf (stderr, "crier: unknown command '%s'\n\n%s", argv[1], s_usage);
    return CRIER_EXIT_USAGE;
}

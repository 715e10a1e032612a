/*  usage.c - see usage.h. */
#include "usage.h"
#include "commands.h"

#include <stdio.h>

int cli_fail_usage (const char *command, const char *problem, const char *detail)
{
    fprintf (stderr, "crier %s: %s%s%s\nTry 'crier %s --help'.\n", command, problem,
             detail ? ": " : "", detail ? detail : "", command);
    return CRIER_EXIT_USAGE;
}

int cli_unknown_option (const char *command, int argc, char *argv[], int optind_now)
{
    return cli_fail_usage (command, "unknown or incomplete option",
                           argv[optind_now - 1 < argc ? optind_now - 1 : argc - 1]);
}

/*  usage.c - see usage.h. */
#include "usage.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

int cli_fail_usage (const char *command, const char *problem, const char *detail)
{
    fprintf (stderr, "crier %s: %s%s%s\nTry 'crier %s --help'.\n", command, problem,
             detail ? ": " : "", detail ? detail : "", command);
    return CRIER_EXIT_USAGE;
}

int cli_unknown_option (const char *command, int argc, char *argv[], int optind_now)
{
    int at = optind_now - 1 < argc ? optind_now - 1 : argc - 1;
    //  An option with nothing after it most often lost its value to the shell: an unquoted
    //  '#' starts a comment (crier send --to #admins ...).
    //  getopt names a known option whose value is missing in optopt (0: an unknown one).
    if (at == argc - 1 && optopt != 0)
        return cli_fail_usage (command,
                               "this option needs a value (quote a value that starts with '#': "
                               "a bare # starts a shell comment)",
                               argv[at]);
    return cli_fail_usage (command, "unknown or incomplete option", argv[at]);
}

/*  usage.h - how every crier subcommand reports a bad command line: one line saying what is
    wrong, one pointing at its --help, exit status 2. */
#ifndef CRIER_CLI_USAGE_H_INCLUDED
#define CRIER_CLI_USAGE_H_INCLUDED

//  Prints "crier COMMAND: PROBLEM[: DETAIL]" and the --help hint. Returns CRIER_EXIT_USAGE.
int cli_fail_usage (const char *command, const char *problem, const char *detail);

//  For getopt's '?': names the option it could not take. Returns CRIER_EXIT_USAGE.
int cli_unknown_option (const char *command, int argc, char *argv[], int optind_now);

#endif

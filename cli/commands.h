/*  commands.h - the crier subcommands. Each takes the arguments after its own name (argv[0] is
    the subcommand) and returns the process exit status. */
#ifndef CRIER_CLI_COMMANDS_H_INCLUDED
#define CRIER_CLI_COMMANDS_H_INCLUDED

//  Exit statuses shared by all subcommands.
#define CRIER_EXIT_OK          0
#define CRIER_EXIT_UNAVAILABLE 1 //  crier could not be reached or did not take it
#define CRIER_EXIT_USAGE       2 //  bad arguments or bad input
#define CRIER_EXIT_UNDELIVERED 3 //  crier send --wait: a delivery failed or a group is unroutable
#define CRIER_EXIT_PENDING     4 //  crier send --wait: not every outcome known within the wait

int crier_cmd_send (int argc, char *argv[]);
int crier_cmd_mapping (int argc, char *argv[]);
int crier_cmd_tail (int argc, char *argv[]);
int crier_cmd_status (int argc, char *argv[]);
int crier_cmd_dead_letters (int argc, char *argv[]);
int crier_cmd_keygen (int argc, char *argv[]);
int crier_cmd_matrix (int argc, char *argv[]);

#endif

/*  cmd_keygen.c - crier keygen: makes a CURVE certificate pair for crier-ingest or for one of
    its clients, with the metadata that limits a client (docs/security.md). */
#include "commands.h"
#include "usage.h"

#include "crier/notification.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_usage =
    "Usage: crier keygen [options] NAME\n"
    "\n"
    "Makes a CURVE certificate pair: NAME, the public certificate (hand it to the other side),\n"
    "and NAME_secret, which holds the secret key (keep it where only its owner reads it; it is\n"
    "written with mode 0600). For crier-ingest: CRIER_CURVE_SECRET_KEY_FILE=NAME_secret, and its\n"
    "clients get NAME as --server-cert. For a client: NAME goes into crier-ingest's\n"
    "CRIER_CURVE_CLIENTS_DIR, NAME_secret is the client's --cert.\n"
    "\n"
    "Options:\n"
    "  -d, --dir DIR         where to write them (default: the current folder)\n"
    "      --groups GROUPS   let this client send only to these groups, e.g. '#staff #customers'\n"
    "                        (default: any group)\n"
    "      --operator        let this client use crier-ingest's control endpoint\n"
    "                        (crier dead-letters)\n"
    "      --force           replace existing files\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 written, 1 could not write, 2 bad arguments.\n";

//  Checks "#a #b,#c": every group a valid group name. Returns 0, or an exit status.
static int s_check_groups (const char *groups)
{
    char copy[4096];
    if (snprintf (copy, sizeof copy, "%s", groups) >= (int)sizeof copy)
        return cli_fail_usage ("keygen", "--groups is too long", NULL);
    char *state = NULL;
    int count = 0;
    for (char *group = strtok_r (copy, " ,\t", &state); group;
         group = strtok_r (NULL, " ,\t", &state), count++) {
        char message[200];
        if (crier_group_name_check (group, strlen (group), message, sizeof message) != 0)
            return cli_fail_usage ("keygen", message, group);
    }
    return count > 0 ? 0 : cli_fail_usage ("keygen", "--groups names no group", groups);
}

int crier_cmd_keygen (int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"dir", required_argument, NULL, 'd'}, {"groups", required_argument, NULL, 'g'},
        {"operator", no_argument, NULL, 'o'},  {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    const char *dir = ".", *groups = NULL;
    bool operator= false, force = false;
    int option;
    opterr = 0;
    optind = 1;
    while ((option = getopt_long (argc, argv, "+d:h", long_options, NULL)) != -1) {
        switch (option) {
            case 'd':
                dir = optarg;
                break;
            case 'g':
                groups = optarg;
                break;
            case 'o':
                operator= true;
                break;
            case 'f':
                force = true;
                break;
            case 'h':
                fputs (s_usage, stdout);
                return CRIER_EXIT_OK;
            default:
                return cli_unknown_option ("keygen", argc, argv, optind);
        }
    }
    if (optind != argc - 1)
        return cli_fail_usage ("keygen", optind < argc ? "only one NAME" : "NAME is missing", NULL);
    const char *name = argv[optind];
    size_t name_length = strlen (name);
    if (!*name || strchr (name, '/') || name[0] == '.' ||
        (name_length >= 7 && strcmp (name + name_length - 7, "_secret") == 0))
        return cli_fail_usage ("keygen",
                               "NAME must be a file name (no '/', not starting with '.', not "
                               "ending in _secret)",
                               name);
    int status = groups ? s_check_groups (groups) : 0;
    if (status != 0)
        return status;

    char public_path[256], secret_path[264];
    if (snprintf (public_path, sizeof public_path, "%s/%s", dir, name) >= 240)
        return cli_fail_usage ("keygen", "DIR/NAME is too long", NULL);
    snprintf (secret_path, sizeof secret_path, "%s_secret", public_path);
    if (!force && (access (public_path, F_OK) == 0 || access (secret_path, F_OK) == 0)) {
        fprintf (stderr, "crier keygen: %s or its _secret exists; pass --force to replace it\n",
                 public_path);
        return CRIER_EXIT_UNAVAILABLE;
    }
    //  The folder is made (private) when it does not exist: docs/security.md's first step.
    if (access (dir, F_OK) != 0 && mkdir (dir, 0700) != 0) {
        fprintf (stderr, "crier keygen: could not make the folder %s: %s\n", dir, strerror (errno));
        return CRIER_EXIT_UNAVAILABLE;
    }
    zcert_t *cert = zcert_new ();
    if (!cert || !zsys_has_curve ()) {
        fprintf (stderr, "crier keygen: could not make keys: this libzmq has no CURVE\n");
        zcert_destroy (&cert);
        return CRIER_EXIT_UNAVAILABLE;
    }
    zcert_set_meta (cert, "name", "%s", name);
    if (groups)
        zcert_set_meta (cert, "groups", "%s", groups);
    if (operator)
        zcert_set_meta (cert, "operator", "yes");
    //  The secret file is made private before its key is written into it.
    mode_t mask = umask (077);
    int rc = zcert_save (cert, public_path);
    umask (mask);
    if (rc == 0)
        rc = chmod (public_path, 0644);
    if (rc != 0) {
        fprintf (stderr, "crier keygen: could not write %s: %s\n", public_path, strerror (errno));
        status = CRIER_EXIT_UNAVAILABLE;
    } else
        printf ("public: %s (key %s)\nsecret: %s\n", public_path, zcert_public_txt (cert),
                secret_path);
    zcert_destroy (&cert);
    return status;
}

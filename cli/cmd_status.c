/*  cmd_status.c - crier status: which crier processes are up and what they report. Its
    subscription to process.heartbeat asks every process for a heartbeat at once (docs/protocol.md
    §3), so the answers come in milliseconds; it stops once QUIET_MS pass without a new one. */
#include "bus.h"
#include "commands.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/event.h"

#include <czmq.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  The answers to one request come within about 100 ms of each other (each process looks for
//  requests that often): once this long passes without a new process, every running one has
//  answered (a process busy syncing its journal on a slow disk may take a few hundred more).
#define QUIET_MS 500

static const char *s_usage =
    "Usage: crier status [--wait T] [--only PROCESS] [--here] [--endpoint URL]\n"
    "\n"
    "Asks every crier process for its heartbeat over the event bus and prints one line per\n"
    "process: its name, its instance (host:pid) and what it reports (mapping revision, counts,\n"
    "connections). It returns as soon as the answers stop coming (well under a second), or\n"
    "after T when none comes.\n"
    "\n"
    "Options:\n"
    "      --wait T          how long to wait for a first answer (default 2s)\n"
    "      --only PROCESS    only that process, e.g. crier-resolver\n"
    "      --here            only processes on this host (a container's healthcheck)\n"
    "  -e, --endpoint URL    the event bus (default: $CRIER_EVENTS_ENDPOINT or\n"
    "                        " CRIER_DEFAULT_EVENTS_ENDPOINT "); with several cores, one\n"
    "                        per core separated by commas: every core's processes are listed\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 when at least one (matching) process answered (a core whose bus did not\n"
    "answer is named on stderr), 1 when none did or the event bus refused this command\n"
    "(another stack), 2 bad arguments.\n";

//  Prints one process: name, instance, then its own fields as key=value.
static void s_print (const char *instance, json_t *heartbeat)
{
    printf ("%-22s %-28s", json_string_value (json_object_get (heartbeat, "source")), instance);
    const char *key;
    json_t *value;
    json_object_foreach (heartbeat, key, value)
    {
        if (strcmp (key, "v") == 0 || strcmp (key, "type") == 0 || strcmp (key, "time") == 0 ||
            strcmp (key, "source") == 0 || strcmp (key, "instance") == 0)
            continue;
        if (json_is_string (value))
            printf (" %s=%s", key, json_string_value (value));
        else if (json_is_integer (value))
            printf (" %s=%lld", key, (long long)json_integer_value (value));
    }
    printf ("\n");
}

int crier_cmd_status (int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"wait", required_argument, NULL, 'w'}, {"only", required_argument, NULL, 'o'},
        {"here", no_argument, NULL, 'H'},       {"endpoint", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    char *endpoint = NULL;
    if (crier_config_endpoints ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                &endpoint) != 0)
        return CRIER_EXIT_USAGE;
    uint64_t wait_ms = 2000;
    const char *only = NULL;
    char here[256] = "";
    int option;
    opterr = 0;
    optind = 1;
    while ((option = getopt_long (argc, argv, "+e:h", long_options, NULL)) != -1) {
        if (option == 'e') {
            free (endpoint);
            endpoint = strdup (optarg);
        } else if (option == 'w' && crier_duration_parse (optarg, &wait_ms) == 0 && wait_ms > 0)
            continue;
        else if (option == 'o')
            only = optarg;
        else if (option == 'H') {
            //  Instances are "host:pid": keep those of this host.
            gethostname (here, sizeof here - 2);
            here[sizeof here - 2] = '\0';
            strcat (here, ":");
        } else {
            fputs (option == 'h' ? s_usage : "crier status: bad option; see crier status --help\n",
                   option == 'h' ? stdout : stderr);
            free (endpoint);
            return option == 'h' ? CRIER_EXIT_OK : CRIER_EXIT_USAGE;
        }
    }
    const char *topics[] = {"process.heartbeat", NULL};
    bus_result_t connection;
    int64_t deadline = zclock_mono () + (int64_t)wait_ms;
    bus_t *bus = bus_subscribe ("crier status", endpoint, topics, wait_ms, &connection);
    if (!bus) {
        free (endpoint);
        return CRIER_EXIT_UNAVAILABLE;
    }
    //  The latest heartbeat of each instance, in the order they were first heard.
    json_t *seen = json_object ();
    int64_t quiet_from = 0; //  when the last new instance answered
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        int64_t left = quiet_from ? quiet_from + QUIET_MS - now : deadline - now;
        if (left <= 0)
            break;
        char *type = NULL;
        zframe_t *body = NULL;
        if (bus_receive (bus, (int)left, &type, &body) != 0)
            continue;
        char *text = body ? crier_event_to_json (zframe_data (body), zframe_size (body)) : NULL;
        json_t *heartbeat = text ? json_loads (text, 0, NULL) : NULL;
        const char *instance = json_string_value (json_object_get (heartbeat, "instance"));
        const char *source = json_string_value (json_object_get (heartbeat, "source"));
        bool wanted = instance && source && (!only || strcmp (source, only) == 0) &&
                      (!here[0] || strncmp (instance, here, strlen (here)) == 0);
        if (wanted && !json_object_get (seen, instance))
            quiet_from = zclock_mono ();
        if (wanted)
            json_object_set (seen, instance, heartbeat);
        json_decref (heartbeat);
        free (text);
        zstr_free (&type);
        zframe_destroy (&body);
    }
    int status = CRIER_EXIT_OK;
    if (json_object_size (seen) == 0 && connection == BUS_CONNECTED)
        fprintf (stderr,
                 "crier status: the event bus at %s answered, but no %s%s did within %llums%s\n",
                 endpoint, only ? only : "crier process", here[0] ? " on this host" : "",
                 (unsigned long long)wait_ms,
                 only ? "; is it running, and is the name right (crier-ingest, crier-resolver, "
                        "crier-sender-matrix, crier-sender-email)?"
                      : "");
    else if (json_object_size (seen) == 0)
        fprintf (stderr,
                 "crier status: nothing answers at %s within %llums; is crier-resolver running "
                 "(it hosts the event bus)? Set --endpoint or CRIER_EVENTS_ENDPOINT if it "
                 "listens elsewhere.\n",
                 endpoint, (unsigned long long)wait_ms);
    if (json_object_size (seen) == 0) {
        status = CRIER_EXIT_UNAVAILABLE;
    } else {
        printf ("%-22s %-28s %s\n", "PROCESS", "INSTANCE", "REPORTS");
        const char *instance;
        json_t *heartbeat;
        json_object_foreach (seen, instance, heartbeat)
        {
            s_print (instance, heartbeat);
        }
    }
    //  With several cores, a core whose bus is silent is down or unreachable: said, not hidden.
    if (json_object_size (seen) > 0 && connection == BUS_UNREACHABLE)
        fprintf (stderr,
                 "crier status: nothing answers at %s: is that core's crier-resolver running "
                 "(it hosts its event bus)? Its processes are not listed.\n",
                 bus_unreached (bus));
    json_decref (seen);
    bus_destroy (&bus);
    free (endpoint);
    return status;
}

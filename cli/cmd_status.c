/*  cmd_status.c - crier status: which crier processes are up and what they report, from the
    heartbeats every process publishes on the event bus. */
#include "commands.h"

#include "crier/links.h"
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

static const char *s_usage =
    "Usage: crier status [--wait T] [--only PROCESS] [--here] [--endpoint URL]\n"
    "\n"
    "Listens to the event bus for the heartbeats every crier process publishes (every\n"
    "CRIER_HEARTBEAT_INTERVAL, 5s by default) and prints one line per process: its name, its\n"
    "instance (host:pid) and what it reports (mapping revision, counts, connections).\n"
    "\n"
    "Options:\n"
    "      --wait T          how long to listen (default 6s)\n"
    "      --only PROCESS    only that process, e.g. crier-resolver\n"
    "      --here            only processes on this host (a container's healthcheck)\n"
    "  -e, --endpoint URL    the event bus (default: $CRIER_EVENTS_ENDPOINT or\n"
    "                        " CRIER_DEFAULT_EVENTS_ENDPOINT ")\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 when at least one (matching) process answered, 1 when none did, 2 bad\n"
    "arguments.\n";

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
    if (crier_config_endpoint ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT, &endpoint) !=
        0)
        return CRIER_EXIT_USAGE;
    uint64_t wait_ms = 6000;
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
    zsock_t *subscriber = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (subscriber, "process.heartbeat");
    crier_links_t links = {0};
    int loaded = crier_links_load (&links);
    crier_links_secure (&links, subscriber, false);
    if (loaded != 0 || zsock_connect (subscriber, "%s", endpoint) != 0) {
        crier_links_free (&links);
        fprintf (stderr, "crier status: bad endpoint '%s' or CRIER_CURVE_INTERNAL_CERT\n",
                 endpoint);
        zsock_destroy (&subscriber);
        free (endpoint);
        return CRIER_EXIT_USAGE;
    }
    //  The latest heartbeat of each instance, in the order they were first heard.
    json_t *seen = json_object ();
    int64_t deadline = zclock_mono () + (int64_t)wait_ms;
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        zsock_set_rcvtimeo (subscriber, (int)left);
        char *type = NULL;
        zframe_t *body = NULL;
        if (zsock_recv (subscriber, "sf", &type, &body) != 0)
            continue;
        char *text = body ? crier_event_to_json (zframe_data (body), zframe_size (body)) : NULL;
        json_t *heartbeat = text ? json_loads (text, 0, NULL) : NULL;
        const char *instance = json_string_value (json_object_get (heartbeat, "instance"));
        const char *source = json_string_value (json_object_get (heartbeat, "source"));
        bool wanted = instance && source && (!only || strcmp (source, only) == 0) &&
                      (!here[0] || strncmp (instance, here, strlen (here)) == 0);
        if (wanted)
            json_object_set (seen, instance, heartbeat);
        json_decref (heartbeat);
        free (text);
        zstr_free (&type);
        zframe_destroy (&body);
    }
    int status = CRIER_EXIT_OK;
    if (json_object_size (seen) == 0) {
        fprintf (stderr,
                 "crier status: no %s%s answered on %s within %llums; is crier-resolver "
                 "running (it hosts the event bus)? Set --endpoint or CRIER_EVENTS_ENDPOINT if it "
                 "listens elsewhere.\n",
                 only ? only : "crier process", here[0] ? " on this host" : "", endpoint,
                 (unsigned long long)wait_ms);
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
    json_decref (seen);
    zsock_destroy (&subscriber);
    crier_links_free (&links);
    free (endpoint);
    return status;
}

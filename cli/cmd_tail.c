/*  cmd_tail.c - crier tail: print every event on the bus, one JSON object per line. */
#include "bus.h"
#include "commands.h"
#include "usage.h"

#include "crier/config.h"
#include "crier/endpoints.h"
#include "crier/event.h"

#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  How long crier tail waits for the event bus before it says what may be wrong.
#define CONNECT_MS 3000

static const char *s_usage =
    "Usage: crier tail [--filter PREFIX ...] [--count N] [--timeout T] [--endpoint URL]\n"
    "\n"
    "Prints the events of every crier process as they happen, one JSON object per line, until\n"
    "Ctrl-C. Events are listed in docs/protocol.md.\n"
    "\n"
    "Options:\n"
    "  -f, --filter PREFIX   only events whose type starts with PREFIX, e.g. delivery. or\n"
    "                        mapping. (repeatable; default: all)\n"
    "  -n, --count N         stop after N events\n"
    "      --timeout T       stop after T (e.g. 30s); exit status 1 if no event came\n"
    "  -e, --endpoint URL    the event bus (default: $CRIER_EVENTS_ENDPOINT or\n"
    "                        " CRIER_DEFAULT_EVENTS_ENDPOINT "); with several cores, one\n"
    "                        per core separated by commas: each event is printed once\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 on Ctrl-C or after N events, 1 when --timeout passed without any event or\n"
    "the event bus refused this command (another stack), 2 bad arguments.\n";

int crier_cmd_tail (int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"filter", required_argument, NULL, 'f'},  {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 'T'}, {"endpoint", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    char *endpoint = NULL;
    if (crier_config_endpoints ("CRIER_EVENTS_ENDPOINT", CRIER_DEFAULT_EVENTS_ENDPOINT,
                                &endpoint) != 0)
        return CRIER_EXIT_USAGE;
    zlist_t *filters = zlist_new ();
    long count = -1;
    uint64_t timeout_ms = 0;
    int option, status = -1;
    opterr = 0;
    optind = 1;
    while (status < 0 &&
           (option = getopt_long (argc, argv, "+f:n:e:h", long_options, NULL)) != -1) {
        switch (option) {
            case 'f':
                zlist_append (filters, optarg);
                break;
            case 'n': {
                char *end = NULL;
                count = strtol (optarg, &end, 10);
                if (!*optarg || *end || count < 1)
                    status = cli_fail_usage ("tail", "--count needs a number of events, 1 or more",
                                             optarg);
                break;
            }
            case 'e':
                free (endpoint);
                endpoint = strdup (optarg);
                break;
            case 'T':
                if (crier_duration_parse (optarg, &timeout_ms) != 0 || timeout_ms == 0)
                    status =
                        cli_fail_usage ("tail", "--timeout needs a duration such as 30s", optarg);
                break;
            case 'h':
                fputs (s_usage, stdout);
                status = CRIER_EXIT_OK;
                break;
            default:
                status = cli_unknown_option ("tail", argc, argv, optind);
        }
    }
    //  The filters as topics, NULL-ended.
    const char *topics[64] = {NULL};
    size_t topic_count = 0;
    for (const char *filter = zlist_first (filters); filter && topic_count < 63;
         filter = zlist_next (filters))
        topics[topic_count++] = filter;
    if (status < 0 && zlist_size (filters) > 63)
        status = cli_fail_usage ("tail", "at most 63 --filter options", "");
    bus_result_t connection = BUS_FAILED;
    uint64_t connect_ms = timeout_ms && timeout_ms < CONNECT_MS ? timeout_ms : CONNECT_MS;
    bus_t *bus =
        status < 0 ? bus_subscribe ("crier tail", endpoint, topics, connect_ms, &connection) : NULL;
    if (status < 0 && !bus)
        status = CRIER_EXIT_UNAVAILABLE;
    //  Said once rather than waiting without a word; the socket keeps trying.
    if (connection == BUS_UNREACHABLE)
        fprintf (stderr,
                 "crier tail: nothing answers at %s yet; is crier-resolver running there (it "
                 "carries the event bus), and is it the right endpoint (CRIER_EVENTS_ENDPOINT, "
                 "--endpoint)? Waiting\n",
                 bus_unreached (bus));
    long seen = 0;
    int64_t started = zclock_mono ();
    int64_t deadline = timeout_ms ? started + (int64_t)timeout_ms : 0;
    while (status < 0 && !zsys_interrupted) {
        int64_t wait = deadline ? deadline - zclock_mono () : 1000;
        if (deadline && wait <= 0)
            break;
        char *type = NULL;
        zframe_t *body = NULL;
        if (bus_receive (bus, (int)(wait < 1000 ? wait : 1000), &type, &body) != 0)
            continue;
        char *json = body ? crier_event_to_json (zframe_data (body), zframe_size (body)) : NULL;
        printf ("%s\n", json ? json : "{\"error\": \"an event that is not a msgpack map\"}");
        fflush (stdout);
        free (json);
        zstr_free (&type);
        zframe_destroy (&body);
        if (++seen == count)
            status = CRIER_EXIT_OK;
    }
    if (status < 0 && seen == 0 && deadline && !zsys_interrupted)
        fprintf (stderr, "crier tail: no event%s from %s within the timeout\n",
                 topic_count ? " matching the filters" : "", endpoint);
    if (status < 0)
        status = seen > 0 || !deadline ? CRIER_EXIT_OK : CRIER_EXIT_UNAVAILABLE;
    bus_destroy (&bus);
    zlist_destroy (&filters);
    free (endpoint);
    return status;
}

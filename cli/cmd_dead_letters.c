/*  cmd_dead_letters.c - crier dead-letters: list what crier could not deliver, and put it back
    to be tried again, through crier-ingest's control endpoint (docs/delivery.md). */
#include "commands.h"
#include "usage.h"
#include "ingest_request.h"

#include "crier/config.h"
#include "crier/control.h"
#include "crier/endpoints.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_usage =
    "Usage: crier dead-letters [--limit N] [options]\n"
    "       crier dead-letters retry ID|--all [options]\n"
    "       crier dead-letters drop ID|--all [options]\n"
    "\n"
    "Dead letters are deliveries that failed for good (e.g. a mail server's 5xx, a room that\n"
    "refuses the bot) and groups that the mapping did not know when they were sent. The first\n"
    "form lists them, oldest first, one per line:\n"
    "    TIME  NOTIFICATION-ID  DELIVERY-ID  CHANNEL  TARGET  REASON\n"
    "(DELIVERY-ID and CHANNEL are '-' for unroutable groups; TARGET then lists the groups).\n"
    "The second form tries them again: ID is a notification id (all of its dead letters) or a\n"
    "delivery id; --all retries every one. The third lets them go for good: ID is a notification\n"
    "id (a notification that only dead letters keep); --all drops every such notification.\n"
    "Each client's dead letters count toward its share (CRIER_MAX_DEAD_LETTERS,\n"
    "CRIER_MAX_DEAD_LETTER_BYTES): past it, that client is refused until they are retried or\n"
    "dropped.\n"
    "\n"
    "Options:\n"
    "  -n, --limit N         list at most N (1 to 10000, default 100)\n"
    "  -e, --endpoint URL    crier-ingest's control endpoint (default:\n"
    "                        $CRIER_CONTROL_ENDPOINT or " CRIER_DEFAULT_INGEST_CONTROL_ENDPOINT
    ")\n"
    "      --timeout T       how long to wait for crier-ingest (default 5s)\n"
    "      --cert FILE       an operator's secret CURVE certificate, when crier-ingest uses\n"
    "                        CURVE (default: $CRIER_CURVE_CERT; docs/security.md)\n"
    "      --server-cert FILE  crier-ingest's public certificate (default:\n"
    "                        $CRIER_CURVE_SERVER_CERT)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 done, 1 crier-ingest could not be reached, refused this client, or nothing\n"
    "matched ID, 2 bad arguments.\n";

static void s_print_letter (const crier_dead_letter_t *letter)
{
    char when[32] = "?";
    time_t seconds = (time_t)(letter->time_ms / 1000);
    struct tm utc;
    if (gmtime_r (&seconds, &utc))
        strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
    printf ("%s\t%s\t%s\t%s\t%s\t%s\n", when, letter->notification_id,
            letter->delivery_id ? letter->delivery_id : "-",
            letter->channel ? letter->channel : "-", letter->target, letter->reason);
}

//  Prints the answer. Returns an exit status.
static int s_report (const crier_control_request_t *request, const crier_control_reply_t *reply)
{
    if (!reply->ok) {
        fprintf (stderr, "crier dead-letters: %s\n", reply->error ? reply->error : "failed");
        return CRIER_EXIT_UNAVAILABLE;
    }
    if (request->op == CRIER_CONTROL_RETRY) {
        printf ("%llu dead letter%s put back to be sent again\n",
                (unsigned long long)reply->retried, reply->retried == 1 ? "" : "s");
        return CRIER_EXIT_OK;
    }
    if (request->op == CRIER_CONTROL_DROP) {
        printf ("%llu notification%s let go with their dead letters\n",
                (unsigned long long)reply->dropped, reply->dropped == 1 ? "" : "s");
        return CRIER_EXIT_OK;
    }
    for (size_t index = 0; index < reply->count; index++)
        s_print_letter (&reply->dead_letters[index]);
    if (reply->total > reply->count)
        fprintf (stderr, "crier dead-letters: %llu in all, %zu shown (--limit)\n",
                 (unsigned long long)reply->total, reply->count);
    else if (reply->total == 0)
        fprintf (stderr, "crier dead-letters: none\n");
    return CRIER_EXIT_OK;
}

static int s_ask (const char *endpoint, const crier_curve_t *curve, const crier_links_t *links,
                  uint64_t timeout_ms, const crier_control_request_t *request)
{
    char *data;
    size_t size;
    if (crier_control_request_encode (request, &data, &size) != 0)
        return cli_fail_usage ("dead-letters", "out of memory", NULL);
    zframe_t *answer;
    ingest_request_result_t result = ingest_request ("crier dead-letters", endpoint, curve, links,
                                                     timeout_ms, data, size, &answer);
    free (data);
    if (result != INGEST_ANSWERED)
        return result == INGEST_BAD_ENDPOINT ? CRIER_EXIT_USAGE : CRIER_EXIT_UNAVAILABLE;
    crier_control_reply_t reply;
    crier_error_t error;
    int status;
    if (crier_control_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error) !=
        0) {
        fprintf (stderr,
                 "crier dead-letters: %s answered something else than a control reply (%s: %s); "
                 "is it crier-ingest's control endpoint?\n",
                 endpoint, error.field, error.message);
        status = CRIER_EXIT_UNAVAILABLE;
    } else
        status = s_report (request, &reply);
    crier_control_reply_free (&reply);
    zframe_destroy (&answer);
    return status;
}

int crier_cmd_dead_letters (int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"limit", required_argument, NULL, 'n'},    {"all", no_argument, NULL, 'a'},
        {"endpoint", required_argument, NULL, 'e'}, {"timeout", required_argument, NULL, 'T'},
        {"cert", required_argument, NULL, 'c'},     {"server-cert", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    crier_control_request_t request = {.op = CRIER_CONTROL_DEAD_LETTERS,
                                       .limit = CRIER_CONTROL_DEFAULT_LIMIT};
    const char *endpoint_option = NULL, *cert = NULL, *server_cert = NULL;
    uint64_t timeout_ms = 5000, limit = CRIER_CONTROL_DEFAULT_LIMIT;
    int all = 0, option;
    opterr = 0;
    optind = 1;
    //  "retry" or "drop" comes first, before its options.
    if (argc > 1 && (strcmp (argv[1], "retry") == 0 || strcmp (argv[1], "drop") == 0)) {
        request.op = strcmp (argv[1], "retry") == 0 ? CRIER_CONTROL_RETRY : CRIER_CONTROL_DROP;
        argv++;
        argc--;
    }
    while ((option = getopt_long (argc, argv, "+n:e:h", long_options, NULL)) != -1) {
        switch (option) {
            case 'n':
                if (crier_uint_parse (optarg, &limit) != 0 || limit < 1 ||
                    limit > CRIER_CONTROL_MAX_LIMIT)
                    return cli_fail_usage ("dead-letters", "--limit needs a number from 1 to 10000",
                                           optarg);
                break;
            case 'a':
                all = 1;
                break;
            case 'e':
                endpoint_option = optarg;
                break;
            case 'c':
                cert = optarg;
                break;
            case 'S':
                server_cert = optarg;
                break;
            case 'T':
                if (ingest_request_timeout ("crier dead-letters", optarg, &timeout_ms) != 0)
                    return CRIER_EXIT_USAGE;
                break;
            case 'h':
                fputs (s_usage, stdout);
                return CRIER_EXIT_OK;
            default:
                return cli_unknown_option ("dead-letters", argc, argv, optind);
        }
    }
    const char *id = optind < argc ? argv[optind] : NULL;
    if (request.op == CRIER_CONTROL_DEAD_LETTERS && (id || all))
        return cli_fail_usage ("dead-letters", "an ID or --all only goes with 'retry' or 'drop'",
                               id);
    if (request.op != CRIER_CONTROL_DEAD_LETTERS && !id == !all)
        return cli_fail_usage ("dead-letters", "retry and drop need exactly one of ID or --all",
                               id);
    if (optind + 1 < argc)
        return cli_fail_usage ("dead-letters", "more than one ID", argv[optind + 1]);
    request.limit = (uint32_t)limit;
    request.id = (char *)id;
    char *endpoint = NULL;
    bool failed = false;
    crier_curve_t *curve = ingest_request_curve ("crier dead-letters", cert, server_cert, &failed);
    //  Without CURVE for clients, the control endpoint asks for the stack's own security.
    crier_links_t links = {0};
    if (!failed && !curve && crier_links_load (&links) != 0)
        failed = true;
    int status;
    if (failed)
        status = CRIER_EXIT_USAGE;
    else if (endpoint_option)
        status = s_ask (endpoint_option, curve, &links, timeout_ms, &request);
    else if (crier_config_endpoint ("CRIER_CONTROL_ENDPOINT", CRIER_DEFAULT_INGEST_CONTROL_ENDPOINT,
                                    &endpoint) != 0)
        status = CRIER_EXIT_USAGE;
    else
        status = s_ask (endpoint, curve, &links, timeout_ms, &request);
    free (endpoint);
    crier_links_free (&links);
    crier_curve_destroy (&curve);
    return status;
}

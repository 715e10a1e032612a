/*  cmd_send.c - crier send: build a notification from the command line, check it with the same
    codec crier-ingest uses, and push it. */
#include "commands.h"
#include "usage.h"
#include "ingest_request.h"

#include "crier/config.h"
#include "crier/endpoint_list.h"
#include "crier/endpoints.h"
#include "crier/id.h"
#include "crier/notification.h"
#include "crier/reply.h"
#include "crier/socket.h"
#include "crier/wait.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  --wait without a duration, and the most it may be.
#define DEFAULT_WAIT_MS 60000
#define MAX_WAIT_MS     (24 * 60 * 60 * 1000)
//  How long one wait request asks crier-ingest to hold it, at most.
#define WAIT_ROUND_MS 30000

static const char *s_usage =
    "Usage: crier send --to GROUP [--to GROUP ...] [options] [BODY]\n"
    "\n"
    "Sends one notification to crier-ingest and waits until it is accepted (written to disk).\n"
    "BODY is the plain text; it is read from standard input when BODY is '-', or absent without\n"
    "--html. Prints the notification id.\n"
    "\n"
    "Options:\n"
    "  -t, --to GROUP        a group from the mapping, e.g. '#admins' (1 to 16 of them)\n"
    "  -s, --subject TEXT    a subject line\n"
    "      --html HTML       an HTML version of the message\n"
    "  -p, --priority P      low, normal (default), high or urgent\n"
    "      --id ID           your idempotency key (default: a new UUIDv7); sending the same id\n"
    "                        again within CRIER_DEDUP_WINDOW is accepted and not sent twice\n"
    "      --key KEY         what this notification is about, the same for its repeats (e.g.\n"
    "                        db1/backup-failed): groups with a throttle count repeats\n"
    "  -e, --endpoint URL    crier-ingest's acknowledged endpoint (default: $CRIER_ACK_ENDPOINT\n"
    "                        or " CRIER_DEFAULT_CLIENT_ACK_ENDPOINT "); with several cores,\n"
    "                        one per core separated by commas: the next is tried when one\n"
    "                        does not answer\n"
    "      --no-ack          push without waiting for an answer, to the PULL endpoint\n"
    "                        (default: $CRIER_ENDPOINT or " CRIER_DEFAULT_CLIENT_ENDPOINT ")\n"
    "      --timeout T       how long to wait for crier-ingest, e.g. 500ms, 5s (default 5s)\n"
    "      --wait[=T]        then wait until every delivery has its outcome, up to T (default\n"
    "                        1m), and say what became of each that failed\n"
    "      --cert FILE       this client's secret CURVE certificate, when crier-ingest uses\n"
    "                        CURVE (default: $CRIER_CURVE_CERT; docs/security.md)\n"
    "      --server-cert FILE  crier-ingest's public certificate (default:\n"
    "                        $CRIER_CURVE_SERVER_CERT)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 accepted (or pushed, with --no-ack; with --wait: delivered everywhere), 1\n"
    "crier-ingest could not be reached, did not answer, refused this client's certificate, or\n"
    "cannot take it now (backlog full: try again later), 2 bad arguments, bad input, or refused\n"
    "by crier-ingest as invalid or as not allowed for this client; with --wait, 3 a delivery\n"
    "failed or a group is not in the mapping (crier dead-letters), 4 not every delivery had\n"
    "its outcome within T (crier goes on trying).\n";

typedef struct {
    crier_notification_t *notification;
    char *endpoint;   //  --endpoint, or NULL for the default of the mode: one or one per core
    const char *core; //  the one of them being tried
    bool no_ack;
    uint64_t timeout_ms;
    uint64_t wait_ms; //  --wait: how long to wait for the outcome; 0: do not wait
    size_t max_bytes;
    const char *body_argument;
    const char *cert;        //  --cert
    const char *server_cert; //  --server-cert
    crier_curve_t *curve;    //  NULL: plain
} send_options_t;

//  Reads all of standard input, up to max_bytes. Caller frees; NULL with a message on failure.
static char *s_read_stdin (size_t max_bytes)
{
    //  Someone at a terminal who gave no BODY would otherwise see nothing happen.
    if (isatty (STDIN_FILENO))
        fprintf (stderr, "crier send: type the body, then Ctrl-D on a line of its own (or give "
                         "BODY on the command line)\n");
    char *text = malloc (max_bytes + 1);
    size_t length = text ? fread (text, 1, max_bytes + 1, stdin) : 0;
    if (!text || ferror (stdin) || length > max_bytes) {
        if (text && !ferror (stdin))
            fprintf (stderr,
                     "crier send: the body on standard input is over the limit of %zu bytes "
                     "(CRIER_MAX_MESSAGE_BYTES)\n",
                     max_bytes);
        else
            fprintf (stderr, "crier send: %s\n",
                     !text ? "out of memory" : "could not read the body from standard input");
        free (text);
        return NULL;
    }
    //  A NUL would cut the text short silently (the protocol refuses strings holding one).
    if (memchr (text, '\0', length)) {
        fprintf (stderr,
                 "crier send: the body on standard input holds a NUL byte at byte %zu: send text "
                 "(a binary file is not a message body)\n",
                 (size_t)((char *)memchr (text, '\0', length) - text));
        free (text);
        return NULL;
    }
    text[length] = '\0';
    return text;
}

//  Parses the command line into options. Returns -1 to go on, else an exit status.
static int s_parse (int argc, char *argv[], send_options_t *options)
{
    static const struct option long_options[] = {{"to", required_argument, NULL, 't'},
                                                 {"subject", required_argument, NULL, 's'},
                                                 {"html", required_argument, NULL, 'H'},
                                                 {"priority", required_argument, NULL, 'p'},
                                                 {"id", required_argument, NULL, 'i'},
                                                 {"key", required_argument, NULL, 'k'},
                                                 {"endpoint", required_argument, NULL, 'e'},
                                                 {"timeout", required_argument, NULL, 'T'},
                                                 {"no-ack", no_argument, NULL, 'n'},
                                                 {"cert", required_argument, NULL, 'c'},
                                                 {"server-cert", required_argument, NULL, 'S'},
                                                 {"wait", optional_argument, NULL, 'w'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
    crier_notification_t *notification = options->notification;
    int option;
    opterr = 0;
    optind = 1;
    while ((option = getopt_long (argc, argv, "+t:s:p:e:h", long_options, NULL)) != -1) {
        int failed = 0;
        switch (option) {
            case 't':
                if (crier_notification_add_group (notification, optarg) != 0)
                    return cli_fail_usage ("send", "too many --to", "at most 16 groups");
                break;
            case 's':
                failed = crier_notification_set (&notification->subject, optarg);
                break;
            case 'H':
                failed = crier_notification_set (&notification->html, optarg);
                break;
            case 'i':
                failed = crier_notification_set (&notification->id, optarg);
                break;
            case 'k':
                failed = crier_notification_set (&notification->key, optarg);
                break;
            case 'e':
                failed = crier_notification_set (&options->endpoint, optarg);
                break;
            case 'p':
                if (crier_priority_parse (optarg, &notification->priority) != 0)
                    return cli_fail_usage ("send", "--priority must be low, normal, high or urgent",
                                           optarg);
                break;
            case 'T':
                if (ingest_request_timeout ("crier send", optarg, &options->timeout_ms) != 0)
                    return CRIER_EXIT_USAGE;
                break;
            case 'n':
                options->no_ack = true;
                break;
            case 'w':
                options->wait_ms = DEFAULT_WAIT_MS;
                if (optarg && (crier_duration_parse (optarg, &options->wait_ms) != 0 ||
                               options->wait_ms == 0 || options->wait_ms > MAX_WAIT_MS))
                    return cli_fail_usage ("send",
                                           "--wait needs a duration from 1ms to 24h, "
                                           "e.g. --wait=30s",
                                           optarg);
                break;
            case 'c':
                options->cert = optarg;
                break;
            case 'S':
                options->server_cert = optarg;
                break;
            case 'h':
                fputs (s_usage, stdout);
                return CRIER_EXIT_OK;
            default:
                return cli_unknown_option ("send", argc, argv, optind);
        }
        if (failed)
            return cli_fail_usage ("send", "out of memory", NULL);
    }
    if (optind < argc - 1)
        return cli_fail_usage ("send", "more than one BODY; quote the message", argv[optind + 1]);
    if (options->wait_ms && options->no_ack)
        return cli_fail_usage ("send", "--wait needs an answer, so not --no-ack", "--no-ack");
    options->body_argument = optind < argc ? argv[optind] : NULL;
    return -1;
}

//  Says what became of a notification that is done or given up on. Returns the exit status.
static int s_report (const send_options_t *options, const crier_wait_reply_t *reply)
{
    if (reply->state == CRIER_WAIT_DELIVERED) {
        fprintf (stderr, "crier send: delivered (%llu %s)\n", (unsigned long long)reply->deliveries,
                 reply->deliveries == 1 ? "delivery" : "deliveries");
        return CRIER_EXIT_OK;
    }
    if (reply->state == CRIER_WAIT_UNKNOWN) {
        fprintf (stderr,
                 "crier send: crier-ingest no longer knows %s: it was done more than an hour ago, "
                 "crier-ingest restarted since, or its dead letters were dropped\n",
                 reply->id);
        return CRIER_EXIT_UNAVAILABLE;
    }
    if (reply->state == CRIER_WAIT_PENDING) {
        fprintf (stderr,
                 "crier send: not every delivery had its outcome within %llums: %s%llu of %llu "
                 "delivered so far. crier goes on trying; watch it with crier tail --filter "
                 "delivery.\n",
                 (unsigned long long)options->wait_ms,
                 reply->routed ? "" : "not routed yet (is crier-resolver running?); ",
                 (unsigned long long)reply->delivered, (unsigned long long)reply->deliveries);
        return CRIER_EXIT_PENDING;
    }
    fprintf (stderr, "crier send: not delivered everywhere: %llu of %llu delivered\n",
             (unsigned long long)reply->delivered, (unsigned long long)reply->deliveries);
    for (size_t index = 0; index < reply->count; index++) {
        const crier_dead_letter_t *letter = &reply->dead_letters[index];
        if (letter->channel)
            fprintf (stderr, "  %s %s: %s\n", letter->channel, letter->target, letter->reason);
        else
            fprintf (stderr, "  %s: %s\n", letter->target, letter->reason);
    }
    //  Dead letters name the notification as crier knows it (scoped for a CURVE client).
    fprintf (stderr,
             "crier dead-letters lists them; once fixed (the mapping, a mailbox, a room), crier "
             "dead-letters retry %s sends them again\n",
             reply->count ? reply->dead_letters[0].notification_id : reply->id);
    return CRIER_EXIT_UNDELIVERED;
}

//  Asks crier-ingest, on the connection the notification went over, until it is done or the
//  wait is over. Returns the exit status.
static int s_wait (const send_options_t *options, zsock_t *dealer, const char *id)
{
    int64_t deadline = zclock_mono () + (int64_t)options->wait_ms;
    for (;;) {
        int64_t left = deadline - zclock_mono ();
        //  Held by ingest for a while at most each time, so that a lost answer costs little.
        uint64_t hold = left <= 0 ? 0 : left < WAIT_ROUND_MS ? (uint64_t)left : WAIT_ROUND_MS;
        crier_wait_request_t request = {(char *)id, hold};
        char *data;
        size_t size;
        if (crier_wait_request_encode (&request, &data, &size) != 0)
            return cli_fail_usage ("send", "out of memory", NULL);
        zframe_t *answer;
        ingest_request_result_t result =
            ingest_ask ("crier send --wait", dealer, options->core, hold + options->timeout_ms,
                        data, size, &answer);
        free (data);
        if (result != INGEST_ANSWERED)
            return CRIER_EXIT_UNAVAILABLE;
        crier_wait_reply_t reply;
        crier_error_t error;
        int status = -1;
        if (crier_wait_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error) !=
            0) {
            fprintf (stderr,
                     "crier send --wait: crier-ingest's answer is not a wait answer (%s: %s)\n",
                     error.field, error.message);
            status = CRIER_EXIT_UNAVAILABLE;
        } else if (!reply.ok) {
            fprintf (stderr,
                     "crier send --wait: crier-ingest did not answer the wait request: %s (is it "
                     "older than this crier?)\n",
                     reply.error ? reply.error : "no reason given");
            status = CRIER_EXIT_UNAVAILABLE;
        } else if (reply.state != CRIER_WAIT_PENDING || left <= 0)
            status = s_report (options, &reply);
        crier_wait_reply_free (&reply);
        zframe_destroy (&answer);
        if (status >= 0)
            return status;
    }
}

//  Sends the frame to the acknowledged endpoint and reads the answer; with --wait, then waits
//  for the outcome. Returns an exit status.
static int s_send_acknowledged (const send_options_t *options, const char *frame, size_t size,
                                bool *accepted_p)
{
    int64_t deadline = zclock_mono () + (int64_t)options->timeout_ms;
    ingest_request_result_t result;
    zsock_t *dealer = ingest_open ("crier send", options->core, options->curve, NULL,
                                   options->timeout_ms, &result);
    int64_t left = deadline - zclock_mono ();
    zframe_t *answer = NULL;
    if (dealer)
        result = ingest_ask ("crier send", dealer, options->core, left > 0 ? (uint64_t)left : 0,
                             frame, size, &answer);
    if (result != INGEST_ANSWERED) {
        zsock_destroy (&dealer);
        return result == INGEST_BAD_ENDPOINT ? CRIER_EXIT_USAGE : CRIER_EXIT_UNAVAILABLE;
    }
    crier_reply_t reply;
    crier_error_t error;
    int status;
    if (crier_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error) != 0) {
        fprintf (stderr,
                 "crier send: %s answered something that is not a crier reply (%s: %s); is it "
                 "crier-ingest's acknowledged endpoint?\n",
                 options->core, error.field, error.message);
        status = CRIER_EXIT_UNAVAILABLE;
    } else if (!reply.ok) {
        fprintf (stderr, "crier send: crier-ingest did not accept it: %s\n",
                 reply.error ? reply.error : "no reason given");
        status = reply.temporary ? CRIER_EXIT_UNAVAILABLE : CRIER_EXIT_USAGE;
    } else {
        if (reply.duplicate)
            fprintf (stderr,
                     "crier send: id %s was accepted before (within CRIER_DEDUP_WINDOW); it is "
                     "not sent again\n",
                     reply.id ? reply.id : "?");
        printf ("%s\n", options->notification->id);
        fflush (stdout);
        *accepted_p = true;
        status =
            options->wait_ms ? s_wait (options, dealer, options->notification->id) : CRIER_EXIT_OK;
    }
    crier_reply_free (&reply);
    zframe_destroy (&answer);
    zsock_destroy (&dealer);
    return status;
}

//  Pushes the encoded frame without an answer. Returns an exit status.
static int s_push (const send_options_t *options, const char *frame, size_t size)
{
    zsock_t *push = zsock_new (ZMQ_PUSH);
    if (!push) {
        fprintf (stderr, "crier send: could not create a ZeroMQ socket: %s\n",
                 zmq_strerror (zmq_errno ()));
        return CRIER_EXIT_UNAVAILABLE;
    }
    zsock_set_linger (push, (int)options->timeout_ms);
    int64_t deadline = zclock_mono () + (int64_t)options->timeout_ms;
    //  Connected means the handshake is done: an absent crier-ingest or a refused certificate is
    //  an error, not a silent drop.
    ingest_request_result_t result =
        ingest_connect ("crier send", push, options->core, options->curve, options->timeout_ms);
    int64_t left = deadline - zclock_mono ();
    zsock_set_sndtimeo (push, left > 0 ? (int)left : 0);
    int status = CRIER_EXIT_OK;
    if (result != INGEST_ANSWERED)
        status = result == INGEST_BAD_ENDPOINT ? CRIER_EXIT_USAGE : CRIER_EXIT_UNAVAILABLE;
    else if (crier_socket_send (push, frame, size, 0) != 0) {
        fprintf (stderr, "crier send: could not send to crier-ingest at %s: %s\n", options->core,
                 errno == EAGAIN ? "the connection was lost" : zmq_strerror (errno));
        status = CRIER_EXIT_UNAVAILABLE;
    }
    //  Closing with linger set lets the frame leave before the process exits.
    zsock_destroy (&push);
    return status;
}

//  Sends to the first core that takes it (endpoints listed one per core, tried from a random
//  one on): with the same id, a notification one core did not answer for is sent to the next
//  (docs/deploy.md, "Several cores"); never once a core has accepted it.
static int s_send_to_a_core (send_options_t *options, const char *frame, size_t size)
{
    crier_endpoint_list_t cores;
    if (crier_endpoint_list_parse (options->endpoint, &cores) != 0)
        return cli_fail_usage ("send", "--endpoint needs endpoints separated by commas",
                               options->endpoint);
    //  Microseconds spread the first core over clients started together (randof would need
    //  a seed, and czmq seeds it by the second).
    size_t first = (size_t)(zclock_usecs () % (int64_t)cores.count);
    int status = CRIER_EXIT_UNAVAILABLE;
    bool accepted = false;
    for (size_t tried = 0; tried < cores.count; tried++) {
        options->core = cores.items[(first + tried) % cores.count];
        if (tried > 0)
            fprintf (stderr, "crier send: trying the next core, %s\n", options->core);
        status = options->no_ack ? s_push (options, frame, size)
                                 : s_send_acknowledged (options, frame, size, &accepted);
        if (status != CRIER_EXIT_UNAVAILABLE || accepted)
            break;
    }
    options->core = NULL;
    crier_endpoint_list_free (&cores);
    return status;
}

static int s_build_and_send (send_options_t *options)
{
    crier_notification_t *notification = options->notification;
    const char *body = options->body_argument;
    if ((body && strcmp (body, "-") == 0) || (!body && !notification->html)) {
        char *text = s_read_stdin (options->max_bytes);
        if (!text)
            return CRIER_EXIT_USAGE;
        free (notification->body);
        notification->body = text;
    } else if (body && crier_notification_set (&notification->body, body) != 0)
        return cli_fail_usage ("send", "out of memory", NULL);
    if (!notification->id) {
        char id[CRIER_ID_BYTES];
        crier_id_generate (id);
        if (crier_notification_set (&notification->id, id) != 0)
            return cli_fail_usage ("send", "out of memory", NULL);
    }
    crier_error_t error = {0};
    if (notification->to_count == 0) {
        //  Often an unquoted '#': the shell took "#admins ..." for a comment.
        fprintf (stderr, "crier send: --to GROUP is required, quoted so that the shell keeps "
                         "its '#': --to '#admins'\nTry 'crier send --help'.\n");
        return CRIER_EXIT_USAGE;
    }
    if (crier_notification_validate (notification, &error) != 0) {
        fprintf (stderr, "crier send: invalid notification: %s: %s%s\n", error.field, error.message,
                 strncmp (error.field, "to", 2) == 0 ? " (quote the group: --to '#admins')" : "");
        return CRIER_EXIT_USAGE;
    }
    char *frame;
    size_t size;
    if (crier_notification_encode (notification, &frame, &size) != 0)
        return cli_fail_usage ("send", "out of memory", NULL);
    int status;
    if (size > options->max_bytes) {
        fprintf (stderr,
                 "crier send: the notification is %zu bytes, over the limit of %zu "
                 "(CRIER_MAX_MESSAGE_BYTES)\n",
                 size, options->max_bytes);
        status = CRIER_EXIT_USAGE;
    } else {
        status = s_send_to_a_core (options, frame, size);
        if (status == CRIER_EXIT_OK && options->no_ack)
            printf ("%s\n", notification->id);
    }
    free (frame);
    return status;
}

int crier_cmd_send (int argc, char *argv[])
{
    send_options_t options = {.notification = crier_notification_new (), .timeout_ms = 5000};
    uint64_t max_bytes = CRIER_DEFAULT_MAX_MESSAGE;
    int status;
    if (!options.notification)
        status = cli_fail_usage ("send", "out of memory", NULL);
    else if (crier_config_bytes ("CRIER_MAX_MESSAGE_BYTES", CRIER_DEFAULT_MAX_MESSAGE, 1024,
                                 64 * 1024 * 1024, &max_bytes) != 0)
        status = CRIER_EXIT_USAGE;
    else {
        options.max_bytes = (size_t)max_bytes;
        status = s_parse (argc, argv, &options);
        if (status < 0 && !options.endpoint &&
            (options.no_ack
                 ? crier_config_endpoints ("CRIER_ENDPOINT", CRIER_DEFAULT_CLIENT_ENDPOINT,
                                           &options.endpoint)
                 : crier_config_endpoints ("CRIER_ACK_ENDPOINT", CRIER_DEFAULT_CLIENT_ACK_ENDPOINT,
                                           &options.endpoint)) != 0)
            status = CRIER_EXIT_USAGE;
        bool failed = false;
        if (status < 0)
            options.curve =
                ingest_request_curve ("crier send", options.cert, options.server_cert, &failed);
        if (status < 0 && failed)
            status = CRIER_EXIT_USAGE;
        if (status < 0)
            status = s_build_and_send (&options);
    }
    crier_curve_destroy (&options.curve);
    crier_notification_destroy (&options.notification);
    free (options.endpoint);
    return status;
}

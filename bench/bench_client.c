/*  bench_client.c - crier-bench: the load side of bench/run.sh (docs/benchmarks.md).

        crier-bench push  --endpoint E --count N [--rate R] [--to G]... [--ids PREFIX]
                          [--ack] [--window W] [--times FILE]
        crier-bench drain --endpoint E --count N
        crier-bench curl  --endpoint URL --count N [--window ROOMS]

    push sends N notifications "bench <n>" to crier-ingest, as fast as it can or at R per
    second, on the PULL endpoint or (--ack) the acknowledged one with up to W requests in flight
    on a DEALER. With --ids each carries the id PREFIX-<n>; --times writes "id send_time_ms" per
    notification (for latency). drain binds a PULL socket where crier-ingest sends to the
    resolver and takes N frames (ingest measured alone). curl sends N Matrix messages to the
    homeserver at URL with libcurl alone, ROOMS (default 10) in flight (bench_curl.c). Each
    prints one line of JSON. */
#include "bench_curl.h"
#include "crier/curve.h"
#include "crier/notification.h"
#include "crier/reply.h"

#include <czmq.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *endpoint;
    long count;
    double rate;
    const char *groups[16];
    size_t group_count;
    const char *ids;
    bool ack;
    long window;
    bool window_given;
    const char *times;
    long keys; //  > 0: notification number n has the key "key-(n % keys)" (throttles)
} options_t;

static double s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

//  Waits until the send time of notification number at the offered rate.
static void s_pace (const options_t *options, double start_ms, long number)
{
    if (options->rate <= 0)
        return;
    double due = start_ms + (double)number * 1000.0 / options->rate;
    double wait = due - s_now_ms ();
    if (wait > 0) {
        struct timespec pause = {(time_t)(wait / 1000), (long)(fmod (wait, 1000.0) * 1e6)};
        nanosleep (&pause, NULL); //  pacing an offered load, not waiting for a condition
    }
}

static int s_encode (const options_t *options, long number, char **data_p, size_t *size_p, char *id,
                     size_t id_size)
{
    crier_notification_t *notification = crier_notification_new ();
    char body[48];
    snprintf (body, sizeof body, "bench %ld", number);
    for (size_t index = 0; index < options->group_count; index++)
        crier_notification_add_group (notification, options->groups[index]);
    crier_notification_set (&notification->body, body);
    if (options->keys > 0) {
        char key[32];
        snprintf (key, sizeof key, "key-%ld", number % options->keys);
        crier_notification_set (&notification->key, key);
    }
    id[0] = '\0';
    if (options->ids) {
        snprintf (id, id_size, "%s-%ld", options->ids, number);
        crier_notification_set (&notification->id, id);
    }
    int rc = crier_notification_encode (notification, data_p, size_p);
    crier_notification_destroy (&notification);
    return rc;
}

//  Reads the acknowledged endpoint's answers that are waiting (all of them when wait is set).
static long s_read_answers (zsock_t *dealer, long *refused, bool wait)
{
    long answered = 0;
    zsock_set_rcvtimeo (dealer, wait ? 30000 : 0);
    zmsg_t *answer;
    while ((answer = zmsg_recv (dealer))) {
        zframe_t *body = zmsg_last (answer);
        crier_reply_t reply = {0};
        crier_error_t error;
        if (!body ||
            crier_reply_decode (zframe_data (body), zframe_size (body), &reply, &error) != 0 ||
            !reply.ok)
            (*refused)++;
        crier_reply_free (&reply);
        answered++;
        zmsg_destroy (&answer);
        if (wait)
            break;
    }
    return answered;
}

static int s_push (const options_t *options)
{
    zsock_t *socket = zsock_new (options->ack ? ZMQ_DEALER : ZMQ_PUSH);
    zsock_set_sndhwm (socket, 100000);
    zsock_set_rcvhwm (socket, 100000);
    zsock_set_linger (socket, 30000);
    //  CURVE when crier-ingest uses it: the same settings as crier send.
    const char *cert = getenv ("CRIER_CURVE_CERT");
    crier_curve_t *curve =
        cert && *cert
            ? crier_curve_client_new (cert, "CRIER_CURVE_CERT", getenv ("CRIER_CURVE_SERVER_CERT"),
                                      "CRIER_CURVE_SERVER_CERT")
            : NULL;
    if (cert && *cert && !curve)
        return 2;
    if (curve)
        crier_curve_apply (curve, socket);
    crier_curve_destroy (&curve);
    if (zsock_connect (socket, "%s", options->endpoint) != 0) {
        fprintf (stderr, "crier-bench: bad endpoint %s\n", options->endpoint);
        return 2;
    }
    FILE *times = options->times ? fopen (options->times, "w") : NULL;
    long in_flight = 0, refused = 0;
    double start = s_now_ms ();
    for (long number = 0; number < options->count; number++) {
        char *data, id[64];
        size_t size;
        if (s_encode (options, number, &data, &size, id, sizeof id) != 0)
            return 1;
        s_pace (options, start, number);
        if (times)
            fprintf (times, "%s %.3f\n", id, s_now_ms ());
        if (options->ack) {
            zmq_send (zsock_resolve (socket), "", 0, ZMQ_SNDMORE);
            in_flight++;
        }
        zmq_send (zsock_resolve (socket), data, size, 0);
        free (data);
        if (options->ack) {
            in_flight -= s_read_answers (socket, &refused, false);
            while (in_flight >= options->window)
                in_flight -= s_read_answers (socket, &refused, true);
        }
    }
    while (options->ack && in_flight > 0) {
        long answered = s_read_answers (socket, &refused, true);
        if (answered == 0)
            break;
        in_flight -= answered;
    }
    double seconds = (s_now_ms () - start) / 1000.0;
    if (times)
        fclose (times);
    zsock_destroy (&socket);
    printf ("{\"sent\": %ld, \"refused\": %ld, \"unanswered\": %ld, \"seconds\": %.3f, "
            "\"rate\": %.0f}\n",
            options->count, refused, in_flight, seconds, (double)options->count / seconds);
    return in_flight == 0 && refused == 0 ? 0 : 1;
}

static int s_drain (const options_t *options)
{
    zsock_t *pull = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (pull, 100000);
    if (zsock_bind (pull, "%s", options->endpoint) < 0) {
        fprintf (stderr, "crier-bench: cannot bind %s\n", options->endpoint);
        return 2;
    }
    zsock_set_rcvtimeo (pull, 60000);
    double start = 0;
    long received = 0;
    while (received < options->count) {
        zframe_t *frame = zframe_recv (pull);
        if (!frame)
            break;
        if (received++ == 0)
            start = s_now_ms ();
        zframe_destroy (&frame);
    }
    double seconds = (s_now_ms () - start) / 1000.0;
    zsock_destroy (&pull);
    printf ("{\"received\": %ld, \"seconds\": %.3f, \"rate\": %.0f}\n", received, seconds,
            received > 1 ? (double)(received - 1) / seconds : 0.0);
    return received == options->count ? 0 : 1;
}

int main (int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"count", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},     {"to", required_argument, NULL, 't'},
        {"ids", required_argument, NULL, 'i'},      {"ack", no_argument, NULL, 'a'},
        {"window", required_argument, NULL, 'w'},   {"times", required_argument, NULL, 'T'},
        {"keys", required_argument, NULL, 'k'},     {NULL, 0, NULL, 0}};
    options_t options = {.count = 1000, .window = 1000};
    if (argc < 2 || (strcmp (argv[1], "push") != 0 && strcmp (argv[1], "drain") != 0 &&
                     strcmp (argv[1], "curl") != 0)) {
        fprintf (stderr, "usage: crier-bench push|drain --endpoint E --count N [options]\n");
        return 2;
    }
    int option;
    optind = 2;
    while ((option = getopt_long (argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
            case 'e':
                options.endpoint = optarg;
                break;
            case 'n':
                options.count = atol (optarg);
                break;
            case 'r':
                options.rate = atof (optarg);
                break;
            case 't':
                if (options.group_count < 16)
                    options.groups[options.group_count++] = optarg;
                break;
            case 'i':
                options.ids = optarg;
                break;
            case 'a':
                options.ack = true;
                break;
            case 'w':
                options.window = atol (optarg);
                options.window_given = true;
                break;
            case 'T':
                options.times = optarg;
                break;
            case 'k':
                options.keys = atol (optarg);
                break;
            default:
                return 2;
        }
    }
    if (!options.endpoint || options.count < 1 || options.window < 1) {
        fprintf (stderr, "crier-bench: --endpoint and a positive --count are needed\n");
        return 2;
    }
    if (options.group_count == 0)
        options.groups[options.group_count++] = "#bench";
    if (strcmp (argv[1], "curl") == 0)
        return crier_bench_curl (options.endpoint, options.count,
                                 options.window_given ? options.window : 10);
    return strcmp (argv[1], "push") == 0 ? s_push (&options) : s_drain (&options);
}

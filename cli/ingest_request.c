/*  ingest_request.c - see ingest_request.h. */
#include "ingest_request.h"

#include "crier/config.h"
#include "crier/socket.h"

#include <errno.h>
#include <stdio.h>

int ingest_request_timeout (const char *what, const char *text, uint64_t *timeout_ms_p)
{
    if (crier_duration_parse (text, timeout_ms_p) == 0 && *timeout_ms_p > 0 &&
        *timeout_ms_p <= 3600000)
        return 0;
    fprintf (stderr, "%s: --timeout needs a duration such as 500ms or 5s: %s\nTry '%s --help'.\n",
             what, text, what);
    return -1;
}

ingest_request_result_t ingest_request (const char *what, const char *endpoint, uint64_t timeout_ms,
                                        const void *data, size_t size, zframe_t **reply_p)
{
    *reply_p = NULL;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        fprintf (stderr, "%s: could not create a ZeroMQ socket: %s\n", what,
                 zmq_strerror (zmq_errno ()));
        return INGEST_UNREACHABLE;
    }
    //  Only queue once connected, so that an absent crier-ingest is told apart from a slow one.
    zsock_set_immediate (dealer, 1);
    zsock_set_sndtimeo (dealer, (int)timeout_ms);
    zsock_set_linger (dealer, 0);
    int64_t deadline = zclock_mono () + (int64_t)timeout_ms;
    ingest_request_result_t result = INGEST_ANSWERED;
    if (zsock_connect (dealer, "%s", endpoint) != 0) {
        fprintf (stderr, "%s: bad endpoint '%s': %s\n", what, endpoint,
                 zmq_strerror (zmq_errno ()));
        result = INGEST_BAD_ENDPOINT;
    } else if (zstr_sendm (dealer, "") != 0 || crier_socket_send (dealer, data, size, 0) != 0) {
        fprintf (stderr,
                 "%s: could not reach crier-ingest at %s within %llums (%s); is it running? "
                 "Set --endpoint if it listens elsewhere.\n",
                 what, endpoint, (unsigned long long)timeout_ms,
                 errno == EAGAIN ? "no connection" : zmq_strerror (errno));
        result = INGEST_UNREACHABLE;
    } else {
        int64_t left = deadline - zclock_mono ();
        zsock_set_rcvtimeo (dealer, left > 0 ? (int)left : 0);
        //  The answer is [empty delimiter][body], as a REQ socket would expect it.
        zmsg_t *answer = zmsg_recv (dealer);
        if (answer && zmsg_size (answer) == 2) {
            zframe_t *delimiter = zmsg_pop (answer);
            zframe_destroy (&delimiter);
            *reply_p = zmsg_pop (answer);
        }
        zmsg_destroy (&answer);
        if (!*reply_p) {
            fprintf (stderr,
                     "%s: crier-ingest at %s did not answer within %llums; it may still have "
                     "taken the request (check with crier status)\n",
                     what, endpoint, (unsigned long long)timeout_ms);
            result = INGEST_NO_ANSWER;
        }
    }
    zsock_destroy (&dealer);
    return result;
}

/*  ingest_request.c - see ingest_request.h. */
#include "ingest_request.h"
#include "handshake.h"

#include "crier/config.h"
#include "crier/socket.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ingest_request_timeout (const char *what, const char *text, uint64_t *timeout_ms_p)
{
    if (crier_duration_parse (text, timeout_ms_p) == 0 && *timeout_ms_p > 0 &&
        *timeout_ms_p <= 3600000)
        return 0;
    fprintf (stderr, "%s: --timeout needs a duration such as 500ms or 5s: %s\nTry '%s --help'.\n",
             what, text, what);
    return -1;
}

crier_curve_t *ingest_request_curve (const char *what, const char *cert_option,
                                     const char *server_cert_option, bool *failed)
{
    *failed = false;
    const char *cert = cert_option ? cert_option : getenv ("CRIER_CURVE_CERT");
    const char *server_cert =
        server_cert_option ? server_cert_option : getenv ("CRIER_CURVE_SERVER_CERT");
    cert = cert && *cert ? cert : NULL;
    server_cert = server_cert && *server_cert ? server_cert : NULL;
    if (!cert && !server_cert)
        return NULL;
    if (!cert || !server_cert) {
        fprintf (stderr,
                 "%s: CURVE needs both this client's secret certificate (--cert or "
                 "CRIER_CURVE_CERT) and crier-ingest's public one (--server-cert or "
                 "CRIER_CURVE_SERVER_CERT)\nTry '%s --help'.\n",
                 what, what);
        *failed = true;
        return NULL;
    }
    crier_curve_t *curve =
        crier_curve_client_new (cert, cert_option ? "--cert" : "CRIER_CURVE_CERT", server_cert,
                                server_cert_option ? "--server-cert" : "CRIER_CURVE_SERVER_CERT");
    *failed = curve == NULL;
    return curve;
}

//  Why the stack's identity (or internal certificate) was not let in at the control endpoint.
static ingest_request_result_t s_refused_by_stack (const char *what, const char *endpoint,
                                                   const crier_links_t *links, bool refused)
{
    if (refused)
        fprintf (stderr,
                 "%s: crier-ingest at %s refused this command: it belongs to another crier "
                 "stack. Give this command that stack's CRIER_STACK_ID (or CRIER_STACK_ID_FILE; "
                 "scripts/run.sh keeps it in .local/stack-id), as its processes have it.\n",
                 what, endpoint);
    else
        fprintf (stderr,
                 "%s: the handshake with crier-ingest at %s failed: this command's security "
                 "(%s) is not its own. Set CRIER_STACK_ID (or CRIER_STACK_ID_FILE) or "
                 "CRIER_CURVE_INTERNAL_CERT as its processes have them, or --cert and "
                 "--server-cert when it uses CURVE (docs/security.md).\n",
                 what, endpoint, crier_links_security (links));
    return INGEST_REFUSED;
}

//  ingest_connect, and with links (not NULL, and no curve) the stack's own security: what the
//  control endpoint asks of crier dead-letters in plain mode.
static ingest_request_result_t s_connect (const char *what, zsock_t *socket, const char *endpoint,
                                          const crier_curve_t *curve, const crier_links_t *links,
                                          uint64_t timeout_ms)
{
    //  Only queue once connected, so that an absent crier-ingest is told apart from a slow one.
    zsock_set_immediate (socket, 1);
    if (curve)
        crier_curve_apply (curve, socket);
    else if (links)
        crier_links_secure (links, socket, false);
    bool linked = !curve && links;
    unsigned code;
    handshake_result_t result = handshake_connect (socket, endpoint, timeout_ms, &code);
    if (linked && (result == HANDSHAKE_REFUSED || result == HANDSHAKE_MISMATCH))
        return s_refused_by_stack (what, endpoint, links, result == HANDSHAKE_REFUSED);
    switch (result) {
        case HANDSHAKE_DONE:
            return INGEST_ANSWERED;
        case HANDSHAKE_UNWATCHED:
            fprintf (stderr, "%s: could not watch the connection: %s\n", what,
                     zmq_strerror (zmq_errno ()));
            return INGEST_UNREACHABLE;
        case HANDSHAKE_BAD_ENDPOINT:
            fprintf (stderr, "%s: bad endpoint '%s': %s\n", what, endpoint,
                     zmq_strerror (zmq_errno ()));
            return INGEST_BAD_ENDPOINT;
        case HANDSHAKE_TIMEOUT:
            fprintf (stderr,
                     "%s: could not reach crier-ingest at %s within %llums; is it running? Set "
                     "--endpoint if it listens elsewhere.%s\n",
                     what, endpoint, (unsigned long long)timeout_ms,
                     curve ? " With CURVE, also check that --server-cert is crier-ingest's "
                             "public certificate."
                           : "");
            return INGEST_UNREACHABLE;
        case HANDSHAKE_REFUSED:
            fprintf (stderr,
                     "%s: crier-ingest at %s refused this client's certificate (public key %s, "
                     "status %u): its public certificate must be in crier-ingest's "
                     "CRIER_CURVE_CLIENTS_DIR\n",
                     what, endpoint, curve ? crier_curve_public_key (curve) : "none", code);
            return INGEST_REFUSED;
        default:
            fprintf (stderr, "%s: the handshake with crier-ingest at %s failed: %s\n", what,
                     endpoint,
                     curve ? "check that --server-cert is crier-ingest's public certificate and "
                             "that crier-ingest uses CURVE"
                           : "crier-ingest may require CURVE (pass --cert and --server-cert), "
                             "or, at its control endpoint, this stack's CRIER_STACK_ID "
                             "(docs/security.md)");
            return INGEST_REFUSED;
    }
}

ingest_request_result_t ingest_connect (const char *what, zsock_t *socket, const char *endpoint,
                                        const crier_curve_t *curve, uint64_t timeout_ms)
{
    return s_connect (what, socket, endpoint, curve, NULL, timeout_ms);
}

zsock_t *ingest_open (const char *what, const char *endpoint, const crier_curve_t *curve,
                      const crier_links_t *links, uint64_t timeout_ms,
                      ingest_request_result_t *result_p)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        fprintf (stderr, "%s: could not create a ZeroMQ socket: %s\n", what,
                 zmq_strerror (zmq_errno ()));
        *result_p = INGEST_UNREACHABLE;
        return NULL;
    }
    zsock_set_linger (dealer, 0);
    *result_p = s_connect (what, dealer, endpoint, curve, links, timeout_ms);
    if (*result_p != INGEST_ANSWERED)
        zsock_destroy (&dealer);
    return dealer;
}

ingest_request_result_t ingest_ask (const char *what, zsock_t *dealer, const char *endpoint,
                                    uint64_t timeout_ms, const void *data, size_t size,
                                    zframe_t **reply_p)
{
    *reply_p = NULL;
    int64_t deadline = zclock_mono () + (int64_t)timeout_ms;
    zsock_set_sndtimeo (dealer, (int)timeout_ms);
    if (zstr_sendm (dealer, "") != 0 || crier_socket_send (dealer, data, size, 0) != 0) {
        fprintf (stderr, "%s: could not send to crier-ingest at %s: %s\n", what, endpoint,
                 errno == EAGAIN ? "the connection was lost" : zmq_strerror (errno));
        return INGEST_UNREACHABLE;
    }
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
    if (*reply_p)
        return INGEST_ANSWERED;
    fprintf (stderr,
             "%s: crier-ingest at %s did not answer within %llums; it may still have taken the "
             "request (check with crier status)\n",
             what, endpoint, (unsigned long long)timeout_ms);
    return INGEST_NO_ANSWER;
}

ingest_request_result_t ingest_request (const char *what, const char *endpoint,
                                        const crier_curve_t *curve, const crier_links_t *links,
                                        uint64_t timeout_ms, const void *data, size_t size,
                                        zframe_t **reply_p)
{
    *reply_p = NULL;
    int64_t deadline = zclock_mono () + (int64_t)timeout_ms;
    ingest_request_result_t result;
    zsock_t *dealer = ingest_open (what, endpoint, curve, links, timeout_ms, &result);
    int64_t left = deadline - zclock_mono ();
    if (dealer)
        result =
            ingest_ask (what, dealer, endpoint, left > 0 ? (uint64_t)left : 0, data, size, reply_p);
    zsock_destroy (&dealer);
    return result;
}

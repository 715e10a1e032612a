/*  ingest_request.h - reaching crier-ingest from the command line: the connection (plain or
    CURVE, waiting for the handshake so that a refused certificate is told apart from an absent
    server), and one request to one of its ROUTER endpoints with its answer, with a deadline:
    what `crier send` and `crier dead-letters` do. Requests go through a DEALER socket, so that
    one that timed out leaves nothing behind (a REQ socket would be stuck). */
#ifndef CRIER_CLI_INGEST_REQUEST_H_INCLUDED
#define CRIER_CLI_INGEST_REQUEST_H_INCLUDED

#include "crier/curve.h"
#include "crier/links.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    INGEST_ANSWERED,     //  *reply_p holds the answer (for ingest_connect: connected)
    INGEST_BAD_ENDPOINT, //  the endpoint is not a ZeroMQ endpoint
    INGEST_UNREACHABLE,  //  no connection within the timeout
    INGEST_REFUSED,      //  crier-ingest refused the connection (certificate, or plain vs CURVE)
    INGEST_NO_ANSWER,    //  connected, sent, and no answer within the timeout
} ingest_request_result_t;

//  Parses --timeout: a duration from 1 ms to 1 h. Returns 0, or -1 after printing why for what.
int ingest_request_timeout (const char *what, const char *text, uint64_t *timeout_ms_p);

//  The CURVE keys to use: --cert and --server-cert when given, else $CRIER_CURVE_CERT and
//  $CRIER_CURVE_SERVER_CERT. Returns NULL for a plain connection (neither set) or, with *failed
//  set, after printing why they cannot be used.
crier_curve_t *ingest_request_curve (const char *what, const char *cert_option,
                                     const char *server_cert_option, bool *failed);

//  Connects socket to endpoint, with curve when not NULL, and waits up to timeout_ms until the
//  handshake is done. Prints why when it did not connect.
ingest_request_result_t ingest_connect (const char *what, zsock_t *socket, const char *endpoint,
                                        const crier_curve_t *curve, uint64_t timeout_ms);

//  A DEALER socket connected to endpoint (see ingest_connect), for several requests in turn
//  (crier send --wait asks over the connection it sent on). NULL with *result_p when it did not
//  connect (said why).
//  links (may be NULL): without curve, the stack's own security (its identity, or the internal
//  certificate), which crier-ingest's control endpoint asks for in plain mode.
zsock_t *ingest_open (const char *what, const char *endpoint, const crier_curve_t *curve,
                      const crier_links_t *links, uint64_t timeout_ms,
                      ingest_request_result_t *result_p);

//  One request on a socket from ingest_open: sends data, waits up to timeout_ms for the answer
//  (*reply_p, caller destroys). Prints why when not answered.
ingest_request_result_t ingest_ask (const char *what, zsock_t *dealer, const char *endpoint,
                                    uint64_t timeout_ms, const void *data, size_t size,
                                    zframe_t **reply_p);

//  Sends data to endpoint and waits up to timeout_ms in all for the answer. what names the
//  request in error lines ("crier send"). Prints why to stderr when not answered.
ingest_request_result_t ingest_request (const char *what, const char *endpoint,
                                        const crier_curve_t *curve, const crier_links_t *links,
                                        uint64_t timeout_ms, const void *data, size_t size,
                                        zframe_t **reply_p);

#endif

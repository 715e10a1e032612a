/*  handshake.h - connecting a command-line socket and waiting until ZeroMQ's handshake says how
    it went, so that a refused connection (another certificate, another stack) is told apart
    from an absent server. Shared by the requests to crier-ingest and the event bus. */
#ifndef CRIER_CLI_HANDSHAKE_H_INCLUDED
#define CRIER_CLI_HANDSHAKE_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

typedef enum {
    HANDSHAKE_DONE,         //  connected; the socket may be used
    HANDSHAKE_BAD_ENDPOINT, //  not a ZeroMQ endpoint (zmq_errno says why)
    HANDSHAKE_TIMEOUT,      //  no connection within the timeout
    HANDSHAKE_REFUSED,      //  the server's ZAP handler refused (status in *code_p)
    HANDSHAKE_MISMATCH,     //  another mechanism or server key
    HANDSHAKE_UNWATCHED,    //  the monitor could not be set up (zmq_errno says why)
} handshake_result_t;

//  Connects socket (its security options already set) to endpoint and waits up to timeout_ms
//  for the handshake. *code_p gets the ZAP status code of a refusal.
handshake_result_t handshake_connect (zsock_t *socket, const char *endpoint, uint64_t timeout_ms,
                                      unsigned *code_p);

//  handshake_connect in two steps, so that several sockets can wait for their handshakes at
//  once (crier tail over several cores): connects socket to endpoint watched by the monitor it
//  returns, or NULL with why in *result_p; then waits until monotonic deadline for the verdict
//  and closes the monitor.
zsock_t *handshake_start (zsock_t *socket, const char *endpoint, handshake_result_t *result_p);
handshake_result_t handshake_finish (zsock_t *socket, zsock_t **monitor_p, int64_t deadline,
                                     unsigned *code_p);

#endif

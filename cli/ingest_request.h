/*  ingest_request.h - one request to one of crier-ingest's ROUTER endpoints and its answer, with
    a deadline: what `crier send` (acknowledged) and `crier dead-letters` do. A DEALER socket,
    so that a request that timed out leaves nothing behind (a REQ socket would be stuck). */
#ifndef CRIER_CLI_INGEST_REQUEST_H_INCLUDED
#define CRIER_CLI_INGEST_REQUEST_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

typedef enum {
    INGEST_ANSWERED,     //  *reply_p holds the answer
    INGEST_BAD_ENDPOINT, //  the endpoint is not a ZeroMQ endpoint
    INGEST_UNREACHABLE,  //  no connection within the timeout
    INGEST_NO_ANSWER,    //  connected, sent, and no answer within the timeout
} ingest_request_result_t;

//  Parses --timeout: a duration from 1 ms to 1 h. Returns 0, or -1 after printing why for what.
int ingest_request_timeout (const char *what, const char *text, uint64_t *timeout_ms_p);

//  Sends data to endpoint and waits up to timeout_ms in all for the answer. what names the
//  request in error lines ("crier send"). Prints why to stderr when not answered.
ingest_request_result_t ingest_request (const char *what, const char *endpoint, uint64_t timeout_ms,
                                        const void *data, size_t size, zframe_t **reply_p);

#endif

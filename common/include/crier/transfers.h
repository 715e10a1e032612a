/*  transfers.h - libcurl transfers (HTTP for Matrix and CouchDB, SMTP for email) driven by a
    czmq zloop, so that a process serves its ZeroMQ sockets and its transfers from one thread
    without ever blocking (curl's multi-event pattern: curl says which sockets and timeouts it
    needs, the zloop watches them). */
#ifndef CRIER_TRANSFERS_H_INCLUDED
#define CRIER_TRANSFERS_H_INCLUDED

#include <curl/curl.h>
#include <czmq.h>

typedef struct crier_transfers_t crier_transfers_t;

//  Called once when a transfer ends, with libcurl's result. The easy handle is no longer part of
//  the loop and belongs to the caller again.
typedef void (crier_transfer_done_fn) (CURL *easy, CURLcode result, void *arg);

//  What every transfer of crier's sets: no signals (threads), only protocols (e.g. "smtp,smtps"),
//  at most timeout_ms in all, and libcurl's own error text into error (CURL_ERROR_SIZE bytes,
//  alive as long as the transfer). Returns the first option libcurl refused, or CURLE_OK.
CURLcode crier_transfers_prepare (CURL *easy, const char *protocols, long timeout_ms, char *error);

//  Creates the driver on a zloop. Returns NULL when out of memory.
crier_transfers_t *crier_transfers_new (zloop_t *loop);

//  Keeps at most per_host connections open to one host, reused from transfer to transfer.
void crier_transfers_limit_connections (crier_transfers_t *self, long per_host);

//  Ends every transfer still running (without calling done) and frees the driver.
void crier_transfers_destroy (crier_transfers_t **self_p);

//  Starts a configured easy handle. Returns 0, or -1 when libcurl refused it.
int crier_transfers_start (crier_transfers_t *self, CURL *easy, crier_transfer_done_fn *done,
                           void *arg);

typedef void (crier_transfers_fn) (void *arg);

//  Runs fn (a loop handler's work that may start transfers), then lets curl do at once what it
//  wants done now: a request just started is sent in this turn of the loop, not after one more
//  poll. Call it from a loop handler, never from a libcurl callback. Returns 0, or -1 when the
//  loop's timer could not be armed.
int crier_transfers_run (crier_transfers_t *self, crier_transfers_fn *fn, void *arg);

//  Stops a running transfer without calling done. Does nothing when it is not running.
void crier_transfers_cancel (crier_transfers_t *self, CURL *easy);

#endif

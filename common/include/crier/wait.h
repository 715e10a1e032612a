/*  wait.h - asking crier-ingest's acknowledged endpoint what became of a notification
    (docs/protocol.md §1, "Waiting for the outcome"): what `crier send --wait` speaks. One
    msgpack map each way:
        {"wait": "<id>", "timeout_ms": 30000}
        -> {"ok": true, "id": "<id>", "state": "delivered", "deliveries": 3, "delivered": 3}
        -> {"ok": true, "id": ..., "state": "failed", ..., "dead_letters": [...]}
        -> {"ok": false, "error": "..."}
    Ingest answers at once when the outcome is known, else when it becomes known or timeout_ms
    has passed (state "pending"). */
#ifndef CRIER_WAIT_H_INCLUDED
#define CRIER_WAIT_H_INCLUDED

#include "crier/control.h"
#include "crier/notification.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The longest a request may ask ingest to hold it.
#define CRIER_WAIT_MAX_TIMEOUT_MS 300000

typedef struct {
    char *id;            //  the notification's id, as the client knows it
    uint64_t timeout_ms; //  0: answer at once; at most CRIER_WAIT_MAX_TIMEOUT_MS
} crier_wait_request_t;

typedef enum {
    CRIER_WAIT_PENDING,   //  not every delivery has its outcome yet (or not routed yet)
    CRIER_WAIT_DELIVERED, //  every delivery was delivered
    CRIER_WAIT_FAILED,    //  done, with dead letters: failed deliveries or unroutable groups
    CRIER_WAIT_UNKNOWN,   //  ingest does not know this id (never accepted, or long done)
    CRIER_WAIT_STATES
} crier_wait_state_t;

typedef struct {
    bool ok;
    char *error; //  when not ok
    char *id;
    crier_wait_state_t state;
    bool routed;                       //  the resolver said which deliveries it became
    uint64_t deliveries;               //  how many, once routed
    uint64_t delivered;                //  of those, delivered so far
    crier_dead_letter_t *dead_letters; //  failed: why (at most CRIER_WAIT_MAX_LETTERS)
    size_t count;
} crier_wait_reply_t;

//  Dead letters an answer lists at most (the rest: crier dead-letters).
#define CRIER_WAIT_MAX_LETTERS 20

//  "pending", "delivered", "failed", "unknown".
const char *crier_wait_state_name (crier_wait_state_t state);

//  Encoders return 0 with a malloc'ed buffer, or -1 when out of memory.
int crier_wait_request_encode (const crier_wait_request_t *request, char **data_p, size_t *size_p);
int crier_wait_reply_encode (const crier_wait_reply_t *reply, char **data_p, size_t *size_p);

//  Decodes a request: 0, or -1 with *error set (also when the frame is not a wait request: a
//  map without "wait"). Free with crier_wait_request_free.
int crier_wait_request_decode (const void *data, size_t size, crier_wait_request_t *request,
                               crier_error_t *error);
int crier_wait_reply_decode (const void *data, size_t size, crier_wait_reply_t *reply,
                             crier_error_t *error);

//  NULL-safe; leave the struct zeroed.
void crier_wait_request_free (crier_wait_request_t *request);
void crier_wait_reply_free (crier_wait_reply_t *reply);

#endif

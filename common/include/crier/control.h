/*  control.h - requests to crier-ingest's control endpoint and their answers (docs/protocol.md,
    section 5): what `crier dead-letters` speaks. One msgpack map each way:
        {"op": "dead_letters", "limit": 100}  ->  {"ok": true, "total": N, "dead_letters": [...]}
        {"op": "retry", "id": "..."}          ->  {"ok": true, "retried": N}
        {"op": "retry"}  (every dead letter)  ->  {"ok": true, "retried": N}
        {"op": "drop", "id": "..."}           ->  {"ok": true, "dropped": N}
        {"op": "drop"}  (every dead letter)   ->  {"ok": true, "dropped": N}
        anything wrong                        ->  {"ok": false, "error": "..."}
*/
#ifndef CRIER_CONTROL_H_INCLUDED
#define CRIER_CONTROL_H_INCLUDED

#include "crier/notification.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Dead letters listed at most per request, and by default.
#define CRIER_CONTROL_MAX_LIMIT     10000
#define CRIER_CONTROL_DEFAULT_LIMIT 100

typedef enum {
    CRIER_CONTROL_DEAD_LETTERS,
    CRIER_CONTROL_RETRY,
    CRIER_CONTROL_DROP
} crier_control_op_t;

typedef struct {
    crier_control_op_t op;
    char *id;       //  retry: a notification id or a delivery id; NULL retries every dead letter
                    //  drop: a notification id; NULL drops every notification dead letters keep
    uint32_t limit; //  dead_letters: how many to list (1 to CRIER_CONTROL_MAX_LIMIT)
} crier_control_request_t;

//  A dead letter: a delivery that failed for good, or groups that could not be routed.
typedef struct {
    char *notification_id;
    char *delivery_id; //  NULL for unroutable groups
    char *channel;     //  NULL for unroutable groups
    char *target;      //  the target, or the unroutable groups joined with ","
    char *reason;
    int64_t time_ms;
} crier_dead_letter_t;

typedef struct {
    bool ok;
    char *error;                       //  when not ok
    uint64_t retried;                  //  retry
    uint64_t dropped;                  //  drop: notifications let go
    bool dropping;                     //  the answer to drop ("dropped" is written)
    uint64_t total;                    //  dead_letters: how many there are
    crier_dead_letter_t *dead_letters; //  dead_letters: the first ones, oldest first
    size_t count;
    bool listing; //  the answer to dead_letters (total and dead_letters are written)
} crier_control_reply_t;

//  Encoders return 0 with a malloc'ed buffer, or -1 when out of memory.
int crier_control_request_encode (const crier_control_request_t *request, char **data_p,
                                  size_t *size_p);
int crier_control_reply_encode (const crier_control_reply_t *reply, char **data_p, size_t *size_p);

//  Decoders return 0 (free with the matching _free), or -1 with *error set.
int crier_control_request_decode (const void *data, size_t size, crier_control_request_t *request,
                                  crier_error_t *error);
int crier_control_reply_decode (const void *data, size_t size, crier_control_reply_t *reply,
                                crier_error_t *error);

//  NULL-safe; leave the struct zeroed.
void crier_control_request_free (crier_control_request_t *request);
void crier_control_reply_free (crier_control_reply_t *reply);
void crier_dead_letter_free (crier_dead_letter_t *letter);

#endif

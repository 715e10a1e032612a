/*  bus.h - the command line's subscriber to crier's event bus (crier tail, crier status): with
    the internal links' security from the same settings as the processes (CRIER_STACK_ID,
    CRIER_CURVE_INTERNAL_CERT), and one clear message when the bus refuses it. With several
    cores, one subscriber per core's bus, read together; an event that reached several buses (a
    sender publishes on every core's) is given once. */
#ifndef CRIER_CLI_BUS_H_INCLUDED
#define CRIER_CLI_BUS_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

typedef enum {
    BUS_CONNECTED,   //  subscribed to every bus
    BUS_UNREACHABLE, //  some bus answered nothing yet (bus_unreached); their sockets keep trying
    BUS_FAILED,      //  refused, or bad settings: printed why, no bus
} bus_result_t;

typedef struct bus_t bus_t;

//  Subscribes to the event bus at each of endpoints (comma-separated, one per core), to each of
//  topics (NULL-ended; none: every event), once every handshake is done or timeout_ms has
//  passed. what names the command in messages ("crier status"). Returns NULL with BUS_FAILED.
bus_t *bus_subscribe (const char *what, const char *endpoints, const char *const *topics,
                      uint64_t timeout_ms, bus_result_t *result_p);

//  The endpoints that had not answered by then, separated by ", " ("" when none).
const char *bus_unreached (const bus_t *self);

//  The next event within timeout_ms: 0 with its type and body (caller frees both), or -1.
int bus_receive (bus_t *self, int timeout_ms, char **type_p, zframe_t **body_p);

//  NULL-safe.
void bus_destroy (bus_t **self_p);

#endif

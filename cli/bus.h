/*  bus.h - the command line's subscriber to crier's event bus (crier tail, crier status): with
    the internal links' security from the same settings as the processes (CRIER_STACK_ID,
    CRIER_CURVE_INTERNAL_CERT), and one clear message when the bus refuses it. */
#ifndef CRIER_CLI_BUS_H_INCLUDED
#define CRIER_CLI_BUS_H_INCLUDED

#include <czmq.h>
#include <stdint.h>

typedef enum {
    BUS_CONNECTED,   //  subscribed
    BUS_UNREACHABLE, //  nothing answered yet; the socket keeps trying
    BUS_FAILED,      //  refused, or bad settings: printed why, no socket
} bus_result_t;

//  A SUB socket on the event bus at endpoint, subscribed to each of topics (NULL-ended; none:
//  every event), once the handshake is done or timeout_ms has passed. what names the command in
//  messages ("crier status"). Returns NULL with BUS_FAILED.
zsock_t *bus_subscribe (const char *what, const char *endpoint, const char *const *topics,
                        uint64_t timeout_ms, bus_result_t *result_p);

#endif

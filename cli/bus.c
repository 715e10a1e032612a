/*  bus.c - see bus.h. */
#include "bus.h"
#include "handshake.h"

#include "crier/links.h"

#include <stdio.h>

zsock_t *bus_subscribe (const char *what, const char *endpoint, const char *const *topics,
                        uint64_t timeout_ms, bus_result_t *result_p)
{
    *result_p = BUS_FAILED;
    crier_links_t links = {0};
    if (crier_links_load (&links) != 0) {
        crier_links_free (&links);
        return NULL; //  the settings' own lines said why
    }
    zsock_t *subscriber = zsock_new (ZMQ_SUB);
    if (!subscriber) {
        crier_links_free (&links);
        return NULL;
    }
    for (size_t index = 0; topics[index]; index++)
        zsock_set_subscribe (subscriber, topics[index]);
    if (!topics[0])
        zsock_set_subscribe (subscriber, "");
    crier_links_secure (&links, subscriber, false);
    const char *security = crier_links_security (&links);
    crier_links_free (&links);
    unsigned code;
    switch (handshake_connect (subscriber, endpoint, timeout_ms, &code)) {
        case HANDSHAKE_DONE:
            *result_p = BUS_CONNECTED;
            return subscriber;
        case HANDSHAKE_TIMEOUT:
            *result_p = BUS_UNREACHABLE;
            return subscriber;
        case HANDSHAKE_BAD_ENDPOINT:
            fprintf (stderr, "%s: bad endpoint '%s': %s\n", what, endpoint,
                     zmq_strerror (zmq_errno ()));
            break;
        case HANDSHAKE_REFUSED:
            fprintf (stderr,
                     "%s: the event bus at %s refused this command (status %u): it belongs to "
                     "another crier stack. Give this command that stack's CRIER_STACK_ID (or "
                     "CRIER_STACK_ID_FILE; scripts/run.sh keeps it in .local/stack-id) or "
                     "CRIER_CURVE_INTERNAL_CERT, as its processes have it.\n",
                     what, endpoint, code);
            break;
        case HANDSHAKE_MISMATCH:
            fprintf (stderr,
                     "%s: the handshake with the event bus at %s failed: this command's "
                     "security (%s) is not the stack's. Set CRIER_STACK_ID (or "
                     "CRIER_STACK_ID_FILE) or CRIER_CURVE_INTERNAL_CERT as its processes have "
                     "them (docs/security.md).\n",
                     what, endpoint, security);
            break;
        default:
            fprintf (stderr, "%s: could not watch the connection: %s\n", what,
                     zmq_strerror (zmq_errno ()));
    }
    zsock_destroy (&subscriber);
    return NULL;
}

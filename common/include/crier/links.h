/*  links.h - what every socket on a link between crier's own processes needs, read with a
    process's settings and handed to crier_socket_open: the high-water mark, and the keys of the
    internal CURVE switch when CRIER_CURVE_INTERNAL_CERT is set (docs/security.md). Nothing of it
    is process-wide: whoever opens a socket says which links it belongs to. */
#ifndef CRIER_LINKS_H_INCLUDED
#define CRIER_LINKS_H_INCLUDED

#include "crier/curve.h"

#include <stdbool.h>

typedef struct {
    int hwm;               //  CRIER_SOCKET_HWM: messages queued per peer before pushing back
    crier_curve_t *server; //  the internal keys for a socket that binds; NULL: plain
    crier_curve_t *client; //  for a socket that connects; NULL: plain
} crier_links_t;

//  Reads CRIER_SOCKET_HWM and CRIER_CURVE_INTERNAL_CERT. Returns 0, or -1 after logging each
//  bad setting. Free with crier_links_free in either case.
int crier_links_load (crier_links_t *self);

void crier_links_free (crier_links_t *self);

//  The keys for a socket that binds (server) or connects (client); NULL when the switch is off.
const crier_curve_t *crier_links_curve (const crier_links_t *self, bool binds);

//  Sets the CURVE options of a socket opened by hand on an internal link (crier tail, crier
//  status) when the switch is on: as a server when it binds. Call it before the bind or connect.
void crier_links_secure (const crier_links_t *self, zsock_t *socket, bool binds);

//  The shared internal public key (Z85), or NULL when the switch is off.
const char *crier_links_internal_key (const crier_links_t *self);

#endif

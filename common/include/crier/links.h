/*  links.h - what every socket on a link between crier's own processes needs, read with a
    process's settings and handed to crier_socket_open: the high-water mark, and who may be on
    the other end: the keys of the internal CURVE switch when CRIER_CURVE_INTERNAL_CERT is set,
    else the stack's identity when CRIER_STACK_ID is set (docs/security.md). Nothing of it is
    process-wide: whoever opens a socket says which links it belongs to.

    The stack identity keeps two crier stacks on one host apart: every socket on an internal
    link speaks ZeroMQ's PLAIN mechanism with it as the password, and the binding side's ZAP
    handler (crier/zap.h) refuses any other before a frame flows. With the internal switch on,
    the certificate is the stack's identity instead. */
#ifndef CRIER_LINKS_H_INCLUDED
#define CRIER_LINKS_H_INCLUDED

#include "crier/curve.h"

#include <stdbool.h>

//  The ZAP domain of the sockets guarded by the stack identity. A connecting side presents its
//  process's name as PLAIN user name and the identity as password.
#define CRIER_ZAP_DOMAIN_STACK "crier-stack"
//  The longest identity: ZeroMQ's PLAIN mechanism carries at most 255 bytes.
#define CRIER_STACK_ID_MAX_BYTES 255

typedef struct {
    int hwm;               //  CRIER_SOCKET_HWM: messages queued per peer before pushing back
    crier_curve_t *server; //  the internal keys for a socket that binds; NULL: plain
    crier_curve_t *client; //  for a socket that connects; NULL: plain
    char *stack_id;        //  CRIER_STACK_ID (or _FILE); NULL: none
} crier_links_t;

//  Reads CRIER_SOCKET_HWM, CRIER_CURVE_INTERNAL_CERT and CRIER_STACK_ID. Returns 0, or -1 after
//  logging each bad setting. Free with crier_links_free in either case.
int crier_links_load (crier_links_t *self);

void crier_links_free (crier_links_t *self);

//  The keys for a socket that binds (server) or connects (client); NULL when the switch is off.
const crier_curve_t *crier_links_curve (const crier_links_t *self, bool binds);

//  Sets the security options of a socket on an internal link: the internal CURVE keys when the
//  switch is on, else the stack identity's PLAIN options when there is one, else nothing. For a
//  socket opened by hand (crier tail, crier status); call it before the bind or connect.
void crier_links_secure (const crier_links_t *self, zsock_t *socket, bool binds);

//  The shared internal public key (Z85), or NULL when the switch is off.
const char *crier_links_internal_key (const crier_links_t *self);

//  The stack identity the binding side's ZAP handler must check, or NULL: none, or the internal
//  switch is on (the certificate then stands for the stack).
const char *crier_links_stack_id (const crier_links_t *self);

//  What a process reports of its links in its ready line: "curve", "stack" or "plain".
const char *crier_links_security (const crier_links_t *self);

#endif

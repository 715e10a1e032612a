/*  curve.h - CURVE encryption and authentication for crier's ZeroMQ sockets (docs/security.md).

    Keys live in czmq certificate files, as `crier keygen NAME` writes them: NAME holds the
    public key (and metadata), NAME_secret both keys. A server socket uses its own secret
    certificate and lets the ZAP handler (crier/zap.h) decide who may connect; a client socket
    uses its own secret certificate and the server's public one. */
#ifndef CRIER_CURVE_H_INCLUDED
#define CRIER_CURVE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  The ZAP domains of crier's secured server sockets: ingest's endpoints for services, and the
//  links between crier's own processes.
#define CRIER_ZAP_DOMAIN          "crier"
#define CRIER_ZAP_DOMAIN_INTERNAL "crier-internal"

typedef struct crier_curve_t crier_curve_t;

//  Keys for server sockets, from the secret certificate in secret_file; setting names where the
//  path came from in the error line. Returns NULL after logging why.
crier_curve_t *crier_curve_server_new (const char *secret_file, const char *setting);

//  Keys for client sockets: this client's secret certificate and the server's public one.
//  Returns NULL after logging why (with the setting that named each file).
crier_curve_t *crier_curve_client_new (const char *secret_file, const char *secret_setting,
                                       const char *server_file, const char *server_setting);

//  NULL-safe; sets *self_p to NULL.
void crier_curve_destroy (crier_curve_t **self_p);

//  Sets a socket's CURVE options; call it before the socket binds or connects.
void crier_curve_apply (const crier_curve_t *self, zsock_t *socket);

//  The Z85 text of this side's public key (40 characters).
const char *crier_curve_public_key (const crier_curve_t *self);

//  The internal switch: CRIER_CURVE_INTERNAL_CERT names one secret certificate that every crier
//  process shares. When it is set, every link between crier's processes (crier_socket_open)
//  uses CURVE with it: binding sides as servers whose ZAP handler admits that key only,
//  connecting sides as clients. Reads the setting; returns 0, or -1 after logging why.
int crier_curve_internal_load (void);

//  The keys for an internal socket that binds (server) or connects (client); NULL when the
//  switch is off.
const crier_curve_t *crier_curve_internal (bool binds);

//  For a socket opened by hand on an internal link (crier tail, crier status): reads the
//  switch's setting if needed and applies its keys when it is on. Returns 0, or -1 (logged).
int crier_curve_internal_apply (zsock_t *socket, bool binds);

//  The shared internal public key (Z85), or NULL when the switch is off.
const char *crier_curve_internal_key (void);

//  Frees what crier_curve_internal_load read (at exit).
void crier_curve_internal_free (void);

//  True when an endpoint is reachable from this host only: ipc://, inproc://, and tcp:// on a
//  loopback address (127.0.0.0/8, [::1], localhost).
bool crier_endpoint_is_local (const char *endpoint);

#endif

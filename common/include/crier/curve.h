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

//  The internal switch's keys (crier/links.h): the one secret certificate in path that every
//  crier process shares, as a server whose ZAP handler admits that key only (domain
//  CRIER_ZAP_DOMAIN_INTERNAL) and as a client of it. Returns 0, or -1 after logging why
//  (setting named the path).
int crier_curve_internal_new (const char *path, const char *setting, crier_curve_t **server_p,
                              crier_curve_t **client_p);

//  True when an endpoint is reachable from this host only: ipc://, inproc://, and tcp:// on a
//  loopback address (127.0.0.0/8, [::1], localhost).
bool crier_endpoint_is_local (const char *endpoint);

#endif

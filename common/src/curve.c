/*  curve.c - see curve.h. */
#include "crier/curve.h"
#include "crier/log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct crier_curve_t {
    zcert_t *own;        //  this side's certificate, with its secret key
    char server_key[41]; //  a client's server public key, Z85; "" on a server
    const char *domain;  //  a server's ZAP domain
};

//  zcert_load reads "<path>_secret" first when it exists, and builds the name in 256 bytes.
#define MAX_PATH_BYTES 240

//  Loads a certificate file; with_secret requires its secret key. NULL after logging why.
static zcert_t *s_load (const char *path, const char *setting, bool with_secret)
{
    const char *problem = NULL;
    const char *hint = "make one with: crier keygen NAME (docs/security.md)";
    zcert_t *cert = NULL;
    if (!path || !*path)
        problem = "not set";
    else if (strlen (path) > MAX_PATH_BYTES)
        problem = "path too long (240 bytes at most)";
    else if (access (path, R_OK) != 0)
        problem = strerror (errno);
    else if (!(cert = zcert_load (path)))
        problem = "not a certificate: expected a file written by crier keygen, with a curve "
                  "section and a 40-character public-key";
    else if (with_secret &&
             strcmp (zcert_secret_txt (cert), "0000000000000000000000000000000000000000") == 0) {
        problem = "holds no secret key: this is a public certificate";
        hint = "give the NAME_secret file crier keygen wrote beside NAME";
        zcert_destroy (&cert);
    }
    if (problem)
        crier_log (CRIER_LOG_ERROR, "curve.certificate_unusable", "setting", setting, "path",
                   path ? path : "", "error", problem, "hint", hint);
    return cert;
}

static crier_curve_t *s_new (zcert_t *own)
{
    crier_curve_t *self = own ? calloc (1, sizeof *self) : NULL;
    if (self) {
        self->own = own;
        self->domain = CRIER_ZAP_DOMAIN;
    } else
        zcert_destroy (&own);
    return self;
}

static bool s_curve_available (void)
{
    if (zsys_has_curve ())
        return true;
    crier_log (CRIER_LOG_ERROR, "curve.unavailable", "error", "this libzmq was built without CURVE",
               "hint", "install a libzmq built with libsodium (Debian's libzmq5 is)");
    return false;
}

crier_curve_t *crier_curve_server_new (const char *secret_file, const char *setting)
{
    if (!s_curve_available ())
        return NULL;
    return s_new (s_load (secret_file, setting, true));
}

crier_curve_t *crier_curve_client_new (const char *secret_file, const char *secret_setting,
                                       const char *server_file, const char *server_setting)
{
    if (!s_curve_available ())
        return NULL;
    zcert_t *server = s_load (server_file, server_setting, false);
    crier_curve_t *self = server ? s_new (s_load (secret_file, secret_setting, true)) : NULL;
    if (self)
        snprintf (self->server_key, sizeof self->server_key, "%s", zcert_public_txt (server));
    zcert_destroy (&server);
    return self;
}

void crier_curve_destroy (crier_curve_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zcert_destroy (&(*self_p)->own);
    free (*self_p);
    *self_p = NULL;
}

void crier_curve_apply (const crier_curve_t *self, zsock_t *socket)
{
    zcert_apply (self->own, socket);
    if (self->server_key[0])
        zsock_set_curve_serverkey (socket, self->server_key);
    else {
        zsock_set_curve_server (socket, 1);
        zsock_set_zap_domain (socket, self->domain);
    }
}

const char *crier_curve_public_key (const crier_curve_t *self)
{
    return zcert_public_txt (self->own);
}

int crier_curve_internal_new (const char *path, const char *setting, crier_curve_t **server_p,
                              crier_curve_t **client_p)
{
    *server_p = *client_p = NULL;
    if (!s_curve_available ())
        return -1;
    //  Both sides use the one certificate: its public key is also the server key.
    crier_curve_t *server = s_new (s_load (path, setting, true));
    crier_curve_t *client = server ? s_new (zcert_dup (server->own)) : NULL;
    if (!client) {
        crier_curve_destroy (&server);
        return -1;
    }
    server->domain = CRIER_ZAP_DOMAIN_INTERNAL;
    snprintf (client->server_key, sizeof client->server_key, "%s", zcert_public_txt (server->own));
    *server_p = server;
    *client_p = client;
    return 0;
}

bool crier_endpoint_is_local (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    return strncmp (host, "127.", 4) == 0 || strncmp (host, "[::1]:", 6) == 0 ||
           strncmp (host, "localhost:", 10) == 0;
}

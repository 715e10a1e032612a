/*  links.c - see links.h. */
#include "crier/links.h"
#include "crier/config.h"
#include "crier/socket.h"

#include <stdlib.h>

int crier_links_load (crier_links_t *self)
{
    uint64_t hwm = CRIER_DEFAULT_HWM;
    int rc = crier_config_uint ("CRIER_SOCKET_HWM", CRIER_DEFAULT_HWM, 1, 1000000, &hwm);
    self->hwm = (int)hwm;
    const char *path = getenv ("CRIER_CURVE_INTERNAL_CERT");
    if (path && *path)
        rc |= crier_curve_internal_new (path, "CRIER_CURVE_INTERNAL_CERT", &self->server,
                                        &self->client);
    return rc ? -1 : 0;
}

void crier_links_free (crier_links_t *self)
{
    crier_curve_destroy (&self->server);
    crier_curve_destroy (&self->client);
}

const crier_curve_t *crier_links_curve (const crier_links_t *self, bool binds)
{
    return binds ? self->server : self->client;
}

void crier_links_secure (const crier_links_t *self, zsock_t *socket, bool binds)
{
    const crier_curve_t *curve = crier_links_curve (self, binds);
    if (curve)
        crier_curve_apply (curve, socket);
}

const char *crier_links_internal_key (const crier_links_t *self)
{
    return self->server ? crier_curve_public_key (self->server) : NULL;
}

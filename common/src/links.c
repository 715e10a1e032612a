/*  links.c - see links.h. */
#include "crier/links.h"
#include "crier/config.h"
#include "crier/log.h"
#include "crier/socket.h"

#include <stdlib.h>
#include <string.h>

//  Printable ASCII without spaces: it is typed into files and variables, and never needs quoting.
static int s_check_stack_id (const char *stack_id)
{
    size_t length = strlen (stack_id);
    const char *problem = length > CRIER_STACK_ID_MAX_BYTES ? "longer than 255 bytes" : NULL;
    for (size_t index = 0; !problem && index < length; index++)
        if (stack_id[index] <= ' ' || stack_id[index] > '~')
            problem = "holds a space, a control character or a non-ASCII byte";
    if (!problem)
        return 0;
    crier_log (CRIER_LOG_ERROR, "config.invalid", "variable", "CRIER_STACK_ID", "error", problem,
               "expected",
               "1 to 255 printable ASCII characters without spaces, e.g. from: head -c 16 "
               "/dev/urandom | base64");
    return -1;
}

int crier_links_load (crier_links_t *self)
{
    uint64_t hwm = CRIER_DEFAULT_HWM;
    int rc = crier_config_uint ("CRIER_SOCKET_HWM", CRIER_DEFAULT_HWM, 1, 1000000, &hwm);
    self->hwm = (int)hwm;
    const char *path = getenv ("CRIER_CURVE_INTERNAL_CERT");
    if (path && *path)
        rc |= crier_curve_internal_new (path, "CRIER_CURVE_INTERNAL_CERT", &self->server,
                                        &self->client);
    //  Kept out of logs like a secret: whoever knows it may join the stack.
    if (crier_config_secret ("CRIER_STACK_ID", &self->stack_id) != 0)
        rc = -1;
    else if (self->stack_id && s_check_stack_id (self->stack_id) != 0)
        rc = -1;
    return rc ? -1 : 0;
}

void crier_links_free (crier_links_t *self)
{
    crier_curve_destroy (&self->server);
    crier_curve_destroy (&self->client);
    free (self->stack_id);
    self->stack_id = NULL;
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
    else if (self->stack_id && binds) {
        zsock_set_plain_server (socket, 1);
        zsock_set_zap_domain (socket, CRIER_ZAP_DOMAIN_STACK);
    } else if (self->stack_id) {
        //  The user name says who asks, for the other side's log line when it refuses.
        zsock_set_plain_username (socket, crier_log_process ());
        zsock_set_plain_password (socket, self->stack_id);
    }
}

const char *crier_links_internal_key (const crier_links_t *self)
{
    return self->server ? crier_curve_public_key (self->server) : NULL;
}

const char *crier_links_stack_id (const crier_links_t *self)
{
    return self->server ? NULL : self->stack_id;
}

const char *crier_links_security (const crier_links_t *self)
{
    return self->server ? "curve" : self->stack_id ? "stack" : "plain";
}

/*  dead_shares.c - see dead_shares.h. */
#include "dead_shares.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct crier_dead_shares_t {
    zhashx_t *shares; //  client tag -> crier_dead_share_t
};

static void s_free (void **item)
{
    free (*item);
    *item = NULL;
}

crier_dead_shares_t *crier_dead_shares_new (void)
{
    crier_dead_shares_t *self = calloc (1, sizeof *self);
    if (!self || !(self->shares = zhashx_new ())) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->shares, s_free);
    return self;
}

void crier_dead_shares_destroy (crier_dead_shares_t **self_p)
{
    if (!*self_p)
        return;
    zhashx_destroy (&(*self_p)->shares);
    free (*self_p);
    *self_p = NULL;
}

void crier_dead_shares_client (const char *id, char client[CRIER_CLIENT_TAG_BYTES + 1])
{
    size_t length = strlen (id);
    const char *tag = length > CRIER_CLIENT_TAG_BYTES ? id + length - CRIER_CLIENT_TAG_BYTES : NULL;
    bool tagged =
        tag && tag[-1] == '@' && strspn (tag, "0123456789abcdef") == CRIER_CLIENT_TAG_BYTES;
    snprintf (client, CRIER_CLIENT_TAG_BYTES + 1, "%s", tagged ? tag : "");
}

void crier_dead_shares_add (crier_dead_shares_t *self, const char *id, uint64_t bytes)
{
    char client[CRIER_CLIENT_TAG_BYTES + 1];
    crier_dead_shares_client (id, client);
    crier_dead_share_t *share = zhashx_lookup (self->shares, client);
    if (!share) {
        share = calloc (1, sizeof *share);
        if (!share)
            return; //  out of memory: this one is not counted, nothing else is affected
        zhashx_insert (self->shares, client, share);
    }
    share->count++;
    share->bytes += bytes;
}

void crier_dead_shares_remove (crier_dead_shares_t *self, const char *id, uint64_t bytes)
{
    char client[CRIER_CLIENT_TAG_BYTES + 1];
    crier_dead_shares_client (id, client);
    crier_dead_share_t *share = zhashx_lookup (self->shares, client);
    if (!share)
        return;
    share->count = share->count > 0 ? share->count - 1 : 0;
    share->bytes = share->bytes > bytes ? share->bytes - bytes : 0;
    if (share->count == 0)
        zhashx_delete (self->shares, client);
}

crier_dead_share_t crier_dead_shares_of (const crier_dead_shares_t *self, const char *client)
{
    const crier_dead_share_t *share = zhashx_lookup (self->shares, client);
    return share ? *share : (crier_dead_share_t){0};
}

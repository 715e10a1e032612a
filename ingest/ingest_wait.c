/*  ingest_wait.c - wait requests on the acknowledged endpoint (docs/protocol.md §1, "Waiting for
    the outcome"): what became of a notification, from the ledger, answered at once when known,
    else held (waiters.c) until a receipt finishes it or the request's time is up. Part of the
    crier-ingest actor: see ingest_state.h. */
#include "ingest_state.h"

#include "crier/log.h"
#include "crier/wait.h"

#include <stdlib.h>
#include <string.h>

//  Appends an answer (its id set to what the client gave) to envelope. Returns 0, or -1 when
//  out of memory (nothing appended).
static int s_append (zmsg_t *envelope, crier_wait_reply_t *reply, const char *given_id)
{
    reply->id = (char *)given_id;
    char *data;
    size_t size;
    int rc = crier_wait_reply_encode (reply, &data, &size);
    reply->id = NULL;
    if (rc == 0) {
        rc = zmsg_addmem (envelope, data, size);
        free (data);
    }
    return rc;
}

//  Appends what is known of id (as crier knows it) to envelope, naming it given_id.
static int s_answer (ingest_server_t *self, zmsg_t *envelope, const char *id, const char *given_id)
{
    crier_wait_reply_t reply = {.ok = true};
    crier_ledger_describe (self->ledger, id, zclock_time (), &reply);
    int rc = s_append (envelope, &reply, given_id);
    crier_wait_reply_free (&reply);
    return rc;
}

//  The id as crier knows it: a CURVE client's is scoped by its tag, unless it is one crier
//  assigned and answered scoped already. Caller frees; NULL when out of memory.
static char *s_scoped (ingest_server_t *self, const char *id, const char *client_key)
{
    char *scoped = strdup (id);
    const crier_client_t *client = client_key ? crier_zap_client (self->zap, client_key) : NULL;
    if (!scoped || !client)
        return scoped;
    size_t length = strlen (id);
    if (length > CRIER_CLIENT_TAG_BYTES && id[length - CRIER_CLIENT_TAG_BYTES - 1] == '@' &&
        strcmp (id + length - CRIER_CLIENT_TAG_BYTES, client->tag) == 0)
        return scoped;
    if (crier_ingest_scope_id (&scoped, client->key, client->tag) != 0)
        zstr_free (&scoped);
    return scoped;
}

zmsg_t *crier_ingest_wait (ingest_server_t *self, zmsg_t *envelope,
                           const crier_wait_request_t *request, const char *client_key)
{
    char *id = s_scoped (self, request->id, client_key);
    if (!id) {
        zmsg_destroy (&envelope);
        return NULL; //  out of memory: the client times out and asks again
    }
    crier_wait_reply_t known = {.ok = true};
    crier_ledger_describe (self->ledger, id, zclock_time (), &known);
    //  Held while pending, if asked to and there is room; a full table answers what is known.
    bool held = known.state == CRIER_WAIT_PENDING && request->timeout_ms > 0 && !self->stopping &&
                crier_waiters_add (self->waiters, id, request->id, &envelope,
                                   zclock_mono () + (int64_t)request->timeout_ms) == 0;
    if (!held && s_append (envelope, &known, request->id) != 0)
        zmsg_destroy (&envelope);
    crier_wait_reply_free (&known);
    free (id);
    return held ? NULL : envelope;
}

static void s_send_answer (zmsg_t **envelope_p, const char *id, const char *given_id, void *arg)
{
    ingest_server_t *self = arg;
    if (s_answer (self, *envelope_p, id, given_id) == 0)
        zmsg_send (envelope_p, self->router);
    zmsg_destroy (envelope_p);
}

void crier_ingest_wait_outcome (ingest_server_t *self, const char *id)
{
    if (!crier_waiters_waiting (self->waiters, id))
        return;
    crier_wait_reply_t known = {.ok = true};
    crier_ledger_describe (self->ledger, id, zclock_time (), &known);
    if (known.state != CRIER_WAIT_PENDING)
        crier_waiters_release (self->waiters, id, s_send_answer, self);
    crier_wait_reply_free (&known);
}

void crier_ingest_wait_expire (ingest_server_t *self, bool all)
{
    crier_waiters_expire (self->waiters, all ? INT64_MAX : zclock_mono (), s_send_answer, self);
}

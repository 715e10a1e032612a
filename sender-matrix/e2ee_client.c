/*  e2ee_client.c - see e2ee_client.h. */
#include "e2ee_client.h"

#include "crier/json_frame.h"
#include "crier/log.h"
#include "crier/socket.h"

#include <jansson.h>
#include <stdlib.h>

struct crier_e2ee_client_t {
    zloop_t *loop;
    zsock_t *socket;
    crier_e2ee_answer_fn *fn;
    void *arg;
};

static int s_on_answer (zloop_t *loop, zsock_t *socket, void *arg)
{
    crier_e2ee_client_t *self = arg;
    zframe_t *frame = zframe_recv (socket);
    json_t *answer =
        frame ? crier_json_frame_read (zframe_data (frame), zframe_size (frame)) : NULL;
    json_t *content = json_object_get (answer, "content");
    char *text = json_is_object (content) ? json_dumps (content, JSON_COMPACT) : NULL;
    crier_e2ee_answer_t fields = {json_string_value (json_object_get (answer, "room_id")),
                                  json_string_value (json_object_get (answer, "delivery_id")),
                                  json_string_value (json_object_get (answer, "outcome")), text,
                                  json_string_value (json_object_get (answer, "reason"))};
    if (fields.room_id && fields.delivery_id && fields.outcome)
        self->fn (&fields, self->arg);
    else
        crier_log (CRIER_LOG_WARN, "frame.invalid", "from", "crier-matrix-watch", "error",
                   "an encryption answer without room_id, delivery_id or outcome", "hint",
                   "run the same crier version in every process");
    free (text);
    json_decref (answer);
    zframe_destroy (&frame);
    return 0;
}

crier_e2ee_client_t *crier_e2ee_client_new (zloop_t *loop, const char *endpoint,
                                            const crier_links_t *links, crier_e2ee_answer_fn *fn,
                                            void *arg)
{
    crier_e2ee_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->fn = fn;
    self->arg = arg;
    self->socket = crier_socket_open (ZMQ_DEALER, CRIER_CONNECT, endpoint, links,
                                      "encryption by crier-matrix-watch");
    if (!self->socket || zloop_reader (loop, self->socket, s_on_answer, self) != 0)
        crier_e2ee_client_destroy (&self);
    return self;
}

void crier_e2ee_client_destroy (crier_e2ee_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_client_t *self = *self_p;
    if (self->socket)
        zloop_reader_end (self->loop, self->socket);
    zsock_destroy (&self->socket);
    free (self);
    *self_p = NULL;
}

int crier_e2ee_client_ask (crier_e2ee_client_t *self, const char *room_id, const char *delivery_id,
                           const char *type, const char *content)
{
    json_t *request =
        json_pack ("{s:s, s:s, s:s, s:o?}", "room_id", room_id, "delivery_id", delivery_id, "type",
                   type, "content", json_loads (content, 0, NULL));
    char *data = NULL;
    size_t size = 0;
    int rc = request && crier_json_frame (request, &data, &size) == 0
                 ? crier_socket_send (self->socket, data, size, ZMQ_DONTWAIT)
                 : -1;
    free (data);
    json_decref (request);
    return rc;
}

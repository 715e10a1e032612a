/*  event.c - see event.h. Fields are packed as they are added; the map header, which needs the
    final count, is written in front of them when the event is sent. */
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/log.h"
#include "msgpack_read.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct crier_event_t {
    char *type;
    uint32_t count;
    msgpack_sbuffer fields;
    msgpack_packer packer;
};

crier_event_t *crier_event_new (const char *type)
{
    crier_event_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->type = strdup (type);
    if (!self->type) {
        free (self);
        return NULL;
    }
    msgpack_sbuffer_init (&self->fields);
    msgpack_packer_init (&self->packer, &self->fields, msgpack_sbuffer_write);
    return self;
}

void crier_event_destroy (crier_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_event_t *self = *self_p;
    msgpack_sbuffer_destroy (&self->fields);
    free (self->type);
    free (self);
    *self_p = NULL;
}

void crier_event_add_text (crier_event_t *self, const char *key, const char *value)
{
    if (!value)
        return;
    crier_msgpack_pack_text (&self->packer, key);
    crier_msgpack_pack_text (&self->packer, value);
    self->count++;
}

void crier_event_add_int (crier_event_t *self, const char *key, int64_t value)
{
    crier_msgpack_pack_text (&self->packer, key);
    msgpack_pack_int64 (&self->packer, value);
    self->count++;
}

void crier_event_add_texts (crier_event_t *self, const char *key, char *const *values, size_t count)
{
    crier_msgpack_pack_text (&self->packer, key);
    msgpack_pack_array (&self->packer, count);
    for (size_t index = 0; index < count; index++)
        crier_msgpack_pack_text (&self->packer, values[index]);
    self->count++;
}

//  "host:pid", computed once: it does not change while the process runs.
static const char *s_instance (void)
{
    static char instance[300];
    if (!instance[0]) {
        char host[256] = "unknown";
        gethostname (host, sizeof host - 1);
        snprintf (instance, sizeof instance, "%s:%ld", host, (long)getpid ());
    }
    return instance;
}

int crier_event_send (crier_event_t **self_p, zsock_t *publisher)
{
    crier_event_t *self = *self_p;
    msgpack_sbuffer frame;
    msgpack_sbuffer_init (&frame);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &frame, msgpack_sbuffer_write);
    msgpack_pack_map (&packer, 5 + self->count);
    crier_msgpack_pack_text (&packer, "v");
    msgpack_pack_uint32 (&packer, CRIER_FRAME_VERSION);
    crier_msgpack_pack_text (&packer, "type");
    crier_msgpack_pack_text (&packer, self->type);
    struct timeval now;
    gettimeofday (&now, NULL);
    crier_msgpack_pack_text (&packer, "time");
    msgpack_pack_int64 (&packer, (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000);
    crier_msgpack_pack_text (&packer, "source");
    crier_msgpack_pack_text (&packer, crier_log_process ());
    crier_msgpack_pack_text (&packer, "instance");
    crier_msgpack_pack_text (&packer, s_instance ());
    msgpack_sbuffer_write (&frame, self->fields.data, self->fields.size);

    void *handle = zsock_resolve (publisher);
    int rc = -1;
    if (frame.data &&
        zmq_send (handle, self->type, strlen (self->type), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        rc = zmq_send (handle, frame.data, frame.size, ZMQ_DONTWAIT) >= 0 ? 0 : -1;
    msgpack_sbuffer_destroy (&frame);
    crier_event_destroy (self_p);
    return rc;
}

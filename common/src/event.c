/*  event.c - see event.h. Fields are packed as they are added; the map header, which needs the
    final count, is written in front of them when the event is sent. */
#include "crier/event.h"
#include "crier/json_frame.h"
#include "crier/secret.h"
#include "crier/frames.h"
#include "crier/log.h"
#include "msgpack_read.h"
#include "msgpack_write.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct crier_event_t {
    char *type;
    uint32_t count;
    crier_msgpack_writer_t fields; //  packed as added; a failed write fails the encoding
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
    crier_msgpack_writer_init (&self->fields);
    return self;
}

void crier_event_destroy (crier_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_event_t *self = *self_p;
    crier_msgpack_writer_destroy (&self->fields);
    free (self->type);
    free (self);
    *self_p = NULL;
}

void crier_event_add_text (crier_event_t *self, const char *key, const char *value)
{
    if (!value)
        return;
    char scrubbed[2048];
    crier_msgpack_pack_text (&self->fields.packer, key);
    crier_msgpack_pack_text (&self->fields.packer,
                             crier_secret_scrub (value, scrubbed, sizeof scrubbed));
    self->count++;
}

void crier_event_add_int (crier_event_t *self, const char *key, int64_t value)
{
    crier_msgpack_pack_text (&self->fields.packer, key);
    msgpack_pack_int64 (&self->fields.packer, value);
    self->count++;
}

void crier_event_add_texts (crier_event_t *self, const char *key, char *const *values, size_t count)
{
    crier_msgpack_pack_text (&self->fields.packer, key);
    msgpack_pack_array (&self->fields.packer, count);
    for (size_t index = 0; index < count; index++)
        crier_msgpack_pack_text (&self->fields.packer, values[index]);
    self->count++;
}

void crier_event_add_table (crier_event_t *self, const char *key, const char *const *fields,
                            size_t field_count, const char *const *values, size_t row_count)
{
    crier_msgpack_pack_text (&self->fields.packer, key);
    msgpack_pack_array (&self->fields.packer, row_count);
    for (size_t row = 0; row < row_count; row++) {
        msgpack_pack_map (&self->fields.packer, field_count);
        for (size_t field = 0; field < field_count; field++) {
            crier_msgpack_pack_text (&self->fields.packer, fields[field]);
            crier_msgpack_pack_text (&self->fields.packer, values[row * field_count + field]);
        }
    }
    self->count++;
}

void crier_event_add_rows (crier_event_t *self, const char *key, const char *const *text_fields,
                           size_t text_count, const char *const *texts,
                           const char *const *int_fields, size_t int_count, const int64_t *ints,
                           size_t row_count)
{
    msgpack_packer *packer = &self->fields.packer;
    crier_msgpack_pack_text (packer, key);
    msgpack_pack_array (packer, row_count);
    for (size_t row = 0; row < row_count; row++) {
        msgpack_pack_map (packer, text_count + int_count);
        for (size_t field = 0; field < text_count; field++) {
            crier_msgpack_pack_text (packer, text_fields[field]);
            crier_msgpack_pack_text (packer, texts[row * text_count + field]);
        }
        for (size_t field = 0; field < int_count; field++) {
            crier_msgpack_pack_text (packer, int_fields[field]);
            msgpack_pack_int64 (packer, ints[row * int_count + field]);
        }
    }
    self->count++;
}

void crier_event_add_id_values (crier_event_t *self, const char *key, const char *id_field,
                                const char *value_field, const char *const *ids,
                                const int64_t *values, size_t count)
{
    crier_msgpack_pack_text (&self->fields.packer, key);
    msgpack_pack_array (&self->fields.packer, count);
    for (size_t row = 0; row < count; row++) {
        msgpack_pack_map (&self->fields.packer, 2);
        crier_msgpack_pack_text (&self->fields.packer, id_field);
        crier_msgpack_pack_text (&self->fields.packer, ids[row]);
        crier_msgpack_pack_text (&self->fields.packer, value_field);
        msgpack_pack_int64 (&self->fields.packer, values[row]);
    }
    self->count++;
}

crier_event_t *crier_event_new_outcome_of (const char *type, const char *delivery_id,
                                           const char *notification_id, const char *channel,
                                           const char *target, unsigned attempts)
{
    crier_event_t *self = crier_event_new (type);
    if (self) {
        crier_event_add_text (self, "delivery_id", delivery_id);
        crier_event_add_text (self, "notification_id", notification_id);
        crier_event_add_text (self, "channel", channel);
        crier_event_add_text (self, "target", target);
        crier_event_add_int (self, "attempts", attempts);
    }
    return self;
}

crier_event_t *crier_event_new_outcome (const char *type, const crier_delivery_t *delivery,
                                        unsigned attempts)
{
    return crier_event_new_outcome_of (type, delivery->delivery_id, delivery->notification->id,
                                       delivery->channel, delivery->target, attempts);
}

void crier_event_send_repeated (zsock_t *events, const char *delivery_id,
                                const char *notification_id, const char *channel,
                                const char *target, const char *why)
{
    crier_log (CRIER_LOG_INFO, "delivery.repeated", "id", notification_id, "delivery_id",
               delivery_id, "channel", channel, "target", target, "why", why, "hint",
               "not sent again; its outcome is said again");
    crier_event_t *event = crier_event_new_outcome_of ("delivery.delivered", delivery_id,
                                                       notification_id, channel, target, 0);
    if (event) {
        crier_event_add_text (event, "repeated", why);
        crier_event_send (&event, events);
    }
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

int crier_event_encode (const crier_event_t *self, int64_t time_ms, char **data_p, size_t *size_p)
{
    if (time_ms <= 0) {
        struct timeval now;
        gettimeofday (&now, NULL);
        time_ms = (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000;
    }
    if (self->fields.failed)
        return -1;
    crier_msgpack_writer_t frame;
    crier_msgpack_writer_init (&frame);
    msgpack_packer *packer = &frame.packer;
    msgpack_pack_map (packer, 5 + self->count);
    crier_msgpack_pack_text (packer, "v");
    msgpack_pack_uint32 (packer, CRIER_FRAME_VERSION);
    crier_msgpack_pack_text (packer, "type");
    crier_msgpack_pack_text (packer, self->type);
    crier_msgpack_pack_text (packer, "time");
    msgpack_pack_int64 (packer, time_ms);
    crier_msgpack_pack_text (packer, "source");
    crier_msgpack_pack_text (packer, crier_log_process ());
    crier_msgpack_pack_text (packer, "instance");
    crier_msgpack_pack_text (packer, s_instance ());
    //  The fields, packed already: their bytes as they are.
    if (self->fields.buffer.size > 0)
        msgpack_pack_str_body (packer, self->fields.buffer.data, self->fields.buffer.size);
    return crier_msgpack_writer_finish (&frame, data_p, size_p);
}

int crier_event_send_encoded (zsock_t *publisher, const char *type, const void *data, size_t size)
{
    void *handle = zsock_resolve (publisher);
    if (zmq_send (handle, type, strlen (type), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send (handle, data, size, ZMQ_DONTWAIT) >= 0 ? 0 : -1;
}

const char *crier_event_type (const crier_event_t *self)
{
    return self->type;
}

int crier_event_send (crier_event_t **self_p, zsock_t *publisher)
{
    crier_event_t *self = *self_p;
    char *data;
    size_t size;
    int rc = -1;
    if (crier_event_encode (self, 0, &data, &size) == 0) {
        rc = crier_event_send_encoded (publisher, self->type, data, size);
        free (data);
    }
    crier_event_destroy (self_p);
    return rc;
}

//  Converts a msgpack value to JSON; strings that are not UTF-8 and binary values become null.

char *crier_event_to_json (const void *data, size_t size)
{
    json_t *json = crier_json_frame_read (data, size);
    char *text = json ? json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (json);
    return text;
}

size_t crier_event_receive (zsock_t *subscriber, size_t max, crier_event_fn *fn, void *arg)
{
    void *handle = zsock_resolve (subscriber);
    size_t taken = 0;
    for (; taken < max; taken++) {
        zmq_msg_t type, body;
        zmq_msg_init (&type);
        zmq_msg_init (&body);
        bool whole = zmq_msg_recv (&type, handle, ZMQ_DONTWAIT) != -1 && zmq_msg_more (&type) &&
                     zmq_msg_recv (&body, handle, 0) != -1;
        if (whole)
            fn (zmq_msg_data (&type), zmq_msg_size (&type), zmq_msg_data (&body),
                zmq_msg_size (&body), arg);
        //  Anything else (an event of another shape) is drained and ignored.
        while (zmq_msg_more (&body) && zmq_msg_recv (&body, handle, 0) != -1)
            ;
        bool got = zmq_msg_size (&type) > 0;
        zmq_msg_close (&type);
        zmq_msg_close (&body);
        if (!got)
            break;
    }
    return taken;
}

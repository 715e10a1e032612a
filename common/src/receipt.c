/*  receipt.c - see receipt.h. */
#include "crier/receipt.h"
#include "crier/event.h"
#include "msgpack_read.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_types[] = {
    "notification.routed", "notification.unroutable", "delivery.delivered", "delivery.failed",
    "delivery.retrying",   "delivery.released",       "delivery.deferred"};

const char *crier_receipt_type (crier_receipt_kind_t kind)
{
    return s_types[kind];
}

//  Copies a short msgpack string into buffer (size includes the NUL). Returns 0, or -1 when it
//  is not a string, holds a NUL or does not fit.
static int s_copy_short (const msgpack_object *object, char *buffer, size_t size)
{
    if (!object || object->type != MSGPACK_OBJECT_STR || object->via.str.size >= size ||
        memchr (object->via.str.ptr, '\0', object->via.str.size))
        return -1;
    if (object->via.str.size > 0)
        memcpy (buffer, object->via.str.ptr, object->via.str.size);
    buffer[object->via.str.size] = '\0';
    return 0;
}

int crier_receipt_peek (const void *data, size_t size, char delivery_id[CRIER_DIGEST_BYTES],
                        char *channel, size_t channel_size)
{
    msgpack_unpacked unpacked;
    crier_error_t error;
    bool duplicate = false;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, &error) == 0) {
        const msgpack_object *id =
            crier_msgpack_map_get (&unpacked.data, "delivery_id", &duplicate);
        const msgpack_object *name = crier_msgpack_map_get (&unpacked.data, "channel", &duplicate);
        if (!duplicate && s_copy_short (id, delivery_id, CRIER_DIGEST_BYTES) == 0 &&
            strlen (delivery_id) == CRIER_DIGEST_BYTES - 1 &&
            s_copy_short (name, channel, channel_size) == 0)
            rc = 0;
    }
    msgpack_unpacked_destroy (&unpacked);
    return rc;
}

//  Reads delivery_id (40 lowercase hex digits), channel and target from a map.
static int s_read_delivery (const msgpack_object *map, crier_receipt_delivery_t *delivery,
                            crier_error_t *error)
{
    char *id = NULL;
    if (crier_msgpack_read_text (map, "delivery_id", &id, error) != 0)
        return -1;
    size_t length = strlen (id);
    int valid = length == CRIER_DIGEST_BYTES - 1 && strspn (id, "0123456789abcdef") == length;
    if (valid)
        memcpy (delivery->delivery_id, id, CRIER_DIGEST_BYTES);
    free (id);
    if (!valid)
        return crier_error_set (error, "delivery_id", "must be 40 lowercase hex digits");
    if (crier_msgpack_read_text (map, "channel", &delivery->channel, error) != 0 ||
        crier_msgpack_read_text (map, "target", &delivery->target, error) != 0)
        return -1;
    return 0;
}

static int s_read_deliveries (const msgpack_object *map, crier_receipt_t *receipt,
                              crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, "deliveries", &duplicate);
    if (!array || duplicate || array->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, "deliveries", "must be given once, as an array");
    uint32_t count = array->via.array.size;
    receipt->deliveries = calloc (count ? count : 1, sizeof *receipt->deliveries);
    if (!receipt->deliveries)
        return crier_error_set (error, "deliveries", "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        const msgpack_object *row = &array->via.array.ptr[index];
        if (row->type != MSGPACK_OBJECT_MAP)
            return crier_error_set (error, "deliveries", "each must be a map");
        receipt->delivery_count++;
        if (s_read_delivery (row, &receipt->deliveries[index], error) != 0)
            return -1;
    }
    return 0;
}

static int s_read_groups (const msgpack_object *map, crier_receipt_t *receipt, crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, "groups", &duplicate);
    if (!array || duplicate || array->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, "groups", "must be given once, as an array");
    uint32_t count = array->via.array.size;
    receipt->groups = calloc (count ? count : 1, sizeof *receipt->groups);
    if (!receipt->groups)
        return crier_error_set (error, "groups", "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        if (crier_msgpack_copy_text (&array->via.array.ptr[index], "groups",
                                     &receipt->groups[index], error) != 0)
            return -1;
        receipt->group_count++;
    }
    return 0;
}

int crier_receipt_decode (const void *data, size_t size, crier_receipt_t *receipt,
                          crier_error_t *error)
{
    *receipt = (crier_receipt_t){0};
    msgpack_unpacked unpacked;
    char *type = NULL;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) != 0 ||
        crier_msgpack_read_text (&unpacked.data, "type", &type, error) != 0) {
        msgpack_unpacked_destroy (&unpacked);
        return -1;
    }
    size_t kind = 0;
    while (kind < sizeof s_types / sizeof s_types[0] && strcmp (type, s_types[kind]) != 0)
        kind++;
    free (type);
    if (kind == sizeof s_types / sizeof s_types[0]) {
        msgpack_unpacked_destroy (&unpacked);
        return 0;
    }
    const msgpack_object *map = &unpacked.data;
    receipt->kind = (crier_receipt_kind_t)kind;
    bool duplicate = false;
    const msgpack_object *time = crier_msgpack_map_get (map, "time", &duplicate);
    if (time && time->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        receipt->time_ms = (int64_t)time->via.u64;
    if (crier_msgpack_read_text (map, "notification_id", &receipt->notification_id, error) == 0 &&
        crier_msgpack_read_optional_text (map, "reason", &receipt->reason, error) == 0) {
        if (receipt->kind == CRIER_RECEIPT_ROUTED)
            rc = s_read_deliveries (map, receipt, error);
        else if (receipt->kind == CRIER_RECEIPT_UNROUTABLE)
            rc = s_read_groups (map, receipt, error);
        else
            rc = s_read_delivery (map, &receipt->delivery, error);
    }
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0) {
        crier_receipt_free (receipt);
        return -1;
    }
    return 1;
}

static void s_free_delivery (crier_receipt_delivery_t *delivery)
{
    free (delivery->channel);
    free (delivery->target);
}

void crier_receipt_free (crier_receipt_t *receipt)
{
    if (!receipt)
        return;
    free (receipt->notification_id);
    free (receipt->reason);
    s_free_delivery (&receipt->delivery);
    for (size_t index = 0; index < receipt->delivery_count; index++)
        s_free_delivery (&receipt->deliveries[index]);
    free (receipt->deliveries);
    for (size_t index = 0; index < receipt->group_count; index++)
        free (receipt->groups[index]);
    free (receipt->groups);
    *receipt = (crier_receipt_t){0};
}

int crier_receipt_encode (const crier_receipt_t *receipt, char **data_p, size_t *size_p)
{
    crier_event_t *event = crier_event_new (s_types[receipt->kind]);
    if (!event)
        return -1;
    crier_event_add_text (event, "notification_id", receipt->notification_id);
    crier_event_add_text (event, "reason", receipt->reason);
    int rc = 0;
    if (receipt->kind == CRIER_RECEIPT_ROUTED) {
        static const char *const fields[] = {"delivery_id", "channel", "target"};
        const char **values = calloc (receipt->delivery_count * 3 + 1, sizeof *values);
        for (size_t index = 0; values && index < receipt->delivery_count; index++) {
            values[index * 3] = receipt->deliveries[index].delivery_id;
            values[index * 3 + 1] = receipt->deliveries[index].channel;
            values[index * 3 + 2] = receipt->deliveries[index].target;
        }
        if (values)
            crier_event_add_table (event, "deliveries", fields, 3, values, receipt->delivery_count);
        rc = values ? 0 : -1;
        free (values);
    } else if (receipt->kind == CRIER_RECEIPT_UNROUTABLE)
        crier_event_add_texts (event, "groups", receipt->groups, receipt->group_count);
    else {
        crier_event_add_text (event, "delivery_id", receipt->delivery.delivery_id);
        crier_event_add_text (event, "channel", receipt->delivery.channel);
        crier_event_add_text (event, "target", receipt->delivery.target);
    }
    if (rc == 0)
        rc = crier_event_encode (event, receipt->time_ms, data_p, size_p);
    crier_event_destroy (&event);
    return rc;
}

/*  receipt.c - see receipt.h. */
#include "crier/receipt.h"
#include "crier/event.h"
#include "msgpack_read.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_types[] = {"notification.routed", "notification.unroutable",
                                      "delivery.delivered",  "delivery.failed",
                                      "delivery.retrying",   "delivery.released",
                                      "delivery.deferred",   "delivery.seen",
                                      "delivery.read",       "nag.routed"};

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

//  Reads delivery_id, channel and target from a map (and nag.routed's nag_of and of).
static int s_read_delivery (const msgpack_object *map, crier_receipt_delivery_t *delivery, bool nag,
                            crier_error_t *error)
{
    if (crier_msgpack_read_digest (map, "delivery_id", delivery->delivery_id, error) != 0 ||
        crier_msgpack_read_text (map, "channel", &delivery->channel, error) != 0 ||
        crier_msgpack_read_text (map, "target", &delivery->target, error) != 0)
        return -1;
    if (nag && (crier_msgpack_read_text (map, "nag_of", &delivery->nag_of, error) != 0 ||
                crier_msgpack_read_digest (map, "of", delivery->of, error) != 0))
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
        if (s_read_delivery (row, &receipt->deliveries[index],
                             receipt->kind == CRIER_RECEIPT_NAG_ROUTED, error) != 0)
            return -1;
    }
    return 0;
}

//  Reads an array of strings (groups, members).
static int s_read_texts (const msgpack_object *map, const char *key, char ***texts_p,
                         size_t *count_p, crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, key, &duplicate);
    if (!array || duplicate || array->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, key, "must be given once, as an array");
    uint32_t count = array->via.array.size;
    *texts_p = calloc (count ? count : 1, sizeof **texts_p);
    if (!*texts_p)
        return crier_error_set (error, key, "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        if (crier_msgpack_copy_text (&array->via.array.ptr[index], key, &(*texts_p)[index],
                                     error) != 0)
            return -1;
        (*count_p)++;
    }
    return 0;
}

//  Reads notification.routed's optional nags ({delivery_id, after_ms}), or nag.routed's decided
//  delivery ids (required).
static int s_read_nags (const msgpack_object *map, crier_receipt_t *receipt, crier_error_t *error)
{
    bool decided = receipt->kind == CRIER_RECEIPT_NAG_ROUTED;
    const char *key = decided ? "decided" : "nags";
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, key, &duplicate);
    if (!array && !decided && !duplicate)
        return 0;
    if (!array || duplicate || array->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, key, "must be given once, as an array");
    uint32_t count = array->via.array.size;
    receipt->nags = calloc (count ? count : 1, sizeof *receipt->nags);
    if (!receipt->nags)
        return crier_error_set (error, key, "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        const msgpack_object *row = &array->via.array.ptr[index];
        crier_receipt_nag_t *nag = &receipt->nags[index];
        uint64_t after = 0;
        if (!decided && row->type != MSGPACK_OBJECT_MAP)
            return crier_error_set (error, key, "each must be a map {delivery_id, after_ms}");
        if (decided
                ? crier_msgpack_read_digest (row, NULL, nag->delivery_id, error) != 0
                : crier_msgpack_read_digest (row, "delivery_id", nag->delivery_id, error) != 0 ||
                      crier_msgpack_read_uint (row, "after_ms", &after, error) != 0)
            return -1;
        if (after > INT64_MAX)
            return crier_error_set (error, "after_ms", "is out of range");
        nag->after_ms = (int64_t)after;
        receipt->nag_count++;
    }
    return 0;
}

static const char *const s_actions[] = {"opened", "held", "counted"};

const char *crier_throttle_action_name (crier_throttle_action_t action)
{
    return s_actions[action];
}

//  Reads notification.routed's optional "key" and "throttle" (docs/throttle.md).
static int s_read_throttles (const msgpack_object *map, crier_receipt_t *receipt,
                             crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, "throttle", &duplicate);
    if (crier_msgpack_read_optional_text (map, "key", &receipt->key, error) != 0)
        return -1;
    if (!array && !duplicate)
        return 0;
    if (!array || duplicate || array->type != MSGPACK_OBJECT_ARRAY || !receipt->key)
        return crier_error_set (error, "throttle", "must be given once, as an array, with key");
    uint32_t count = array->via.array.size;
    receipt->throttles = calloc (count ? count : 1, sizeof *receipt->throttles);
    if (!receipt->throttles)
        return crier_error_set (error, "throttle", "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        const msgpack_object *row = &array->via.array.ptr[index];
        crier_receipt_throttle_t *throttle = &receipt->throttles[index];
        receipt->throttle_count++;
        uint64_t start = 0, length = 0;
        char *action = NULL;
        if (row->type != MSGPACK_OBJECT_MAP)
            return crier_error_set (error, "throttle", "each must be a map");
        if (crier_msgpack_read_text (row, "group", &throttle->group, error) != 0 ||
            crier_msgpack_read_uint (row, "start_ms", &start, error) != 0 ||
            crier_msgpack_read_uint (row, "window_ms", &length, error) != 0 ||
            crier_msgpack_read_text (row, "action", &action, error) != 0)
            return -1;
        size_t kind = 0;
        while (kind < 3 && strcmp (action, s_actions[kind]) != 0)
            kind++;
        free (action);
        if (kind == 3 || start > INT64_MAX || length == 0 || length > INT64_MAX - start)
            return crier_error_set (error, "throttle", "an action or window out of range");
        throttle->start_ms = (int64_t)start;
        throttle->window_ms = (int64_t)length;
        throttle->action = (crier_throttle_action_t)kind;
    }
    return 0;
}

//  Reads notification.routed's "parts", "part", "part_size" and "groups" (a notification sent in
//  parts; all or none).
static int s_read_parts (const msgpack_object *map, crier_receipt_t *receipt, crier_error_t *error)
{
    uint64_t parts = 0, part = 0, part_size = 0;
    if (crier_msgpack_read_optional_uint (map, "parts", &parts, error) != 0)
        return -1;
    if (parts == 0)
        return 0;
    if (crier_msgpack_read_uint (map, "part", &part, error) != 0 ||
        crier_msgpack_read_uint (map, "part_size", &part_size, error) != 0)
        return -1;
    if (parts > UINT32_MAX || part >= parts || part_size == 0 || part_size > UINT32_MAX)
        return crier_error_set (error, "part", "must be under parts, with part_size 1 or more");
    receipt->parts = (uint32_t)parts;
    receipt->part = (uint32_t)part;
    receipt->part_size = (uint32_t)part_size;
    if (crier_msgpack_read_optional_uint (map, "forgotten", &receipt->forgotten, error) != 0)
        return -1;
    return s_read_texts (map, "groups", &receipt->groups, &receipt->group_count, error);
}

//  The fields of each kind beyond notification_id, time and reason.
static int s_read_kind (const msgpack_object *map, crier_receipt_t *receipt, crier_error_t *error)
{
    switch (receipt->kind) {
        case CRIER_RECEIPT_ROUTED:
            if (s_read_throttles (map, receipt, error) != 0 ||
                s_read_parts (map, receipt, error) != 0)
                return -1;
            //  fall through
        case CRIER_RECEIPT_NAG_ROUTED:
            return s_read_deliveries (map, receipt, error) == 0 ? s_read_nags (map, receipt, error)
                                                                : -1;
        case CRIER_RECEIPT_UNROUTABLE:
            return s_read_texts (map, "groups", &receipt->groups, &receipt->group_count, error);
        case CRIER_RECEIPT_SEEN:
            if (crier_msgpack_read_digest (map, "delivery_id", receipt->delivery.delivery_id,
                                           error) != 0 ||
                crier_msgpack_read_text (map, "room_id", &receipt->room_id, error) != 0 ||
                crier_msgpack_read_text (map, "event_id", &receipt->event_id, error) != 0)
                return -1;
            return s_read_texts (map, "members", &receipt->members, &receipt->member_count, error);
        case CRIER_RECEIPT_READ:
            if (crier_msgpack_read_digest (map, "delivery_id", receipt->delivery.delivery_id,
                                           error) != 0)
                return -1;
            return crier_msgpack_read_text (map, "reader", &receipt->reader, error);
        case CRIER_RECEIPT_DELIVERED:
            //  Matrix: the message's event id (a throttle window's first is edited).
            if (crier_msgpack_read_optional_text (map, "event_id", &receipt->event_id, error) != 0)
                return -1;
            return s_read_delivery (map, &receipt->delivery, false, error);
        default:
            return s_read_delivery (map, &receipt->delivery, false, error);
    }
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
        crier_msgpack_read_optional_text (map, "reason", &receipt->reason, error) == 0)
        rc = s_read_kind (map, receipt, error);
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
    free (delivery->nag_of);
}

static void s_free_texts (char **texts, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free (texts[index]);
    free (texts);
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
    s_free_texts (receipt->groups, receipt->group_count);
    free (receipt->nags);
    free (receipt->room_id);
    free (receipt->event_id);
    s_free_texts (receipt->members, receipt->member_count);
    free (receipt->reader);
    free (receipt->key);
    for (size_t index = 0; index < receipt->throttle_count; index++)
        free (receipt->throttles[index].group);
    free (receipt->throttles);
    *receipt = (crier_receipt_t){0};
}

//  Adds a routed receipt's deliveries (with nag_of and of in nag.routed's).
static int s_add_deliveries (crier_event_t *event, const crier_receipt_t *receipt)
{
    static const char *const fields[] = {"delivery_id", "channel", "target", "nag_of", "of"};
    size_t width = receipt->kind == CRIER_RECEIPT_NAG_ROUTED ? 5 : 3;
    const char **values = calloc (receipt->delivery_count * width + 1, sizeof *values);
    if (!values)
        return -1;
    for (size_t index = 0; index < receipt->delivery_count; index++) {
        const crier_receipt_delivery_t *delivery = &receipt->deliveries[index];
        const char *row[] = {delivery->delivery_id, delivery->channel, delivery->target,
                             delivery->nag_of, delivery->of};
        memcpy (&values[index * width], row, width * sizeof *values);
    }
    crier_event_add_table (event, "deliveries", fields, width, values, receipt->delivery_count);
    free (values);
    return 0;
}

//  Adds notification.routed's nags, or nag.routed's decided ids.
static int s_add_nags (crier_event_t *event, const crier_receipt_t *receipt)
{
    const char **ids = calloc (receipt->nag_count + 1, sizeof *ids);
    int64_t *after = calloc (receipt->nag_count + 1, sizeof *after);
    for (size_t index = 0; ids && after && index < receipt->nag_count; index++) {
        ids[index] = receipt->nags[index].delivery_id;
        after[index] = receipt->nags[index].after_ms;
    }
    if (ids && after && receipt->kind == CRIER_RECEIPT_NAG_ROUTED)
        crier_event_add_texts (event, "decided", (char *const *)ids, receipt->nag_count);
    else if (ids && after && receipt->nag_count > 0)
        crier_event_add_id_values (event, "nags", "delivery_id", "after_ms", ids, after,
                                   receipt->nag_count);
    int rc = ids && after ? 0 : -1;
    free (ids);
    free (after);
    return rc;
}

//  Adds notification.routed's key and throttle decisions (docs/throttle.md).
int crier_receipt_add_throttles (crier_event_t *event, const char *key,
                                 const crier_receipt_throttle_t *throttles, size_t count)
{
    if (count == 0)
        return 0;
    static const char *const texts[] = {"group", "action"};
    static const char *const ints[] = {"start_ms", "window_ms"};
    const char **text_values = calloc (count * 2, sizeof *text_values);
    int64_t *int_values = calloc (count * 2, sizeof *int_values);
    for (size_t index = 0; text_values && int_values && index < count; index++) {
        text_values[index * 2] = throttles[index].group;
        text_values[index * 2 + 1] = s_actions[throttles[index].action];
        int_values[index * 2] = throttles[index].start_ms;
        int_values[index * 2 + 1] = throttles[index].window_ms;
    }
    int rc = text_values && int_values ? 0 : -1;
    if (rc == 0) {
        crier_event_add_text (event, "key", key);
        crier_event_add_rows (event, "throttle", texts, 2, text_values, ints, 2, int_values, count);
    }
    free (text_values);
    free (int_values);
    return rc;
}

void crier_receipt_add_parts (crier_event_t *event, uint32_t parts, uint32_t part,
                              uint32_t part_size, char *const *groups, size_t group_count)
{
    if (parts == 0)
        return;
    crier_event_add_int (event, "parts", parts);
    crier_event_add_int (event, "part", part);
    crier_event_add_int (event, "part_size", part_size);
    crier_event_add_texts (event, "groups", groups, group_count);
}

int crier_receipt_encode (const crier_receipt_t *receipt, char **data_p, size_t *size_p)
{
    crier_event_t *event = crier_event_new (s_types[receipt->kind]);
    if (!event)
        return -1;
    crier_event_add_text (event, "notification_id", receipt->notification_id);
    crier_event_add_text (event, "reason", receipt->reason);
    int rc = 0;
    switch (receipt->kind) {
        case CRIER_RECEIPT_ROUTED:
        case CRIER_RECEIPT_NAG_ROUTED:
            rc = s_add_deliveries (event, receipt);
            if (rc == 0)
                rc = s_add_nags (event, receipt);
            if (rc == 0)
                rc = crier_receipt_add_throttles (event, receipt->key, receipt->throttles,
                                                  receipt->throttle_count);
            if (receipt->kind == CRIER_RECEIPT_ROUTED)
                crier_receipt_add_parts (event, receipt->parts, receipt->part, receipt->part_size,
                                         receipt->groups, receipt->group_count);
            if (receipt->kind == CRIER_RECEIPT_ROUTED && receipt->parts && receipt->forgotten)
                crier_event_add_int (event, "forgotten", (int64_t)receipt->forgotten);
            break;
        case CRIER_RECEIPT_UNROUTABLE:
            crier_event_add_texts (event, "groups", receipt->groups, receipt->group_count);
            break;
        case CRIER_RECEIPT_SEEN:
        case CRIER_RECEIPT_READ:
            crier_event_add_text (event, "delivery_id", receipt->delivery.delivery_id);
            crier_event_add_text (event, "room_id", receipt->room_id);
            crier_event_add_text (event, "event_id", receipt->event_id);
            if (receipt->kind == CRIER_RECEIPT_SEEN)
                crier_event_add_texts (event, "members", receipt->members, receipt->member_count);
            crier_event_add_text (event, "reader", receipt->reader);
            break;
        default:
            crier_event_add_text (event, "delivery_id", receipt->delivery.delivery_id);
            crier_event_add_text (event, "channel", receipt->delivery.channel);
            crier_event_add_text (event, "target", receipt->delivery.target);
            crier_event_add_text (event, "event_id", receipt->event_id);
    }
    if (rc == 0)
        rc = crier_event_encode (event, receipt->time_ms, data_p, size_p);
    crier_event_destroy (&event);
    return rc;
}

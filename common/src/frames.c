/*  frames.c - see frames.h. */
#include "crier/frames.h"
#include "msgpack_read.h"
#include "msgpack_write.h"
#include "notification_codec.h"

#include <stdlib.h>
#include <string.h>

//  Starts a frame map: "v", "type", then extra_count more entries from the caller.
static void s_begin (msgpack_packer *packer, const char *type, uint32_t extra_count)
{
    msgpack_pack_map (packer, 2 + extra_count);
    crier_msgpack_pack_text (packer, "v");
    msgpack_pack_uint32 (packer, CRIER_FRAME_VERSION);
    crier_msgpack_pack_text (packer, "type");
    crier_msgpack_pack_text (packer, type);
}

//  Unpacks a frame and checks its version and type. Returns 0, or -1 with *error set.
static int s_open (const void *data, size_t size, const char *type, msgpack_unpacked *unpacked,
                   crier_error_t *error)
{
    if (crier_msgpack_unpack_map (data, size, unpacked, error) != 0)
        return -1;
    uint64_t version;
    if (crier_msgpack_read_uint (&unpacked->data, "v", &version, error) != 0)
        return -1;
    if (version != CRIER_FRAME_VERSION)
        return crier_error_set (error, "v",
                                "frame version %llu is not spoken here (this build speaks %d): "
                                "run the same crier version in every process",
                                (unsigned long long)version, CRIER_FRAME_VERSION);
    char *actual = NULL;
    if (crier_msgpack_read_text (&unpacked->data, "type", &actual, error) != 0)
        return -1;
    int matches = strcmp (actual, type) == 0;
    if (!matches)
        crier_error_set (error, "type", "expected a %s frame, got \"%.40s\"", type, actual);
    free (actual);
    return matches ? 0 : -1;
}

//  Reads the notification fields plus id and received_at of an internal frame.
static crier_notification_t *s_read_notification (const msgpack_object *map, crier_error_t *error)
{
    crier_notification_t *notification = crier_notification_new ();
    uint64_t received_at;
    if (!notification)
        crier_error_set (error, "(frame)", "out of memory");
    else if (crier_notification_read_fields (map, notification, error) != 0 ||
             crier_msgpack_read_uint (map, "received_at", &received_at, error) != 0)
        crier_notification_destroy (&notification);
    else if (!notification->id) {
        crier_error_set (error, "id", "required");
        crier_notification_destroy (&notification);
    } else
        notification->received_at_ms = (int64_t)received_at;
    return notification;
}

int crier_frame_encode_notification (const crier_notification_t *notification, char **data_p,
                                     size_t *size_p)
{
    const crier_frame_redelivery_t first = {.attempt = 1};
    return crier_frame_encode_redelivery (notification, &first, data_p, size_p);
}

int crier_frame_encode_redelivery (const crier_notification_t *notification,
                                   const crier_frame_redelivery_t *redelivery, char **data_p,
                                   size_t *size_p)
{
    if (!notification->id)
        return -1;
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    //  "attempt" and "only" only when they say something: a first attempt is the plain frame.
    bool again = redelivery->attempt != 1;
    bool only = redelivery->only_count > 0;
    bool route = only && redelivery->route;
    s_begin (packer, "notification",
             1 + again + only + route + crier_notification_field_count (notification));
    crier_msgpack_pack_text (packer, "received_at");
    msgpack_pack_uint64 (packer, (uint64_t)notification->received_at_ms);
    if (again) {
        crier_msgpack_pack_text (packer, "attempt");
        msgpack_pack_uint32 (packer, redelivery->attempt);
    }
    if (only) {
        crier_msgpack_pack_text (packer, "only");
        msgpack_pack_array (packer, redelivery->only_count);
        for (size_t index = 0; index < redelivery->only_count; index++) {
            msgpack_pack_map (packer, 2);
            crier_msgpack_pack_text (packer, "channel");
            crier_msgpack_pack_text (packer, redelivery->only[index].channel);
            crier_msgpack_pack_text (packer, "target");
            crier_msgpack_pack_text (packer, redelivery->only[index].target);
        }
    }
    if (route) {
        crier_msgpack_pack_text (packer, "route");
        msgpack_pack_true (packer);
    }
    crier_notification_pack_fields (packer, notification);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

void crier_frame_redelivery_free (crier_frame_redelivery_t *redelivery)
{
    if (!redelivery)
        return;
    for (size_t index = 0; index < redelivery->only_count; index++) {
        free (redelivery->only[index].channel);
        free (redelivery->only[index].target);
    }
    free (redelivery->only);
    redelivery->only = NULL;
    redelivery->only_count = 0;
}

//  Reads "attempt" and "only" of a notification frame. Returns 0, or -1 with *error set.
static int s_read_redelivery (const msgpack_object *map, crier_frame_redelivery_t *redelivery,
                              crier_error_t *error)
{
    *redelivery = (crier_frame_redelivery_t){1, NULL, 0, false};
    bool duplicate = false;
    uint64_t attempt = 1;
    if (crier_msgpack_map_get (map, "attempt", &duplicate) &&
        crier_msgpack_read_uint (map, "attempt", &attempt, error) != 0)
        return -1;
    if (attempt < 1 || attempt > UINT32_MAX)
        return crier_error_set (error, "attempt", "must be 1 or more");
    redelivery->attempt = (uint32_t)attempt;
    if (crier_msgpack_read_optional_bool (map, "route", &redelivery->route, error) != 0)
        return -1;
    const msgpack_object *only = crier_msgpack_map_get (map, "only", &duplicate);
    if (!only)
        return 0;
    if (duplicate || only->type != MSGPACK_OBJECT_ARRAY || only->via.array.size == 0)
        return crier_error_set (error, "only", "must be given once, as a non-empty array");
    redelivery->only = calloc (only->via.array.size, sizeof *redelivery->only);
    if (!redelivery->only)
        return crier_error_set (error, "only", "out of memory");
    for (uint32_t index = 0; index < only->via.array.size; index++) {
        const msgpack_object *item = &only->via.array.ptr[index];
        crier_frame_target_t *target = &redelivery->only[index];
        redelivery->only_count++;
        if (item->type != MSGPACK_OBJECT_MAP)
            return crier_error_set (error, "only", "each must be a map {channel, target}");
        if (crier_msgpack_read_text (item, "channel", &target->channel, error) != 0 ||
            crier_msgpack_read_text (item, "target", &target->target, error) != 0)
            return -1;
    }
    return 0;
}

crier_notification_t *crier_frame_decode_notification (const void *data, size_t size,
                                                       crier_frame_redelivery_t *redelivery,
                                                       crier_error_t *error)
{
    msgpack_unpacked unpacked;
    crier_notification_t *notification = NULL;
    if (s_open (data, size, "notification", &unpacked, error) == 0)
        notification = s_read_notification (&unpacked.data, error);
    if (notification && redelivery && s_read_redelivery (&unpacked.data, redelivery, error) != 0) {
        crier_frame_redelivery_free (redelivery);
        crier_notification_destroy (&notification);
    }
    msgpack_unpacked_destroy (&unpacked);
    return notification;
}

void crier_delivery_id (char id[CRIER_DIGEST_BYTES], const char *notification_id,
                        const char *channel, const char *target)
{
    const char *const parts[] = {notification_id, channel, target};
    crier_id_digest (id, parts, 3);
}

crier_delivery_t *crier_delivery_new (crier_notification_t **notification_p, const char *channel,
                                      const char *target)
{
    crier_delivery_t *self = calloc (1, sizeof *self);
    if (self) {
        self->notification = *notification_p;
        *notification_p = NULL;
        self->channel = strdup (channel);
        self->target = strdup (target);
        self->attempt = 1;
    }
    if (!self || !self->channel || !self->target || !self->notification ||
        !self->notification->id) {
        crier_notification_destroy (notification_p);
        crier_delivery_destroy (&self);
        return NULL;
    }
    crier_delivery_id (self->delivery_id, self->notification->id, channel, target);
    return self;
}

void crier_delivery_destroy (crier_delivery_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_delivery_t *self = *self_p;
    free (self->channel);
    free (self->target);
    crier_notification_destroy (&self->notification);
    free (self);
    *self_p = NULL;
}

int crier_frame_encode_delivery_of (const crier_notification_t *notification, const char *channel,
                                    const char *target, const char *const *groups,
                                    size_t group_count, uint32_t attempt,
                                    char delivery_id[CRIER_DIGEST_BYTES], char **data_p,
                                    size_t *size_p)
{
    if (!notification->id)
        return -1;
    crier_delivery_id (delivery_id, notification->id, channel, target);
    //  The fields are the notification's, with to[] replaced by the groups that led here.
    crier_notification_t view = *notification;
    view.to_count = group_count < CRIER_MAX_GROUPS ? group_count : CRIER_MAX_GROUPS;
    for (size_t index = 0; index < view.to_count; index++)
        view.to[index] = (char *)groups[index];
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    s_begin (packer, "delivery", 5 + crier_notification_field_count (&view));
    crier_msgpack_pack_text (packer, "delivery_id");
    crier_msgpack_pack_text (packer, delivery_id);
    crier_msgpack_pack_text (packer, "channel");
    crier_msgpack_pack_text (packer, channel);
    crier_msgpack_pack_text (packer, "target");
    crier_msgpack_pack_text (packer, target);
    crier_msgpack_pack_text (packer, "attempt");
    msgpack_pack_uint32 (packer, attempt);
    crier_msgpack_pack_text (packer, "received_at");
    msgpack_pack_uint64 (packer, (uint64_t)view.received_at_ms);
    crier_notification_pack_fields (packer, &view);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_frame_encode_delivery (const crier_delivery_t *delivery, char **data_p, size_t *size_p)
{
    char delivery_id[CRIER_DIGEST_BYTES];
    const crier_notification_t *notification = delivery->notification;
    return crier_frame_encode_delivery_of (
        notification, delivery->channel, delivery->target, (const char *const *)notification->to,
        notification->to_count, delivery->attempt, delivery_id, data_p, size_p);
}

crier_delivery_t *crier_frame_decode_delivery (const void *data, size_t size, crier_error_t *error)
{
    msgpack_unpacked unpacked;
    crier_delivery_t *delivery = NULL;
    char *channel = NULL, *target = NULL, *delivery_id = NULL;
    uint64_t attempt = 0;
    if (s_open (data, size, "delivery", &unpacked, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "delivery_id", &delivery_id, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "channel", &channel, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "target", &target, error) == 0 &&
        crier_msgpack_read_uint (&unpacked.data, "attempt", &attempt, error) == 0) {
        crier_notification_t *notification = s_read_notification (&unpacked.data, error);
        if (notification) {
            delivery = crier_delivery_new (&notification, channel, target);
            if (!delivery)
                crier_error_set (error, "(frame)", "out of memory");
            else if (strcmp (delivery->delivery_id, delivery_id) != 0) {
                crier_error_set (error, "delivery_id",
                                 "does not match the notification id, channel and target");
                crier_delivery_destroy (&delivery);
            } else
                delivery->attempt = attempt > UINT32_MAX ? UINT32_MAX : (uint32_t)attempt;
        }
    }
    free (channel);
    free (target);
    free (delivery_id);
    msgpack_unpacked_destroy (&unpacked);
    return delivery;
}

/*  frames.c - see frames.h. */
#include "crier/frames.h"
#include "frame_edits.h"
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

static void s_pack_nags (msgpack_packer *packer, const crier_frame_redelivery_t *redelivery)
{
    crier_msgpack_pack_text (packer, "nags");
    msgpack_pack_array (packer, redelivery->nag_count);
    for (size_t index = 0; index < redelivery->nag_count; index++) {
        const crier_frame_nag_t *nag = &redelivery->nags[index];
        msgpack_pack_map (packer, 4 + (nag->unread != NULL));
        crier_msgpack_pack_text (packer, "delivery_id");
        crier_msgpack_pack_text (packer, nag->delivery_id);
        crier_msgpack_pack_text (packer, "room_id");
        crier_msgpack_pack_text (packer, nag->room_id);
        crier_msgpack_pack_text (packer, "event_id");
        crier_msgpack_pack_text (packer, nag->event_id);
        crier_msgpack_pack_text (packer, "after_ms");
        msgpack_pack_int64 (packer, nag->after_ms);
        if (nag->unread) {
            crier_msgpack_pack_text (packer, "unread");
            msgpack_pack_array (packer, nag->unread_count);
            for (size_t member = 0; member < nag->unread_count; member++)
                crier_msgpack_pack_text (packer, nag->unread[member]);
        }
    }
}

static void s_pack_nag_deliveries (msgpack_packer *packer,
                                   const crier_frame_redelivery_t *redelivery)
{
    crier_msgpack_pack_text (packer, "nag_deliveries");
    msgpack_pack_array (packer, redelivery->nag_delivery_count);
    for (size_t index = 0; index < redelivery->nag_delivery_count; index++) {
        const crier_frame_nag_delivery_t *resend = &redelivery->nag_deliveries[index];
        msgpack_pack_map (packer, 3);
        crier_msgpack_pack_text (packer, "nag_of");
        crier_msgpack_pack_text (packer, resend->nag_of);
        crier_msgpack_pack_text (packer, "target");
        crier_msgpack_pack_text (packer, resend->target);
        crier_msgpack_pack_text (packer, "of");
        crier_msgpack_pack_text (packer, resend->of);
    }
}

static void s_pack_window (msgpack_packer *packer, const crier_frame_window_t *window)
{
    msgpack_pack_map (packer, 4 + (window->opener != NULL));
    crier_msgpack_pack_text (packer, "group");
    crier_msgpack_pack_text (packer, window->group);
    if (window->opener) {
        crier_msgpack_pack_text (packer, "opener");
        crier_msgpack_pack_text (packer, window->opener);
    }
    crier_msgpack_pack_text (packer, "start_ms");
    msgpack_pack_int64 (packer, window->start_ms);
    crier_msgpack_pack_text (packer, "window_ms");
    msgpack_pack_int64 (packer, window->window_ms);
    crier_msgpack_pack_text (packer, "count");
    msgpack_pack_uint64 (packer, window->count);
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
    bool nags = redelivery->nag_count > 0;
    bool escalate = nags && redelivery->escalate;
    bool resend = redelivery->nag_delivery_count > 0;
    bool windows = redelivery->window_count > 0;
    bool summary = redelivery->summary.group != NULL;
    bool edits = redelivery->edit_count > 0;
    bool part = redelivery->part_size > 0;
    s_begin (packer, "notification",
             1 + again + only + route + nags + escalate + resend + windows + summary + edits +
                 2 * part + crier_notification_field_count (notification));
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
    if (nags)
        s_pack_nags (packer, redelivery);
    if (escalate) {
        crier_msgpack_pack_text (packer, "escalate");
        msgpack_pack_true (packer);
    }
    if (resend)
        s_pack_nag_deliveries (packer, redelivery);
    if (windows) {
        crier_msgpack_pack_text (packer, "windows");
        msgpack_pack_array (packer, redelivery->window_count);
        for (size_t index = 0; index < redelivery->window_count; index++)
            s_pack_window (packer, &redelivery->windows[index]);
    }
    if (summary) {
        crier_msgpack_pack_text (packer, "summary");
        s_pack_window (packer, &redelivery->summary);
    }
    if (edits)
        crier_frame_pack_edits (packer, "edits", redelivery->edits, redelivery->edit_count);
    if (part) {
        crier_msgpack_pack_text (packer, "part");
        msgpack_pack_uint32 (packer, redelivery->part);
        crier_msgpack_pack_text (packer, "part_size");
        msgpack_pack_uint32 (packer, redelivery->part_size);
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
    for (size_t index = 0; index < redelivery->nag_count; index++) {
        crier_frame_nag_t *nag = &redelivery->nags[index];
        free (nag->room_id);
        free (nag->event_id);
        for (size_t member = 0; member < nag->unread_count; member++)
            free (nag->unread[member]);
        free (nag->unread);
    }
    free (redelivery->nags);
    for (size_t index = 0; index < redelivery->nag_delivery_count; index++) {
        free (redelivery->nag_deliveries[index].nag_of);
        free (redelivery->nag_deliveries[index].target);
    }
    free (redelivery->nag_deliveries);
    for (size_t index = 0; index < redelivery->window_count; index++) {
        free (redelivery->windows[index].group);
        free (redelivery->windows[index].opener);
    }
    free (redelivery->windows);
    free (redelivery->summary.group);
    free (redelivery->summary.opener);
    for (size_t index = 0; index < redelivery->edit_count; index++) {
        free (redelivery->edits[index].room_id);
        free (redelivery->edits[index].event_id);
    }
    free (redelivery->edits);
    *redelivery = (crier_frame_redelivery_t){0};
}

//  An optional array of maps under key: *array_p NULL when absent. Returns 0, or -1.
static int s_optional_array (const msgpack_object *map, const char *key,
                             const msgpack_object **array_p, crier_error_t *error)
{
    bool duplicate = false;
    *array_p = crier_msgpack_map_get (map, key, &duplicate);
    if (!*array_p && !duplicate)
        return 0;
    if (duplicate || !*array_p || (*array_p)->type != MSGPACK_OBJECT_ARRAY ||
        (*array_p)->via.array.size == 0)
        return crier_error_set (error, key, "must be given once, as a non-empty array");
    for (uint32_t index = 0; index < (*array_p)->via.array.size; index++)
        if ((*array_p)->via.array.ptr[index].type != MSGPACK_OBJECT_MAP)
            return crier_error_set (error, key, "each must be a map");
    return 0;
}

static int s_read_nag (const msgpack_object *item, crier_frame_nag_t *nag, crier_error_t *error)
{
    uint64_t after = 0;
    if (crier_msgpack_read_digest (item, "delivery_id", nag->delivery_id, error) != 0 ||
        crier_msgpack_read_text (item, "room_id", &nag->room_id, error) != 0 ||
        crier_msgpack_read_text (item, "event_id", &nag->event_id, error) != 0 ||
        crier_msgpack_read_uint (item, "after_ms", &after, error) != 0)
        return -1;
    if (after > INT64_MAX)
        return crier_error_set (error, "after_ms", "is out of range");
    nag->after_ms = (int64_t)after;
    bool duplicate = false;
    const msgpack_object *unread = crier_msgpack_map_get (item, "unread", &duplicate);
    if (!unread && !duplicate)
        return 0;
    if (duplicate || !unread || unread->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, "unread", "must be given once, as an array");
    nag->unread = calloc (unread->via.array.size + 1, sizeof *nag->unread);
    if (!nag->unread)
        return crier_error_set (error, "unread", "out of memory");
    for (uint32_t index = 0; index < unread->via.array.size; index++) {
        if (crier_msgpack_copy_text (&unread->via.array.ptr[index], "unread", &nag->unread[index],
                                     error) != 0)
            return -1;
        nag->unread_count++;
    }
    return 0;
}

//  Reads a nag request's "nags", "escalate" and "nag_deliveries". Returns 0, or -1.
static int s_read_nag_request (const msgpack_object *map, crier_frame_redelivery_t *redelivery,
                               crier_error_t *error)
{
    const msgpack_object *nags, *resend;
    if (s_optional_array (map, "nags", &nags, error) != 0 ||
        s_optional_array (map, "nag_deliveries", &resend, error) != 0 ||
        crier_msgpack_read_optional_bool (map, "escalate", &redelivery->escalate, error) != 0)
        return -1;
    if (nags) {
        redelivery->nags = calloc (nags->via.array.size, sizeof *redelivery->nags);
        if (!redelivery->nags)
            return crier_error_set (error, "nags", "out of memory");
        for (uint32_t index = 0; index < nags->via.array.size; index++) {
            redelivery->nag_count++;
            if (s_read_nag (&nags->via.array.ptr[index], &redelivery->nags[index], error) != 0)
                return -1;
        }
    }
    if (!resend)
        return 0;
    redelivery->nag_deliveries =
        calloc (resend->via.array.size, sizeof *redelivery->nag_deliveries);
    if (!redelivery->nag_deliveries)
        return crier_error_set (error, "nag_deliveries", "out of memory");
    for (uint32_t index = 0; index < resend->via.array.size; index++) {
        const msgpack_object *item = &resend->via.array.ptr[index];
        crier_frame_nag_delivery_t *again = &redelivery->nag_deliveries[index];
        redelivery->nag_delivery_count++;
        if (crier_msgpack_read_text (item, "nag_of", &again->nag_of, error) != 0 ||
            crier_msgpack_read_text (item, "target", &again->target, error) != 0 ||
            crier_msgpack_read_digest (item, "of", again->of, error) != 0)
            return -1;
    }
    return 0;
}

//  Reads a window's map {group, start_ms, window_ms, count}. Returns 0, or -1.
static int s_read_window (const msgpack_object *item, const char *field,
                          crier_frame_window_t *window, crier_error_t *error)
{
    uint64_t start = 0, length = 0;
    if (item->type != MSGPACK_OBJECT_MAP)
        return crier_error_set (error, field, "must be a map {group, start_ms, window_ms, count}");
    if (crier_msgpack_read_text (item, "group", &window->group, error) != 0 ||
        crier_msgpack_read_uint (item, "start_ms", &start, error) != 0 ||
        crier_msgpack_read_uint (item, "window_ms", &length, error) != 0 ||
        crier_msgpack_read_uint (item, "count", &window->count, error) != 0 ||
        crier_msgpack_read_optional_text (item, "opener", &window->opener, error) != 0)
        return -1;
    if (start > INT64_MAX || length == 0 || length > INT64_MAX - start)
        return crier_error_set (error, field, "a window out of range");
    window->start_ms = (int64_t)start;
    window->window_ms = (int64_t)length;
    return 0;
}

//  Reads "windows" and "summary" (docs/throttle.md). Returns 0, or -1.
static int s_read_throttle (const msgpack_object *map, crier_frame_redelivery_t *redelivery,
                            crier_error_t *error)
{
    const msgpack_object *windows;
    bool duplicate = false;
    if (s_optional_array (map, "windows", &windows, error) != 0)
        return -1;
    if (windows) {
        redelivery->windows = calloc (windows->via.array.size, sizeof *redelivery->windows);
        if (!redelivery->windows)
            return crier_error_set (error, "windows", "out of memory");
        for (uint32_t index = 0; index < windows->via.array.size; index++) {
            redelivery->window_count++;
            if (s_read_window (&windows->via.array.ptr[index], "windows",
                               &redelivery->windows[index], error) != 0)
                return -1;
        }
    }
    const msgpack_object *summary = crier_msgpack_map_get (map, "summary", &duplicate);
    if (duplicate)
        return crier_error_set (error, "summary", "must be given once");
    if (summary && s_read_window (summary, "summary", &redelivery->summary, error) != 0)
        return -1;
    return crier_frame_read_edits (map, "edits", UINT32_MAX, &redelivery->edits,
                                   &redelivery->edit_count, error);
}

void crier_frame_pack_edits (msgpack_packer *packer, const char *key,
                             const crier_frame_edit_t *edits, size_t count)
{
    crier_msgpack_pack_text (packer, key);
    msgpack_pack_array (packer, count);
    for (size_t index = 0; index < count; index++) {
        msgpack_pack_map (packer, 2);
        crier_msgpack_pack_text (packer, "room_id");
        crier_msgpack_pack_text (packer, edits[index].room_id);
        crier_msgpack_pack_text (packer, "event_id");
        crier_msgpack_pack_text (packer, edits[index].event_id);
    }
}

int crier_frame_read_edits (const msgpack_object *map, const char *key, size_t max,
                            crier_frame_edit_t **edits_p, size_t *count_p, crier_error_t *error)
{
    const msgpack_object *array;
    if (s_optional_array (map, key, &array, error) != 0 || !array)
        return array ? -1 : 0;
    if (array->via.array.size > max)
        return crier_error_set (error, key, "more than %zu", max);
    *edits_p = calloc (array->via.array.size, sizeof **edits_p);
    if (!*edits_p)
        return crier_error_set (error, key, "out of memory");
    for (uint32_t index = 0; index < array->via.array.size; index++) {
        const msgpack_object *item = &array->via.array.ptr[index];
        crier_frame_edit_t *edit = &(*edits_p)[index];
        (*count_p)++;
        if (crier_msgpack_read_text (item, "room_id", &edit->room_id, error) != 0 ||
            crier_msgpack_read_text (item, "event_id", &edit->event_id, error) != 0)
            return -1;
    }
    return 0;
}

//  Reads a part request's "part" and "part_size" (both or neither).
static int s_read_part (const msgpack_object *map, crier_frame_redelivery_t *redelivery,
                        crier_error_t *error)
{
    uint64_t part = UINT64_MAX, part_size = 0;
    if (crier_msgpack_read_optional_uint (map, "part", &part, error) != 0 ||
        crier_msgpack_read_optional_uint (map, "part_size", &part_size, error) != 0)
        return -1;
    if ((part == UINT64_MAX) != (part_size == 0))
        return crier_error_set (error, "part", "part and part_size come together");
    if (part_size > UINT32_MAX || (part_size > 0 && part >= UINT32_MAX))
        return crier_error_set (error, "part", "must be under 2^32");
    redelivery->part = part_size ? (uint32_t)part : 0;
    redelivery->part_size = (uint32_t)part_size;
    return 0;
}

//  Reads "attempt" and "only" of a notification frame. Returns 0, or -1 with *error set.
static int s_read_redelivery (const msgpack_object *map, crier_frame_redelivery_t *redelivery,
                              crier_error_t *error)
{
    *redelivery = (crier_frame_redelivery_t){.attempt = 1};
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
    if (s_read_nag_request (map, redelivery, error) != 0 ||
        s_read_throttle (map, redelivery, error) != 0 || s_read_part (map, redelivery, error) != 0)
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
    free (self->nag_of);
    free (self->replaces);
    crier_notification_destroy (&self->notification);
    free (self);
    *self_p = NULL;
}

//  Encodes a delivery frame whose id is known: the notification's fields with to[] replaced by
//  groups, and extra_key: extra (when extra is set): "nag_of" of a nag email, "replaces" of a
//  Matrix edit.
static int s_encode_delivery (const crier_notification_t *notification, const char *channel,
                              const char *target, const char *const *groups, size_t group_count,
                              uint32_t attempt, const char *delivery_id, const char *extra_key,
                              const char *extra, char **data_p, size_t *size_p)
{
    crier_notification_t view = *notification;
    view.to_count = group_count < CRIER_MAX_GROUPS ? group_count : CRIER_MAX_GROUPS;
    for (size_t index = 0; index < view.to_count; index++)
        view.to[index] = (char *)groups[index];
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    s_begin (packer, "delivery", 5 + (extra != NULL) + crier_notification_field_count (&view));
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
    if (extra) {
        crier_msgpack_pack_text (packer, extra_key);
        crier_msgpack_pack_text (packer, extra);
    }
    crier_notification_pack_fields (packer, &view);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
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
    return s_encode_delivery (notification, channel, target, groups, group_count, attempt,
                              delivery_id, "nag_of", NULL, data_p, size_p);
}

int crier_frame_encode_edit_delivery (const crier_notification_t *notification, const char *room_id,
                                      const char *event_id, char delivery_id[CRIER_DIGEST_BYTES],
                                      char **data_p, size_t *size_p)
{
    if (!notification->id)
        return -1;
    crier_delivery_id (delivery_id, notification->id, "matrix", room_id);
    return s_encode_delivery (notification, "matrix", room_id,
                              (const char *const *)notification->to, notification->to_count, 1,
                              delivery_id, "replaces", event_id, data_p, size_p);
}

void crier_delivery_id_of_nag (char id[CRIER_DIGEST_BYTES], const char *notification_id,
                               const char *nag_of)
{
    //  "nag" is no channel's name, so no delivery of the notification itself has this id.
    const char *const parts[] = {notification_id, "nag", nag_of};
    crier_id_digest (id, parts, 3);
}

int crier_frame_encode_nag_delivery (const crier_notification_t *notification, const char *target,
                                     const char *nag_of, uint32_t attempt,
                                     char delivery_id[CRIER_DIGEST_BYTES], char **data_p,
                                     size_t *size_p)
{
    if (!notification->id)
        return -1;
    crier_delivery_id_of_nag (delivery_id, notification->id, nag_of);
    return s_encode_delivery (notification, "email", target, (const char *const *)notification->to,
                              notification->to_count, attempt, delivery_id, "nag_of", nag_of,
                              data_p, size_p);
}

int crier_frame_encode_delivery (const crier_delivery_t *delivery, char **data_p, size_t *size_p)
{
    const crier_notification_t *notification = delivery->notification;
    return s_encode_delivery (
        notification, delivery->channel, delivery->target, (const char *const *)notification->to,
        notification->to_count, delivery->attempt, delivery->delivery_id,
        delivery->nag_of ? "nag_of" : "replaces",
        delivery->nag_of ? delivery->nag_of : delivery->replaces, data_p, size_p);
}

crier_delivery_t *crier_frame_decode_delivery (const void *data, size_t size, crier_error_t *error)
{
    msgpack_unpacked unpacked;
    crier_delivery_t *delivery = NULL;
    char *channel = NULL, *target = NULL, *delivery_id = NULL, *nag_of = NULL, *replaces = NULL;
    uint64_t attempt = 0;
    if (s_open (data, size, "delivery", &unpacked, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "delivery_id", &delivery_id, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "channel", &channel, error) == 0 &&
        crier_msgpack_read_text (&unpacked.data, "target", &target, error) == 0 &&
        crier_msgpack_read_uint (&unpacked.data, "attempt", &attempt, error) == 0 &&
        crier_msgpack_read_optional_text (&unpacked.data, "nag_of", &nag_of, error) == 0 &&
        crier_msgpack_read_optional_text (&unpacked.data, "replaces", &replaces, error) == 0) {
        crier_notification_t *notification = s_read_notification (&unpacked.data, error);
        if (notification) {
            delivery = crier_delivery_new (&notification, channel, target);
            if (delivery && nag_of) {
                crier_delivery_id_of_nag (delivery->delivery_id, delivery->notification->id,
                                          nag_of);
                delivery->nag_of = nag_of;
                nag_of = NULL;
            }
            if (delivery && replaces && !delivery->nag_of) {
                delivery->replaces = replaces;
                replaces = NULL;
            }
            if (!delivery)
                crier_error_set (error, "(frame)", "out of memory");
            else if (strcmp (delivery->delivery_id, delivery_id) != 0) {
                crier_error_set (error, "delivery_id",
                                 "does not match the notification id, channel and target (or "
                                 "nag_of)");
                crier_delivery_destroy (&delivery);
            } else
                delivery->attempt = attempt > UINT32_MAX ? UINT32_MAX : (uint32_t)attempt;
        }
    }
    free (channel);
    free (target);
    free (delivery_id);
    free (nag_of);
    free (replaces);
    msgpack_unpacked_destroy (&unpacked);
    return delivery;
}

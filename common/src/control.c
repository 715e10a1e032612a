/*  control.c - see control.h. */
#include "crier/control.h"
#include "dead_letter_codec.h"
#include "msgpack_read.h"
#include "msgpack_write.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_ops[] = {"dead_letters", "retry", "drop"};

int crier_control_request_encode (const crier_control_request_t *request, char **data_p,
                                  size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    bool listing = request->op == CRIER_CONTROL_DEAD_LETTERS;
    msgpack_pack_map (packer, 1 + (listing || request->id));
    crier_msgpack_pack_text (packer, "op");
    crier_msgpack_pack_text (packer, s_ops[request->op]);
    if (listing) {
        crier_msgpack_pack_text (packer, "limit");
        msgpack_pack_uint32 (packer, request->limit);
    } else if (request->id) {
        crier_msgpack_pack_text (packer, "id");
        crier_msgpack_pack_text (packer, request->id);
    }
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_control_request_decode (const void *data, size_t size, crier_control_request_t *request,
                                  crier_error_t *error)
{
    *request = (crier_control_request_t){.limit = CRIER_CONTROL_DEFAULT_LIMIT};
    msgpack_unpacked unpacked;
    const msgpack_object *map = &unpacked.data;
    char *op = NULL;
    uint64_t limit = CRIER_CONTROL_DEFAULT_LIMIT;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        crier_msgpack_read_text (map, "op", &op, error) == 0 &&
        crier_msgpack_read_optional_text (map, "id", &request->id, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "limit", &limit, error) == 0) {
        if (strcmp (op, s_ops[CRIER_CONTROL_DEAD_LETTERS]) == 0)
            request->op = CRIER_CONTROL_DEAD_LETTERS;
        else if (strcmp (op, s_ops[CRIER_CONTROL_RETRY]) == 0)
            request->op = CRIER_CONTROL_RETRY;
        else if (strcmp (op, s_ops[CRIER_CONTROL_DROP]) == 0)
            request->op = CRIER_CONTROL_DROP;
        else
            op = (free (op), NULL);
        if (!op)
            crier_error_set (error, "op", "must be \"dead_letters\", \"retry\" or \"drop\"");
        else if (limit < 1 || limit > CRIER_CONTROL_MAX_LIMIT)
            crier_error_set (error, "limit", "must be 1 to %d", CRIER_CONTROL_MAX_LIMIT);
        else {
            request->limit = (uint32_t)limit;
            rc = 0;
        }
    }
    free (op);
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_control_request_free (request);
    return rc;
}

void crier_control_request_free (crier_control_request_t *request)
{
    if (!request)
        return;
    free (request->id);
    request->id = NULL;
}

static void s_pack_optional_text (msgpack_packer *packer, const char *text)
{
    if (text)
        crier_msgpack_pack_text (packer, text);
    else
        msgpack_pack_nil (packer);
}

void crier_dead_letter_pack (msgpack_packer *packer, const crier_dead_letter_t *letter)
{
    msgpack_pack_map (packer, 6);
    crier_msgpack_pack_text (packer, "notification_id");
    crier_msgpack_pack_text (packer, letter->notification_id);
    crier_msgpack_pack_text (packer, "delivery_id");
    s_pack_optional_text (packer, letter->delivery_id);
    crier_msgpack_pack_text (packer, "channel");
    s_pack_optional_text (packer, letter->channel);
    crier_msgpack_pack_text (packer, "target");
    crier_msgpack_pack_text (packer, letter->target);
    crier_msgpack_pack_text (packer, "reason");
    crier_msgpack_pack_text (packer, letter->reason);
    crier_msgpack_pack_text (packer, "time");
    msgpack_pack_int64 (packer, letter->time_ms);
}

int crier_control_reply_encode (const crier_control_reply_t *reply, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    msgpack_pack_map (packer, reply->ok && reply->listing ? 3 : 2);
    crier_msgpack_pack_text (packer, "ok");
    crier_msgpack_pack_bool (packer, reply->ok);
    if (!reply->ok) {
        crier_msgpack_pack_text (packer, "error");
        crier_msgpack_pack_text (packer, reply->error ? reply->error : "failed");
    } else if (!reply->listing) {
        crier_msgpack_pack_text (packer, reply->dropping ? "dropped" : "retried");
        msgpack_pack_uint64 (packer, reply->dropping ? reply->dropped : reply->retried);
    } else {
        crier_msgpack_pack_text (packer, "total");
        msgpack_pack_uint64 (packer, reply->total);
        crier_msgpack_pack_text (packer, "dead_letters");
        msgpack_pack_array (packer, reply->count);
        for (size_t index = 0; index < reply->count; index++)
            crier_dead_letter_pack (packer, &reply->dead_letters[index]);
    }
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

static int s_read_letter (const msgpack_object *map, crier_dead_letter_t *letter,
                          crier_error_t *error)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return crier_error_set (error, "dead_letters", "each must be a map");
    uint64_t time_ms = 0;
    if (crier_msgpack_read_uint (map, "time", &time_ms, error) != 0 || time_ms > INT64_MAX)
        return crier_error_set (error, "time", "must be a time in milliseconds");
    letter->time_ms = (int64_t)time_ms;
    if (crier_msgpack_read_text (map, "notification_id", &letter->notification_id, error) != 0 ||
        crier_msgpack_read_optional_text (map, "delivery_id", &letter->delivery_id, error) != 0 ||
        crier_msgpack_read_optional_text (map, "channel", &letter->channel, error) != 0 ||
        crier_msgpack_read_text (map, "target", &letter->target, error) != 0 ||
        crier_msgpack_read_text (map, "reason", &letter->reason, error) != 0)
        return -1;
    return 0;
}

int crier_dead_letters_read (const msgpack_object *map, crier_dead_letter_t **letters_p,
                             size_t *count_p, bool *present_p, crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *array = crier_msgpack_map_get (map, "dead_letters", &duplicate);
    *present_p = array != NULL;
    if (!array)
        return 0;
    if (duplicate || array->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, "dead_letters", "must be given once, as an array");
    uint32_t count = array->via.array.size;
    *letters_p = calloc (count ? count : 1, sizeof **letters_p);
    if (!*letters_p)
        return crier_error_set (error, "dead_letters", "out of memory");
    for (uint32_t index = 0; index < count; index++) {
        (*count_p)++;
        if (s_read_letter (&array->via.array.ptr[index], &(*letters_p)[index], error) != 0)
            return -1;
    }
    return 0;
}

int crier_control_reply_decode (const void *data, size_t size, crier_control_reply_t *reply,
                                crier_error_t *error)
{
    *reply = (crier_control_reply_t){0};
    msgpack_unpacked unpacked;
    const msgpack_object *map = &unpacked.data;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        crier_msgpack_read_bool (map, "ok", &reply->ok, error) == 0 &&
        crier_msgpack_read_optional_text (map, "error", &reply->error, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "retried", &reply->retried, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "dropped", &reply->dropped, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "total", &reply->total, error) == 0 &&
        crier_dead_letters_read (map, &reply->dead_letters, &reply->count, &reply->listing,
                                 error) == 0) {
        bool duplicate = false;
        reply->dropping = crier_msgpack_map_get (map, "dropped", &duplicate) != NULL;
        rc = 0;
    }
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_control_reply_free (reply);
    return rc;
}

void crier_dead_letter_free (crier_dead_letter_t *letter)
{
    if (!letter)
        return;
    free (letter->notification_id);
    free (letter->delivery_id);
    free (letter->channel);
    free (letter->target);
    free (letter->reason);
    *letter = (crier_dead_letter_t){0};
}

void crier_control_reply_free (crier_control_reply_t *reply)
{
    if (!reply)
        return;
    for (size_t index = 0; index < reply->count; index++)
        crier_dead_letter_free (&reply->dead_letters[index]);
    free (reply->dead_letters);
    free (reply->error);
    *reply = (crier_control_reply_t){0};
}

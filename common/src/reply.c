/*  reply.c - see reply.h. */
#include "crier/reply.h"
#include "msgpack_read.h"

#include <stdlib.h>

int crier_reply_encode (const crier_reply_t *reply, char **data_p, size_t *size_p)
{
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &buffer, msgpack_sbuffer_write);
    const char *text = reply->ok ? reply->id : reply->error;
    msgpack_pack_map (&packer, 1 + (text != NULL) + (reply->ok && reply->duplicate));
    crier_msgpack_pack_text (&packer, "ok");
    if (reply->ok)
        msgpack_pack_true (&packer);
    else
        msgpack_pack_false (&packer);
    if (text) {
        crier_msgpack_pack_text (&packer, reply->ok ? "id" : "error");
        crier_msgpack_pack_text (&packer, text);
    }
    if (reply->ok && reply->duplicate) {
        crier_msgpack_pack_text (&packer, "duplicate");
        msgpack_pack_true (&packer);
    }
    if (!buffer.data)
        return -1;
    *size_p = buffer.size;
    *data_p = msgpack_sbuffer_release (&buffer);
    return 0;
}

//  Reads an optional boolean key. Returns 0 or -1.
static int s_read_bool (const msgpack_object *map, const char *key, bool required, bool *value_p,
                        crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *value = crier_msgpack_map_get (map, key, &duplicate);
    if (duplicate)
        return crier_error_set (error, key, "given more than once");
    if (!value)
        return required ? crier_error_set (error, key, "required") : 0;
    if (value->type != MSGPACK_OBJECT_BOOLEAN)
        return crier_error_set (error, key, "must be true or false, got %s",
                                crier_msgpack_type_name (value));
    *value_p = value->via.boolean;
    return 0;
}

int crier_reply_decode (const void *data, size_t size, crier_reply_t *reply, crier_error_t *error)
{
    *reply = (crier_reply_t){0};
    msgpack_unpacked unpacked;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        s_read_bool (&unpacked.data, "ok", true, &reply->ok, error) == 0 &&
        s_read_bool (&unpacked.data, "duplicate", false, &reply->duplicate, error) == 0 &&
        crier_msgpack_read_optional_text (&unpacked.data, "id", &reply->id, error) == 0 &&
        crier_msgpack_read_optional_text (&unpacked.data, "error", &reply->error, error) == 0)
        rc = 0;
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_reply_free (reply);
    return rc;
}

void crier_reply_free (crier_reply_t *reply)
{
    if (!reply)
        return;
    free (reply->id);
    free (reply->error);
    reply->id = reply->error = NULL;
}

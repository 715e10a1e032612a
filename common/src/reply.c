/*  reply.c - see reply.h. */
#include "crier/reply.h"
#include "msgpack_read.h"
#include "msgpack_write.h"

#include <stdlib.h>

int crier_reply_encode (const crier_reply_t *reply, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    const char *text = reply->ok ? reply->id : reply->error;
    bool duplicate = reply->ok && reply->duplicate;
    bool temporary = !reply->ok && reply->temporary;
    msgpack_pack_map (packer, 1 + (text != NULL) + duplicate + temporary);
    crier_msgpack_pack_text (packer, "ok");
    crier_msgpack_pack_bool (packer, reply->ok);
    if (text) {
        crier_msgpack_pack_text (packer, reply->ok ? "id" : "error");
        crier_msgpack_pack_text (packer, text);
    }
    if (duplicate) {
        crier_msgpack_pack_text (packer, "duplicate");
        msgpack_pack_true (packer);
    }
    if (temporary) {
        crier_msgpack_pack_text (packer, "temporary");
        msgpack_pack_true (packer);
    }
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_reply_decode (const void *data, size_t size, crier_reply_t *reply, crier_error_t *error)
{
    *reply = (crier_reply_t){0};
    msgpack_unpacked unpacked;
    const msgpack_object *map = &unpacked.data;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        crier_msgpack_read_bool (map, "ok", &reply->ok, error) == 0 &&
        crier_msgpack_read_optional_bool (map, "duplicate", &reply->duplicate, error) == 0 &&
        crier_msgpack_read_optional_bool (map, "temporary", &reply->temporary, error) == 0 &&
        crier_msgpack_read_optional_text (map, "id", &reply->id, error) == 0 &&
        crier_msgpack_read_optional_text (map, "error", &reply->error, error) == 0)
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

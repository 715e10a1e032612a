/*  wait.c - see wait.h. */
#include "crier/wait.h"
#include "dead_letter_codec.h"
#include "msgpack_read.h"
#include "msgpack_write.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_states[] = {"pending", "delivered", "failed", "unknown"};

const char *crier_wait_state_name (crier_wait_state_t state)
{
    return state < CRIER_WAIT_STATES ? s_states[state] : "unknown";
}

int crier_wait_request_encode (const crier_wait_request_t *request, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    msgpack_pack_map (packer, 2);
    crier_msgpack_pack_text (packer, "wait");
    crier_msgpack_pack_text (packer, request->id);
    crier_msgpack_pack_text (packer, "timeout_ms");
    msgpack_pack_uint64 (packer, request->timeout_ms);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_wait_request_decode (const void *data, size_t size, crier_wait_request_t *request,
                               crier_error_t *error)
{
    *request = (crier_wait_request_t){0};
    msgpack_unpacked unpacked;
    const msgpack_object *map = &unpacked.data;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        crier_msgpack_read_text (map, "wait", &request->id, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "timeout_ms", &request->timeout_ms, error) == 0) {
        size_t length = strlen (request->id);
        if (length == 0 || length > CRIER_MAX_ID_BYTES)
            crier_error_set (error, "wait", "must be a notification id of 1 to %d bytes",
                             CRIER_MAX_ID_BYTES);
        else if (request->timeout_ms > CRIER_WAIT_MAX_TIMEOUT_MS)
            crier_error_set (error, "timeout_ms", "must be at most %d", CRIER_WAIT_MAX_TIMEOUT_MS);
        else
            rc = 0;
    }
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_wait_request_free (request);
    return rc;
}

int crier_wait_reply_encode (const crier_wait_reply_t *reply, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    if (!reply->ok) {
        msgpack_pack_map (packer, 2);
        crier_msgpack_pack_text (packer, "ok");
        msgpack_pack_false (packer);
        crier_msgpack_pack_text (packer, "error");
        crier_msgpack_pack_text (packer, reply->error ? reply->error : "failed");
        return crier_msgpack_writer_finish (&writer, data_p, size_p);
    }
    msgpack_pack_map (packer, 6 + (reply->count > 0));
    crier_msgpack_pack_text (packer, "ok");
    msgpack_pack_true (packer);
    crier_msgpack_pack_text (packer, "id");
    crier_msgpack_pack_text (packer, reply->id ? reply->id : "");
    crier_msgpack_pack_text (packer, "state");
    crier_msgpack_pack_text (packer, crier_wait_state_name (reply->state));
    crier_msgpack_pack_text (packer, "routed");
    crier_msgpack_pack_bool (packer, reply->routed);
    crier_msgpack_pack_text (packer, "deliveries");
    msgpack_pack_uint64 (packer, reply->deliveries);
    crier_msgpack_pack_text (packer, "delivered");
    msgpack_pack_uint64 (packer, reply->delivered);
    if (reply->count > 0) {
        crier_msgpack_pack_text (packer, "dead_letters");
        msgpack_pack_array (packer, reply->count);
        for (size_t index = 0; index < reply->count; index++)
            crier_dead_letter_pack (packer, &reply->dead_letters[index]);
    }
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_wait_reply_decode (const void *data, size_t size, crier_wait_reply_t *reply,
                             crier_error_t *error)
{
    *reply = (crier_wait_reply_t){.state = CRIER_WAIT_UNKNOWN};
    msgpack_unpacked unpacked;
    const msgpack_object *map = &unpacked.data;
    char *state = NULL;
    bool present;
    int rc = -1;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0 &&
        crier_msgpack_read_bool (map, "ok", &reply->ok, error) == 0 &&
        crier_msgpack_read_optional_text (map, "error", &reply->error, error) == 0 &&
        crier_msgpack_read_optional_text (map, "id", &reply->id, error) == 0 &&
        crier_msgpack_read_optional_text (map, "state", &state, error) == 0 &&
        crier_msgpack_read_optional_bool (map, "routed", &reply->routed, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "deliveries", &reply->deliveries, error) == 0 &&
        crier_msgpack_read_optional_uint (map, "delivered", &reply->delivered, error) == 0 &&
        crier_dead_letters_read (map, &reply->dead_letters, &reply->count, &present, error) == 0) {
        //  A state this client does not know (a newer crier's) reads as unknown.
        for (int index = 0; state && index < CRIER_WAIT_STATES; index++)
            if (strcmp (state, s_states[index]) == 0)
                reply->state = (crier_wait_state_t)index;
        rc = reply->ok && !state ? crier_error_set (error, "state", "required") : 0;
    }
    free (state);
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_wait_reply_free (reply);
    return rc;
}

void crier_wait_request_free (crier_wait_request_t *request)
{
    if (!request)
        return;
    free (request->id);
    *request = (crier_wait_request_t){0};
}

void crier_wait_reply_free (crier_wait_reply_t *reply)
{
    if (!reply)
        return;
    for (size_t index = 0; index < reply->count; index++)
        crier_dead_letter_free (&reply->dead_letters[index]);
    free (reply->dead_letters);
    free (reply->error);
    free (reply->id);
    *reply = (crier_wait_reply_t){0};
}

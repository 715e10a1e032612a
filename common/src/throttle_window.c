/*  throttle_window.c - see throttle_window.h. */
#include "crier/throttle_window.h"
#include "frame_edits.h"
#include "msgpack_read.h"
#include "msgpack_write.h"

#include <stdlib.h>
#include <string.h>

int crier_throttle_window_encode (const crier_throttle_window_t *window, char **data_p,
                                  size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    msgpack_pack_map (packer, 8 + (window->latest_subject != NULL) + (window->latest_body != NULL) +
                                  (window->opener != NULL) + (window->opener_subject != NULL) +
                                  (window->opener_body != NULL) + (window->message_count > 0));
    if (window->opener_subject) {
        crier_msgpack_pack_text (packer, "opener_subject");
        crier_msgpack_pack_text (packer, window->opener_subject);
    }
    if (window->opener_body) {
        crier_msgpack_pack_text (packer, "opener_body");
        crier_msgpack_pack_text (packer, window->opener_body);
    }
    if (window->message_count > 0)
        crier_frame_pack_edits (packer, "messages", window->messages, window->message_count);
    if (window->opener) {
        crier_msgpack_pack_text (packer, "opener");
        crier_msgpack_pack_text (packer, window->opener);
    }
    crier_msgpack_pack_text (packer, "group");
    crier_msgpack_pack_text (packer, window->group);
    crier_msgpack_pack_text (packer, "key");
    crier_msgpack_pack_text (packer, window->key);
    const char *names[] = {"start_ms", "window_ms", "first_ms", "last_ms"};
    const int64_t values[] = {window->start_ms, window->window_ms, window->first_ms,
                              window->last_ms};
    for (size_t index = 0; index < 4; index++) {
        crier_msgpack_pack_text (packer, names[index]);
        msgpack_pack_uint64 (packer, values[index] > 0 ? (uint64_t)values[index] : 0);
    }
    crier_msgpack_pack_text (packer, "count");
    msgpack_pack_uint64 (packer, window->count);
    crier_msgpack_pack_text (packer, "urgent");
    msgpack_pack_uint64 (packer, window->urgent);
    if (window->latest_subject) {
        crier_msgpack_pack_text (packer, "latest_subject");
        crier_msgpack_pack_text (packer, window->latest_subject);
    }
    if (window->latest_body) {
        crier_msgpack_pack_text (packer, "latest_body");
        crier_msgpack_pack_text (packer, window->latest_body);
    }
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

int crier_throttle_window_decode (const void *data, size_t size, crier_throttle_window_t *window,
                                  crier_error_t *error)
{
    *window = (crier_throttle_window_t){0};
    msgpack_unpacked unpacked;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) != 0) {
        msgpack_unpacked_destroy (&unpacked);
        return -1;
    }
    const msgpack_object *map = &unpacked.data;
    uint64_t start = 0, length = 0, first = 0, last = 0;
    int rc = -1;
    if (crier_msgpack_read_text (map, "group", &window->group, error) == 0 &&
        crier_msgpack_read_text (map, "key", &window->key, error) == 0 &&
        crier_msgpack_read_uint (map, "start_ms", &start, error) == 0 &&
        crier_msgpack_read_uint (map, "window_ms", &length, error) == 0 &&
        crier_msgpack_read_uint (map, "first_ms", &first, error) == 0 &&
        crier_msgpack_read_uint (map, "last_ms", &last, error) == 0 &&
        crier_msgpack_read_uint (map, "count", &window->count, error) == 0 &&
        crier_msgpack_read_uint (map, "urgent", &window->urgent, error) == 0 &&
        crier_msgpack_read_optional_text (map, "latest_subject", &window->latest_subject, error) ==
            0 &&
        crier_msgpack_read_optional_text (map, "latest_body", &window->latest_body, error) == 0 &&
        crier_msgpack_read_optional_text (map, "opener", &window->opener, error) == 0 &&
        crier_msgpack_read_optional_text (map, "opener_subject", &window->opener_subject, error) ==
            0 &&
        crier_msgpack_read_optional_text (map, "opener_body", &window->opener_body, error) == 0 &&
        crier_frame_read_edits (map, "messages", CRIER_THROTTLE_MESSAGES_MAX, &window->messages,
                                &window->message_count, error) == 0)
        rc = 0;
    if (rc == 0 && (start > INT64_MAX || length == 0 || length > INT64_MAX - start ||
                    first > INT64_MAX || last > INT64_MAX))
        rc = crier_error_set (error, "window_ms", "a window out of range");
    window->start_ms = (int64_t)start;
    window->window_ms = (int64_t)length;
    window->first_ms = (int64_t)first;
    window->last_ms = (int64_t)last;
    msgpack_unpacked_destroy (&unpacked);
    if (rc != 0)
        crier_throttle_window_free (window);
    return rc;
}

void crier_throttle_window_free (crier_throttle_window_t *window)
{
    if (!window)
        return;
    free (window->group);
    free (window->key);
    free (window->latest_subject);
    free (window->latest_body);
    free (window->opener);
    free (window->opener_subject);
    free (window->opener_body);
    crier_throttle_window_forget_messages (window);
    *window = (crier_throttle_window_t){0};
}

void crier_throttle_window_forget_messages (crier_throttle_window_t *window)
{
    for (size_t index = 0; index < window->message_count; index++) {
        free (window->messages[index].room_id);
        free (window->messages[index].event_id);
    }
    free (window->messages);
    window->messages = NULL;
    window->message_count = 0;
}

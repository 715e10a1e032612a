/*  json_frame.c - see json_frame.h. */
#include "crier/json_frame.h"
#include "msgpack_write.h"

#include <string.h>

static void s_pack (msgpack_packer *packer, const json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT: {
            msgpack_pack_map (packer, json_object_size (value));
            const char *key;
            json_t *member;
            json_object_foreach ((json_t *)value, key, member)
            {
                size_t length = strlen (key);
                msgpack_pack_str (packer, length);
                msgpack_pack_str_body (packer, key, length);
                s_pack (packer, member);
            }
            break;
        }
        case JSON_ARRAY: {
            msgpack_pack_array (packer, json_array_size (value));
            for (size_t index = 0; index < json_array_size (value); index++)
                s_pack (packer, json_array_get (value, index));
            break;
        }
        case JSON_STRING:
            msgpack_pack_str (packer, json_string_length (value));
            msgpack_pack_str_body (packer, json_string_value (value), json_string_length (value));
            break;
        case JSON_INTEGER:
            msgpack_pack_int64 (packer, (int64_t)json_integer_value (value));
            break;
        case JSON_REAL:
            msgpack_pack_double (packer, json_real_value (value));
            break;
        case JSON_TRUE:
            msgpack_pack_true (packer);
            break;
        case JSON_FALSE:
            msgpack_pack_false (packer);
            break;
        default:
            msgpack_pack_nil (packer);
    }
}

int crier_json_frame (const json_t *value, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    s_pack (&writer.packer, value);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

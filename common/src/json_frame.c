/*  json_frame.c - see json_frame.h. */
#include "crier/json_frame.h"
#include "msgpack_read.h"
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

static json_t *s_to_json (const msgpack_object *object, int depth)
{
    if (depth > 32)
        return json_null ();
    switch (object->type) {
        case MSGPACK_OBJECT_BOOLEAN:
            return json_boolean (object->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            return json_integer ((json_int_t)object->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return json_integer ((json_int_t)object->via.i64);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            return json_real (object->via.f64);
        case MSGPACK_OBJECT_STR: {
            json_t *text = json_stringn (object->via.str.size ? object->via.str.ptr : "",
                                         object->via.str.size);
            return text ? text : json_null ();
        }
        case MSGPACK_OBJECT_ARRAY: {
            json_t *array = json_array ();
            for (uint32_t index = 0; index < object->via.array.size; index++)
                json_array_append_new (array, s_to_json (&object->via.array.ptr[index], depth + 1));
            return array;
        }
        case MSGPACK_OBJECT_MAP: {
            json_t *map = json_object ();
            for (uint32_t index = 0; index < object->via.map.size; index++) {
                const msgpack_object *key = &object->via.map.ptr[index].key;
                if (key->type != MSGPACK_OBJECT_STR)
                    continue;
                //  Takes the key by length: an empty one may have no pointer at all.
                json_object_setn_new (map, key->via.str.size ? key->via.str.ptr : "",
                                      key->via.str.size,
                                      s_to_json (&object->via.map.ptr[index].val, depth + 1));
            }
            return map;
        }
        default:
            return json_null ();
    }
}

json_t *crier_json_frame_read (const void *data, size_t size)
{
    msgpack_unpacked unpacked;
    crier_error_t error;
    json_t *json = NULL;
    if (crier_msgpack_unpack_map (data, size, &unpacked, &error) == 0)
        json = s_to_json (&unpacked.data, 0);
    msgpack_unpacked_destroy (&unpacked);
    return json;
}

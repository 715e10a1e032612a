/*  msgpack_read.c - see msgpack_read.h. */
#include "msgpack_read.h"
#include "msgpack_guard.h"
#include "crier/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crier_error_set (crier_error_t *error, const char *field, const char *format, ...)
{
    snprintf (error->field, sizeof error->field, "%s", field);
    va_list args;
    va_start (args, format);
    vsnprintf (error->message, sizeof error->message, format, args);
    va_end (args);
    return -1;
}

const char *crier_msgpack_type_name (const msgpack_object *object)
{
    switch (object->type) {
        case MSGPACK_OBJECT_NIL:
            return "nil";
        case MSGPACK_OBJECT_BOOLEAN:
            return "boolean";
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return "integer";
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            return "float";
        case MSGPACK_OBJECT_STR:
            return "string";
        case MSGPACK_OBJECT_ARRAY:
            return "array";
        case MSGPACK_OBJECT_MAP:
            return "map";
        case MSGPACK_OBJECT_BIN:
            return "binary";
        case MSGPACK_OBJECT_EXT:
            return "extension";
    }
    return "unknown";
}

//  Orders keys by length, then bytes.
static int s_compare_keys (const void *a, const void *b)
{
    const msgpack_object_str *left = &(*(const msgpack_object *const *)a)->via.str;
    const msgpack_object_str *right = &(*(const msgpack_object *const *)b)->via.str;
    if (left->size != right->size)
        return left->size < right->size ? -1 : 1;
    return left->size ? memcmp (left->ptr, right->ptr, left->size) : 0;
}

//  Every key of a top-level map is a string, and none is given twice (whether crier knows the
//  key or not: a reader must never have to choose one of two values). Sorted, so that a frame
//  of many keys costs n log n, not n squared.
static int s_check_keys (const msgpack_object *map, crier_error_t *error)
{
    uint32_t count = map->via.map.size;
    for (uint32_t index = 0; index < count; index++)
        if (map->via.map.ptr[index].key.type != MSGPACK_OBJECT_STR)
            return crier_error_set (error, "(frame)", "every key must be a string, one is %s",
                                    crier_msgpack_type_name (&map->via.map.ptr[index].key));
    if (count < 2)
        return 0;
    const msgpack_object **keys = malloc (count * sizeof *keys);
    if (!keys)
        return crier_error_set (error, "(frame)", "out of memory");
    for (uint32_t index = 0; index < count; index++)
        keys[index] = &map->via.map.ptr[index].key;
    qsort (keys, count, sizeof *keys, s_compare_keys);
    const msgpack_object *twice = NULL;
    for (uint32_t index = 1; index < count && !twice; index++)
        if (s_compare_keys (&keys[index - 1], &keys[index]) == 0)
            twice = keys[index];
    free (keys);
    if (!twice)
        return 0;
    size_t bad_offset;
    const msgpack_object_str *key = &twice->via.str;
    //  Named when it can stand as a field: not empty, not too long, text without NUL.
    bool readable = key->size > 0 && key->size < sizeof error->field &&
                    crier_utf8_valid (key->ptr, key->size, &bad_offset) &&
                    !memchr (key->ptr, '\0', key->size);
    if (!readable)
        return crier_error_set (error, "(frame)", "a key is given more than once");
    char field[sizeof error->field];
    snprintf (field, sizeof field, "%.*s", (int)key->size, key->ptr);
    return crier_error_set (error, field, "given more than once");
}

int crier_msgpack_unpack_map (const void *data, size_t size, msgpack_unpacked *unpacked,
                              crier_error_t *error)
{
    msgpack_unpacked_init (unpacked);
    if (size == 0)
        return crier_error_set (error, "(frame)", "empty frame: expected one msgpack map");
    if (crier_msgpack_guard (data, size) != 0)
        return crier_error_set (error, "(frame)",
                                "truncated msgpack: its arrays and maps declare more elements "
                                "than the %zu-byte frame holds",
                                size);
    size_t offset = 0;
    msgpack_unpack_return result = msgpack_unpack_next (unpacked, data, size, &offset);
    if (result == MSGPACK_UNPACK_CONTINUE)
        return crier_error_set (error, "(frame)",
                                "truncated msgpack: the frame ends inside a value");
    if (result != MSGPACK_UNPACK_SUCCESS)
        return crier_error_set (error, "(frame)", "not valid msgpack (error %d at byte %zu)",
                                (int)result, offset);
    if (offset != size)
        return crier_error_set (error, "(frame)",
                                "%zu bytes of trailing data after the msgpack map: send one map "
                                "per frame",
                                size - offset);
    if (unpacked->data.type != MSGPACK_OBJECT_MAP)
        return crier_error_set (error, "(frame)", "expected a msgpack map at the top level, got %s",
                                crier_msgpack_type_name (&unpacked->data));
    return s_check_keys (&unpacked->data, error);
}

const msgpack_object *crier_msgpack_map_get (const msgpack_object *map, const char *key,
                                             bool *duplicate_p)
{
    size_t key_length = strlen (key);
    const msgpack_object *found = NULL;
    for (uint32_t index = 0; index < map->via.map.size; index++) {
        const msgpack_object *candidate = &map->via.map.ptr[index].key;
        if (candidate->type == MSGPACK_OBJECT_STR && candidate->via.str.size == key_length &&
            memcmp (candidate->via.str.ptr, key, key_length) == 0) {
            if (found)
                *duplicate_p = true;
            found = &map->via.map.ptr[index].val;
        }
    }
    return found;
}

int crier_msgpack_copy_text (const msgpack_object *object, const char *field, char **text_p,
                             crier_error_t *error)
{
    if (object->type != MSGPACK_OBJECT_STR)
        return crier_error_set (error, field, "must be a string, got %s",
                                crier_msgpack_type_name (object));
    const char *data = object->via.str.ptr;
    size_t size = object->via.str.size;
    size_t bad_offset;
    if (!crier_utf8_valid (data, size, &bad_offset))
        return crier_error_set (error, field, "not valid UTF-8 (at byte %zu)", bad_offset);
    if (size > 0 && memchr (data, '\0', size))
        return crier_error_set (error, field, "contains a NUL character");
    char *text = malloc (size + 1);
    if (!text)
        return crier_error_set (error, field, "out of memory");
    if (size > 0) //  an empty string may come without a pointer
        memcpy (text, data, size);
    text[size] = '\0';
    *text_p = text;
    return 0;
}

static const msgpack_object *s_get_unique (const msgpack_object *map, const char *key,
                                           crier_error_t *error, int *failed_p)
{
    bool duplicate = false;
    const msgpack_object *value = crier_msgpack_map_get (map, key, &duplicate);
    *failed_p = duplicate ? crier_error_set (error, key, "given more than once") : 0;
    return value;
}

int crier_msgpack_read_optional_text (const msgpack_object *map, const char *key, char **text_p,
                                      crier_error_t *error)
{
    int failed;
    const msgpack_object *value = s_get_unique (map, key, error, &failed);
    if (failed)
        return -1;
    if (!value || value->type == MSGPACK_OBJECT_NIL)
        return 0;
    return crier_msgpack_copy_text (value, key, text_p, error);
}

int crier_msgpack_read_text (const msgpack_object *map, const char *key, char **text_p,
                             crier_error_t *error)
{
    if (crier_msgpack_read_optional_text (map, key, text_p, error) != 0)
        return -1;
    if (!*text_p)
        return crier_error_set (error, key, "required");
    return 0;
}

//  An optional key's value when it has the given type: NULL when absent or nil. *failed_p is -1
//  (with *error set) when the key is given twice or its value is of another type.
static const msgpack_object *s_get_typed (const msgpack_object *map, const char *key,
                                          msgpack_object_type type, const char *expected,
                                          crier_error_t *error, int *failed_p)
{
    const msgpack_object *value = s_get_unique (map, key, error, failed_p);
    if (*failed_p || !value || value->type == MSGPACK_OBJECT_NIL)
        return NULL;
    if (value->type != type) {
        *failed_p = crier_error_set (error, key, "must be %s, got %s", expected,
                                     crier_msgpack_type_name (value));
        return NULL;
    }
    return value;
}

int crier_msgpack_read_optional_uint (const msgpack_object *map, const char *key, uint64_t *value_p,
                                      crier_error_t *error)
{
    int failed;
    const msgpack_object *value = s_get_typed (map, key, MSGPACK_OBJECT_POSITIVE_INTEGER,
                                               "a non-negative integer", error, &failed);
    if (value)
        *value_p = value->via.u64;
    return failed;
}

int crier_msgpack_read_uint (const msgpack_object *map, const char *key, uint64_t *value_p,
                             crier_error_t *error)
{
    int failed;
    const msgpack_object *value = s_get_unique (map, key, error, &failed);
    if (failed)
        return -1;
    if (!value)
        return crier_error_set (error, key, "required");
    if (value->type == MSGPACK_OBJECT_NIL)
        return crier_error_set (error, key, "must be a non-negative integer, got nil");
    return crier_msgpack_read_optional_uint (map, key, value_p, error);
}

int crier_msgpack_read_optional_bool (const msgpack_object *map, const char *key, bool *value_p,
                                      crier_error_t *error)
{
    int failed;
    const msgpack_object *value =
        s_get_typed (map, key, MSGPACK_OBJECT_BOOLEAN, "true or false", error, &failed);
    if (value)
        *value_p = value->via.boolean;
    return failed;
}

int crier_msgpack_read_bool (const msgpack_object *map, const char *key, bool *value_p,
                             crier_error_t *error)
{
    bool duplicate = false;
    if (!crier_msgpack_map_get (map, key, &duplicate) && !duplicate)
        return crier_error_set (error, key, "required");
    return crier_msgpack_read_optional_bool (map, key, value_p, error);
}

void crier_msgpack_pack_bool (msgpack_packer *packer, bool value)
{
    if (value)
        msgpack_pack_true (packer);
    else
        msgpack_pack_false (packer);
}

void crier_msgpack_pack_text (msgpack_packer *packer, const char *text)
{
    size_t length = strlen (text);
    msgpack_pack_str (packer, length);
    msgpack_pack_str_body (packer, text, length);
}

int crier_msgpack_read_digest (const msgpack_object *object, const char *key,
                               char id[CRIER_DIGEST_BYTES], crier_error_t *error)
{
    char *text = NULL;
    const char *field = key ? key : "delivery_id";
    if ((key ? crier_msgpack_read_text (object, key, &text, error)
             : crier_msgpack_copy_text (object, field, &text, error)) != 0)
        return -1;
    size_t length = strlen (text);
    int valid = length == CRIER_DIGEST_BYTES - 1 && strspn (text, "0123456789abcdef") == length;
    if (valid)
        memcpy (id, text, CRIER_DIGEST_BYTES);
    free (text);
    return valid ? 0 : crier_error_set (error, field, "must be 40 lowercase hex digits");
}

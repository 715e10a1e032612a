/*  msgpack_read.h - reading typed fields out of decoded msgpack maps, with errors that name the
    field. Private to libcrier-common: no process touches msgpack. */
#ifndef CRIER_MSGPACK_READ_H_INCLUDED
#define CRIER_MSGPACK_READ_H_INCLUDED

#include "crier/id.h"
#include "crier/notification.h"

#include <msgpack.h>

//  A short English name for an object's type ("integer", "array", ...), for error messages.
const char *crier_msgpack_type_name (const msgpack_object *object);

//  Unpacks a whole frame into *unpacked: guards allocation, refuses frames that are empty,
//  truncated, followed by trailing bytes, or not a map at the top level. Returns 0, or -1 with
//  *error set. The caller destroys *unpacked in either case.
int crier_msgpack_unpack_map (const void *data, size_t size, msgpack_unpacked *unpacked,
                              crier_error_t *error);

//  The value of a string key in a map, or NULL when absent. A key given twice is an error:
//  *duplicate_p is set to true.
const msgpack_object *crier_msgpack_map_get (const msgpack_object *map, const char *key,
                                             bool *duplicate_p);

//  Copies a msgpack string into a new C string after checking it is UTF-8 without NUL bytes.
//  Returns 0, or -1 with *error set for field. Caller frees *text_p.
int crier_msgpack_copy_text (const msgpack_object *object, const char *field, char **text_p,
                             crier_error_t *error);

//  Reads an optional string key: absent and nil leave *text_p NULL. Returns 0 or -1.
int crier_msgpack_read_optional_text (const msgpack_object *map, const char *key, char **text_p,
                                      crier_error_t *error);

//  Reads a required string key. Returns 0 or -1.
int crier_msgpack_read_text (const msgpack_object *map, const char *key, char **text_p,
                             crier_error_t *error);

//  Reads a delivery id (40 lowercase hex digits) into id: the value of key in map, or object
//  itself when key is NULL (an array's item; errors then name "delivery_id"). Returns 0, or -1
//  with *error set.
int crier_msgpack_read_digest (const msgpack_object *object, const char *key,
                               char id[CRIER_DIGEST_BYTES], crier_error_t *error);

//  Reads an optional non-negative integer key: absent and nil leave *value_p as it is.
int crier_msgpack_read_optional_uint (const msgpack_object *map, const char *key, uint64_t *value_p,
                                      crier_error_t *error);

//  Reads an optional boolean key: absent and nil leave *value_p as it is. Returns 0 or -1.
int crier_msgpack_read_optional_bool (const msgpack_object *map, const char *key, bool *value_p,
                                      crier_error_t *error);

//  Reads a required boolean key (nil is not a boolean). Returns 0 or -1.
int crier_msgpack_read_bool (const msgpack_object *map, const char *key, bool *value_p,
                             crier_error_t *error);

//  Reads a required non-negative integer key. Returns 0 or -1.
int crier_msgpack_read_uint (const msgpack_object *map, const char *key, uint64_t *value_p,
                             crier_error_t *error);

//  Packs true or false.
void crier_msgpack_pack_bool (msgpack_packer *packer, bool value);

//  Packs a C string as a msgpack str.
void crier_msgpack_pack_text (msgpack_packer *packer, const char *text);

#endif

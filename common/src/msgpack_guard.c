/*  msgpack_guard.c - see msgpack_guard.h. Type bytes follow the msgpack specification's format
    table. */
#include "msgpack_guard.h"

#include <stdint.h>

static uint64_t s_read_be (const uint8_t *bytes, size_t width)
{
    uint64_t value = 0;
    for (size_t index = 0; index < width; index++)
        value = (value << 8) | bytes[index];
    return value;
}

int crier_msgpack_guard (const void *data, size_t size)
{
    const uint8_t *bytes = data;
    size_t at = 0;
    uint64_t pending = 1; //  values still to be read, counting every declared element
    while (pending > 0 && at < size) {
        uint8_t type = bytes[at];
        size_t header = 1;     //  bytes of type and length fields
        size_t width = 0;      //  width of the length or count field
        uint64_t children = 0; //  elements this value declares
        uint64_t payload = 0;  //  bytes of data after the header
        int is_container = 0;
        unsigned pairs = 1; //  2 for maps: each entry is a key and a value

        if (type <= 0x7f || type >= 0xe0 || type == 0xc0 || type == 0xc2 || type == 0xc3)
            ; //  fixint, nil, booleans
        else if (type <= 0x8f) {
            is_container = 1, pairs = 2, children = type & 0x0f;
        } else if (type <= 0x9f) {
            is_container = 1, children = type & 0x0f;
        } else if (type <= 0xbf)
            payload = type & 0x1f; //  fixstr
        else {
            switch (type) {
                case 0xc4:
                case 0xd9:
                    width = 1;
                    break; //  bin8, str8
                case 0xc5:
                case 0xda:
                    width = 2;
                    break; //  bin16, str16
                case 0xc6:
                case 0xdb:
                    width = 4;
                    break; //  bin32, str32
                case 0xc7:
                    width = 1, header = 2;
                    break; //  ext8 (+ type byte)
                case 0xc8:
                    width = 2, header = 2;
                    break; //  ext16
                case 0xc9:
                    width = 4, header = 2;
                    break; //  ext32
                case 0xca:
                    payload = 4;
                    break; //  float32
                case 0xcb:
                    payload = 8;
                    break; //  float64
                case 0xcc:
                case 0xd0:
                    payload = 1;
                    break;
                case 0xcd:
                case 0xd1:
                    payload = 2;
                    break;
                case 0xce:
                case 0xd2:
                    payload = 4;
                    break;
                case 0xcf:
                case 0xd3:
                    payload = 8;
                    break;
                case 0xd4:
                    payload = 2;
                    break; //  fixext1 (type byte + 1)
                case 0xd5:
                    payload = 3;
                    break;
                case 0xd6:
                    payload = 5;
                    break;
                case 0xd7:
                    payload = 9;
                    break;
                case 0xd8:
                    payload = 17;
                    break;
                case 0xdc:
                    width = 2, is_container = 1;
                    break;
                case 0xdd:
                    width = 4, is_container = 1;
                    break;
                case 0xde:
                    width = 2, is_container = 1, pairs = 2;
                    break;
                case 0xdf:
                    width = 4, is_container = 1, pairs = 2;
                    break;
                default:
                    return 0; //  0xc1 is never used: msgpack-c reports it
            }
        }
        if (width) {
            if (size - at < 1 + width)
                return 0; //  truncated: msgpack-c reports it
            uint64_t length = s_read_be (bytes + at + 1, width);
            if (is_container)
                children = length;
            else
                payload = length;
            header += width;
        }
        children *= pairs;
        pending += children;
        pending -= 1;
        if (payload > size - at || header + payload > size - at)
            return 0; //  truncated
        at += header + payload;
        if (pending > size - at)
            return -1;
    }
    return 0;
}

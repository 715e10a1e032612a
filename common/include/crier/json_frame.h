/*  json_frame.h - a JSON value as a msgpack frame and back: how crier-gateway passes a
    notification it got over HTTP to crier-ingest's acknowledged endpoint unchanged, so that
    ingest validates it with the wire protocol's rules and messages (docs/http.md); how events
    are shown as JSON; how the Matrix senders ask crier-matrix-watch to encrypt. */
#ifndef CRIER_JSON_FRAME_H_INCLUDED
#define CRIER_JSON_FRAME_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

//  Encodes value as msgpack: objects as maps, arrays, strings (with any bytes jansson holds),
//  integers, reals, booleans and null. Returns 0 with a malloc'ed buffer, or -1 when out of
//  memory.
int crier_json_frame (const json_t *value, char **data_p, size_t *size_p);

//  Decodes a msgpack map frame into a JSON object (the caller owns it; nesting past 32 levels
//  becomes null), or NULL when the frame is not a msgpack map.
json_t *crier_json_frame_read (const void *data, size_t size);

#endif

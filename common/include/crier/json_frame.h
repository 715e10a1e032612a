/*  json_frame.h - a JSON value as a msgpack frame: how crier-gateway passes a notification it
    got over HTTP to crier-ingest's acknowledged endpoint unchanged, so that ingest validates it
    with the wire protocol's rules and messages (docs/http.md). */
#ifndef CRIER_JSON_FRAME_H_INCLUDED
#define CRIER_JSON_FRAME_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

//  Encodes value as msgpack: objects as maps, arrays, strings (with any bytes jansson holds),
//  integers, reals, booleans and null. Returns 0 with a malloc'ed buffer, or -1 when out of
//  memory.
int crier_json_frame (const json_t *value, char **data_p, size_t *size_p);

#endif

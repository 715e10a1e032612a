/*  endpoint_list.h - a setting that names several endpoints, one per crier core
    (docs/deploy.md, "Several cores"): "tcp://core-0:7411,tcp://core-1:7411". A socket that
    connects to such a list connects to each, and ZeroMQ spreads what it sends over them and
    fair-queues what it receives; a socket that binds takes exactly one endpoint. */
#ifndef CRIER_ENDPOINT_LIST_H_INCLUDED
#define CRIER_ENDPOINT_LIST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  At most this many endpoints in one list (cores of one stack).
#define CRIER_ENDPOINT_LIST_MAX      64
#define CRIER_ENDPOINT_LIST_MAX_TEXT "64"

typedef struct {
    size_t count;
    char *items[CRIER_ENDPOINT_LIST_MAX]; //  each one endpoint, spaces around commas removed
} crier_endpoint_list_t;

//  Splits text at its commas into list. Returns 0, or -1 when an item is empty or there are
//  more than CRIER_ENDPOINT_LIST_MAX (list is then empty). Free with crier_endpoint_list_free.
int crier_endpoint_list_parse (const char *text, crier_endpoint_list_t *list);

void crier_endpoint_list_free (crier_endpoint_list_t *list);

//  Whether text names more than one endpoint.
bool crier_endpoint_list_is_many (const char *text);

#endif

/*  e2ee_client.h - a Matrix sender asking crier-matrix-watch to encrypt (CRIER_MATRIX_E2EE=on;
    e2ee_rooms.h says the request and its answers). A DEALER on the watcher's ROUTER, on the
    sender's zloop. */
#ifndef CRIER_E2EE_CLIENT_H_INCLUDED
#define CRIER_E2EE_CLIENT_H_INCLUDED

#include "crier/links.h"

#include <czmq.h>

//  An answer: outcome "encrypted" (content: the m.room.encrypted content, JSON text),
//  "plaintext", "forbidden" or "failed" (reason). Valid during the call.
typedef struct {
    const char *room_id;
    const char *delivery_id;
    const char *outcome;
    const char *content;
    const char *reason;
} crier_e2ee_answer_t;

typedef void (crier_e2ee_answer_fn) (const crier_e2ee_answer_t *answer, void *arg);

typedef struct crier_e2ee_client_t crier_e2ee_client_t;

//  Connects to endpoint. NULL after logging.
crier_e2ee_client_t *crier_e2ee_client_new (zloop_t *loop, const char *endpoint,
                                            const crier_links_t *links, crier_e2ee_answer_fn *fn,
                                            void *arg);

//  NULL-safe; sets *self_p to NULL.
void crier_e2ee_client_destroy (crier_e2ee_client_t **self_p);

//  Asks for an event of type with content (JSON text) in room_id, for delivery_id. Returns 0,
//  or -1 when it could not be sent now (the caller tries again later).
int crier_e2ee_client_ask (crier_e2ee_client_t *self, const char *room_id, const char *delivery_id,
                           const char *type, const char *content);

#endif

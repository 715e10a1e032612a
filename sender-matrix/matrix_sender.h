/*  matrix_sender.h - the crier-sender-matrix actor: pulls deliveries from the resolver and sends
    each to its room as an m.room.message, exactly once, at the homeserver's pace.

    - Exactly once: the transaction id is the delivery id, so a retry by this process, or by
      another sender after a crash, is the same transaction and the homeserver answers with the
      same event instead of a second message.
    - In order per room: one request in flight per room; many rooms at once, up to
      CRIER_MATRIX_CONCURRENCY requests over libcurl's reused connections.
    - At the homeserver's pace: 429 pauses only that room for retry_after_ms (or Retry-After);
      5xx, timeouts and connection errors retry with capped exponential backoff and jitter until
      CRIER_MATRIX_RETRY_DEADLINE, then fail; 401 is a refused credential (crier/sender.h:
      everything held, the token checked again until it works); 403 joins the room once when
      CRIER_MATRIX_AUTOJOIN is on, else fails that delivery; room aliases are resolved through
      the room directory and cached.
    It holds 8 per unit of CRIER_MATRIX_CONCURRENCY, and starts and stops as every sender does
    (crier/sender.h).
*/
#ifndef CRIER_MATRIX_SENDER_H_INCLUDED
#define CRIER_MATRIX_SENDER_H_INCLUDED

#include "matrix_config.h"

#include <czmq.h>

//  zactor function; args is a crier_matrix_config_t that must outlive the actor.
void crier_matrix_sender (zsock_t *pipe, void *args);

#endif

/*  event.h - what happened, published on the event bus (docs/protocol.md, "Events").

    An event is two ZeroMQ frames: its type ("notification.accepted", "delivery.failed", ...) so
    that subscribers can filter by prefix, then a msgpack map with v, type, time (Unix ms),
    source (the process name), instance (host:pid) and the event's own fields.
*/
#ifndef CRIER_EVENT_H_INCLUDED
#define CRIER_EVENT_H_INCLUDED

#include "crier/frames.h"

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

typedef struct crier_event_t crier_event_t;

//  A stalled channel of the resolver takes deliveries again (crier-ingest then sends what it had
//  deferred at once).
#define CRIER_EVENT_DELIVERIES_FLOWING "deliveries.flowing"

//  Starts an event of the given type. Returns NULL when out of memory.
crier_event_t *crier_event_new (const char *type);

//  NULL-safe; sets *self_p to NULL.
void crier_event_destroy (crier_event_t **self_p);

//  Adds a field; a NULL value adds nothing.
void crier_event_add_text (crier_event_t *self, const char *key, const char *value);
void crier_event_add_int (crier_event_t *self, const char *key, int64_t value);
void crier_event_add_texts (crier_event_t *self, const char *key, char *const *values,
                            size_t count);

//  Adds key: an array of count maps {id_field: ids[i], value_field: values[i]}.
void crier_event_add_id_values (crier_event_t *self, const char *key, const char *id_field,
                                const char *value_field, const char *const *ids,
                                const int64_t *values, size_t count);

//  Adds key: an array of row_count maps, each with the same field_count string fields; the
//  value of field f in row r is values[r * field_count + f].
void crier_event_add_table (crier_event_t *self, const char *key, const char *const *fields,
                            size_t field_count, const char *const *values, size_t row_count);

//  Adds key: an array of row_count maps, each with the same text_count string fields and
//  int_count integer fields: texts[r * text_count + f] and ints[r * int_count + f] in row r.
void crier_event_add_rows (crier_event_t *self, const char *key, const char *const *text_fields,
                           size_t text_count, const char *const *texts,
                           const char *const *int_fields, size_t int_count, const int64_t *ints,
                           size_t row_count);

//  Starts an outcome event of a delivery (delivery.delivered, .failed, .retrying) with the fields
//  every sender gives: delivery_id, notification_id, channel, target, attempts.
crier_event_t *crier_event_new_outcome (const char *type, const crier_delivery_t *delivery,
                                        unsigned attempts);

//  The same from the delivery's fields (when there is no crier_delivery_t at hand).
crier_event_t *crier_event_new_outcome_of (const char *type, const char *delivery_id,
                                           const char *notification_id, const char *channel,
                                           const char *target, unsigned attempts);

//  A redelivery answered from a memory of what was delivered lately (recent.h) instead of being
//  sent again: one "delivery.repeated" log line, and a "delivery.delivered" event (attempts 0)
//  with "repeated" saying why, published on events.
void crier_event_send_repeated (zsock_t *events, const char *delivery_id,
                                const char *notification_id, const char *channel,
                                const char *target, const char *why);

//  Encodes the event's map (the second frame) with the given time (Unix ms; 0 for now). Returns 0
//  with a malloc'ed buffer in *data_p, or -1 when out of memory.
int crier_event_encode (const crier_event_t *self, int64_t time_ms, char **data_p, size_t *size_p);

//  Publishes the event without blocking (a PUB socket drops rather than waits when a subscriber
//  is slow) and destroys it. Returns 0, or -1 when it could not be queued.
int crier_event_send (crier_event_t **self_p, zsock_t *publisher);

//  The event's type, e.g. "delivery.delivered" (the first frame).
const char *crier_event_type (const crier_event_t *self);

//  Publishes an event encoded earlier (crier_event_encode) the same way. Returns 0 or -1.
int crier_event_send_encoded (zsock_t *publisher, const char *type, const void *data, size_t size);

//  Reads up to max events waiting on a subscriber without blocking, and calls fn with each one's
//  type (type_size bytes, not NUL-terminated) and map; what has another shape is drained and
//  skipped. Returns how many messages were taken.
typedef void (crier_event_fn) (const char *type, size_t type_size, const void *data, size_t size,
                               void *arg);
size_t crier_event_receive (zsock_t *subscriber, size_t max, crier_event_fn *fn, void *arg);

//  Renders an event's msgpack frame as one line of JSON (for crier tail). Caller frees; NULL when
//  the frame is not a msgpack map.
char *crier_event_to_json (const void *data, size_t size);

#endif

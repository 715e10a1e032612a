/*  component.h - helpers for component tests: a process's actor started in the test process
    on inproc:// endpoints, with the test playing its neighbours and reading its events. */
#ifndef CRIER_TEST_COMPONENT_H_INCLUDED
#define CRIER_TEST_COMPONENT_H_INCLUDED

#include <czmq.h>
#include <jansson.h>

//  Sets the settings (NULL-ended name, value pairs) in the environment, for a config loader;
//  component_settings_clear unsets them again.
void component_settings_set (const char *const *settings);
void component_settings_clear (const char *const *settings);

//  Starts an actor on config and sends it START; fails the test unless it answers OK. Returns
//  the actor and, in endpoint (when not NULL), the endpoint it answered with.
zactor_t *component_start (zactor_fn *actor, void *config, char *endpoint, size_t size);

//  The next event of type on events (others are skipped) as JSON, or NULL after timeout_ms.
//  events needs a receive timeout (component_events gives one).
json_t *component_next_event (zsock_t *events, const char *type, int timeout_ms);

//  Waits for the actor's first heartbeat on events (start it with CRIER_HEARTBEAT_INTERVAL of
//  100ms): PUB/SUB drops what is published before the subscription reaches the publisher, so
//  events are reliable only from then on.
void component_await_bus (zsock_t *events);

//  The next heartbeat whose field name says value, or NULL after timeout_ms.
json_t *component_heartbeat_saying (zsock_t *events, const char *name, const char *value,
                                    int timeout_ms);

//  The first heartbeat published at or after time_ms (wall clock, as events carry it), or NULL
//  after timeout_ms: what the actor says now, not what waited in the queue.
json_t *component_heartbeat_after (zsock_t *events, int64_t time_ms, int timeout_ms);

//  A SUB socket bound at endpoint ("inproc://..."), subscribed to everything, that waits at
//  most 100 ms per receive.
zsock_t *component_events (const char *endpoint);

//  How many lines of a log file hold needle; fails the test when any line holds one of never
//  (NULL-ended, may be NULL).
int component_log_count (FILE *log, const char *needle, const char *const *never);

//  A text field of an event, or NULL.
const char *component_text (const json_t *event, const char *name);

//  A number field of an event (0 when absent).
json_int_t component_int (const json_t *event, const char *name);

#endif

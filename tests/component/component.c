/*  component.c - see component.h. */
#include "component.h"

#include "crier/event.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

void component_settings_set (const char *const *settings)
{
    for (size_t index = 0; settings && settings[index]; index += 2)
        assert_int_equal (setenv (settings[index], settings[index + 1], 1), 0);
}

void component_settings_clear (const char *const *settings)
{
    for (size_t index = 0; settings && settings[index]; index += 2)
        unsetenv (settings[index]);
}

zactor_t *component_start (zactor_fn *actor, void *config, char *endpoint, size_t size)
{
    zactor_t *self = zactor_new (actor, config);
    assert_non_null (self);
    assert_int_equal (zstr_send (self, "START"), 0);
    char *status = NULL, *bound = NULL;
    assert_int_equal (zstr_recvx (self, &status, &bound, NULL), 2);
    assert_string_equal (status, "OK");
    if (endpoint)
        snprintf (endpoint, size, "%s", bound);
    zstr_free (&status);
    zstr_free (&bound);
    return self;
}

zsock_t *component_events (const char *endpoint)
{
    char bind[160];
    snprintf (bind, sizeof bind, "@%s", endpoint);
    zsock_t *events = zsock_new_sub (bind, "");
    assert_non_null (events);
    zsock_set_rcvtimeo (events, 100);
    return events;
}

json_t *component_next_event (zsock_t *events, const char *type, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        zmsg_t *message = zmsg_recv (events);
        if (!message)
            continue;
        char *name = zmsg_popstr (message);
        zframe_t *body = zmsg_pop (message);
        json_t *event = NULL;
        if (name && body && streq (name, type)) {
            char *text = crier_event_to_json (zframe_data (body), zframe_size (body));
            assert_non_null (text);
            event = json_loads (text, 0, NULL);
            free (text);
            assert_non_null (event);
        }
        zstr_free (&name);
        zframe_destroy (&body);
        zmsg_destroy (&message);
        if (event)
            return event;
    }
    return NULL;
}

void component_await_bus (zsock_t *events)
{
    json_t *heartbeat = component_next_event (events, "process.heartbeat", 10000);
    if (!heartbeat)
        fail_msg ("no heartbeat on the event bus within 10 s");
    json_decref (heartbeat);
}

json_t *component_heartbeat_saying (zsock_t *events, const char *name, const char *value,
                                    int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        json_t *event = component_next_event (events, "process.heartbeat", 1000);
        const char *said = event ? component_text (event, name) : NULL;
        if (said && streq (said, value))
            return event;
        json_decref (event);
    }
    return NULL;
}

json_t *component_heartbeat_after (zsock_t *events, int64_t time_ms, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        json_t *event = component_next_event (events, "process.heartbeat", 1000);
        if (event && component_int (event, "time") >= time_ms)
            return event;
        json_decref (event);
    }
    return NULL;
}

int component_log_count (FILE *log, const char *needle, const char *const *never)
{
    rewind (log);
    char line[4096];
    int count = 0;
    while (fgets (line, sizeof line, log)) {
        count += strstr (line, needle) != NULL;
        for (size_t index = 0; never && never[index]; index++)
            if (strstr (line, never[index]))
                fail_msg ("the log holds \"%s\": %s", never[index], line);
    }
    return count;
}

const char *component_text (const json_t *event, const char *name)
{
    return json_string_value (json_object_get (event, name));
}

json_int_t component_int (const json_t *event, const char *name)
{
    return json_integer_value (json_object_get (event, name));
}

/*  fuzz_gateway.c - what crier-gateway reads from an HTTP request: a JSON notification body
    (with and without an Idempotency-Key and a token's groups), a group's text with ntfy's Title
    and Priority, an Alertmanager or Grafana webhook call. The first byte picks. */
#include "alertmanager.h"
#include "gateway_requests.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool s_some_groups (const char *group, void *arg)
{
    return strlen (group) % 2 == 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t kind = data[0];
    //  The daemon hands bodies over NUL-terminated after their size.
    char *text = malloc (size);
    if (!text)
        return 0;
    memcpy (text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (kind % 3 == 2) {
        const char *to[] = {"#ops"};
        char error[300];
        json_t *notification = crier_alertmanager_notification (
            text, size - 1, to, 1, kind & 4 ? CRIER_ALERTS_GRAFANA : CRIER_ALERTS_ALERTMANAGER,
            error, sizeof error);
        json_decref (notification);
        free (text);
        return 0;
    }
    char *frame = NULL, error[300];
    size_t frame_size;
    if (kind % 3 == 0) {
        crier_gateway_json_request (text, size - 1, kind & 2 ? "key" : NULL,
                                    kind & 4 ? s_some_groups : NULL, NULL, &frame, &frame_size,
                                    error, sizeof error);
    } else {
        //  Title and Priority from the text's first two lines, the body from the rest.
        char *title = text, *priority = strchr (text, '\n');
        char *body = priority ? strchr (priority + 1, '\n') : NULL;
        if (priority)
            *priority++ = '\0';
        if (body)
            *body++ = '\0';
        crier_gateway_text_request ("ops", body ? body : "", body ? strlen (body) : 0, title,
                                    priority, kind & 2 ? "key" : NULL,
                                    kind & 4 ? s_some_groups : NULL, NULL, &frame, &frame_size,
                                    error, sizeof error);
    }
    free (frame);
    free (text);
    return 0;
}

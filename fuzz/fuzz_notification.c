/*  fuzz_notification.c - the public notification codec (ingest's PULL and acknowledged
    endpoints): any bytes either decode to a valid notification or give a precise error; a
    decoded notification encodes and decodes again to the same fields. What is no notification
    is read as a wait request, as ingest does: the same holds for it. */
#include "crier/notification.h"
#include "crier/wait.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void s_check_same (const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp (a, b) != 0))
        abort ();
}

static void s_check_wait (const uint8_t *data, size_t size)
{
    crier_wait_request_t request;
    crier_error_t error;
    if (crier_wait_request_decode (data, size, &request, &error) != 0) {
        if (error.field[0] == '\0' || error.message[0] == '\0')
            abort ();
        return;
    }
    char *encoded = NULL;
    size_t encoded_size = 0;
    crier_wait_request_t again;
    if (crier_wait_request_encode (&request, &encoded, &encoded_size) == 0 &&
        (crier_wait_request_decode (encoded, encoded_size, &again, &error) != 0 ||
         strcmp (again.id, request.id) != 0 || again.timeout_ms != request.timeout_ms))
        abort ();
    if (encoded)
        crier_wait_request_free (&again);
    free (encoded);
    crier_wait_request_free (&request);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    crier_error_t error;
    crier_notification_t *notification = crier_notification_decode (data, size, 65536, &error);
    if (!notification) {
        //  A refusal always says where and what.
        if (error.field[0] == '\0' || error.message[0] == '\0')
            abort ();
        s_check_wait (data, size);
        return 0;
    }
    if (crier_notification_validate (notification, &error) != 0)
        abort ();
    char *encoded = NULL;
    size_t encoded_size = 0;
    if (crier_notification_encode (notification, &encoded, &encoded_size) == 0) {
        crier_notification_t *again =
            crier_notification_decode (encoded, encoded_size, encoded_size, &error);
        if (!again || again->to_count != notification->to_count ||
            again->priority != notification->priority)
            abort ();
        for (size_t index = 0; index < again->to_count; index++)
            s_check_same (again->to[index], notification->to[index]);
        s_check_same (again->id, notification->id);
        s_check_same (again->subject, notification->subject);
        s_check_same (again->key, notification->key);
        s_check_same (again->body, notification->body);
        s_check_same (again->html, notification->html);
        crier_notification_destroy (&again);
        free (encoded);
    }
    crier_notification_destroy (&notification);
    return 0;
}

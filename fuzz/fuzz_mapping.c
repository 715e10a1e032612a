/*  fuzz_mapping.c - the mapping-document validator (JSON from CouchDB or crier mapping set): any
    text is either a valid mapping or refused with a path and a message; a valid one routes. */
#include "crier/notification.h"
#include "router.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse ((const char *)data, size, &error);
    if (!mapping) {
        if (error.message[0] == '\0')
            abort ();
        return 0;
    }
    //  Route a notification to groups a mapping is likely to name, and to one it cannot.
    crier_notification_t *notification = crier_notification_new ();
    if (!notification)
        return 0;
    const char *groups[] = {"#admins", "#a", "#", "#staff", "#no such group"};
    for (size_t index = 0; index < sizeof groups / sizeof groups[0]; index++)
        crier_notification_add_group (notification, groups[index]);
    crier_routing_t routing = {0};
    if (crier_router_route (mapping, notification, &routing) == 0) {
        for (size_t index = 0; index < routing.count; index++)
            if (!routing.routes[index].target || routing.routes[index].group_count == 0)
                abort ();
    }
    crier_routing_free (&routing);
    crier_notification_destroy (&notification);
    crier_mapping_destroy (&mapping);
    return 0;
}

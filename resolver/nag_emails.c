/*  nag_emails.c - see nag_emails.h. */
#include "nag_emails.h"

#include "crier/array.h"

#include <stdlib.h>
#include <string.h>

static int s_add (crier_nag_emails_t *self, const char *nag_of, const char *target, size_t nag)
{
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->emails[index].nag_of, nag_of) == 0)
            return 0;
    if (crier_array_reserve (&self->emails, &self->capacity, self->count, sizeof *self->emails,
                             8) != 0)
        return -1;
    self->emails[self->count++] = (crier_nag_email_t){nag_of, target, nag};
    return 0;
}

static int s_escalate (const crier_mapping_t *mapping, const crier_notification_t *notification,
                       size_t nag, crier_nag_emails_t *self)
{
    for (size_t group = 0; group < notification->to_count; group++) {
        uint64_t after_ms;
        crier_targets_t addresses;
        if (crier_mapping_nag (mapping, notification->to[group], &after_ms, &addresses) != 0)
            continue;
        const char *address = addresses.first;
        for (size_t index = 0; index < addresses.count; index++) {
            if (s_add (self, address, address, nag) != 0)
                return -1;
            address = crier_targets_next (address);
        }
    }
    return 0;
}

int crier_nag_emails_find (const crier_mapping_t *mapping, const crier_notification_t *notification,
                           const crier_frame_redelivery_t *request, crier_nag_emails_t *emails)
{
    emails->count = 0;
    size_t first_decided = request->nag_count;
    for (size_t nag = 0; nag < request->nag_count; nag++) {
        const crier_frame_nag_t *room = &request->nags[nag];
        if (!room->unread)
            continue;
        if (first_decided == request->nag_count)
            first_decided = nag;
        for (size_t member = 0; member < room->unread_count; member++) {
            const char *email = crier_mapping_person_email (mapping, room->unread[member]);
            if (email && s_add (emails, room->unread[member], email, nag) != 0)
                return -1;
        }
    }
    if (request->escalate && first_decided < request->nag_count &&
        s_escalate (mapping, notification, first_decided, emails) != 0)
        return -1;
    for (size_t index = 0; index < request->nag_delivery_count; index++) {
        const crier_frame_nag_delivery_t *again = &request->nag_deliveries[index];
        for (size_t nag = 0; nag < request->nag_count; nag++)
            if (strcmp (request->nags[nag].delivery_id, again->of) == 0) {
                if (s_add (emails, again->nag_of, again->target, nag) != 0)
                    return -1;
                break;
            }
    }
    return 0;
}

void crier_nag_emails_free (crier_nag_emails_t *emails)
{
    free (emails->emails);
    *emails = (crier_nag_emails_t){0};
}

/*  nag_emails.h - which nag emails a nag request becomes (docs/nag.md): the resolver alone reads
    the mapping, so it maps the members crier-ingest found unread to the people's addresses, and
    adds the groups' escalation addresses when nobody read the message. */
#ifndef CRIER_NAG_EMAILS_H_INCLUDED
#define CRIER_NAG_EMAILS_H_INCLUDED

#include "crier/frames.h"
#include "crier/mapping.h"

#include <stddef.h>

typedef struct {
    const char *nag_of; //  a person's Matrix user id, or an escalation address
    const char *target; //  where the email goes
    size_t nag;         //  the request's nag (room) it is about
} crier_nag_email_t;

typedef struct {
    crier_nag_email_t *emails;
    size_t count;
    size_t capacity;
} crier_nag_emails_t;

//  Fills *emails (emptied first; reuse it across calls; its strings are borrowed from the
//  mapping and the request): one per person among each decided nag's unread members (a member
//  who is not a person gets none; a person once, whatever the rooms), the escalation addresses
//  of the notification's groups with a nag when the request escalates (about its first decided
//  nag), and each email to send again. Returns 0, or -1 when out of memory.
int crier_nag_emails_find (const crier_mapping_t *mapping, const crier_notification_t *notification,
                           const crier_frame_redelivery_t *request, crier_nag_emails_t *emails);

void crier_nag_emails_free (crier_nag_emails_t *emails);

#endif

/*  nag_content.h - what a nag email says (docs/nag.md): subject "Unread: <title>", why the reader
    gets it, a link to the message in Matrix, then the original text. */
#ifndef CRIER_NAG_CONTENT_H_INCLUDED
#define CRIER_NAG_CONTENT_H_INCLUDED

#include "crier/frames.h"
#include "crier/notification.h"

//  The link to a message: https://matrix.to/#/<room id>/<event id>, each percent-encoded where a
//  URI fragment needs it (a '/' of an event id, for one); the room's alone when event_id is
//  empty. Caller frees; NULL when out of memory.
char *crier_nag_link (const char *room_id, const char *event_id);

//  The nag notification for nag_of about a room: the original's id, groups and priority, with
//  the nag's subject, text and HTML. NULL when out of memory.
crier_notification_t *crier_nag_content (const crier_notification_t *original,
                                         const crier_frame_nag_t *nag, const char *nag_of);

#endif

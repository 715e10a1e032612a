/*  nag_rooms.c - see nag_rooms.h. */
#include "nag_rooms.h"

#include "crier/array.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    int64_t after_ms;
    int64_t delivered_ms; //  when the homeserver took it; 0: not yet
    bool failed;          //  never delivered: nothing to nag about
    bool decided;
    bool seen;
    char *room_id; //  from delivery.seen
    char *event_id;
    char **members;
    size_t member_count;
} room_t;

typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    char *nag_of;
    char *target;
    size_t room; //  the room it is about
} email_t;

//  What the last request or description handed out (the caller borrows it until the next call).
typedef struct {
    crier_frame_nag_t *nags;
    size_t nag_count;
    crier_frame_nag_delivery_t *resend;
    crier_receipt_t *receipts;
    crier_receipt_delivery_t *rows;
    crier_receipt_nag_t *decided;
} lent_t;

struct crier_nag_rooms_t {
    room_t *rooms;
    size_t room_count;
    char **readers; //  who read it, in any of its rooms
    size_t reader_count;
    size_t reader_capacity;
    email_t *emails; //  the nag emails the resolver made
    size_t email_count;
    size_t email_capacity;
    bool escalated; //  the escalation addresses were sent theirs
    lent_t lent;
};

static void s_take_back (lent_t *lent)
{
    for (size_t index = 0; index < lent->nag_count; index++)
        free (lent->nags[index].unread);
    free (lent->nags);
    free (lent->resend);
    free (lent->receipts);
    free (lent->rows);
    free (lent->decided);
    *lent = (lent_t){0};
}

crier_nag_rooms_t *crier_nag_rooms_new (const crier_receipt_nag_t *nags, size_t count)
{
    crier_nag_rooms_t *self = calloc (1, sizeof *self);
    if (!self || !(self->rooms = calloc (count ? count : 1, sizeof *self->rooms))) {
        free (self);
        return NULL;
    }
    for (size_t index = 0; index < count; index++) {
        room_t *room = &self->rooms[self->room_count++];
        memcpy (room->delivery_id, nags[index].delivery_id, CRIER_DIGEST_BYTES);
        room->after_ms = nags[index].after_ms;
    }
    return self;
}

static void s_free_texts (char **texts, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free (texts[index]);
    free (texts);
}

void crier_nag_rooms_destroy (crier_nag_rooms_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_nag_rooms_t *self = *self_p;
    for (size_t index = 0; index < self->room_count; index++) {
        room_t *room = &self->rooms[index];
        free (room->room_id);
        free (room->event_id);
        s_free_texts (room->members, room->member_count);
    }
    free (self->rooms);
    s_free_texts (self->readers, self->reader_count);
    for (size_t index = 0; index < self->email_count; index++) {
        free (self->emails[index].nag_of);
        free (self->emails[index].target);
    }
    free (self->emails);
    s_take_back (&self->lent);
    free (self);
    *self_p = NULL;
}

static room_t *s_room (const crier_nag_rooms_t *self, const char *delivery_id)
{
    for (size_t index = 0; index < self->room_count; index++)
        if (strcmp (self->rooms[index].delivery_id, delivery_id) == 0)
            return &self->rooms[index];
    return NULL;
}

int crier_nag_rooms_add (crier_nag_rooms_t *self, const crier_receipt_nag_t *nags, size_t count)
{
    room_t *rooms = realloc (self->rooms, (self->room_count + count + 1) * sizeof *rooms);
    if (!rooms)
        return -1;
    self->rooms = rooms;
    int added = 0;
    for (size_t index = 0; index < count; index++) {
        if (s_room (self, nags[index].delivery_id))
            continue;
        added++;
        room_t *room = &self->rooms[self->room_count++];
        memset (room, 0, sizeof *room);
        memcpy (room->delivery_id, nags[index].delivery_id, CRIER_DIGEST_BYTES);
        room->after_ms = nags[index].after_ms;
    }
    return added;
}

static email_t *s_email (const crier_nag_rooms_t *self, const char *delivery_id)
{
    for (size_t index = 0; index < self->email_count; index++)
        if (strcmp (self->emails[index].delivery_id, delivery_id) == 0)
            return &self->emails[index];
    return NULL;
}

bool crier_nag_rooms_has (const crier_nag_rooms_t *self, const char *delivery_id,
                          int64_t *after_ms_p)
{
    const room_t *room = s_room (self, delivery_id);
    if (room && after_ms_p)
        *after_ms_p = room->after_ms;
    return room != NULL;
}

bool crier_nag_rooms_outcome (crier_nag_rooms_t *self, const char *delivery_id, bool delivered,
                              int64_t time_ms)
{
    room_t *room = s_room (self, delivery_id);
    if (!room || room->delivered_ms || room->failed)
        return false;
    if (delivered)
        //  A receipt without a time (never from crier's own processes) still counts as delivered.
        room->delivered_ms = time_ms > 0 ? time_ms : 1;
    else
        room->failed = true;
    return true;
}

bool crier_nag_rooms_seen (crier_nag_rooms_t *self, const crier_receipt_t *seen)
{
    room_t *room = s_room (self, seen->delivery.delivery_id);
    if (!room || room->seen)
        return false;
    room->room_id = strdup (seen->room_id);
    room->event_id = strdup (seen->event_id);
    room->members = calloc (seen->member_count + 1, sizeof *room->members);
    for (size_t index = 0; room->members && index < seen->member_count; index++)
        if ((room->members[room->member_count] = strdup (seen->members[index])))
            room->member_count++;
    //  Out of memory: not seen, and the nag is decided without members.
    room->seen = room->room_id && room->event_id && room->members;
    return room->seen;
}

static bool s_has_text (char *const *texts, size_t count, const char *text)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (texts[index], text) == 0)
            return true;
    return false;
}

bool crier_nag_rooms_read (crier_nag_rooms_t *self, const crier_receipt_t *read)
{
    if (!s_room (self, read->delivery.delivery_id) ||
        s_has_text (self->readers, self->reader_count, read->reader) ||
        crier_array_reserve (&self->readers, &self->reader_capacity, self->reader_count,
                             sizeof *self->readers, 4) != 0)
        return false;
    char *reader = strdup (read->reader);
    if (reader)
        self->readers[self->reader_count++] = reader;
    return reader != NULL;
}

static bool s_add_email (crier_nag_rooms_t *self, const crier_receipt_delivery_t *row)
{
    if (s_email (self, row->delivery_id) ||
        crier_array_reserve (&self->emails, &self->email_capacity, self->email_count,
                             sizeof *self->emails, 2) != 0)
        return false;
    email_t *email = &self->emails[self->email_count];
    memcpy (email->delivery_id, row->delivery_id, CRIER_DIGEST_BYTES);
    room_t *room = s_room (self, row->of);
    email->room = room ? (size_t)(room - self->rooms) : 0;
    email->nag_of = strdup (row->nag_of);
    email->target = strdup (row->target);
    if (!email->nag_of || !email->target) {
        free (email->nag_of);
        free (email->target);
        return false;
    }
    self->email_count++;
    //  A person is a Matrix user id; anything else is an escalation address.
    if (row->nag_of[0] != '@')
        self->escalated = true;
    return true;
}

bool crier_nag_rooms_routed (crier_nag_rooms_t *self, const crier_receipt_t *routed)
{
    bool changed = false;
    for (size_t index = 0; index < routed->nag_count; index++) {
        room_t *room = s_room (self, routed->nags[index].delivery_id);
        if (room && !room->decided) {
            room->decided = true;
            changed = true;
        }
    }
    for (size_t index = 0; index < routed->delivery_count; index++)
        if (routed->deliveries[index].nag_of)
            changed |= s_add_email (self, &routed->deliveries[index]);
    return changed;
}

bool crier_nag_rooms_is_email (const crier_nag_rooms_t *self, const char *delivery_id,
                               const char **nag_of_p, int64_t *after_ms_p)
{
    const email_t *email = s_email (self, delivery_id);
    if (email && nag_of_p)
        *nag_of_p = email->nag_of;
    if (email && after_ms_p)
        *after_ms_p = self->rooms[email->room].after_ms;
    return email != NULL;
}

size_t crier_nag_rooms_undecided (const crier_nag_rooms_t *self)
{
    size_t count = 0;
    for (size_t index = 0; index < self->room_count; index++)
        count += !self->rooms[index].decided && !self->rooms[index].failed;
    return count;
}

//  When a room falls due: after_ms past its delivery, or seen_wait_ms later while
//  crier-matrix-watch has not reported it. INT64_MAX while its delivery is pending.
static int64_t s_due_at (const room_t *room, int64_t seen_wait_ms)
{
    if (room->decided || room->failed || !room->delivered_ms)
        return INT64_MAX;
    return room->delivered_ms + room->after_ms + (room->seen ? 0 : seen_wait_ms);
}

int64_t crier_nag_rooms_due_at (const crier_nag_rooms_t *self, int64_t seen_wait_ms)
{
    int64_t due = INT64_MAX;
    for (size_t index = 0; index < self->room_count; index++) {
        int64_t at = s_due_at (&self->rooms[index], seen_wait_ms);
        if (at < due)
            due = at;
    }
    return due;
}

static bool s_nagged (const crier_nag_rooms_t *self, const char *member)
{
    for (size_t index = 0; index < self->email_count; index++)
        if (strcmp (self->emails[index].nag_of, member) == 0)
            return true;
    return false;
}

//  The room's entry in the request, added when missing. NULL when out of memory.
static crier_frame_nag_t *s_lend_room (crier_nag_rooms_t *self, const room_t *room)
{
    lent_t *lent = &self->lent;
    for (size_t index = 0; index < lent->nag_count; index++)
        if (strcmp (lent->nags[index].delivery_id, room->delivery_id) == 0)
            return &lent->nags[index];
    crier_frame_nag_t *nag = &lent->nags[lent->nag_count++];
    memcpy (nag->delivery_id, room->delivery_id, CRIER_DIGEST_BYTES);
    nag->room_id = room->room_id ? room->room_id : "";
    nag->event_id = room->event_id ? room->event_id : "";
    nag->after_ms = room->after_ms;
    return nag;
}

//  Members of a room to nag: joined, read it nowhere, not nagged before.
static int s_lend_unread (crier_nag_rooms_t *self, const room_t *room, crier_frame_nag_t *nag)
{
    nag->unread = calloc (room->member_count + 1, sizeof *nag->unread);
    if (!nag->unread)
        return -1;
    for (size_t index = 0; index < room->member_count; index++) {
        char *member = room->members[index];
        if (!s_has_text (self->readers, self->reader_count, member) && !s_nagged (self, member))
            nag->unread[nag->unread_count++] = member;
    }
    return 0;
}

int crier_nag_rooms_request (crier_nag_rooms_t *self, bool decide, int64_t now_ms,
                             int64_t seen_wait_ms, const char *const *pending, size_t pending_count,
                             crier_frame_redelivery_t *redelivery)
{
    s_take_back (&self->lent);
    lent_t *lent = &self->lent;
    lent->nags = calloc (self->room_count + 1, sizeof *lent->nags);
    lent->resend = calloc (pending_count + 1, sizeof *lent->resend);
    if (!lent->nags || !lent->resend)
        return -1;
    bool deciding = false;
    for (size_t index = 0; decide && index < self->room_count; index++) {
        const room_t *room = &self->rooms[index];
        if (s_due_at (room, seen_wait_ms) > now_ms)
            continue;
        crier_frame_nag_t *nag = s_lend_room (self, room);
        if (s_lend_unread (self, room, nag) != 0)
            return -1;
        deciding = true;
    }
    size_t resend = 0;
    for (size_t index = 0; index < pending_count; index++) {
        const email_t *email = s_email (self, pending[index]);
        if (!email)
            continue;
        const room_t *room = &self->rooms[email->room];
        s_lend_room (self, room);
        lent->resend[resend++] = (crier_frame_nag_delivery_t){email->nag_of, email->target, {0}};
        memcpy (lent->resend[resend - 1].of, room->delivery_id, CRIER_DIGEST_BYTES);
    }
    redelivery->nags = lent->nags;
    redelivery->nag_count = lent->nag_count;
    redelivery->escalate = deciding && self->reader_count == 0 && !self->escalated;
    redelivery->nag_deliveries = resend ? lent->resend : NULL;
    redelivery->nag_delivery_count = resend;
    return 0;
}

int crier_nag_rooms_describe (crier_nag_rooms_t *self, const char *notification_id,
                              const crier_receipt_t **receipts_p, size_t *count_p)
{
    s_take_back (&self->lent);
    lent_t *lent = &self->lent;
    lent->receipts = calloc (self->room_count + self->reader_count + 1, sizeof *lent->receipts);
    lent->rows = calloc (self->email_count + 1, sizeof *lent->rows);
    lent->decided = calloc (self->room_count + 1, sizeof *lent->decided);
    if (!lent->receipts || !lent->rows || !lent->decided)
        return -1;
    size_t count = 0;
    crier_receipt_t *receipts = lent->receipts;
    for (size_t index = 0; index < self->room_count; index++) {
        room_t *room = &self->rooms[index];
        if (!room->seen)
            continue;
        crier_receipt_t *seen = &receipts[count++];
        *seen = (crier_receipt_t){.kind = CRIER_RECEIPT_SEEN,
                                  .notification_id = (char *)notification_id,
                                  .room_id = room->room_id,
                                  .event_id = room->event_id,
                                  .members = room->members,
                                  .member_count = room->member_count};
        memcpy (seen->delivery.delivery_id, room->delivery_id, CRIER_DIGEST_BYTES);
    }
    //  A reader read it in any room: the first stands for all.
    for (size_t index = 0; self->room_count && index < self->reader_count; index++) {
        crier_receipt_t *read = &receipts[count++];
        *read = (crier_receipt_t){.kind = CRIER_RECEIPT_READ,
                                  .notification_id = (char *)notification_id,
                                  .reader = self->readers[index]};
        memcpy (read->delivery.delivery_id, self->rooms[0].delivery_id, CRIER_DIGEST_BYTES);
    }
    crier_receipt_t *routed = &receipts[count];
    *routed = (crier_receipt_t){.kind = CRIER_RECEIPT_NAG_ROUTED,
                                .notification_id = (char *)notification_id,
                                .deliveries = lent->rows,
                                .nags = lent->decided};
    for (size_t index = 0; index < self->room_count; index++)
        if (self->rooms[index].decided)
            memcpy (lent->decided[routed->nag_count++].delivery_id, self->rooms[index].delivery_id,
                    CRIER_DIGEST_BYTES);
    for (size_t index = 0; index < self->email_count; index++) {
        const email_t *email = &self->emails[index];
        crier_receipt_delivery_t *row = &lent->rows[routed->delivery_count++];
        memcpy (row->delivery_id, email->delivery_id, CRIER_DIGEST_BYTES);
        row->channel = "email";
        row->target = email->target;
        row->nag_of = email->nag_of;
        memcpy (row->of, self->rooms[email->room].delivery_id, CRIER_DIGEST_BYTES);
    }
    if (routed->nag_count || routed->delivery_count)
        count++;
    *receipts_p = receipts;
    *count_p = count;
    return 0;
}

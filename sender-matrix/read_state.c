/*  read_state.c - see read_state.h. Each room numbers the events it sees in timeline order;
    each user keeps the position of their latest counted receipt and of their latest event, and
    at most one receipt on an event not seen (the latest: receipts move forward), with what is
    known of where it lies. */
#include "read_state.h"

#include <czmq.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t read;   //  position of the latest counted receipt; 0: none
    uint64_t sent;   //  position of the latest event they sent; 0: none
    char *unplaced;  //  the event of a receipt not placed yet, or NULL
    uint64_t after;  //  the unplaced event lies after this position (0: not known)
    uint64_t before; //  ... before this one (0: not known)
    bool joined;     //  a joined member of the room
} user_t;

typedef struct {
    zhashx_t *events; //  event id -> position (uint64_t *)
    zhashx_t *users;  //  user id -> user_t
    uint64_t last;    //  the last position given
} room_t;

struct crier_read_state_t {
    zhashx_t *rooms; //  room id -> room_t
};

static void s_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void s_user_destroy (void **item)
{
    user_t *user = *item;
    if (user)
        free (user->unplaced);
    free (user);
    *item = NULL;
}

static void s_room_destroy (void **item)
{
    room_t *room = *item;
    if (room) {
        zhashx_destroy (&room->events);
        zhashx_destroy (&room->users);
    }
    free (room);
    *item = NULL;
}

crier_read_state_t *crier_read_state_new (void)
{
    crier_read_state_t *self = calloc (1, sizeof *self);
    if (self && !(self->rooms = zhashx_new ()))
        crier_read_state_destroy (&self);
    if (self)
        zhashx_set_destructor (self->rooms, s_room_destroy);
    return self;
}

void crier_read_state_destroy (crier_read_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->rooms);
    free (*self_p);
    *self_p = NULL;
}

static room_t *s_room (crier_read_state_t *self, const char *id, bool create)
{
    room_t *room = zhashx_lookup (self->rooms, id);
    if (room || !create)
        return room;
    room = calloc (1, sizeof *room);
    if (room) {
        room->events = zhashx_new ();
        room->users = zhashx_new ();
    }
    if (!room || !room->events || !room->users || zhashx_insert (self->rooms, id, room) != 0) {
        void *item = room;
        s_room_destroy (&item);
        return NULL;
    }
    zhashx_set_destructor (room->events, s_free);
    zhashx_set_destructor (room->users, s_user_destroy);
    return room;
}

static user_t *s_user (room_t *room, const char *id)
{
    user_t *user = zhashx_lookup (room->users, id);
    if (user)
        return user;
    user = calloc (1, sizeof *user);
    if (user && zhashx_insert (room->users, id, user) != 0) {
        free (user);
        user = NULL;
    }
    return user;
}

static uint64_t s_position (const room_t *room, const char *event_id)
{
    const uint64_t *position = zhashx_lookup (room->events, event_id);
    return position ? *position : 0;
}

int crier_read_state_event (crier_read_state_t *self, const char *room_id, const char *event_id,
                            const char *sender, bool state_change)
{
    room_t *room = s_room (self, room_id, true);
    if (!room)
        return -1;
    if (s_position (room, event_id))
        return 0; //  seen already (a sync given again after a restart)
    uint64_t *position = malloc (sizeof *position);
    if (!position || zhashx_insert (room->events, event_id, position) != 0) {
        free (position);
        return -1;
    }
    *position = ++room->last;
    if (state_change)
        return 0;
    user_t *user = s_user (room, sender);
    if (!user)
        return -1;
    user->sent = *position;
    return 0;
}

bool crier_read_state_knows (crier_read_state_t *self, const char *room_id, const char *event_id)
{
    room_t *room = s_room (self, room_id, false);
    return room && s_position (room, event_id) != 0;
}

int crier_read_state_receipt (crier_read_state_t *self, const char *room_id, const char *event_id,
                              const char *user_id, const char *type, const char *thread_id)
{
    //  Only what every member can see counts: public, on the main timeline.
    if (strcmp (type, "m.read") != 0 || (thread_id && strcmp (thread_id, "main") != 0))
        return 0;
    room_t *room = s_room (self, room_id, true);
    user_t *user = room ? s_user (room, user_id) : NULL;
    if (!user)
        return -1;
    uint64_t position = s_position (room, event_id);
    if (position) {
        if (position > user->read)
            user->read = position;
        //  Newer than any receipt before it, the unplaced one included.
        zstr_free (&user->unplaced);
        return 0;
    }
    char *copy = strdup (event_id);
    if (!copy)
        return -1;
    free (user->unplaced);
    user->unplaced = copy;
    user->after = user->before = 0;
    return 0;
}

crier_read_t crier_read_state_has_read (crier_read_state_t *self, const char *room_id,
                                        const char *message, const char *user_id)
{
    room_t *room = s_room (self, room_id, false);
    uint64_t position = room ? s_position (room, message) : 0;
    if (!position)
        return CRIER_READ_UNKNOWN;
    const user_t *user = zhashx_lookup (room->users, user_id);
    if (!user)
        return CRIER_READ_NO;
    if (user->read >= position || user->sent > position)
        return CRIER_READ_YES;
    if (!user->unplaced)
        return CRIER_READ_NO;
    //  The unplaced receipt's event lies after a message at or after this one: read.
    if (user->after && user->after >= position)
        return CRIER_READ_YES;
    //  ... before a message at or before this one: it says nothing about this one.
    if (user->before && user->before <= position)
        return CRIER_READ_NO;
    return CRIER_READ_UNKNOWN;
}

int crier_read_state_member (crier_read_state_t *self, const char *room_id, const char *user_id,
                             bool joined)
{
    room_t *room = s_room (self, room_id, true);
    user_t *user = room ? s_user (room, user_id) : NULL;
    if (!user)
        return -1;
    user->joined = joined;
    return 0;
}

void crier_read_state_members (crier_read_state_t *self, const char *room_id,
                               crier_read_member_fn *fn, void *arg)
{
    room_t *room = s_room (self, room_id, false);
    if (!room)
        return;
    //  Gathered first: fn may look this room up, which moves a zhashx's cursor.
    zlistx_t *members = zlistx_new ();
    if (!members)
        return;
    for (const user_t *user = zhashx_first (room->users); user; user = zhashx_next (room->users))
        if (user->joined)
            zlistx_add_end (members, (void *)zhashx_cursor (room->users));
    for (const char *user = zlistx_first (members); user; user = zlistx_next (members))
        fn (user, arg);
    zlistx_destroy (&members);
}

const char *crier_read_state_unplaced (crier_read_state_t *self, const char *room_id,
                                       const char *user_id)
{
    room_t *room = s_room (self, room_id, false);
    const user_t *user = room ? zhashx_lookup (room->users, user_id) : NULL;
    return user ? user->unplaced : NULL;
}

void crier_read_state_place (crier_read_state_t *self, const char *room_id, const char *event_id,
                             const char *message, bool after_message)
{
    room_t *room = s_room (self, room_id, false);
    uint64_t position = room ? s_position (room, message) : 0;
    if (!position)
        return;
    for (user_t *user = zhashx_first (room->users); user; user = zhashx_next (room->users)) {
        if (!user->unplaced || strcmp (user->unplaced, event_id) != 0)
            continue;
        if (after_message && position > user->after)
            user->after = position;
        else if (!after_message && (!user->before || position < user->before))
            user->before = position;
    }
}

/*  read_state.h - who has read what in the bot's Matrix rooms, from what the bot's /sync sees
    (docs/nag.md, "Read"): the rule by which crier decides that a person read a message.

    A person has read our message M in a room when, in the homeserver's order of that room's
    timeline (the order /sync hands events over, never their timestamps):
      - their latest public m.read receipt, unthreaded or on thread "main", is on M or on a later
        event; or
      - they sent an event after M (a message, a reaction: not a state change such as a join).
    Private receipts (m.read.private) are invisible to others by design: they never count, and
    threaded receipts on other threads do not either. A receipt on an event this state never saw
    (before it started, or in a gap of a limited timeline) cannot be placed: the answer is
    "unknown" until crier_read_state_place says where that event lies. Pure state: no I/O. */
#ifndef CRIER_READ_STATE_H_INCLUDED
#define CRIER_READ_STATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct crier_read_state_t crier_read_state_t;

typedef enum {
    CRIER_READ_NO,      //  not read (as far as public receipts and messages show)
    CRIER_READ_YES,     //  read
    CRIER_READ_UNKNOWN, //  a receipt on an event not placed yet: ask the homeserver
} crier_read_t;

crier_read_state_t *crier_read_state_new (void);

//  NULL-safe; sets *self_p to NULL.
void crier_read_state_destroy (crier_read_state_t **self_p);

//  The next event of a room's timeline, in order. A state event (a join, a topic change) takes
//  its place in the order but says nothing of what its sender read: state_change. Returns 0,
//  or -1 when out of memory.
int crier_read_state_event (crier_read_state_t *self, const char *room, const char *event_id,
                            const char *sender, bool state_change);

//  Whether the state saw this event of a room.
bool crier_read_state_knows (crier_read_state_t *self, const char *room, const char *event_id);

//  A receipt by user on event_id: type as in m.receipt ("m.read", "m.read.private"),
//  thread_id as in its content (NULL: unthreaded). Receipts only move forward: one on an
//  earlier event than the user's last counted one changes nothing. Returns 0, or -1 when out of
//  memory.
int crier_read_state_receipt (crier_read_state_t *self, const char *room, const char *event_id,
                              const char *user, const char *type, const char *thread_id);

//  Whether user has read message (an event of room this state saw). A message it never saw
//  reads as unknown.
crier_read_t crier_read_state_has_read (crier_read_state_t *self, const char *room,
                                        const char *message, const char *user);

//  A member's membership of a room changed (m.room.member: joined is membership "join").
//  Returns 0, or -1 when out of memory.
int crier_read_state_member (crier_read_state_t *self, const char *room, const char *user,
                             bool joined);

//  Calls fn with each joined member of a room, in no order; fn must not change the state.
typedef void (crier_read_member_fn) (const char *user, void *arg);
void crier_read_state_members (crier_read_state_t *self, const char *room, crier_read_member_fn *fn,
                               void *arg);

//  The event a user's unplaced receipt is on (to ask the homeserver about), or NULL.
const char *crier_read_state_unplaced (crier_read_state_t *self, const char *room,
                                       const char *user);

//  Says where an event the state never saw lies, once the homeserver told whether it comes after
//  message (true) or before it: the unplaced receipts on it then answer for that message, and
//  for every message before it (after) or after it (before).
void crier_read_state_place (crier_read_state_t *self, const char *room, const char *event_id,
                             const char *message, bool after_message);

#endif

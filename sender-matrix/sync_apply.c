/*  sync_apply.c - see sync_apply.h. The shapes are the Client-Server API's (v1.x):
        {"next_batch": "...", "rooms": {"join": {"!room": {
            "state": {"events": [...]}, "timeline": {"events": [...], "limited": true},
            "ephemeral": {"events": [{"type": "m.receipt", "content": {
                "$event": {"m.read": {"@user": {"ts": 1, "thread_id": "main"}}}}}]}}}}} */
#include "sync_apply.h"

#include <stdio.h>
#include <string.h>

static void s_skip (crier_sync_summary_t *summary, const char *room, const char *what)
{
    if (summary->skipped++ == 0)
        snprintf (summary->problem, sizeof summary->problem, "%.80s: %s", room, what);
}

//  A state or timeline event: membership, and (timeline only) its place in the room's order.
static int s_event (crier_read_state_t *state, const char *room, const json_t *event, bool timeline,
                    crier_sync_summary_t *summary)
{
    const char *type = json_string_value (json_object_get (event, "type"));
    const char *sender = json_string_value (json_object_get (event, "sender"));
    const char *event_id = json_string_value (json_object_get (event, "event_id"));
    if (!type || !sender || (timeline && !event_id)) {
        s_skip (summary, room, "an event without type, sender or event_id");
        return 0;
    }
    if (strcmp (type, "m.room.member") == 0) {
        const char *user = json_string_value (json_object_get (event, "state_key"));
        const char *membership =
            json_string_value (json_object_get (json_object_get (event, "content"), "membership"));
        if (!user || !membership)
            s_skip (summary, room, "an m.room.member event without state_key or membership");
        else if (crier_read_state_member (state, room, user, strcmp (membership, "join") == 0) != 0)
            return -1;
    }
    if (!timeline)
        return 0;
    summary->events++;
    return crier_read_state_event (state, room, event_id, sender,
                                   json_object_get (event, "state_key") != NULL);
}

static int s_events (crier_read_state_t *state, const char *room, const json_t *section,
                     bool timeline, crier_sync_summary_t *summary)
{
    const json_t *events = json_object_get (section, "events");
    if (!section || !events)
        return 0;
    if (!json_is_array (events)) {
        s_skip (summary, room, "events that are not an array");
        return 0;
    }
    size_t index;
    const json_t *event;
    json_array_foreach (events, index, event)
    {
        if (!json_is_object (event))
            s_skip (summary, room, "an event that is not an object");
        else if (s_event (state, room, event, timeline, summary) != 0)
            return -1;
    }
    return 0;
}

//  One m.receipt event's content: {"$event": {"m.read": {"@user": {"thread_id": ...}}}}.
static int s_receipts (crier_read_state_t *state, const char *room, const json_t *content,
                       crier_sync_summary_t *summary)
{
    if (!json_is_object (content)) {
        s_skip (summary, room, "an m.receipt without content");
        return 0;
    }
    const char *event_id;
    const json_t *types;
    json_object_foreach ((json_t *)content, event_id, types)
    {
        const char *type;
        const json_t *users;
        json_object_foreach ((json_t *)types, type, users)
        {
            const char *user;
            const json_t *receipt;
            json_object_foreach ((json_t *)users, user, receipt)
            {
                const json_t *thread = json_object_get (receipt, "thread_id");
                if (thread && !json_is_string (thread)) {
                    s_skip (summary, room, "a receipt whose thread_id is not a string");
                    continue;
                }
                summary->receipts++;
                if (crier_read_state_receipt (state, room, event_id, user, type,
                                              json_string_value (thread)) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int s_room (crier_read_state_t *state, const char *room, const json_t *joined,
                   crier_sync_summary_t *summary)
{
    if (!json_is_object (joined)) {
        s_skip (summary, room, "a joined room that is not an object");
        return 0;
    }
    const json_t *timeline = json_object_get (joined, "timeline");
    summary->limited += json_is_true (json_object_get (timeline, "limited"));
    //  State first (it is the room as of the timeline's start), then the timeline, then the
    //  receipts, which may point at events of this very timeline.
    if (s_events (state, room, json_object_get (joined, "state"), false, summary) != 0 ||
        s_events (state, room, timeline, true, summary) != 0)
        return -1;
    const json_t *ephemeral = json_object_get (json_object_get (joined, "ephemeral"), "events");
    size_t index;
    const json_t *event;
    json_array_foreach (ephemeral, index, event)
    {
        const char *type = json_string_value (json_object_get (event, "type"));
        if (type && strcmp (type, "m.receipt") == 0 &&
            s_receipts (state, room, json_object_get (event, "content"), summary) != 0)
            return -1;
    }
    return 0;
}

int crier_sync_apply (crier_read_state_t *state, const json_t *answer,
                      crier_sync_summary_t *summary)
{
    *summary = (crier_sync_summary_t){
        .next_batch = json_string_value (json_object_get (answer, "next_batch"))};
    const json_t *join = json_object_get (json_object_get (answer, "rooms"), "join");
    const char *room;
    const json_t *joined;
    json_object_foreach ((json_t *)join, room, joined)
    {
        if (s_room (state, room, joined, summary) != 0)
            return -1;
    }
    return 0;
}

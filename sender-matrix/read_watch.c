/*  read_watch.c - see read_watch.h. */
#include "read_watch.h"
#include "matrix_content.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *room_id;
    char *event_id; //  also the key in tracked
    char *delivery_id;
    char *notification_id;
    int64_t sent_at_ms;
    int64_t seen_at_ms;
    zhashx_t *reported; //  readers already said
    void *handle;       //  in order
} tracked_t;

struct crier_read_watch_t {
    char *bot;
    size_t max_tracked;
    int64_t keep_ms;
    crier_read_state_t *state;
    zhashx_t *tracked; //  event id -> tracked_t (owned by order)
    zlistx_t *order;   //  tracked_t, oldest first
};

static void s_tracked_destroy (void **item)
{
    tracked_t *tracked = *item;
    if (tracked) {
        free (tracked->room_id);
        free (tracked->event_id);
        free (tracked->delivery_id);
        free (tracked->notification_id);
        zhashx_destroy (&tracked->reported);
    }
    free (tracked);
    *item = NULL;
}

crier_read_watch_t *crier_read_watch_new (const char *bot, size_t max_tracked, int64_t keep_ms)
{
    crier_read_watch_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->bot = strdup (bot);
    self->max_tracked = max_tracked;
    self->keep_ms = keep_ms;
    self->state = crier_read_state_new ();
    self->tracked = zhashx_new ();
    self->order = zlistx_new ();
    if (!self->bot || !self->state || !self->tracked || !self->order) {
        crier_read_watch_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->order, s_tracked_destroy);
    return self;
}

void crier_read_watch_destroy (crier_read_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_read_watch_t *self = *self_p;
    zhashx_destroy (&self->tracked);
    zlistx_destroy (&self->order);
    crier_read_state_destroy (&self->state);
    free (self->bot);
    free (self);
    *self_p = NULL;
}

static void s_forget_oldest (crier_read_watch_t *self)
{
    tracked_t *oldest = zlistx_first (self->order);
    zhashx_delete (self->tracked, oldest->event_id);
    zlistx_delete (self->order, zlistx_cursor (self->order));
}

//  A bot event carrying the delivery tag: followed from now on. *tracked_p: the new one, or NULL.
//  Follows a message from now on.
static int s_follow (crier_read_watch_t *self, const crier_read_report_t *message,
                     int64_t seen_at_ms, tracked_t **tracked_p)
{
    if (zlistx_size (self->order) >= self->max_tracked)
        s_forget_oldest (self);
    tracked_t *tracked = calloc (1, sizeof *tracked);
    if (!tracked)
        return -1;
    *tracked = (tracked_t){strdup (message->room_id),
                           strdup (message->event_id),
                           strdup (message->delivery_id),
                           strdup (message->notification_id),
                           message->sent_at_ms,
                           seen_at_ms,
                           zhashx_new (),
                           NULL};
    if (!tracked->room_id || !tracked->event_id || !tracked->delivery_id ||
        !tracked->notification_id || !tracked->reported) {
        void *item = tracked;
        s_tracked_destroy (&item);
        return -1;
    }
    tracked->handle = zlistx_add_end (self->order, tracked);
    if (!tracked->handle) {
        void *item = tracked;
        s_tracked_destroy (&item);
        return -1;
    }
    if (tracked_p)
        *tracked_p = tracked;
    return zhashx_insert (self->tracked, tracked->event_id, tracked);
}

static int s_track (crier_read_watch_t *self, const char *room, const json_t *event, int64_t now_ms,
                    tracked_t **tracked_p)
{
    const char *sender = json_string_value (json_object_get (event, "sender"));
    const char *event_id = json_string_value (json_object_get (event, "event_id"));
    const json_t *tag = json_object_get (json_object_get (event, "content"), CRIER_MATRIX_TAG);
    const char *delivery_id = json_string_value (json_object_get (tag, "id"));
    const char *notification_id = json_string_value (json_object_get (tag, "notification"));
    *tracked_p = NULL;
    if (!sender || strcmp (sender, self->bot) != 0 || !event_id || !delivery_id ||
        !notification_id || zhashx_lookup (self->tracked, event_id))
        return 0;
    json_int_t sent_at = json_integer_value (json_object_get (event, "origin_server_ts"));
    crier_read_report_t message = {
        notification_id, delivery_id, room, event_id, NULL, sent_at > 0 ? (int64_t)sent_at : 0};
    return s_follow (self, &message, now_ms, tracked_p);
}

typedef struct {
    const char *bot;
    char **members;
    size_t count;
    size_t capacity;
} gathering_t;

static void s_gather (const char *user, void *arg)
{
    gathering_t *gathering = arg;
    if (strcmp (user, gathering->bot) == 0)
        return;
    if (gathering->count == gathering->capacity) {
        size_t capacity = gathering->capacity ? gathering->capacity * 2 : 16;
        char **grown = realloc (gathering->members, capacity * sizeof *grown);
        if (!grown)
            return;
        gathering->members = grown;
        gathering->capacity = capacity;
    }
    gathering->members[gathering->count++] = (char *)user;
}

//  Says a message is seen, with the room's joined members now.
static void s_say_seen (crier_read_watch_t *self, const tracked_t *tracked,
                        crier_seen_report_fn *seen, void *arg)
{
    gathering_t gathering = {self->bot, NULL, 0, 0};
    crier_read_state_members (self->state, tracked->room_id, s_gather, &gathering);
    crier_read_report_t message = {
        tracked->notification_id, tracked->delivery_id, tracked->room_id, tracked->event_id, NULL,
        tracked->sent_at_ms};
    seen (&message, gathering.members, gathering.count, arg);
    free (gathering.members);
}

typedef struct {
    crier_read_watch_t *self;
    tracked_t *tracked;
    crier_read_report_fn *fn;
    void *arg;
} asking_t;

static void s_ask_member (const char *user, void *arg)
{
    asking_t *asking = arg;
    tracked_t *tracked = asking->tracked;
    if (strcmp (user, asking->self->bot) == 0 || zhashx_lookup (tracked->reported, user) ||
        crier_read_state_has_read (asking->self->state, tracked->room_id, tracked->event_id,
                                   user) != CRIER_READ_YES)
        return;
    //  Said once: remembered (a failed insert only means it could be said again).
    zhashx_insert (tracked->reported, user, (void *)1);
    crier_read_report_t report = {
        tracked->notification_id, tracked->delivery_id, tracked->room_id, tracked->event_id, user,
        tracked->sent_at_ms};
    asking->fn (&report, asking->arg);
}

int crier_read_watch_apply (crier_read_watch_t *self, const json_t *answer, int64_t now_ms,
                            crier_seen_report_fn *seen, crier_read_report_fn *fn, void *arg,
                            crier_sync_summary_t *summary)
{
    if (crier_sync_apply (self->state, answer, summary) != 0)
        return -1;
    while (zlistx_size (self->order) > 0 &&
           now_ms - ((tracked_t *)zlistx_first (self->order))->seen_at_ms > self->keep_ms)
        s_forget_oldest (self);
    const json_t *join = json_object_get (json_object_get (answer, "rooms"), "join");
    const char *room;
    const json_t *joined;
    json_object_foreach ((json_t *)join, room, joined)
    {
        const json_t *events = json_object_get (json_object_get (joined, "timeline"), "events");
        size_t index;
        const json_t *event;
        json_array_foreach (events, index, event)
        {
            tracked_t *tracked;
            if (s_track (self, room, event, now_ms, &tracked) != 0)
                return -1;
            if (tracked)
                s_say_seen (self, tracked, seen, arg);
        }
    }
    //  Who read what: every message followed in the rooms this answer touched.
    for (tracked_t *tracked = zlistx_first (self->order); tracked;
         tracked = zlistx_next (self->order)) {
        if (!json_object_get (join, tracked->room_id))
            continue;
        asking_t asking = {self, tracked, fn, arg};
        crier_read_state_members (self->state, tracked->room_id, s_ask_member, &asking);
    }
    return 0;
}

int crier_read_watch_member (crier_read_watch_t *self, const char *room, const char *user)
{
    return crier_read_state_member (self->state, room, user, true);
}

bool crier_read_watch_knows (crier_read_watch_t *self, const char *room, const char *event_id)
{
    return crier_read_state_knows (self->state, room, event_id);
}

size_t crier_read_watch_replay (crier_read_watch_t *self, crier_seen_report_fn *seen,
                                crier_read_report_fn *fn, void *arg)
{
    for (tracked_t *tracked = zlistx_first (self->order); tracked;
         tracked = zlistx_next (self->order)) {
        s_say_seen (self, tracked, seen, arg);
        for (void *said = zhashx_first (tracked->reported); said;
             said = zhashx_next (tracked->reported)) {
            crier_read_report_t report = {tracked->notification_id,
                                          tracked->delivery_id,
                                          tracked->room_id,
                                          tracked->event_id,
                                          zhashx_cursor (tracked->reported),
                                          tracked->sent_at_ms};
            fn (&report, arg);
        }
    }
    return zlistx_size (self->order);
}

int crier_read_watch_restore (crier_read_watch_t *self, const crier_read_report_t *message,
                              int64_t seen_at_ms)
{
    tracked_t *known = zhashx_lookup (self->tracked, message->event_id);
    if (message->reader)
        return known ? (zhashx_insert (known->reported, message->reader, (void *)1) < 0 ? -1 : 0)
                     : 0;
    if (known)
        return 0;
    //  Placed in its room's order as the bot's own event: it says nothing of who read what.
    if (crier_read_state_event (self->state, message->room_id, message->event_id, self->bot,
                                false) != 0)
        return -1;
    return s_follow (self, message, seen_at_ms, NULL);
}

void crier_read_watch_each (crier_read_watch_t *self, crier_read_each_fn *fn, void *arg)
{
    for (tracked_t *tracked = zlistx_first (self->order); tracked;
         tracked = zlistx_next (self->order)) {
        crier_read_report_t message = {tracked->notification_id,
                                       tracked->delivery_id,
                                       tracked->room_id,
                                       tracked->event_id,
                                       NULL,
                                       tracked->sent_at_ms};
        fn (&message, tracked->seen_at_ms, arg);
        for (void *said = zhashx_first (tracked->reported); said;
             said = zhashx_next (tracked->reported)) {
            message.reader = zhashx_cursor (tracked->reported);
            fn (&message, 0, arg);
        }
    }
}

size_t crier_read_watch_tracked (const crier_read_watch_t *self)
{
    return zlistx_size (self->order);
}

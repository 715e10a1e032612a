/*  throttle_windows.c - see throttle_windows.h. */
#include "throttle_windows.h"

#include "crier/log.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct crier_throttle_windows_t {
    zhashx_t *entries; //  "group\nkey" -> crier_throttle_entry_t
    zhashx_t *openers; //  notification id -> the entry it opened (not owned)
    int64_t next_end;  //  no window ends before this (0: look)
};

static void s_entry_destroy (void **item)
{
    crier_throttle_entry_t *entry = *item;
    crier_throttle_window_free (&entry->window);
    free (entry);
    *item = NULL;
}

crier_throttle_windows_t *crier_throttle_windows_new (void)
{
    crier_throttle_windows_t *self = calloc (1, sizeof *self);
    if (!self || !(self->entries = zhashx_new ()) || !(self->openers = zhashx_new ())) {
        if (self)
            zhashx_destroy (&self->entries);
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_entry_destroy);
    return self;
}

void crier_throttle_windows_destroy (crier_throttle_windows_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->openers);
    zhashx_destroy (&(*self_p)->entries);
    free (*self_p);
    *self_p = NULL;
}

//  The table's key of (group, key): group names hold no white space.
static void s_name (char *name, size_t size, const char *group, const char *key)
{
    snprintf (name, size, "%s\n%s", group, key);
}

#define NAME_BYTES (CRIER_MAX_GROUP_BYTES + CRIER_MAX_KEY_BYTES + 2)

static crier_throttle_entry_t *s_get (const crier_throttle_windows_t *self, const char *group,
                                      const char *key)
{
    char name[NAME_BYTES];
    s_name (name, sizeof name, group, key);
    return zhashx_lookup (self->entries, name);
}

const crier_throttle_entry_t *crier_throttle_windows_get (const crier_throttle_windows_t *self,
                                                          const char *group, const char *key)
{
    return s_get (self, group, key);
}

//  A new window of (group, key), or NULL when out of memory.
static crier_throttle_entry_t *s_open (crier_throttle_windows_t *self, const char *group,
                                       const char *key, int64_t start_ms, int64_t window_ms)
{
    char name[NAME_BYTES];
    s_name (name, sizeof name, group, key);
    crier_throttle_entry_t *entry = calloc (1, sizeof *entry);
    if (!entry)
        return NULL;
    entry->window.group = strdup (group);
    entry->window.key = strdup (key);
    entry->window.start_ms = start_ms;
    entry->window.window_ms = window_ms;
    void *item = entry;
    if (!entry->window.group || !entry->window.key ||
        zhashx_insert (self->entries, name, entry) != 0) {
        s_entry_destroy (&item);
        return NULL;
    }
    if (self->next_end > start_ms + window_ms)
        self->next_end = start_ms + window_ms;
    return entry;
}

//  Sets (or, with NULL, clears) the notification that opened the entry's window.
static void s_set_opener (crier_throttle_windows_t *self, crier_throttle_entry_t *entry,
                          const char *opener, crier_journal_position_t position)
{
    crier_throttle_window_t *window = &entry->window;
    if (window->opener)
        zhashx_delete (self->openers, window->opener);
    free (window->opener);
    free (window->opener_subject);
    free (window->opener_body);
    window->opener_subject = window->opener_body = NULL;
    crier_throttle_window_forget_messages (window);
    entry->opener = position;
    entry->edited_count = 0;
    entry->edited_at = 0;
    window->opener = opener ? strdup (opener) : NULL;
    if (window->opener)
        zhashx_update (self->openers, window->opener, entry);
}

//  Starts the window anew at start_ms, with nothing counted.
static void s_restart (crier_throttle_windows_t *self, crier_throttle_entry_t *entry,
                       int64_t start_ms, int64_t window_ms)
{
    crier_throttle_window_t *window = &entry->window;
    s_set_opener (self, entry, NULL, (crier_journal_position_t){0});
    window->start_ms = start_ms;
    window->window_ms = window_ms;
    window->count = window->urgent = 0;
    window->first_ms = window->last_ms = 0;
    free (window->latest_subject);
    free (window->latest_body);
    window->latest_subject = window->latest_body = NULL;
    entry->latest = (crier_journal_position_t){0};
    if (self->next_end > start_ms + window_ms)
        self->next_end = start_ms + window_ms;
}

size_t crier_throttle_windows_routed (crier_throttle_windows_t *self,
                                      const crier_receipt_t *receipt,
                                      crier_journal_position_t position, int64_t time_ms)
{
    size_t counted = 0;
    for (size_t index = 0; receipt->key && index < receipt->throttle_count; index++) {
        const crier_receipt_throttle_t *decision = &receipt->throttles[index];
        crier_throttle_entry_t *entry = s_get (self, decision->group, receipt->key);
        if (decision->action == CRIER_THROTTLE_OPENED) {
            //  A window that ended with nothing counted gives way; any other stays.
            if (!entry)
                entry = s_open (self, decision->group, receipt->key, decision->start_ms,
                                decision->window_ms);
            else if (entry->window.count == 0 &&
                     entry->window.start_ms + entry->window.window_ms <= decision->start_ms)
                s_restart (self, entry, decision->start_ms, decision->window_ms);
            else
                continue;
            //  Its opener: sent again, it is the same first one, not a repeat.
            if (entry)
                s_set_opener (self, entry, receipt->notification_id, position);
            continue;
        }
        //  Counted in the current window, whichever the resolver named: a count that came
        //  after its window's summary goes into the next summary, never nowhere.
        if (!entry)
            entry = s_open (self, decision->group, receipt->key, decision->start_ms,
                            decision->window_ms);
        if (!entry)
            continue;
        crier_throttle_window_t *window = &entry->window;
        window->count++;
        window->urgent += decision->action == CRIER_THROTTLE_COUNTED;
        if (!window->first_ms)
            window->first_ms = time_ms;
        window->last_ms = time_ms;
        free (window->latest_subject);
        free (window->latest_body);
        window->latest_subject = window->latest_body = NULL;
        entry->latest = position;
        counted++;
    }
    return counted;
}

void crier_throttle_windows_summarized (crier_throttle_windows_t *self, const char *group,
                                        const char *key, int64_t start_ms)
{
    crier_throttle_entry_t *entry = s_get (self, group, key);
    if (entry && entry->window.start_ms == start_ms)
        s_restart (self, entry, start_ms + entry->window.window_ms, entry->window.window_ms);
}

size_t crier_throttle_windows_due (crier_throttle_windows_t *self, int64_t now_ms,
                                   crier_throttle_entry_t **due, size_t max)
{
    if (now_ms < self->next_end)
        return 0;
    int64_t next_end = INT64_MAX;
    zlistx_t *names = zhashx_keys (self->entries);
    size_t count = 0;
    for (const char *name = zlistx_first (names); name && count < max; name = zlistx_next (names)) {
        crier_throttle_entry_t *entry = zhashx_lookup (self->entries, name);
        int64_t end = entry->window.start_ms + entry->window.window_ms;
        if (end > now_ms) {
            if (end < next_end)
                next_end = end;
        } else if (entry->window.count == 0) {
            //  Quiet for a whole window: the key starts afresh.
            crier_log (CRIER_LOG_DEBUG, "throttle.ended", "group", entry->window.group, "key",
                       entry->window.key);
            if (entry->window.opener)
                zhashx_delete (self->openers, entry->window.opener);
            zhashx_delete (self->entries, name);
        } else
            due[count++] = entry;
    }
    zlistx_destroy (&names);
    //  With any due, look again next time: their summaries move them on.
    self->next_end = count > 0 ? 0 : next_end;
    return count;
}

void crier_throttle_windows_delivered (crier_throttle_windows_t *self, const char *notification_id,
                                       const char *target, const char *event_id)
{
    crier_throttle_entry_t *entry = zhashx_lookup (self->openers, notification_id);
    if (!entry || entry->window.message_count >= CRIER_THROTTLE_MESSAGES_MAX)
        return;
    crier_throttle_window_t *window = &entry->window;
    for (size_t index = 0; index < window->message_count; index++)
        if (strcmp (window->messages[index].room_id, target) == 0)
            return;
    crier_frame_edit_t *grown =
        realloc (window->messages, (window->message_count + 1) * sizeof *grown);
    if (!grown)
        return;
    window->messages = grown;
    crier_frame_edit_t *message = &window->messages[window->message_count];
    message->room_id = strdup (target);
    message->event_id = strdup (event_id);
    if (message->room_id && message->event_id)
        window->message_count++;
    else {
        free (message->room_id);
        free (message->event_id);
    }
}

size_t crier_throttle_windows_edits_due (crier_throttle_windows_t *self, int64_t now_ms,
                                         crier_throttle_entry_t **due, size_t max)
{
    size_t count = 0;
    for (crier_throttle_entry_t *entry = zhashx_first (self->openers); entry && count < max;
         entry = zhashx_next (self->openers))
        if (entry->window.message_count > 0 && entry->window.count > entry->edited_count &&
            (entry->edited_at == 0 || now_ms >= entry->edited_at + CRIER_THROTTLE_EDIT_EVERY_MS))
            due[count++] = entry;
    return count;
}

size_t crier_throttle_windows_of (const crier_throttle_windows_t *self,
                                  const crier_notification_t *notification,
                                  crier_frame_window_t *windows)
{
    size_t count = 0;
    for (size_t index = 0; notification->key && index < notification->to_count; index++) {
        const char *group = notification->to[index];
        bool again = false;
        for (size_t before = 0; before < index && !again; before++)
            again = strcmp (notification->to[before], group) == 0;
        const crier_throttle_entry_t *entry = again ? NULL : s_get (self, group, notification->key);
        if (entry) {
            windows[count] = (crier_frame_window_t){.group = entry->window.group,
                                                    .start_ms = entry->window.start_ms,
                                                    .window_ms = entry->window.window_ms,
                                                    .count = entry->window.count,
                                                    .opener = entry->window.opener};
            count++;
        }
    }
    return count;
}

#define DESCRIBED_MAX 8

void crier_throttle_windows_describe (crier_throttle_windows_t *self, char *text, size_t size)
{
    //  The DESCRIBED_MAX largest counts, largest first (an insertion into a short list).
    const crier_throttle_entry_t *top[DESCRIBED_MAX];
    size_t shown = 0;
    for (const crier_throttle_entry_t *entry = zhashx_first (self->entries); entry;
         entry = zhashx_next (self->entries)) {
        size_t at = shown;
        while (at > 0 && top[at - 1]->window.count < entry->window.count)
            at--;
        if (at == DESCRIBED_MAX)
            continue;
        if (shown < DESCRIBED_MAX)
            shown++;
        memmove (&top[at + 1], &top[at], (shown - 1 - at) * sizeof *top);
        top[at] = entry;
    }
    snprintf (text, size, "%s", shown ? "" : "none");
    for (size_t index = 0; index < shown; index++) {
        size_t used = strlen (text);
        snprintf (text + used, size - used, "%s%s:%s=%llu", index ? "," : "",
                  top[index]->window.group, top[index]->window.key,
                  (unsigned long long)top[index]->window.count);
    }
    size_t more = zhashx_size (self->entries) - shown;
    if (more > 0) {
        size_t used = strlen (text);
        snprintf (text + used, size - used, ",+%zu more", more);
    }
}

size_t crier_throttle_windows_count (const crier_throttle_windows_t *self)
{
    return zhashx_size (self->entries);
}

int crier_throttle_windows_each (crier_throttle_windows_t *self, crier_throttle_window_fn *fn,
                                 void *arg)
{
    for (crier_throttle_entry_t *entry = zhashx_first (self->entries); entry;
         entry = zhashx_next (self->entries))
        if (fn (entry, arg) != 0)
            return -1;
    return 0;
}

int crier_throttle_windows_load (crier_throttle_windows_t *self, const void *data, size_t size,
                                 crier_error_t *error)
{
    crier_throttle_window_t window;
    if (crier_throttle_window_decode (data, size, &window, error) != 0)
        return -1;
    char name[NAME_BYTES];
    s_name (name, sizeof name, window.group, window.key);
    crier_throttle_entry_t *entry = calloc (1, sizeof *entry);
    if (!entry) {
        crier_throttle_window_free (&window);
        return crier_error_set (error, "(window)", "out of memory");
    }
    entry->window = window;
    crier_throttle_entry_t *replaced = zhashx_lookup (self->entries, name);
    if (replaced && replaced->window.opener)
        zhashx_delete (self->openers, replaced->window.opener);
    zhashx_delete (self->entries, name);
    if (entry->window.opener)
        zhashx_update (self->openers, entry->window.opener, entry);
    if (zhashx_insert (self->entries, name, entry) != 0) {
        void *item = entry;
        s_entry_destroy (&item);
        return crier_error_set (error, "(window)", "out of memory");
    }
    self->next_end = 0;
    return 0;
}

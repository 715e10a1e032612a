/*  throttle_gate.c - see throttle_gate.h. */
#include "throttle_gate.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

//  How often at most the remembered windows are swept for those that cannot be open any more.
#define SWEEP_EVERY_MS 1000

typedef struct {
    int64_t start_ms;
    int64_t window_ms;
    uint64_t counted; //  in this window, as far as this process decided
    char *opener;     //  the notification that opened it
} remembered_t;

struct crier_throttle_gate_t {
    zhashx_t *windows; //  "group\nkey" -> remembered_t
    size_t remember_max;
    int64_t swept_at;
};

static void s_free_window (void **item)
{
    remembered_t *window = *item;
    free (window->opener);
    free (*item);
    *item = NULL;
}

crier_throttle_gate_t *crier_throttle_gate_new (size_t remember_max)
{
    crier_throttle_gate_t *self = calloc (1, sizeof *self);
    if (!self || !(self->windows = zhashx_new ())) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->windows, s_free_window);
    self->remember_max = remember_max;
    return self;
}

void crier_throttle_gate_destroy (crier_throttle_gate_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->windows);
    free (*self_p);
    *self_p = NULL;
}

size_t crier_throttle_gate_size (const crier_throttle_gate_t *self)
{
    return zhashx_size (self->windows);
}

//  The start of the window open at now_ms, given one that started at start_ms: itself, or the
//  one right after it when it counted something; -1 when neither is open.
static int64_t s_open_start (int64_t start_ms, int64_t window_ms, uint64_t counted, int64_t now_ms)
{
    if (now_ms < start_ms + window_ms)
        return start_ms;
    if (counted > 0 && now_ms < start_ms + 2 * window_ms)
        return start_ms + window_ms;
    return -1;
}

//  A window that can no longer be open, even as the one after it, is forgotten.
static void s_sweep (crier_throttle_gate_t *self, int64_t now_ms)
{
    if (now_ms - self->swept_at < SWEEP_EVERY_MS)
        return;
    self->swept_at = now_ms;
    zlistx_t *keys = zhashx_keys (self->windows);
    for (const char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        const remembered_t *window = zhashx_lookup (self->windows, key);
        if (now_ms >= window->start_ms + 2 * window->window_ms)
            zhashx_delete (self->windows, key);
    }
    zlistx_destroy (&keys);
}

static const crier_frame_window_t *s_ingest_window (const crier_frame_window_t *windows,
                                                    size_t count, const char *group)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (windows[index].group, group) == 0)
            return &windows[index];
    return NULL;
}

//  Remembers what was decided for one group (when there is room).
static void s_remember (crier_throttle_gate_t *self, const char *name,
                        const crier_receipt_throttle_t *decision, const char *opener)
{
    remembered_t *window = zhashx_lookup (self->windows, name);
    if (!window) {
        if (zhashx_size (self->windows) >= self->remember_max)
            return;
        window = calloc (1, sizeof *window);
        if (!window || zhashx_insert (self->windows, name, window) != 0) {
            free (window);
            return;
        }
    }
    if (decision->action == CRIER_THROTTLE_OPENED || window->start_ms != decision->start_ms)
        window->counted = 0;
    if (decision->action == CRIER_THROTTLE_OPENED && window->start_ms != decision->start_ms) {
        free (window->opener);
        window->opener = opener ? strdup (opener) : NULL;
    }
    window->start_ms = decision->start_ms;
    window->window_ms = decision->window_ms;
    if (decision->action != CRIER_THROTTLE_OPENED)
        window->counted++;
}

static void s_decide_group (crier_throttle_gate_t *self, const char *group, uint64_t window_ms,
                            const crier_notification_t *notification,
                            const crier_frame_window_t *windows, size_t window_count,
                            int64_t now_ms, crier_receipt_throttle_t *decision)
{
    char name[CRIER_MAX_GROUP_BYTES + CRIER_MAX_KEY_BYTES + 2];
    snprintf (name, sizeof name, "%s\n%s", group, notification->key);
    //  The later of the window ingest knows and the one decided here last.
    int64_t start = -1, length = 0;
    const char *opener = NULL;
    const crier_frame_window_t *known = s_ingest_window (windows, window_count, group);
    if (known)
        start = s_open_start (known->start_ms, known->window_ms, known->count, now_ms),
        length = known->window_ms, opener = start == known->start_ms ? known->opener : NULL;
    remembered_t *mine = zhashx_lookup (self->windows, name);
    int64_t my_start =
        mine ? s_open_start (mine->start_ms, mine->window_ms, mine->counted, now_ms) : -1;
    if (my_start > start)
        start = my_start, length = mine->window_ms,
        opener = my_start == mine->start_ms ? mine->opener : NULL;
    decision->group = (char *)group;
    //  The notification that opened the window, sent again (its outcome was lost): the same
    //  decision as the first time, not a repeat.
    if (start >= 0 && opener && notification->id && strcmp (opener, notification->id) == 0) {
        decision->action = CRIER_THROTTLE_OPENED;
        decision->start_ms = start;
        decision->window_ms = length;
        return;
    }
    if (start < 0) {
        decision->action = CRIER_THROTTLE_OPENED;
        decision->start_ms = now_ms;
        decision->window_ms = (int64_t)window_ms;
    } else {
        decision->action = notification->priority == CRIER_PRIORITY_URGENT ? CRIER_THROTTLE_COUNTED
                                                                           : CRIER_THROTTLE_HELD;
        decision->start_ms = start;
        decision->window_ms = length;
    }
    s_remember (self, name, decision, notification->id);
}

size_t crier_throttle_gate_decide (crier_throttle_gate_t *self, const crier_mapping_t *mapping,
                                   const crier_notification_t *notification,
                                   const crier_frame_window_t *windows, size_t window_count,
                                   int64_t now_ms, crier_receipt_throttle_t *decisions)
{
    if (!notification->key)
        return 0;
    s_sweep (self, now_ms);
    size_t count = 0;
    for (size_t index = 0; index < notification->to_count; index++) {
        const char *group = notification->to[index];
        uint64_t window_ms;
        bool again = false;
        for (size_t before = 0; before < index && !again; before++)
            again = strcmp (notification->to[before], group) == 0;
        if (again || crier_mapping_throttle (mapping, group, &window_ms) != 0)
            continue;
        s_decide_group (self, group, window_ms, notification, windows, window_count, now_ms,
                        &decisions[count++]);
    }
    return count;
}

bool crier_throttle_gate_holds (const crier_receipt_throttle_t *decisions, size_t count,
                                const char *const *groups, size_t group_count)
{
    for (size_t group = 0; group < group_count; group++) {
        bool held = false;
        for (size_t index = 0; index < count && !held; index++)
            held = decisions[index].action == CRIER_THROTTLE_HELD &&
                   strcmp (decisions[index].group, groups[group]) == 0;
        if (!held)
            return false;
    }
    return group_count > 0;
}

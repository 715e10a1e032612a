/*  ledger.c - see ledger.h. */
#include "ledger.h"
#include "dead_shares.h"
#include "nag_rooms.h"

#include "crier/array.h"
#include "crier/recent.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef enum { DELIVERY_PENDING, DELIVERY_DONE, DELIVERY_DEAD } delivery_state_t;

//  Notifications done lately that a wait request still finds delivered: at most this many, for
//  this long (the outcome of older ones is no longer known: "unknown").
#define FINISHED_MAX     10000
#define FINISHED_KEEP_MS (60 * 60 * 1000)

//  Deliveries of one notification past which they are found through a hash, not a scan: a
//  group of thousands of customers would otherwise cost a scan per receipt.
#define INDEX_FROM 16

typedef struct {
    char delivery_id[CRIER_DIGEST_BYTES];
    char *channel;
    char *target;
    delivery_state_t state;
    char *reason; //  why it is dead
    int64_t time_ms;
    uint32_t part; //  in parts: the part that routed it (or the last routed when it came)
} delivery_t;

//  Waiting: every delivery done, a nag not decided yet (docs/nag.md).
typedef enum { STAGE_QUEUED, STAGE_SENT, STAGE_IDLE, STAGE_WAITING } stage_t;

typedef struct {
    char *id;
    crier_journal_position_t position;
    crier_journal_position_t new_position; //  during a rewrite
    uint32_t attempt;
    bool client_id; //  the id came from the client
    stage_t stage;
    bool routed;   //  the resolver said which deliveries it became
    bool deferred; //  a delivery of it was deferred (its channel stalled) since it was sent
    delivery_t *deliveries;
    size_t count;
    size_t capacity;
    size_t pending;  //  deliveries in DELIVERY_PENDING
    zhashx_t *index; //  delivery id -> position + 1, once there are more than INDEX_FROM
    char **groups;   //  unroutable groups: a dead letter while unroutable_reason is set
    size_t group_count;
    char *unroutable_reason;
    int64_t unroutable_time_ms;
    bool groups_retry; //  route these groups again (a retried dead letter)
    int64_t deadline_ms;
    void *handle;           //  in the list of its stage
    crier_nag_rooms_t *nag; //  its Matrix deliveries with a nag, or NULL
    int64_t nag_due_ms;     //  queued to decide the nags due then; 0: not
    //  Sent in parts (docs/delivery.md, Large groups): how many, of what size, over which
    //  groups; the last part routed; whether the next is asked for; whether the entry is queued
    //  only to ask for it; and the deliveries done and forgotten (parts behind).
    uint32_t parts; //  0: routed whole
    uint32_t part_size;
    char **part_groups;
    size_t part_group_count;
    uint32_t part_routed;
    bool part_asked;
    bool part_only;
    uint64_t forgotten;
} entry_t;

struct crier_ledger_t {
    crier_ledger_options_t options;
    zhashx_t *entries;        //  id -> entry_t
    zlistx_t *queued;         //  entry_t, oldest first
    zlistx_t *sent;           //  entry_t, earliest deadline first
    zlistx_t *idle;           //  entry_t holding dead letters, oldest first
    zlistx_t *waiting;        //  entry_t whose nags are not decided yet (STAGE_WAITING)
    size_t nags_pending;      //  rooms whose nag is not decided yet, in all entries
    int64_t nags_scan_at;     //  the earliest a waiting nag can fall due (0: look now)
    uint64_t nags_refused;    //  nags not kept: nags_max were pending
    const char **pending_ids; //  the last work's pending delivery ids (borrowed)
    size_t pending_capacity;
    crier_recent_t *seen;       //  client ids, for the dedup window
    crier_frame_target_t *only; //  the last work's targets (borrowed strings)
    size_t only_capacity;
    size_t dead;                 //  dead letters held
    size_t in_journal;           //  accepted notifications waiting in the journal only
    uint64_t cursor;             //  where the first of them starts in the journal
    crier_dead_shares_t *shares; //  what each client's dead letters hold (the idle entries)
    crier_recent_t *finished;    //  ids done lately with every delivery delivered (for waits)
    crier_throttle_windows_t *throttles; //  the throttle windows (docs/throttle.md)
};

static void s_entry_destroy (void **item)
{
    entry_t *entry = *item;
    if (!entry)
        return;
    for (size_t index = 0; index < entry->count; index++) {
        free (entry->deliveries[index].channel);
        free (entry->deliveries[index].target);
        free (entry->deliveries[index].reason);
    }
    free (entry->deliveries);
    zhashx_destroy (&entry->index);
    for (size_t index = 0; index < entry->group_count; index++)
        free (entry->groups[index]);
    free (entry->groups);
    for (size_t index = 0; index < entry->part_group_count; index++)
        free (entry->part_groups[index]);
    free (entry->part_groups);
    free (entry->unroutable_reason);
    crier_nag_rooms_destroy (&entry->nag);
    free (entry->id);
    free (entry);
    *item = NULL;
}

crier_ledger_t *crier_ledger_new (const crier_ledger_options_t *options)
{
    crier_ledger_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->entries = zhashx_new ();
    self->queued = zlistx_new ();
    self->sent = zlistx_new ();
    self->idle = zlistx_new ();
    self->waiting = zlistx_new ();
    self->seen = crier_recent_new (options->dedup_max, (int64_t)options->dedup_window_ms);
    self->shares = crier_dead_shares_new ();
    self->finished = crier_recent_new (FINISHED_MAX, FINISHED_KEEP_MS);
    self->throttles = crier_throttle_windows_new ();
    if (!self->entries || !self->queued || !self->sent || !self->idle || !self->waiting ||
        !self->seen || !self->shares || !self->finished || !self->throttles) {
        crier_ledger_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_entry_destroy);
    return self;
}

void crier_ledger_destroy (crier_ledger_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_ledger_t *self = *self_p;
    zlistx_destroy (&self->queued);
    zlistx_destroy (&self->sent);
    zlistx_destroy (&self->idle);
    zlistx_destroy (&self->waiting);
    zhashx_destroy (&self->entries);
    crier_recent_destroy (&self->seen);
    crier_dead_shares_destroy (&self->shares);
    crier_recent_destroy (&self->finished);
    crier_throttle_windows_destroy (&self->throttles);
    free (self->only);
    free (self->pending_ids);
    free (self);
    *self_p = NULL;
}

static zlistx_t *s_list_of (crier_ledger_t *self, stage_t stage)
{
    return stage == STAGE_QUEUED    ? self->queued
           : stage == STAGE_SENT    ? self->sent
           : stage == STAGE_WAITING ? self->waiting
                                    : self->idle;
}

//  Moves an entry to the tail of a stage's list.
//  Moves an entry to the tail of a stage's list. An idle entry is kept by its dead letters only:
//  it counts toward its client's share.
static void s_move (crier_ledger_t *self, entry_t *entry, stage_t stage)
{
    if (entry->handle) {
        zlistx_delete (s_list_of (self, entry->stage), entry->handle);
        if (entry->stage == STAGE_IDLE)
            crier_dead_shares_remove (self->shares, entry->id, entry->position.size);
    }
    entry->stage = stage;
    if (stage == STAGE_QUEUED)
        entry->deferred = false;
    entry->handle = zlistx_add_end (s_list_of (self, stage), entry);
    if (stage == STAGE_IDLE)
        crier_dead_shares_add (self->shares, entry->id, entry->position.size);
}

bool crier_ledger_seen (crier_ledger_t *self, const char *id, int64_t now_ms)
{
    return zhashx_lookup (self->entries, id) || crier_recent_has (self->seen, id, now_ms);
}

void crier_ledger_remember (crier_ledger_t *self, const char *id, int64_t received_at_ms)
{
    crier_recent_add (self->seen, id, received_at_ms);
}

//  Puts a notification in the queue.
static int s_queue (crier_ledger_t *self, const char *id, crier_journal_position_t position,
                    bool client_id, int64_t received_at_ms)
{
    if (zhashx_lookup (self->entries, id))
        return 0; //  a replayed duplicate: the first one stands
    entry_t *entry = calloc (1, sizeof *entry);
    if (!entry || !(entry->id = strdup (id))) {
        free (entry);
        return -1;
    }
    entry->position = position;
    entry->attempt = 1;
    entry->client_id = client_id;
    zhashx_insert (self->entries, id, entry);
    s_move (self, entry, STAGE_QUEUED);
    if (client_id)
        crier_ledger_remember (self, id, received_at_ms);
    return 0;
}

int crier_ledger_accept (crier_ledger_t *self, const char *id, crier_journal_position_t position,
                         bool client_id, int64_t received_at_ms)
{
    //  Once one waits in the journal, those after it wait too: they are loaded back in order.
    if (self->in_journal > 0 ||
        (self->options.queued_max > 0 && zlistx_size (self->queued) >= self->options.queued_max)) {
        if (self->in_journal++ == 0)
            self->cursor = position.offset - CRIER_JOURNAL_HEADER_BYTES;
        if (client_id)
            crier_ledger_remember (self, id, received_at_ms);
        return 0;
    }
    return s_queue (self, id, position, client_id, received_at_ms);
}

int crier_ledger_load (crier_ledger_t *self, const char *id, crier_journal_position_t position,
                       bool client_id, int64_t received_at_ms)
{
    //  While some wait in the journal, only crier_backlog_refill loads, from the cursor on.
    if (self->in_journal > 0) {
        self->in_journal--;
        self->cursor = position.offset + position.size;
    }
    return s_queue (self, id, position, client_id, received_at_ms);
}

void crier_ledger_replayed (crier_ledger_t *self)
{
    for (entry_t *entry = zlistx_first (self->queued); entry; entry = zlistx_next (self->queued))
        if (entry->attempt < 2)
            entry->attempt = 2;
}

size_t crier_ledger_in_journal (const crier_ledger_t *self, uint64_t *offset_p)
{
    if (offset_p)
        *offset_p = self->cursor;
    return self->in_journal;
}

size_t crier_ledger_queued (const crier_ledger_t *self)
{
    return zlistx_size (self->queued);
}

size_t crier_ledger_queued_max (const crier_ledger_t *self)
{
    return self->options.queued_max;
}

//  In parts: whether the next part is to be asked for (again), which is when the last one's
//  deliveries are half done.
static bool s_part_due (const entry_t *entry)
{
    return entry->parts > 0 && entry->part_routed + 1 < entry->parts &&
           (entry->part_asked || entry->pending <= entry->part_size / 2);
}

bool crier_ledger_next (crier_ledger_t *self, crier_ledger_work_t *work)
{
    entry_t *entry = zlistx_first (self->queued);
    if (!entry)
        return false;
    *work = (crier_ledger_work_t){
        .id = entry->id, .position = entry->position, .redelivery = {.attempt = entry->attempt}};
    if (entry->groups_retry) {
        //  Route the retried groups, and send the other pending deliveries as they are.
        work->groups = (const char *const *)entry->groups;
        work->group_count = entry->group_count;
        work->redelivery.route = true;
    }
    if (s_part_due (entry)) {
        //  The next part: its groups routed again from the next position on.
        work->redelivery.part = entry->part_routed + 1;
        work->redelivery.part_size = entry->part_size;
        work->groups = (const char *const *)entry->part_groups;
        work->group_count = entry->part_group_count;
        work->redelivery.route = true;
    }
    if (entry->routed && !entry->part_only) {
        //  Only what is still pending goes again; nag emails go as such (the resolver cannot
        //  route them).
        if (crier_array_reserve (&self->only, &self->only_capacity, 0, sizeof *self->only,
                                 entry->count) != 0 ||
            crier_array_reserve (&self->pending_ids, &self->pending_capacity, 0,
                                 sizeof *self->pending_ids, entry->count) != 0)
            return false;
        size_t nag_emails = 0;
        for (size_t index = 0; index < entry->count; index++) {
            const delivery_t *delivery = &entry->deliveries[index];
            if (delivery->state != DELIVERY_PENDING)
                continue;
            if (entry->nag &&
                crier_nag_rooms_is_email (entry->nag, delivery->delivery_id, NULL, NULL))
                self->pending_ids[nag_emails++] = delivery->delivery_id;
            else
                self->only[work->redelivery.only_count++] =
                    (crier_frame_target_t){delivery->channel, delivery->target};
        }
        work->redelivery.only = self->only;
        if ((entry->nag_due_ms || nag_emails) &&
            crier_nag_rooms_request (entry->nag, entry->nag_due_ms > 0, entry->nag_due_ms,
                                     (int64_t)self->options.nag_seen_wait_ms, self->pending_ids,
                                     nag_emails, &work->redelivery) != 0)
            return false;
    }
    return true;
}

void crier_ledger_sent (crier_ledger_t *self, int64_t now_ms)
{
    entry_t *entry = zlistx_first (self->queued);
    if (!entry)
        return;
    entry->deadline_ms = now_ms + (int64_t)self->options.lease_ms;
    entry->part_asked = s_part_due (entry);
    entry->part_only = false;
    s_move (self, entry, STAGE_SENT);
}

static delivery_t *s_find (entry_t *entry, const char *delivery_id)
{
    if (entry->index) {
        uintptr_t at = (uintptr_t)zhashx_lookup (entry->index, delivery_id);
        return at ? &entry->deliveries[at - 1] : NULL;
    }
    for (size_t index = 0; index < entry->count; index++)
        if (strcmp (entry->deliveries[index].delivery_id, delivery_id) == 0)
            return &entry->deliveries[index];
    return NULL;
}

//  Indexes every delivery anew: its position + 1 by its id.
static void s_reindex (entry_t *entry)
{
    zhashx_purge (entry->index);
    for (size_t index = 0; index < entry->count; index++)
        zhashx_insert (entry->index, entry->deliveries[index].delivery_id,
                       (void *)(uintptr_t)(index + 1));
}

static delivery_t *s_add (entry_t *entry, const crier_receipt_delivery_t *from)
{
    if (crier_array_reserve (&entry->deliveries, &entry->capacity, entry->count,
                             sizeof *entry->deliveries, 4) != 0)
        return NULL;
    delivery_t *delivery = &entry->deliveries[entry->count];
    *delivery = (delivery_t){.state = DELIVERY_PENDING, .part = entry->part_routed};
    memcpy (delivery->delivery_id, from->delivery_id, CRIER_DIGEST_BYTES);
    delivery->channel = strdup (from->channel);
    delivery->target = strdup (from->target);
    if (!delivery->channel || !delivery->target) {
        free (delivery->channel);
        free (delivery->target);
        return NULL;
    }
    entry->count++;
    entry->pending++;
    //  Without an index (too few, or out of memory) s_find scans.
    if (!entry->index && entry->count > INDEX_FROM && (entry->index = zhashx_new ()))
        s_reindex (entry);
    else if (entry->index)
        zhashx_insert (entry->index, delivery->delivery_id, (void *)(uintptr_t)entry->count);
    return delivery;
}

static size_t s_dead_in (const entry_t *entry)
{
    size_t dead = entry->unroutable_reason != NULL;
    for (size_t index = 0; index < entry->count; index++)
        dead += entry->deliveries[index].state == DELIVERY_DEAD;
    return dead;
}

//  Every delivery done: only an undecided nag can keep it.
static bool s_settled (const entry_t *entry)
{
    return entry->stage != STAGE_IDLE && entry->routed && !entry->groups_retry &&
           entry->pending == 0 && entry->part_routed + 1 >= entry->parts;
}

static size_t s_undecided (const entry_t *entry)
{
    return entry->nag ? crier_nag_rooms_undecided (entry->nag) : 0;
}

static bool s_finished (const entry_t *entry)
{
    return s_settled (entry) && s_undecided (entry) == 0;
}

//  A part's routed receipt: the parts' plan taken from the first, the part routed noted. Returns 1
//  when it is news, 0 when not, -1 for a part behind the last routed (already forgotten).
static int s_apply_part (entry_t *entry, const crier_receipt_t *receipt)
{
    if (entry->parts == 0) {
        entry->part_groups = calloc (receipt->group_count + 1, sizeof *entry->part_groups);
        for (size_t index = 0; entry->part_groups && index < receipt->group_count; index++)
            if ((entry->part_groups[entry->part_group_count] = strdup (receipt->groups[index])))
                entry->part_group_count++;
        entry->parts = receipt->parts;
        entry->part_size = receipt->part_size;
        entry->part_routed = receipt->part;
        entry->part_asked = false;
        entry->forgotten = receipt->forgotten; //  a compacted journal's count
        return 1;
    }
    if (receipt->part < entry->part_routed)
        return -1;
    //  The mapping shrank since: the parts end sooner (never later than planned).
    if (receipt->parts < entry->parts && receipt->parts > receipt->part)
        entry->parts = receipt->parts;
    if (receipt->part == entry->part_routed)
        return 0;
    entry->part_routed = receipt->part;
    entry->part_asked = false;
    return 1;
}

//  In parts: forgets the deliveries done in the parts behind the last routed, so that memory
//  holds about two parts whatever the group's size. Kept: pending and dead ones, those of the
//  last part (an outcome may have overtaken its routed receipt), and those a nag refers to.
static void s_forget_behind (entry_t *entry)
{
    size_t kept = 0;
    for (size_t index = 0; index < entry->count; index++) {
        delivery_t *delivery = &entry->deliveries[index];
        //  A delivery a nag refers to stays: the nag's receipts and compaction need it.
        bool nagged = entry->nag &&
                      (crier_nag_rooms_has (entry->nag, delivery->delivery_id, NULL) ||
                       crier_nag_rooms_is_email (entry->nag, delivery->delivery_id, NULL, NULL));
        if (delivery->state == DELIVERY_DONE && delivery->part < entry->part_routed && !nagged) {
            free (delivery->channel);
            free (delivery->target);
            free (delivery->reason);
            entry->forgotten++;
        } else
            entry->deliveries[kept++] = *delivery;
    }
    if (kept == entry->count)
        return;
    entry->count = kept;
    if (entry->index)
        s_reindex (entry);
}

static crier_ledger_change_t s_apply_routed (crier_ledger_t *self, entry_t *entry,
                                             const crier_receipt_t *receipt, int64_t now_ms)
{
    bool changed = !entry->routed || entry->groups_retry;
    //  The throttle's decisions count once: with the first routing of the notification.
    if (!entry->routed && receipt->throttle_count > 0)
        crier_throttle_windows_routed (self->throttles, receipt, entry->position,
                                       receipt->time_ms ? receipt->time_ms : now_ms);
    //  Memory stays bounded: past nags_max, a notification goes without its nags.
    bool room = !self->options.nags_max ||
                self->nags_pending + receipt->nag_count <= self->options.nags_max;
    if (receipt->nag_count > 0 && !entry->nag && !entry->routed && !room)
        self->nags_refused += receipt->nag_count;
    if (receipt->nag_count > 0 && !entry->nag && room) {
        //  Out of memory: the notification goes without its nags, like one of a group without.
        entry->nag = crier_nag_rooms_new (receipt->nags, receipt->nag_count);
        changed = true;
    } else if (receipt->nag_count > 0 && entry->nag && receipt->parts > 0 && room &&
               crier_nag_rooms_add (entry->nag, receipt->nags, receipt->nag_count) > 0)
        changed = true; //  a later part's rooms with a nag

    entry->routed = true;
    entry->groups_retry = false;
    if (receipt->parts > 0) {
        int parted = s_apply_part (entry, receipt);
        if (parted < 0)
            return CRIER_LEDGER_IGNORED;
        changed |= parted > 0;
    }
    //  Room for exactly these at first: a notification can stay long (its nag, its dead letters).
    if (entry->capacity == 0 && receipt->delivery_count > 0)
        crier_array_reserve (&entry->deliveries, &entry->capacity, 0, sizeof *entry->deliveries,
                             receipt->delivery_count);
    for (size_t index = 0; index < receipt->delivery_count; index++) {
        delivery_t *delivery = s_find (entry, receipt->deliveries[index].delivery_id);
        if (!delivery) {
            delivery = s_add (entry, &receipt->deliveries[index]);
            changed = true;
        }
        if (delivery)
            delivery->part = receipt->part;
    }
    if (receipt->parts > 0)
        s_forget_behind (entry);
    return changed ? CRIER_LEDGER_UPDATED : CRIER_LEDGER_IGNORED;
}

static crier_ledger_change_t s_apply_unroutable (crier_ledger_t *self, entry_t *entry,
                                                 const crier_receipt_t *receipt)
{
    if (entry->unroutable_reason)
        return CRIER_LEDGER_IGNORED;
    self->dead++;
    for (size_t index = 0; index < entry->group_count; index++)
        free (entry->groups[index]);
    free (entry->groups);
    entry->groups = calloc (receipt->group_count + 1, sizeof *entry->groups);
    entry->group_count = 0;
    entry->unroutable_reason = strdup (receipt->reason ? receipt->reason : "unroutable");
    for (size_t index = 0; entry->groups && index < receipt->group_count; index++)
        entry->groups[entry->group_count++] = strdup (receipt->groups[index]);
    entry->unroutable_time_ms = receipt->time_ms;
    return CRIER_LEDGER_UPDATED;
}

static crier_ledger_change_t s_apply_outcome (crier_ledger_t *self, entry_t *entry,
                                              const crier_receipt_t *receipt)
{
    delivery_t *delivery = s_find (entry, receipt->delivery.delivery_id);
    //  An outcome can overtake the routing receipt (they come from different processes).
    if (!delivery)
        delivery = s_add (entry, &receipt->delivery);
    if (!delivery || delivery->state != DELIVERY_PENDING)
        return CRIER_LEDGER_IGNORED;
    if (entry->nag)
        crier_nag_rooms_outcome (entry->nag, delivery->delivery_id,
                                 receipt->kind == CRIER_RECEIPT_DELIVERED, receipt->time_ms);
    entry->pending--;
    //  When: a nag's deadline counts from it, across a compaction too.
    delivery->time_ms = receipt->time_ms;
    if (receipt->kind == CRIER_RECEIPT_DELIVERED) {
        delivery->state = DELIVERY_DONE;
        //  The first of a throttle window, in a room: its message is edited with the count.
        if (receipt->event_id && receipt->delivery.channel &&
            strcmp (receipt->delivery.channel, "matrix") == 0)
            crier_throttle_windows_delivered (self->throttles, receipt->notification_id,
                                              receipt->delivery.target, receipt->event_id);
    } else {
        self->dead++;
        delivery->state = DELIVERY_DEAD;
        free (delivery->reason);
        delivery->reason = strdup (receipt->reason ? receipt->reason : "failed");
    }
    return CRIER_LEDGER_UPDATED;
}

//  nag.routed: the nags it decided, and the nag emails it made (pending from now on).
static crier_ledger_change_t s_apply_nag_routed (entry_t *entry, const crier_receipt_t *receipt)
{
    if (!entry->nag || !crier_nag_rooms_routed (entry->nag, receipt))
        return CRIER_LEDGER_IGNORED;
    entry->nag_due_ms = 0;
    for (size_t index = 0; index < receipt->delivery_count; index++)
        if (!s_find (entry, receipt->deliveries[index].delivery_id))
            s_add (entry, &receipt->deliveries[index]);
    return CRIER_LEDGER_UPDATED;
}

static crier_ledger_change_t s_apply (crier_ledger_t *self, entry_t *entry,
                                      const crier_receipt_t *receipt, int64_t now_ms)
{
    crier_ledger_change_t change = CRIER_LEDGER_IGNORED;
    switch (receipt->kind) {
        case CRIER_RECEIPT_ROUTED:
            change = s_apply_routed (self, entry, receipt, now_ms);
            break;
        case CRIER_RECEIPT_UNROUTABLE:
            change = s_apply_unroutable (self, entry, receipt);
            break;
        case CRIER_RECEIPT_DELIVERED:
        case CRIER_RECEIPT_FAILED:
            change = s_apply_outcome (self, entry, receipt);
            break;
        case CRIER_RECEIPT_SEEN:
            if (entry->nag && crier_nag_rooms_seen (entry->nag, receipt))
                change = CRIER_LEDGER_UPDATED;
            break;
        case CRIER_RECEIPT_READ:
            if (entry->nag && crier_nag_rooms_read (entry->nag, receipt))
                change = CRIER_LEDGER_UPDATED;
            break;
        case CRIER_RECEIPT_NAG_ROUTED:
            change = s_apply_nag_routed (entry, receipt);
            break;
        case CRIER_RECEIPT_RETRYING:
        case CRIER_RECEIPT_DEFERRED:
        case CRIER_RECEIPT_RELEASED:
            if (entry->stage == STAGE_SENT) {
                //  Retrying: still being worked on, so the lease starts again. Deferred: its
                //  channel is stalled, so it goes again when a whole lease has passed. Released:
                //  a stopping sender let it go, so it is due now.
                bool renew = receipt->kind != CRIER_RECEIPT_RELEASED;
                entry->deferred |= receipt->kind == CRIER_RECEIPT_DEFERRED;
                entry->deadline_ms = renew ? now_ms + (int64_t)self->options.lease_ms : now_ms;
                if (renew)
                    s_move (self, entry, STAGE_SENT);
                else {
                    zlistx_delete (self->sent, entry->handle);
                    entry->handle = zlistx_add_start (self->sent, entry);
                }
                return CRIER_LEDGER_RENEWED;
            }
            return CRIER_LEDGER_IGNORED;
    }
    return change;
}

crier_ledger_change_t crier_ledger_apply (crier_ledger_t *self, const crier_receipt_t *receipt,
                                          int64_t now_ms)
{
    entry_t *entry = zhashx_lookup (self->entries, receipt->notification_id);
    if (!entry)
        return CRIER_LEDGER_IGNORED;
    size_t undecided = s_undecided (entry);
    crier_ledger_change_t change = s_apply (self, entry, receipt, now_ms);
    self->nags_pending = self->nags_pending - undecided + s_undecided (entry);
    if (change != CRIER_LEDGER_UPDATED)
        return change;
    //  A nag may fall due earlier now (delivered, or seen at last).
    if (entry->nag)
        self->nags_scan_at = 0;
    if (s_finished (entry))
        return CRIER_LEDGER_FINISHED;
    //  In parts, a notification goes out over minutes: each outcome is news that restarts its
    //  lease (the lease then covers the time between outcomes, not the whole fan-out).
    bool outcome =
        receipt->kind == CRIER_RECEIPT_DELIVERED || receipt->kind == CRIER_RECEIPT_FAILED;
    if (entry->parts > 0 && outcome && entry->stage == STAGE_SENT) {
        entry->deadline_ms = now_ms + (int64_t)self->options.lease_ms;
        s_move (self, entry, STAGE_SENT);
    }
    //  In parts: the next part is asked for while the last one's deliveries go out.
    if (entry->stage == STAGE_SENT && !entry->part_asked && s_part_due (entry)) {
        entry->part_only = true;
        s_move (self, entry, STAGE_QUEUED);
    }
    //  Done but for a nag: it waits for its deadline, out of the backlog and the lease's way.
    if (s_settled (entry) && !entry->nag_due_ms && entry->stage != STAGE_WAITING)
        s_move (self, entry, STAGE_WAITING);
    return change;
}

bool crier_ledger_finish (crier_ledger_t *self, const char *id)
{
    entry_t *entry = zhashx_lookup (self->entries, id);
    if (!entry)
        return false;
    if (s_dead_in (entry) > 0) {
        if (entry->stage != STAGE_IDLE)
            s_move (self, entry, STAGE_IDLE);
        return false;
    }
    crier_recent_add_value (self->finished, id, zclock_time (), entry->count + entry->forgotten);
    crier_ledger_forget (self, id);
    return true;
}

void crier_ledger_forget (crier_ledger_t *self, const char *id)
{
    entry_t *entry = zhashx_lookup (self->entries, id);
    if (!entry)
        return;
    self->dead -= s_dead_in (entry);
    self->nags_pending -= s_undecided (entry);
    zlistx_delete (s_list_of (self, entry->stage), entry->handle);
    if (entry->handle && entry->stage == STAGE_IDLE)
        crier_dead_shares_remove (self->shares, entry->id, entry->position.size);
    zhashx_delete (self->entries, id);
}

crier_dead_share_t crier_ledger_dead_share (const crier_ledger_t *self, const char *client)
{
    return crier_dead_shares_of (self->shares, client);
}

size_t crier_ledger_drop (crier_ledger_t *self, const char *id, crier_ledger_dropped_fn *fn,
                          void *arg)
{
    if (id) {
        entry_t *entry = zhashx_lookup (self->entries, id);
        if (!entry || entry->stage != STAGE_IDLE)
            return 0;
        fn (entry->id, arg);
        crier_ledger_forget (self, id);
        return 1;
    }
    size_t count = 0;
    for (entry_t *entry = zlistx_first (self->idle); entry; entry = zlistx_first (self->idle)) {
        fn (entry->id, arg);
        crier_ledger_forget (self, entry->id);
        count++;
    }
    return count;
}

size_t crier_ledger_expire (crier_ledger_t *self, int64_t now_ms)
{
    size_t count = 0;
    entry_t *entry = zlistx_first (self->sent);
    while (entry && entry->deadline_ms <= now_ms) {
        entry->attempt++;
        entry->part_only = false;
        s_move (self, entry, STAGE_QUEUED);
        count++;
        entry = zlistx_first (self->sent);
    }
    return count;
}

//  Queues again the sent entries whose mark says (routed or deferred).
static size_t s_expire_marked (crier_ledger_t *self, bool deferred)
{
    //  Collected first: moving an entry changes the list being walked.
    zlistx_t *marked = zlistx_new ();
    for (entry_t *entry = marked ? zlistx_first (self->sent) : NULL; entry;
         entry = zlistx_next (self->sent))
        if (deferred ? entry->deferred : !entry->routed || entry->part_asked)
            zlistx_add_end (marked, entry);
    size_t count = 0;
    for (entry_t *entry = marked ? zlistx_first (marked) : NULL; entry;
         entry = zlistx_next (marked)) {
        entry->attempt++;
        entry->part_only = false;
        s_move (self, entry, STAGE_QUEUED);
        count++;
    }
    zlistx_destroy (&marked);
    return count;
}

size_t crier_ledger_expire_unrouted (crier_ledger_t *self)
{
    return s_expire_marked (self, false);
}

size_t crier_ledger_expire_deferred (crier_ledger_t *self)
{
    return s_expire_marked (self, true);
}

size_t crier_ledger_nags_due (crier_ledger_t *self, int64_t now_ms)
{
    size_t count = 0;
    if (now_ms < self->nags_scan_at)
        return 0;
    int64_t seen_wait_ms = (int64_t)self->options.nag_seen_wait_ms;
    self->nags_scan_at = INT64_MAX;
    entry_t *entry = zlistx_first (self->waiting);
    while (entry) {
        //  The cursor moves on first: taking this entry out leaves it alone.
        entry_t *next = zlistx_next (self->waiting);
        int64_t due_at = crier_nag_rooms_due_at (entry->nag, seen_wait_ms);
        if (due_at <= now_ms) {
            entry->nag_due_ms = now_ms;
            s_move (self, entry, STAGE_QUEUED);
            count++;
        } else if (due_at < self->nags_scan_at)
            self->nags_scan_at = due_at;
        entry = next;
    }
    return count;
}

crier_throttle_windows_t *crier_ledger_throttles (crier_ledger_t *self)
{
    return self->throttles;
}

size_t crier_ledger_nags_pending (const crier_ledger_t *self)
{
    return self->nags_pending;
}

uint64_t crier_ledger_nags_refused (const crier_ledger_t *self)
{
    return self->nags_refused;
}

bool crier_ledger_nag_info (const crier_ledger_t *self, const crier_receipt_t *receipt,
                            crier_ledger_nag_t *nag)
{
    const entry_t *entry = zhashx_lookup (self->entries, receipt->notification_id);
    if (!entry || !entry->nag)
        return false;
    *nag = (crier_ledger_nag_t){0};
    const char *id = receipt->delivery.delivery_id;
    nag->email = crier_nag_rooms_is_email (entry->nag, id, &nag->nag_of, &nag->after_ms);
    return nag->email || crier_nag_rooms_has (entry->nag, id, &nag->after_ms);
}

size_t crier_ledger_backlog (const crier_ledger_t *self)
{
    return zlistx_size (self->queued) + zlistx_size (self->sent) + self->in_journal;
}

size_t crier_ledger_in_flight (const crier_ledger_t *self)
{
    return zlistx_size (self->sent);
}

size_t crier_ledger_routed_pending (const crier_ledger_t *self)
{
    size_t count = 0;
    for (const entry_t *entry = zlistx_first (self->sent); entry; entry = zlistx_next (self->sent))
        count += entry->routed && entry->pending > 0;
    return count;
}

size_t crier_ledger_dead_count (const crier_ledger_t *self)
{
    return self->dead;
}

static void s_list_dead (entry_t *entry, crier_dead_letter_fn *fn, void *arg)
{
    if (entry->unroutable_reason) {
        char groups[CRIER_MAX_GROUPS * (CRIER_MAX_GROUP_BYTES + 1) + 1];
        crier_array_join (groups, sizeof groups, (const char *const *)entry->groups,
                          entry->group_count);
        crier_dead_letter_t letter = {
            entry->id, NULL, NULL, groups, entry->unroutable_reason, entry->unroutable_time_ms};
        fn (&letter, arg);
    }
    for (size_t index = 0; index < entry->count; index++) {
        delivery_t *delivery = &entry->deliveries[index];
        if (delivery->state == DELIVERY_DEAD) {
            crier_dead_letter_t letter = {entry->id,         delivery->delivery_id,
                                          delivery->channel, delivery->target,
                                          delivery->reason,  delivery->time_ms};
            fn (&letter, arg);
        }
    }
}

typedef struct {
    crier_wait_reply_t *reply;
    size_t capacity;
} letters_t;

//  Copies a dead letter into a wait answer, up to CRIER_WAIT_MAX_LETTERS.
static void s_copy_letter (const crier_dead_letter_t *letter, void *arg)
{
    letters_t *letters = arg;
    crier_wait_reply_t *reply = letters->reply;
    if (reply->count == CRIER_WAIT_MAX_LETTERS ||
        crier_array_reserve (&reply->dead_letters, &letters->capacity, reply->count,
                             sizeof *reply->dead_letters, 4) != 0)
        return;
    crier_dead_letter_t *copy = &reply->dead_letters[reply->count];
    *copy = (crier_dead_letter_t){strdup (letter->notification_id),
                                  letter->delivery_id ? strdup (letter->delivery_id) : NULL,
                                  letter->channel ? strdup (letter->channel) : NULL,
                                  strdup (letter->target),
                                  strdup (letter->reason),
                                  letter->time_ms};
    if (copy->notification_id && copy->target && copy->reason &&
        (!letter->delivery_id || copy->delivery_id) && (!letter->channel || copy->channel))
        reply->count++;
    else
        crier_dead_letter_free (copy);
}

void crier_ledger_describe (crier_ledger_t *self, const char *id, int64_t now_ms,
                            crier_wait_reply_t *reply)
{
    entry_t *entry = zhashx_lookup (self->entries, id);
    if (!entry) {
        uint64_t count = 0;
        bool done = crier_recent_get (self->finished, id, now_ms, &count);
        //  Not in memory but accepted, while others wait in the journal only: one of them.
        bool waiting = !done && self->in_journal > 0 && crier_recent_has (self->seen, id, now_ms);
        reply->state = done      ? CRIER_WAIT_DELIVERED
                       : waiting ? CRIER_WAIT_PENDING
                                 : CRIER_WAIT_UNKNOWN;
        reply->routed = done;
        reply->deliveries = reply->delivered = count;
        return;
    }
    reply->routed = entry->routed;
    reply->deliveries = entry->count + entry->forgotten;
    reply->delivered = entry->forgotten;
    for (size_t index = 0; index < entry->count; index++)
        reply->delivered += entry->deliveries[index].state == DELIVERY_DONE;
    //  Idle: only its dead letters keep it. Waiting: every delivery is done, only a nag is not.
    reply->state = entry->stage == STAGE_IDLE ? CRIER_WAIT_FAILED : CRIER_WAIT_PENDING;
    if (entry->stage == STAGE_WAITING)
        reply->state = s_dead_in (entry) > 0 ? CRIER_WAIT_FAILED : CRIER_WAIT_DELIVERED;
    letters_t letters = {reply, 0};
    if (reply->state == CRIER_WAIT_FAILED)
        s_list_dead (entry, s_copy_letter, &letters);
}

void crier_ledger_dead_letters (crier_ledger_t *self, crier_dead_letter_fn *fn, void *arg)
{
    //  Notifications still being worked on can hold dead letters too.
    zlistx_t *lists[] = {self->idle, self->waiting, self->sent, self->queued};
    for (size_t list = 0; list < 4; list++)
        for (entry_t *entry = zlistx_first (lists[list]); entry; entry = zlistx_next (lists[list]))
            s_list_dead (entry, fn, arg);
}

//  Retries an entry's dead letters (one, or all when delivery_id is NULL). Returns how many.
static size_t s_retry_entry (crier_ledger_t *self, entry_t *entry, const char *delivery_id)
{
    size_t count = 0;
    for (size_t index = 0; index < entry->count; index++) {
        delivery_t *delivery = &entry->deliveries[index];
        if (delivery->state == DELIVERY_DEAD &&
            (!delivery_id || strcmp (delivery_id, delivery->delivery_id) == 0)) {
            delivery->state = DELIVERY_PENDING;
            entry->pending++;
            free (delivery->reason);
            delivery->reason = NULL;
            count++;
        }
    }
    if (entry->unroutable_reason && !delivery_id) {
        free (entry->unroutable_reason);
        entry->unroutable_reason = NULL;
        entry->groups_retry = true;
        count++;
    }
    self->dead -= count;
    if (count > 0) {
        entry->attempt++;
        if (entry->stage != STAGE_QUEUED)
            s_move (self, entry, STAGE_QUEUED);
    }
    return count;
}

size_t crier_ledger_retry (crier_ledger_t *self, const char *id)
{
    entry_t *owner = id ? zhashx_lookup (self->entries, id) : NULL;
    if (owner)
        return s_retry_entry (self, owner, NULL);
    //  Not a notification: every dead letter, or the delivery of that id.
    const char *delivery_id = id;
    size_t count = 0;
    zlistx_t *lists[] = {self->idle, self->waiting, self->sent, self->queued};
    for (size_t list = 0; list < 4; list++) {
        //  Retrying moves entries to the queue: walk a copy of the list.
        zlistx_t *copy = zlistx_dup (lists[list]);
        for (entry_t *entry = zlistx_first (copy); entry; entry = zlistx_next (copy))
            if (!delivery_id || s_find (entry, delivery_id))
                count += s_retry_entry (self, entry, delivery_id);
        zlistx_destroy (&copy);
    }
    return count;
}

//  Describes one entry as the records that rebuild it, and hands that to fn.
static int s_describe (entry_t *entry, crier_ledger_live_fn *fn, void *arg)
{
    crier_receipt_delivery_t *rows = calloc (entry->count + 1, sizeof *rows);
    size_t row_count = 0;
    crier_receipt_t *outcomes = calloc (entry->count + 1, sizeof *outcomes);
    if (!rows || !outcomes) {
        free (rows);
        free (outcomes);
        return -1;
    }
    crier_ledger_live_t live = {.id = entry->id,
                                .client_id = entry->client_id,
                                .position = entry->position,
                                .groups_retry = entry->groups_retry,
                                .outcomes = outcomes};
    //  The nag emails come with the nags' own receipts (nag.routed), not in the routed one.
    if (entry->nag && crier_nag_rooms_describe (entry->nag, entry->id, &live.nag_receipts,
                                                &live.nag_count) != 0) {
        free (rows);
        free (outcomes);
        return -1;
    }
    for (size_t index = 0; index < entry->count; index++) {
        const delivery_t *delivery = &entry->deliveries[index];
        crier_receipt_delivery_t row = {.channel = delivery->channel, .target = delivery->target};
        memcpy (row.delivery_id, delivery->delivery_id, CRIER_DIGEST_BYTES);
        if (!entry->nag ||
            !crier_nag_rooms_is_email (entry->nag, delivery->delivery_id, NULL, NULL))
            rows[row_count++] = row;
        if (delivery->state != DELIVERY_PENDING)
            outcomes[live.outcome_count++] =
                (crier_receipt_t){.kind = delivery->state == DELIVERY_DONE ? CRIER_RECEIPT_DELIVERED
                                                                           : CRIER_RECEIPT_FAILED,
                                  .notification_id = entry->id,
                                  .delivery = row,
                                  .reason = delivery->reason,
                                  .time_ms = delivery->time_ms};
    }
    //  The routed receipt names the nags again, with how long each may stay unread.
    crier_receipt_nag_t *nags = calloc (entry->count + 1, sizeof *nags);
    if (!nags) {
        free (rows);
        free (outcomes);
        return -1;
    }
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = entry->id,
                              .deliveries = rows,
                              .delivery_count = row_count,
                              .nags = nags,
                              .parts = entry->parts,
                              .part = entry->part_routed,
                              .part_size = entry->part_size,
                              .groups = entry->part_groups,
                              .group_count = entry->part_group_count,
                              .forgotten = entry->forgotten};
    for (size_t index = 0; entry->nag && index < entry->count; index++) {
        int64_t after_ms;
        if (crier_nag_rooms_has (entry->nag, entry->deliveries[index].delivery_id, &after_ms)) {
            memcpy (nags[routed.nag_count].delivery_id, entry->deliveries[index].delivery_id,
                    CRIER_DIGEST_BYTES);
            nags[routed.nag_count++].after_ms = after_ms;
        }
    }
    crier_receipt_t unroutable = {.kind = CRIER_RECEIPT_UNROUTABLE,
                                  .notification_id = entry->id,
                                  .reason = entry->unroutable_reason ? entry->unroutable_reason
                                                                     : "retried",
                                  .time_ms = entry->unroutable_time_ms,
                                  .groups = entry->groups,
                                  .group_count = entry->group_count};
    if (entry->routed)
        live.routed = &routed;
    if (entry->unroutable_reason || entry->groups_retry)
        live.unroutable = &unroutable;
    int rc = fn (&live, &entry->new_position, arg);
    free (rows);
    free (outcomes);
    free (nags);
    return rc;
}

int crier_ledger_each_live (crier_ledger_t *self, crier_ledger_live_fn *fn, void *arg)
{
    int rc = 0;
    zlistx_t *lists[] = {self->idle, self->waiting, self->sent, self->queued};
    for (size_t list = 0; list < 4; list++)
        for (entry_t *entry = zlistx_first (lists[list]); rc == 0 && entry;
             entry = zlistx_next (lists[list]))
            rc = s_describe (entry, fn, arg);
    return rc;
}

void crier_ledger_each_seen (crier_ledger_t *self, int64_t now_ms, crier_ledger_seen_fn *fn,
                             void *arg)
{
    crier_recent_each (self->seen, now_ms, fn, arg);
}

void crier_ledger_rewritten (crier_ledger_t *self, size_t in_journal, uint64_t cursor)
{
    //  What the copy found is the truth (a damaged record, logged, is no longer counted).
    self->in_journal = in_journal;
    self->cursor = cursor;
    for (entry_t *entry = zhashx_first (self->entries); entry; entry = zhashx_next (self->entries))
        entry->position = entry->new_position;
}

/*  matrix_watch.c - see matrix_watch.h. */
#include "matrix_watch.h"
#include "e2ee_device.h"
#include "e2ee_inbox.h"
#include "e2ee_rooms.h"
#include "e2ee_verification.h"
#include "matrix_client.h"
#include "read_watch.h"
#include "watch_config.h"
#include "watch_state.h"

#include "crier/backoff.h"
#include "crier/event.h"
#include "crier/json_frame.h"
#include "crier/log.h"
#include "crier/process.h"
#include "crier/socket.h"
#include "crier/transfers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  What the bot's /sync needs: membership, timelines and receipts; nothing of presence or
//  account data. A timeline of at most 50 events per room and answer: more is a gap.
#define SYNC_FILTER                                                                                \
    "{\"presence\": {\"not_types\": [\"*\"]}, \"account_data\": {\"not_types\": [\"*\"]},"         \
    " \"room\": {\"timeline\": {\"limit\": 50},"                                                   \
    " \"state\": {\"types\": [\"m.room.member\", \"m.room.encryption\"]},"                         \
    " \"ephemeral\": {\"types\": [\"m.receipt\"]}, \"account_data\": {\"not_types\": [\"*\"]}}}"
#define RETRY_BASE_MS 1000
#define RETRY_CAP_MS  30000

typedef struct {
    const crier_watch_config_t *config;
    zloop_t *loop;
    zsock_t *events;
    crier_heartbeat_t *heartbeat;
    crier_transfers_t *http;
    crier_matrix_client_t *client;
    crier_read_watch_t *watch;
    crier_watch_state_t *state;              //  the state folder: position, messages followed
    crier_e2ee_device_t *device;             //  the E2EE device, when CRIER_MATRIX_STATE_KEY is set
    crier_e2ee_rooms_t *rooms;               //  encrypting for the senders (with the device)
    crier_e2ee_verification_t *verification; //  answering people who verify the device
    crier_e2ee_inbox_t *inbox; //  what the device receives: room keys, messages they open
    zsock_t *e2ee;             //  ROUTER: the senders' encryption requests
    crier_handshake_watch_t *links_watch; //  logs a refusal by the event bus
    char *bot;                            //  the bot's user id
    char *since;                          //  the position to sync from; NULL: from the start
    unsigned failures;                    //  in a row
    int timer;                            //  -1, or the timer of the next try
    uint64_t syncs;                       //  answers applied
    uint64_t reads;                       //  delivery.read said
    size_t asking;                        //  joined_members requests running before the first /sync
    zlistx_t *askings;  //  their asking_t, owned here (a cancelled request never calls back)
    bool from_position; //  the /sync in flight asked from a position (since)
    json_t *held;       //  a /sync answer waiting for its gaps to be filled, or NULL
    json_t *gaps;       //  room -> the events of its gap found so far, newest first
    size_t filling;     //  rooms whose gap is being paged
    bool stopping;
} server_t;

static void s_sync (server_t *self);
static void s_whoami (server_t *self);
static void s_start_following (server_t *self);
static void s_apply (server_t *self, const json_t *body);
static void s_on_decrypted (const char *room, const char *sender, const char *event_id,
                            const json_t *event, void *arg);
static bool s_fill_gaps (server_t *self, const json_t *body);

static void s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static void s_keep_followed (const crier_read_report_t *message, int64_t seen_at_ms, void *arg)
{
    crier_watch_state_follow (arg, message, seen_at_ms);
}

static void s_rewrite_followed (crier_watch_state_t *state, void *arg)
{
    crier_read_watch_each (arg, s_keep_followed, state);
}

//  Keeps the position, after the messages it showed (the file of those written anew once it
//  holds more than twice what is followed).
static void s_save_since (server_t *self)
{
    crier_watch_state_save (self->state, self->since);
    if (self->watch &&
        crier_watch_state_wants_rewrite (self->state, crier_read_watch_tracked (self->watch)))
        crier_watch_state_rewrite (self->state, s_rewrite_followed, self->watch);
}

//  An event about one of crier's messages: which, where, and when it was sent (when known).
static crier_event_t *s_message_event (const char *type, const crier_read_report_t *message)
{
    crier_event_t *event = crier_event_new (type);
    if (!event)
        return NULL;
    crier_event_add_text (event, "notification_id", message->notification_id);
    crier_event_add_text (event, "delivery_id", message->delivery_id);
    crier_event_add_text (event, "room_id", message->room_id);
    crier_event_add_text (event, "event_id", message->event_id);
    if (message->sent_at_ms > 0)
        crier_event_add_int (event, "sent_at", message->sent_at_ms);
    return event;
}

//  delivery.read, said for the first time or again.
static void s_publish_read (const crier_read_report_t *report, void *arg)
{
    server_t *self = arg;
    crier_event_t *event = s_message_event ("delivery.read", report);
    if (!event)
        return;
    crier_event_add_text (event, "reader", report->reader);
    if (report->sent_at_ms > 0) {
        int64_t after = zclock_time () - report->sent_at_ms;
        crier_event_add_int (event, "after_s", after > 0 ? after / 1000 : 0);
    }
    crier_event_send (&event, self->events);
}

static void s_on_read (const crier_read_report_t *report, void *arg)
{
    server_t *self = arg;
    s_publish_read (report, self);
    crier_watch_state_follow (self->state, report, 0);
    self->reads++;
    crier_log (CRIER_LOG_DEBUG, "delivery.read", "id", report->notification_id, "room",
               report->room_id, "reader", report->reader);
}

//  delivery.seen, said for the first time or again.
static void s_publish_seen (const crier_read_report_t *message, char *const *members,
                            size_t member_count, void *arg)
{
    server_t *self = arg;
    crier_event_t *event = s_message_event ("delivery.seen", message);
    if (!event)
        return;
    crier_event_add_texts (event, "members", members, member_count);
    crier_event_send (&event, self->events);
}

//  A message of crier's followed from now on: said, and kept with the next position.
static void s_on_seen (const crier_read_report_t *message, char *const *members,
                       size_t member_count, void *arg)
{
    server_t *self = arg;
    s_publish_seen (message, members, member_count, self);
    crier_watch_state_follow (self->state, message, zclock_time ());
}

static int s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    server_t *self = arg;
    self->timer = -1;
    if (!self->watch)
        s_whoami (self);
    else if (self->syncs == 0 && self->since)
        s_start_following (self);
    else
        s_sync (self);
    return 0;
}

//  Tries again later: after delay_ms, or the backoff of the failures so far.
static void s_retry (server_t *self, const crier_matrix_answer_t *answer, const char *hint)
{
    self->failures++;
    if (!answer) {
        static const crier_matrix_answer_t none = {.outcome = CRIER_MATRIX_RETRYABLE,
                                                   .reason = "see the hint"};
        answer = &none;
    }
    uint64_t wait = answer->outcome == CRIER_MATRIX_RATE_LIMITED
                        ? answer->delay_ms
                        : crier_backoff_ms (self->failures, RETRY_BASE_MS, RETRY_CAP_MS);
    //  One line when a run of failures starts, then one a minute at most (at the cap).
    if (self->failures == 1 || self->failures % 3 == 0)
        crier_log (CRIER_LOG_WARN, "watch.sync_failed", "homeserver",
                   self->config->display_homeserver, "reason", answer->reason, "failures",
                   CRIER_LOG_INT (self->failures), "retry_in_ms", CRIER_LOG_INT (wait), "hint",
                   hint);
    self->timer = zloop_timer (self->loop, (size_t)wait, 1, s_on_retry, self);
}

static void s_on_sync (const crier_matrix_answer_t *answer, void *arg)
{
    server_t *self = arg;
    if (self->stopping)
        return;
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (self, answer,
                 answer->truncated
                     ? "a /sync answer is larger than CRIER_MATRIX_SYNC_MAX_BYTES: raise it"
                 : answer->outcome == CRIER_MATRIX_UNAUTHORIZED
                     ? "check CRIER_MATRIX_ACCESS_TOKEN (docs/matrix.md)"
                     : "check the homeserver's health; reads are said once it answers");
        return;
    }
    //  A gap means something: only after a position (the first answer is the present state).
    if (self->from_position && s_fill_gaps (self, answer->body))
        return; //  applied once the gaps are filled
    s_apply (self, answer->body);
}

//  Applies a /sync answer, keeps its position and asks for the next one.
static void s_apply (server_t *self, const json_t *body)
{
    crier_sync_summary_t summary;
    if (crier_read_watch_apply (self->watch, body, zclock_time (), s_on_seen, s_on_read, self,
                                &summary) != 0) {
        s_retry (self, NULL, "out of memory");
        return;
    }
    if (summary.skipped > 0)
        crier_log (CRIER_LOG_WARN, "watch.sync_parts_skipped", "count",
                   CRIER_LOG_INT (summary.skipped), "first", summary.problem, "hint",
                   "the homeserver answered parts crier cannot read; the rest was applied");
    if (self->device)
        crier_e2ee_device_on_sync (self->device, body);
    if (self->rooms)
        crier_e2ee_rooms_on_sync (self->rooms, body);
    if (self->verification && crier_e2ee_device_ready (self->device))
        crier_e2ee_verification_on_sync (self->verification, body);
    if (self->inbox)
        crier_e2ee_inbox_on_sync (self->inbox, body, s_on_decrypted, self);
    if (!summary.next_batch) {
        s_retry (self, NULL, "the homeserver's /sync answer has no next_batch");
        return;
    }
    if (self->syncs++ == 0)
        crier_log (CRIER_LOG_INFO, "watch.synced", "homeserver", self->config->display_homeserver,
                   "from", self->since ? "the kept position" : "the start", "tracked",
                   CRIER_LOG_INT (crier_read_watch_tracked (self->watch)));
    if (self->failures > 0)
        crier_log (CRIER_LOG_INFO, "watch.sync_recovered", "failures",
                   CRIER_LOG_INT (self->failures));
    self->failures = 0;
    //  Kept once what it said is published: a crash re-reads the same answer, never skips it.
    if (!self->since || strcmp (self->since, summary.next_batch) != 0) {
        char *since = strdup (summary.next_batch);
        if (since) {
            free (self->since);
            self->since = since;
            s_save_since (self);
        }
    }
    s_sync (self);
}

//  A gap: a room's timeline came limited, so events between the last one seen and the first
//  one given are missing; receipts on them could not be placed (docs/nag.md). They are paged
//  back with /messages from prev_batch until an event seen before, at most GAP_PAGES pages.
#define GAP_PAGES      10
#define GAP_PAGE_LIMIT 100

typedef struct {
    server_t *server;
    char room[256];
    unsigned pages;
    void *handle; //  in server->askings
} gap_t;

static void s_request_page (gap_t *gap, const char *from);

//  One room's gap is as filled as it gets: once all are, the gaps go first, then the answer.
static void s_gap_done (server_t *self, gap_t *gap)
{
    zlistx_delete (self->askings, gap->handle);
    if (--self->filling > 0)
        return;
    json_t *join = json_object ();
    const char *room;
    json_t *events;
    json_object_foreach (self->gaps, room, events)
    {
        //  Newest first as paged: the timeline wants them oldest first.
        json_t *ordered = json_array ();
        for (size_t index = json_array_size (events); index > 0; index--)
            json_array_append (ordered, json_array_get (events, index - 1));
        json_object_set_new (join, room, json_pack ("{s:{s:o}}", "timeline", "events", ordered));
    }
    json_t *filled = json_pack ("{s:s, s:{s:o}}", "next_batch", "", "rooms", "join", join);
    crier_sync_summary_t summary;
    if (filled)
        crier_read_watch_apply (self->watch, filled, zclock_time (), s_on_seen, s_on_read, self,
                                &summary);
    json_decref (filled);
    json_decref (self->gaps);
    self->gaps = NULL;
    json_t *held = self->held;
    self->held = NULL;
    s_apply (self, held);
    json_decref (held);
}

static void s_on_page (const crier_matrix_answer_t *answer, void *arg)
{
    gap_t *gap = arg;
    server_t *self = gap->server;
    if (answer->outcome != CRIER_MATRIX_OK) {
        crier_log (CRIER_LOG_WARN, "watch.gap_unfilled", "room", gap->room, "reason",
                   answer->reason, "hint",
                   "receipts on the events missed there cannot be placed; reads of crier's "
                   "messages before it may go unsaid");
        s_gap_done (self, gap);
        return;
    }
    json_t *found = json_object_get (self->gaps, gap->room);
    const json_t *chunk = json_object_get (answer->body, "chunk");
    size_t index;
    const json_t *event;
    json_array_foreach (chunk, index, event)
    {
        const char *id = json_string_value (json_object_get (event, "event_id"));
        if (!id || crier_read_watch_knows (self->watch, gap->room, id)) {
            s_gap_done (self, gap); //  back where it had been: the gap is whole
            return;
        }
        json_array_append (found, (json_t *)event);
    }
    const char *end = json_string_value (json_object_get (answer->body, "end"));
    if (!end || json_array_size (chunk) == 0 || ++gap->pages >= GAP_PAGES) {
        if (end && json_array_size (chunk) > 0)
            crier_log (CRIER_LOG_WARN, "watch.gap_too_long", "room", gap->room, "events",
                       CRIER_LOG_INT (json_array_size (found)), "hint",
                       "more was missed than is paged back; older receipts there stay unplaced");
        s_gap_done (self, gap);
        return;
    }
    s_request_page (gap, end);
}

static void s_request_page (gap_t *gap, const char *from)
{
    server_t *self = gap->server;
    char path[2048], limit[16], reason[256];
    snprintf (limit, sizeof limit, "%d", GAP_PAGE_LIMIT);
    if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/", gap->room,
                           "/messages?dir=b&limit=", limit, "&from=", from, (char *)NULL) != 0 ||
        crier_matrix_client_request (self->client, "GET", path, NULL, s_on_page, gap, reason,
                                     sizeof reason) != 0) {
        crier_log (CRIER_LOG_WARN, "watch.gap_unfilled", "room", gap->room, "reason",
                   path[0] ? reason : "the token makes a path too long");
        s_gap_done (self, gap);
    }
}

//  Starts filling the gaps of an answer's limited timelines. Returns true when the answer is
//  held until they are filled (then applied), false when it has none to fill.
static bool s_fill_gaps (server_t *self, const json_t *body)
{
    const json_t *join = json_object_get (json_object_get (body, "rooms"), "join");
    gap_t **gaps = calloc (json_object_size (join) + 1, sizeof *gaps);
    self->gaps = gaps ? json_object () : NULL;
    if (!self->gaps) {
        free (gaps);
        return false; //  out of memory: applied as it is, gaps left unfilled
    }
    size_t count = 0;
    const char *room;
    const json_t *joined;
    json_object_foreach ((json_t *)join, room, joined)
    {
        const json_t *timeline = json_object_get (joined, "timeline");
        const char *from = json_string_value (json_object_get (timeline, "prev_batch"));
        gap_t *gap = json_is_true (json_object_get (timeline, "limited")) && from &&
                             strlen (room) < sizeof gap->room
                         ? calloc (1, sizeof *gap)
                         : NULL;
        if (!gap)
            continue;
        gap->server = self;
        snprintf (gap->room, sizeof gap->room, "%s", room);
        gap->handle = zlistx_add_end (self->askings, gap);
        if (!gap->handle) {
            free (gap);
            continue;
        }
        json_object_set_new (self->gaps, room, json_array ());
        gaps[count++] = gap;
    }
    self->filling = count;
    if (count == 0) {
        free (gaps);
        json_decref (self->gaps);
        self->gaps = NULL;
        return false;
    }
    self->held = json_incref ((json_t *)body);
    //  Started only once all are counted: a page failing at once must not apply early.
    for (size_t index = 0; index < count; index++) {
        const json_t *timeline =
            json_object_get (json_object_get (join, gaps[index]->room), "timeline");
        s_request_page (gaps[index], json_string_value (json_object_get (timeline, "prev_batch")));
    }
    free (gaps);
    return true;
}

static void s_sync (server_t *self)
{
    char timeout[24], path[4096], reason[256];
    snprintf (timeout, sizeof timeout, "%llu", (unsigned long long)self->config->sync_timeout_ms);
    self->from_position = self->since != NULL;
    if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/sync?timeout=", timeout,
                           "&filter=", SYNC_FILTER, self->since ? "&since=" : "",
                           self->since ? self->since : "", (char *)NULL) != 0 ||
        crier_matrix_client_request (self->client, "GET", path, NULL, s_on_sync, self, reason,
                                     sizeof reason) != 0) {
        crier_matrix_answer_t failed = {.outcome = CRIER_MATRIX_RETRYABLE};
        snprintf (failed.reason, sizeof failed.reason, "%s",
                  path[0] ? reason : "the sync position makes a path too long");
        s_retry (self, &failed, "see the reason");
    }
}

typedef struct {
    server_t *server;
    char room[256];
    void *handle; //  in server->askings
} asking_t;

static void s_asked (server_t *self)
{
    if (self->asking > 0 && --self->asking == 0)
        s_sync (self);
}

//  One room's joined members, learnt before following from a kept position.
static void s_on_members (const crier_matrix_answer_t *answer, void *arg)
{
    asking_t *asking = arg;
    server_t *self = asking->server;
    const char *user;
    const json_t *member;
    json_object_foreach (json_object_get (answer->body, "joined"), user, member)
    {
        crier_read_watch_member (self->watch, asking->room, user);
    }
    if (answer->outcome != CRIER_MATRIX_OK)
        crier_log (CRIER_LOG_WARN, "watch.members_unknown", "room", asking->room, "reason",
                   answer->reason, "hint",
                   "this room's members are learnt as they change; until then its reads may go "
                   "unsaid");
    zlistx_delete (self->askings, asking->handle);
    s_asked (self);
}

static void s_on_rooms (const crier_matrix_answer_t *answer, void *arg)
{
    server_t *self = arg;
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (self, answer, "joined_rooms failed: check the homeserver");
        return;
    }
    const json_t *rooms = json_object_get (answer->body, "joined_rooms");
    size_t index;
    const json_t *room;
    self->asking = 1; //  held until every request is started
    json_array_foreach (rooms, index, room)
    {
        const char *id = json_string_value (room);
        asking_t *asking = id ? calloc (1, sizeof *asking) : NULL;
        char path[512], reason[256];
        if (!asking || strlen (id) >= sizeof asking->room)
            continue;
        asking->server = self;
        snprintf (asking->room, sizeof asking->room, "%s", id);
        asking->handle = zlistx_add_end (self->askings, asking);
        if (!asking->handle)
            free (asking);
        else if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/", id,
                                    "/joined_members", (char *)NULL) == 0 &&
                 crier_matrix_client_request (self->client, "GET", path, NULL, s_on_members, asking,
                                              reason, sizeof reason) == 0)
            self->asking++;
        else
            zlistx_delete (self->askings, asking->handle);
    }
    s_asked (self);
}

//  Follows /sync: at once from the start, or, from a kept position, once the members of the
//  bot's rooms are known.
static void s_start_following (server_t *self)
{
    char reason[256];
    if (!self->since)
        s_sync (self);
    else if (crier_matrix_client_request (self->client, "GET", "/_matrix/client/v3/joined_rooms",
                                          NULL, s_on_rooms, self, reason, sizeof reason) != 0) {
        crier_matrix_answer_t failed = {.outcome = CRIER_MATRIX_RETRYABLE};
        snprintf (failed.reason, sizeof failed.reason, "%s", reason);
        s_retry (self, &failed, "see the reason");
    }
}

static void s_on_restored (const crier_read_report_t *message, int64_t seen_at_ms, void *arg)
{
    server_t *self = arg;
    if (crier_read_watch_restore (self->watch, message, seen_at_ms) != 0)
        crier_log (CRIER_LOG_ERROR, "watch.restore_failed", "id", message->notification_id,
                   "reason", "out of memory", "hint", "reads of this message are not said");
}

//  whoami: the bot's user id, when CRIER_MATRIX_USER_ID does not say it.
static void s_on_whoami (const crier_matrix_answer_t *answer, void *arg)
{
    server_t *self = arg;
    const char *user = json_string_value (json_object_get (answer->body, "user_id"));
    if (answer->outcome != CRIER_MATRIX_OK || !user) {
        //  Nothing can be followed without knowing which messages are the bot's: try again.
        s_retry (self, answer,
                 answer->outcome == CRIER_MATRIX_UNAUTHORIZED
                     ? "check CRIER_MATRIX_ACCESS_TOKEN (docs/matrix.md)"
                     : "whoami failed: check the homeserver, or set CRIER_MATRIX_USER_ID");
        return;
    }
    const char *device = json_string_value (json_object_get (answer->body, "device_id"));
    if (self->config->user_id && strcmp (user, self->config->user_id) != 0)
        crier_log (CRIER_LOG_WARN, "watch.user_mismatch", "token", user, "setting",
                   self->config->user_id, "hint",
                   "CRIER_MATRIX_USER_ID is not the access token's user: the token's is used");
    if (self->device && !self->bot) {
        //  The device is the access token's (whoami says which, Matrix 1.1 and later).
        if (!device) {
            s_retry (self, NULL,
                     "the homeserver's whoami gives no device_id (Matrix 1.1): end-to-end "
                     "encryption needs it");
            return;
        }
        if (crier_e2ee_device_publish (self->device, user, device) != 0) {
            s_retry (self, NULL, "the E2EE device could not be made or kept");
            return;
        }
    }
    self->bot = strdup (user);
    self->watch = self->bot ? crier_read_watch_new (self->bot, self->config->max_tracked,
                                                    (int64_t)self->config->keep_ms)
                            : NULL;
    if (!self->watch) {
        s_retry (self, NULL, "out of memory");
        return;
    }
    //  What an earlier run followed is followed again, before any /sync answer.
    size_t restored = crier_watch_state_followed (
        self->state, zclock_time (), (int64_t)self->config->keep_ms, s_on_restored, self);
    if (restored > 0)
        crier_log (CRIER_LOG_INFO, "watch.restored", "messages", CRIER_LOG_INT (restored));
    self->failures = 0;
    s_start_following (self);
}

static void s_whoami (server_t *self)
{
    char reason[256];
    if (crier_matrix_client_request (self->client, "GET", "/_matrix/client/v3/account/whoami", NULL,
                                     s_on_whoami, self, reason, sizeof reason) != 0) {
        crier_matrix_answer_t failed = {.outcome = CRIER_MATRIX_RETRYABLE};
        snprintf (failed.reason, sizeof failed.reason, "%s", reason);
        s_retry (self, &failed, "see the reason");
    }
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_text (event, "homeserver", self->config->display_homeserver);
    crier_event_add_text (event, "sync",
                          self->failures ? "retrying"
                          : self->syncs  ? "following"
                                         : "starting");
    crier_event_add_int (event, "tracked",
                         self->watch ? (int64_t)crier_read_watch_tracked (self->watch) : 0);
    crier_event_add_int (event, "reads", (int64_t)self->reads);
}

//  A subscription reaching this process: one to delivery.seen itself is crier-ingest (re)joining
//  the bus, which missed what was said while it was away: everything followed is said again
//  (ingest ignores what it knew).
static void s_on_subscription (const char *topic, size_t size, void *arg)
{
    server_t *self = arg;
    static const char wanted[] = "delivery.seen";
    if (!self->watch || size != sizeof wanted - 1 || memcmp (topic, wanted, size) != 0)
        return;
    size_t messages = crier_read_watch_replay (self->watch, s_publish_seen, s_publish_read, self);
    if (messages > 0)
        crier_log (CRIER_LOG_INFO, "watch.replayed", "messages", CRIER_LOG_INT (messages), "why",
                   "a subscriber of delivery.seen joined the event bus (crier-ingest restarted?)");
}

//  The routing id the watcher's own encryption requests go under (ZeroMQ's start with a zero
//  byte and are five bytes long: this one cannot be a sender's).
static const char s_self_peer[] = "crier-matrix-watch";

//  The verification module asks to encrypt a room event of its own.
static void s_encrypt_for_self (const json_t *request, void *arg)
{
    server_t *self = arg;
    crier_e2ee_rooms_request (self->rooms, s_self_peer, sizeof s_self_peer - 1, request);
}

//  A room message the inbox decrypted: a verification request or step, maybe.
static void s_on_decrypted (const char *room, const char *sender, const char *event_id,
                            const json_t *event, void *arg)
{
    server_t *self = arg;
    if (self->verification)
        crier_e2ee_verification_on_room_event (self->verification, room, sender, event_id, event);
}

//  An answer to a sender's encryption request: [its routing id][the answer as msgpack].
static void s_e2ee_reply (const void *peer, size_t peer_size, json_t *reply, void *arg)
{
    server_t *self = arg;
    if (peer_size == sizeof s_self_peer - 1 && memcmp (peer, s_self_peer, peer_size) == 0) {
        if (self->verification)
            crier_e2ee_verification_on_encrypted (self->verification, reply);
        return;
    }
    char *data = NULL;
    size_t size = 0;
    if (crier_json_frame (reply, &data, &size) == 0 &&
        (crier_socket_send (self->e2ee, peer, peer_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 0 ||
         crier_socket_send (self->e2ee, data, size, ZMQ_DONTWAIT) != 0))
        crier_log (CRIER_LOG_WARN, "e2ee.reply_dropped", "reason", zmq_strerror (errno), "hint",
                   "the sender asks again when its request times out");
    free (data);
}

//  A sender's encryption request: [routing id][msgpack map].
static int s_on_e2ee_request (zloop_t *loop, zsock_t *socket, void *arg)
{
    server_t *self = arg;
    zmsg_t *message = zmsg_recv (socket);
    zframe_t *peer = message ? zmsg_pop (message) : NULL;
    zframe_t *body = message ? zmsg_pop (message) : NULL;
    json_t *request = body ? crier_json_frame_read (zframe_data (body), zframe_size (body)) : NULL;
    if (request && peer)
        crier_e2ee_rooms_request (self->rooms, zframe_data (peer), zframe_size (peer), request);
    else
        crier_log (CRIER_LOG_WARN, "frame.invalid", "from", "a Matrix sender", "error",
                   "an encryption request that is not a msgpack map", "hint",
                   "run the same crier version in every process");
    json_decref (request);
    zframe_destroy (&peer);
    zframe_destroy (&body);
    zmsg_destroy (&message);
    return 0;
}

//  The E2EE device and, for the senders, encryption (with CRIER_MATRIX_STATE_KEY). 0 or -1.
static int s_start_e2ee (server_t *self)
{
    const crier_watch_config_t *config = self->config;
    crier_e2ee_device_options_t device = {.loop = self->loop,
                                          .client = self->client,
                                          .events = self->events,
                                          .dir = config->state_dir,
                                          .key = config->state_key};
    if (!(self->device = crier_e2ee_device_open (&device)))
        return -1;
    crier_e2ee_rooms_options_t rooms = {.loop = self->loop,
                                        .client = self->client,
                                        .events = self->events,
                                        .dir = config->state_dir,
                                        .key = config->state_key,
                                        .device = self->device,
                                        .reply = s_e2ee_reply,
                                        .arg = self};
    self->rooms = crier_e2ee_rooms_new (&rooms);
    crier_e2ee_verification_options_t verification = {.client = self->client,
                                                      .events = self->events,
                                                      .device = self->device,
                                                      .encrypt = s_encrypt_for_self,
                                                      .arg = self};
    self->verification = crier_e2ee_verification_new (&verification);
    crier_e2ee_inbox_options_t inbox = {
        .dir = config->state_dir, .key = config->state_key, .device = self->device};
    self->inbox = crier_e2ee_inbox_new (&inbox);
    if (!self->verification || !self->inbox)
        return -1;
    self->e2ee = self->rooms ? crier_socket_open (ZMQ_ROUTER, CRIER_BIND, config->e2ee_endpoint,
                                                  &config->links,
                                                  "encryption requests from the Matrix senders")
                             : NULL;
    if (!self->e2ee || zloop_reader (self->loop, self->e2ee, s_on_e2ee_request, self) != 0)
        return -1;
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    const crier_watch_config_t *config = self->config;
    self->state = crier_watch_state_open (config->state_dir);
    if (!self->state)
        return NULL;
    if (crier_watch_state_since (self->state) &&
        !(self->since = strdup (crier_watch_state_since (self->state))))
        return NULL;
    self->askings = zlistx_new ();
    if (!self->askings)
        return NULL;
    zlistx_set_destructor (self->askings, s_free_item);
    self->links_watch = crier_handshake_watch_new (self->loop, "link.handshake_failed");
    self->events =
        self->links_watch
            ? crier_socket_connect_watched (ZMQ_XPUB, config->events_publish_endpoint,
                                            &config->links, NULL, "event bus", self->links_watch)
            : NULL;
    if (!self->events)
        return NULL;
    zsock_set_linger (self->events, 2000);
    self->heartbeat = crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    self->http = crier_transfers_new (self->loop);
    //  A long poll's time plus the usual margin for the answer to come.
    self->client =
        self->http ? crier_matrix_client_new (self->http, config->homeserver, config->access_token,
                                              config->sync_timeout_ms + 30000)
                   : NULL;
    if (!self->heartbeat || crier_heartbeat_answer_requests (self->heartbeat) != 0 || !self->client)
        return NULL;
    crier_heartbeat_on_subscription (self->heartbeat, s_on_subscription, self);
    if (crier_matrix_client_ca_file (self->client, config->ca_file) != 0)
        return NULL;
    crier_matrix_client_limit (self->client, (size_t)config->max_answer_bytes);
    if (config->state_key && s_start_e2ee (self) != 0)
        return NULL;
    //  The E2EE device needs whoami's device id, even with the user given.
    if (config->user_id && !self->device) {
        crier_matrix_answer_t known = {.outcome = CRIER_MATRIX_OK};
        known.body = json_pack ("{s:s}", "user_id", config->user_id);
        s_on_whoami (&known, self);
        json_decref (known.body);
    } else
        s_whoami (self);
    crier_log (CRIER_LOG_INFO, "watch.ready", "homeserver", config->display_homeserver, "state",
               config->state_dir, "since", self->since ? "kept" : "none", "e2ee",
               self->device ? "on" : "off (no CRIER_MATRIX_STATE_KEY)", "events",
               config->events_publish_endpoint, "security", crier_links_security (&config->links));
    return strdup (config->display_homeserver);
}

void crier_matrix_watch (zsock_t *pipe, void *args)
{
    server_t self = {.config = args, .timer = -1};
    self.loop = zloop_new ();
    if (self.loop)
        crier_actor_run (pipe, self.loop, s_on_start, &self);
    self.stopping = true;
    if (self.timer != -1)
        zloop_timer_end (self.loop, self.timer);
    crier_matrix_client_destroy (&self.client);
    crier_e2ee_rooms_destroy (&self.rooms);
    crier_e2ee_verification_destroy (&self.verification);
    crier_e2ee_inbox_destroy (&self.inbox);
    crier_e2ee_device_destroy (&self.device);
    zsock_destroy (&self.e2ee);
    crier_transfers_destroy (&self.http);
    crier_heartbeat_destroy (&self.heartbeat);
    crier_read_watch_destroy (&self.watch);
    crier_watch_state_destroy (&self.state);
    crier_handshake_watch_destroy (&self.links_watch);
    zlistx_destroy (&self.askings);
    json_decref (self.held);
    json_decref (self.gaps);
    zsock_destroy (&self.events);
    zloop_destroy (&self.loop);
    free (self.bot);
    free (self.since);
}

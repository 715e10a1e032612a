/*  resolver_server.c - see resolver_server.h. Everything runs on one zloop: the pipe, the
    notifications socket, the event bus, the CouchDB feed (through crier_transfers) and the wait for
    a blocked delivery socket, so nothing here ever blocks. */
#include "resolver_server.h"
#include "channel_flow.h"
#include "event_bus.h"
#include "fanout.h"
#include "mapping_follower.h"
#include "nag_content.h"
#include "nag_emails.h"
#include "router.h"
#include "throttle_gate.h"

#include "crier/array.h"
#include "crier/curve.h"
#include "crier/zap.h"
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/handshake_watch.h"
#include "crier/intake.h"
#include "crier/log.h"
#include "crier/process.h"
#include "crier/receipt.h"
#include "crier/recent.h"
#include "crier/socket.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

//  Deliveries remembered as delivered (seen on the event bus), at most and for how long: enough
//  for what crier-ingest had in flight when it restarted.
#define RECENT_MAX     50000
#define RECENT_KEEP_MS (3600 * 1000)
//  Throttle windows decided lately and remembered (docs/throttle.md): ingest's frames carry the
//  rest, so this only covers what is in flight together.
#define THROTTLE_REMEMBER_MAX 100000

typedef struct {
    const crier_resolver_config_t *config;
    zloop_t *loop;
    zsock_t *notifications;     //  from ingest
    crier_channel_flow_t *flow; //  deliveries to the senders
    zsock_t *events;            //  our own events: the bus's XPUB side
    crier_event_bus_t *bus;
    crier_transfers_t *http;
    crier_follower_t *follower;
    crier_mapping_t *mapping;      //  the last good mapping, or NULL
    crier_routing_t routing;       //  reused for every notification
    crier_fanout_t *fanout;        //  and for every part of a large one
    crier_nag_emails_t nag_emails; //  reused for every nag request
    crier_intake_t *intake;        //  takes notifications while there is room
    crier_recent_t *recent;        //  deliveries the senders said were delivered lately
    crier_throttle_gate_t *gate;   //  throttles: what is held back (docs/throttle.md)
    crier_recent_t *routed_ids;    //  notifications this instance routed lately
    uint64_t held;                 //  notifications held back for every target
    uint64_t repeated;             //  redeliveries answered from it
    crier_heartbeat_t *heartbeat;
    crier_zap_t
        *zap; //  with the internal switch or a stack identity: admits this stack's processes
    crier_handshake_watch_t *watch; //  and logs a process that fails the handshake
    uint64_t routed;
    uint64_t unroutable;
    bool stopping;          //  told to stop: routes nothing more, keeps the bus for crier-ingest
    uint64_t outcomes_seen; //  while stopping: the bus's count of outcomes when last looked at
    int64_t outcome_at;     //  and when it last changed (or the stop)
} server_t;

//  A stopping resolver keeps the bus until no outcome passed for this long.
#define QUIET_MS 2000

static void s_set_reading (server_t *self, bool reading)
{
    crier_intake_open (self->intake, reading);
}

//  Reads notifications again once a mapping is loaded and no channel holds the intake.
static void s_resume_if_free (server_t *self)
{
    if (self->mapping && !self->stopping && !crier_channel_flow_holding (self->flow))
        s_set_reading (self, true);
}

static void s_on_free (void *arg)
{
    s_resume_if_free (arg);
}

static void s_publish_unroutable (server_t *self, const crier_notification_t *notification,
                                  const char *const *groups, size_t count, const char *reason)
{
    crier_event_t *event = crier_event_new ("notification.unroutable");
    if (event) {
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_texts (event, "groups", (char *const *)groups, count);
        crier_event_add_text (event, "reason", reason);
        crier_event_send (&event, self->events);
    }
}

//  A delivered email passing on the bus: remembered, in case crier-ingest missed it.
static void s_on_delivered (const void *data, size_t size, void *arg)
{
    server_t *self = arg;
    char delivery_id[CRIER_DIGEST_BYTES], channel[16];
    //  Email only: a homeserver deduplicates Matrix sends itself (transaction ids).
    if (crier_receipt_peek (data, size, delivery_id, channel, sizeof channel) == 0 &&
        strcmp (channel, "email") == 0)
        crier_recent_add (self->recent, delivery_id, zclock_mono ());
}

//  A delivery that a sender delivered lately, sent again (crier-ingest missed the outcome while
//  it restarted): said delivered again instead of sent twice. Returns true when it was one.
static bool s_delivered_lately (server_t *self, const char *notification_id,
                                const char *delivery_id, const char *channel, const char *target)
{
    if (!crier_recent_has (self->recent, delivery_id, zclock_mono ()))
        return false;
    self->repeated++;
    crier_event_send_repeated (self->events, delivery_id, notification_id, channel, target,
                               "delivered lately (seen on the event bus)");
    return true;
}

//  Queues one delivery frame and fills in its id. A redelivery, or a delivery of a part after the
//  first (a mapping edit may have moved it from an earlier part), is first looked up among those
//  delivered lately. Returns 0, or -1 after logging.
static int s_queue_delivery (server_t *self, const crier_notification_t *notification,
                             crier_channel_t channel, const char *target, const char *const *groups,
                             size_t group_count, uint32_t attempt, bool later_part,
                             char delivery_id[CRIER_DIGEST_BYTES])
{
    const char *name = crier_channel_name (channel);
    char *frame;
    size_t size;
    if (crier_frame_encode_delivery_of (notification, name, target, groups, group_count, attempt,
                                        delivery_id, &frame, &size) != 0) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", notification->id, "channel", name,
                   "target", target, "reason", "out of memory");
        return -1;
    }
    //  Only these can be one already delivered: a first attempt is new, even when a client used
    //  its id again after crier-ingest's dedup window.
    if ((attempt > 1 || later_part) &&
        s_delivered_lately (self, notification->id, delivery_id, name, target)) {
        free (frame);
        return 0;
    }
    if (crier_channel_flow_queue (self->flow, channel, frame, size, notification->id, delivery_id,
                                  target) != 0) {
        crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", notification->id, "channel", name,
                   "target", target, "reason", "out of memory");
        return -1;
    }
    crier_log (CRIER_LOG_DEBUG, "delivery.routed", "id", notification->id, "delivery_id",
               delivery_id, "channel", name, "target", target, "attempt", CRIER_LOG_INT (attempt));
    return 0;
}

//  A redelivery of some deliveries only: no routing, the targets are given.
static void s_send_again (server_t *self, const crier_notification_t *notification,
                          const crier_frame_redelivery_t *redelivery)
{
    for (size_t index = 0; index < redelivery->only_count; index++) {
        const crier_frame_target_t *only = &redelivery->only[index];
        crier_channel_t channel;
        if (crier_channel_parse (only->channel, &channel) != 0)
            crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", notification->id, "channel",
                       only->channel, "reason", "no such channel in this crier-resolver", "hint",
                       "run the same crier version in every process");
        else {
            char delivery_id[CRIER_DIGEST_BYTES];
            s_queue_delivery (self, notification, channel, only->target,
                              (const char *const *)notification->to, notification->to_count,
                              redelivery->attempt, false, delivery_id);
        }
    }
    crier_channel_flow_flush (self->flow);
}

//  Logs a throttle's decisions and says notification.throttled for the groups that held it
//  back or counted it (ingest says the durable count when it has journaled it).
static void s_log_throttles (const crier_notification_t *notification,
                             const crier_receipt_throttle_t *decisions, size_t count)
{
    for (size_t index = 0; index < count; index++)
        crier_log (CRIER_LOG_DEBUG, "throttle.decided", "id", notification->id, "group",
                   decisions[index].group, "key", notification->key, "action",
                   crier_throttle_action_name (decisions[index].action), "window_start",
                   CRIER_LOG_INT (decisions[index].start_ms));
}

//  The groups that a routing in parts covers: the notification's, less those held back.
static size_t s_open_groups (const crier_notification_t *notification,
                             const crier_receipt_throttle_t *decisions, size_t decided,
                             const char *open[CRIER_MAX_GROUPS])
{
    size_t count = 0;
    for (size_t index = 0; index < notification->to_count; index++) {
        const char *group = notification->to[index];
        if (!crier_throttle_gate_holds (decisions, decided, &group, 1))
            open[count++] = group;
    }
    return count;
}

//  Which part of a notification this routing is (docs/delivery.md, Large groups): a part
//  request's, or part 0 of a notification whose groups reach more than CRIER_FANOUT_PART_SIZE
//  targets. parts 0: routed whole.
typedef struct {
    uint32_t parts;
    uint32_t part;
    uint32_t part_size;
    const char *groups[CRIER_MAX_GROUPS];
    size_t group_count;
} s_parts_t;

static void s_plan_parts (server_t *self, const crier_notification_t *notification,
                          const crier_frame_redelivery_t *frame,
                          const crier_receipt_throttle_t *decisions, size_t decided,
                          s_parts_t *plan)
{
    plan->group_count = s_open_groups (notification, decisions, decided, plan->groups);
    plan->part = frame->part;
    plan->part_size =
        frame->part_size ? frame->part_size : (uint32_t)self->config->fanout_part_size;
    uint64_t positions = crier_fanout_positions (self->mapping, plan->groups, plan->group_count);
    plan->parts = crier_fanout_parts (positions, plan->part_size);
    if (frame->part_size == 0 && positions <= plan->part_size)
        plan->parts = 0;
    //  The mapping shrank since the part was asked for: this part is the last.
    if (frame->part_size > 0 && plan->parts <= plan->part)
        plan->parts = plan->part + 1;
}

static void s_route (server_t *self, const crier_notification_t *notification,
                     const crier_frame_redelivery_t *frame)
{
    uint32_t attempt = frame->attempt;
    crier_routing_t *routing = &self->routing;
    //  Each part is routed once: a part request counts as its own.
    const char *key = notification->id;
    char part_key[CRIER_MAX_ID_BYTES + 16];
    if (frame->part_size) {
        snprintf (part_key, sizeof part_key, "%s#%u", notification->id, frame->part);
        key = part_key;
    }
    bool routed_before = attempt > 1 && crier_recent_has (self->routed_ids, key, zclock_mono ());
    if (routed_before)
        crier_log (CRIER_LOG_DEBUG, "notification.routed_before", "id", notification->id, "attempt",
                   CRIER_LOG_INT (attempt));
    else
        crier_recent_add (self->routed_ids, key, zclock_mono ());
    //  A summary is never held back; the rest of a key's repeats may be (docs/throttle.md). A
    //  part request was decided with its part 0: its groups are those left open.
    crier_receipt_throttle_t decisions[CRIER_MAX_GROUPS];
    size_t decided =
        frame->summary.group || frame->part_size
            ? 0
            : crier_throttle_gate_decide (self->gate, self->mapping, notification, frame->windows,
                                          frame->window_count, zclock_time (), decisions);
    s_log_throttles (notification, decisions, decided);
    s_parts_t plan;
    s_plan_parts (self, notification, frame, decisions, decided, &plan);
    if ((plan.parts ? crier_fanout_part (self->fanout, self->mapping, plan.groups, plan.group_count,
                                         plan.part, plan.part_size, routing)
                    : crier_router_route (self->mapping, notification, routing)) != 0) {
        crier_log (CRIER_LOG_ERROR, "notification.dropped", "id", notification->id, "reason",
                   "out of memory while routing");
        return;
    }
    if (routing->unknown_count > 0) {
        char groups[CRIER_MAX_GROUPS * (CRIER_MAX_GROUP_BYTES + 1) + 1];
        crier_array_join (groups, sizeof groups, routing->unknown, routing->unknown_count);
        crier_log (CRIER_LOG_WARN, "notification.unroutable", "id", notification->id, "groups",
                   groups, "reason", "not in the mapping document", "hint",
                   "add the groups to the mapping (crier mapping get/put) or fix the sender");
        s_publish_unroutable (self, notification, routing->unknown, routing->unknown_count,
                              "not in the mapping document");
    }
    if (routing->count == 0 && plan.parts == 0) {
        self->unroutable++;
        if (routing->unknown_count < notification->to_count) {
            char groups[CRIER_MAX_GROUPS * (CRIER_MAX_GROUP_BYTES + 1) + 1];
            crier_array_join (groups, sizeof groups, (const char *const *)notification->to,
                              notification->to_count);
            crier_log (CRIER_LOG_WARN, "notification.unroutable", "id", notification->id, "groups",
                       groups, "reason", "the groups map to no targets", "hint",
                       "give the groups matrix rooms or email addresses in the mapping");
            s_publish_unroutable (self, notification, (const char *const *)notification->to,
                                  notification->to_count, "the groups map to no targets");
        }
    }
    const char **values = calloc (routing->count * 3 + 1, sizeof *values);
    char (*ids)[CRIER_DIGEST_BYTES] = calloc (routing->count + 1, sizeof *ids);
    //  The deliveries with a nag, and how long each may stay unread (docs/nag.md): allocated
    //  only for a notification that has some.
    bool nagged = false;
    for (size_t index = 0; index < routing->count && !nagged; index++)
        nagged = routing->routes[index].nag_after_ms > 0;
    const char **nag_ids = nagged ? calloc (routing->count, sizeof *nag_ids) : NULL;
    int64_t *nag_after = nagged ? calloc (routing->count, sizeof *nag_after) : NULL;
    size_t nags = 0;
    size_t rows = 0;
    for (size_t index = 0; values && ids && index < routing->count; index++) {
        const crier_route_t *route = &routing->routes[index];
        if (decided > 0 &&
            crier_throttle_gate_holds (decisions, decided, route->groups, route->group_count))
            continue;
        //  Routed by this instance before (crier-ingest sent it again, not knowing that it
        //  was): said again, but its deliveries are not queued twice.
        if (routed_before)
            crier_delivery_id (ids[rows], notification->id, crier_channel_name (route->channel),
                               route->target);
        else if (s_queue_delivery (self, notification, route->channel, route->target, route->groups,
                                   route->group_count, attempt, plan.part > 0, ids[rows]) != 0)
            continue;
        values[rows * 3] = ids[rows];
        values[rows * 3 + 1] = crier_channel_name (route->channel);
        values[rows * 3 + 2] = route->target;
        if (route->nag_after_ms && nag_ids && nag_after) {
            nag_ids[nags] = ids[rows];
            nag_after[nags++] = (int64_t)route->nag_after_ms;
        }
        rows++;
    }
    if (routing->count > 0 && plan.part == 0)
        self->routed++;
    if (plan.parts > 0)
        crier_log (CRIER_LOG_INFO, "notification.part_routed", "id", notification->id, "part",
                   CRIER_LOG_INT (plan.part), "parts", CRIER_LOG_INT (plan.parts), "deliveries",
                   CRIER_LOG_INT (rows));
    if (routing->count > 0 && rows == 0 && decided > 0)
        self->held++;
    //  Always said, with no deliveries too: crier-ingest waits for it to know the notification
    //  is routed (docs/delivery.md).
    crier_event_t *event = crier_event_new ("notification.routed");
    if (event && values && ids) {
        static const char *const fields[] = {"delivery_id", "channel", "target"};
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_table (event, "deliveries", fields, 3, values, rows);
        if (nags > 0)
            crier_event_add_id_values (event, "nags", "delivery_id", "after_ms", nag_ids, nag_after,
                                       nags);
        crier_receipt_add_throttles (event, notification->key, decisions, decided);
        crier_receipt_add_parts (event, plan.parts, plan.part, plan.part_size,
                                 (char *const *)plan.groups, plan.group_count);
        crier_event_send (&event, self->events);
    }
    crier_event_destroy (&event);
    free (values);
    free (ids);
    free (nag_ids);
    free (nag_after);
    crier_channel_flow_flush (self->flow);
}

//  Says which nags a request decided and which nag emails it became (nag.routed), before any of
//  them goes out: crier-ingest must know them when their outcomes come.
static int s_publish_nags (server_t *self, const crier_notification_t *notification,
                           const crier_frame_redelivery_t *request, char (*ids)[CRIER_DIGEST_BYTES])
{
    const crier_nag_emails_t *found = &self->nag_emails;
    const char **values = calloc (found->count * 5 + 1, sizeof *values);
    char **decided = calloc (request->nag_count + 1, sizeof *decided);
    crier_event_t *event = values && decided ? crier_event_new ("nag.routed") : NULL;
    int rc = event ? 0 : -1;
    size_t decided_count = 0;
    for (size_t index = 0; event && index < request->nag_count; index++)
        if (request->nags[index].unread)
            decided[decided_count++] = request->nags[index].delivery_id;
    for (size_t index = 0; event && index < found->count; index++) {
        const crier_nag_email_t *email = &found->emails[index];
        crier_delivery_id_of_nag (ids[index], notification->id, email->nag_of);
        const char *row[] = {ids[index], "email", email->target, email->nag_of,
                             request->nags[email->nag].delivery_id};
        memcpy (&values[index * 5], row, sizeof row);
    }
    if (event && (decided_count > 0 || found->count > 0)) {
        static const char *const fields[] = {"delivery_id", "channel", "target", "nag_of", "of"};
        crier_event_add_text (event, "notification_id", notification->id);
        crier_event_add_texts (event, "decided", decided, decided_count);
        crier_event_add_table (event, "deliveries", fields, 5, values, found->count);
        crier_event_send (&event, self->events);
        crier_log (CRIER_LOG_INFO, "nag.routed", "id", notification->id, "decided",
                   CRIER_LOG_INT (decided_count), "emails", CRIER_LOG_INT (found->count));
    }
    crier_event_destroy (&event);
    free (values);
    free (decided);
    return rc;
}

//  A nag request from crier-ingest (docs/nag.md): the nag emails of the rooms it decides, and
//  those it sends again.
static void s_nag (server_t *self, const crier_notification_t *notification,
                   const crier_frame_redelivery_t *request)
{
    crier_nag_emails_t *found = &self->nag_emails;
    char (*ids)[CRIER_DIGEST_BYTES] = NULL;
    if (crier_nag_emails_find (self->mapping, notification, request, found) != 0 ||
        !(ids = calloc (found->count + 1, sizeof *ids)) ||
        s_publish_nags (self, notification, request, ids) != 0) {
        crier_log (CRIER_LOG_ERROR, "nag.dropped", "id", notification->id, "reason",
                   "out of memory", "hint", "crier-ingest asks again when its lease runs out");
        free (ids);
        return;
    }
    for (size_t index = 0; index < found->count; index++) {
        const crier_nag_email_t *email = &found->emails[index];
        crier_notification_t *content =
            crier_nag_content (notification, &request->nags[email->nag], email->nag_of);
        char *frame = NULL;
        size_t size;
        char delivery_id[CRIER_DIGEST_BYTES];
        int rc =
            content ? crier_frame_encode_nag_delivery (content, email->target, email->nag_of,
                                                       request->attempt, delivery_id, &frame, &size)
                    : -1;
        crier_notification_destroy (&content);
        if (rc == 0 && request->attempt > 1 &&
            s_delivered_lately (self, notification->id, delivery_id, "email", email->target))
            free (frame);
        else if (rc != 0 ||
                 crier_channel_flow_queue (self->flow, CRIER_CHANNEL_EMAIL, frame, size,
                                           notification->id, delivery_id, email->target) != 0)
            crier_log (CRIER_LOG_ERROR, "delivery.dropped", "id", notification->id, "channel",
                       "email", "target", email->target, "reason", "out of memory", "hint",
                       "crier-ingest sends it again when its lease runs out");
    }
    free (ids);
    crier_channel_flow_flush (self->flow);
}

//  An edit request from crier-ingest (docs/throttle.md): the notification is the new content of
//  a throttle window's first message in each of these rooms.
static void s_edit (server_t *self, const crier_notification_t *notification,
                    const crier_frame_redelivery_t *request)
{
    for (size_t index = 0; index < request->edit_count; index++) {
        const crier_frame_edit_t *edit = &request->edits[index];
        char delivery_id[CRIER_DIGEST_BYTES];
        char *frame = NULL;
        size_t size;
        if (crier_frame_encode_edit_delivery (notification, edit->room_id, edit->event_id,
                                              delivery_id, &frame, &size) != 0 ||
            crier_channel_flow_queue (self->flow, CRIER_CHANNEL_MATRIX, frame, size,
                                      notification->id, delivery_id, edit->room_id) != 0)
            crier_log (CRIER_LOG_WARN, "edit.dropped", "id", notification->id, "room",
                       edit->room_id, "reason", "out of memory", "hint",
                       "the next edit shows the count (edits are cosmetic)");
    }
    crier_channel_flow_flush (self->flow);
}

//  A notification from ingest. Deliveries left waiting for a channel that is not stalled stop
//  the intake until it drains.
static bool s_on_notification (const void *data, size_t size, void *arg)
{
    server_t *self = arg;
    crier_error_t error;
    crier_frame_redelivery_t redelivery;
    crier_notification_t *notification =
        crier_frame_decode_notification (data, size, &redelivery, &error);
    //  A nag request or an edit request routes nothing of the notification itself.
    bool nag = notification && (redelivery.nag_count > 0 || redelivery.nag_delivery_count > 0);
    bool edit = notification && redelivery.edit_count > 0;
    if (edit)
        s_edit (self, notification, &redelivery);
    if (!edit && notification && redelivery.only_count > 0)
        s_send_again (self, notification, &redelivery);
    if (!edit && nag)
        s_nag (self, notification, &redelivery);
    else if (!edit && notification && (redelivery.only_count == 0 || redelivery.route))
        s_route (self, notification, &redelivery);
    if (notification)
        crier_frame_redelivery_free (&redelivery);
    else
        crier_log (CRIER_LOG_ERROR, "frame.invalid", "from", "crier-ingest", "field", error.field,
                   "error", error.message, "hint", "run the same crier version in every process");
    crier_notification_destroy (&notification);
    bool holding = crier_channel_flow_holding (self->flow);
    if (holding)
        s_set_reading (self, false);
    return !holding;
}

static void s_publish_mapping (server_t *self, const char *type, const char *revision,
                               const crier_mapping_error_t *error)
{
    crier_event_t *event = crier_event_new (type);
    if (!event)
        return;
    crier_event_add_text (event, "revision", revision);
    if (error) {
        crier_event_add_text (event, "path", error->path);
        crier_event_add_text (event, "error", error->message);
    }
    if (self->mapping)
        crier_event_add_int (event, "groups", (int64_t)crier_mapping_group_count (self->mapping));
    crier_event_send (&event, self->events);
}

static void s_on_document (crier_change_t *change, void *arg)
{
    server_t *self = arg;
    const char *revision = change->revision;
    const char *kept = self->mapping ? crier_mapping_revision (self->mapping) : NULL;
    if (change->deleted) {
        crier_log (CRIER_LOG_ERROR, "mapping.deleted", "revision", revision, "kept", kept, "hint",
                   "the mapping document was deleted; routing goes on with the last mapping "
                   "until it is created again (crier mapping put FILE)");
        s_publish_mapping (self, "mapping.deleted", revision, NULL);
        return;
    }
    crier_mapping_error_t error = {.path = "(document)"};
    crier_mapping_t *mapping = change->mapping;
    change->mapping = NULL;
    if (change->error)
        error = *change->error;
    else if (change->kind == CRIER_CHANGE_TOO_LARGE)
        snprintf (error.message, sizeof error.message,
                  "a revision over CRIER_MAPPING_MAX_BYTES (%llu bytes) was skipped: raise it "
                  "(docs/mapping.md, Large mappings)",
                  (unsigned long long)self->config->mapping_max_bytes);
    if (!mapping) {
        crier_log (CRIER_LOG_ERROR, "mapping.rejected", "revision", revision, "path", error.path,
                   "error", error.message, "kept", kept, "hint",
                   kept ? "fix the document; routing goes on with the last good mapping"
                        : "fix the document; notifications wait until a valid one loads");
        s_publish_mapping (self, "mapping.rejected", revision, &error);
        return;
    }
    crier_mapping_destroy (&self->mapping);
    self->mapping = mapping;
    crier_log (CRIER_LOG_INFO, "mapping.loaded", "revision", revision, "groups",
               CRIER_LOG_INT (crier_mapping_group_count (mapping)), "bytes",
               CRIER_LOG_INT (crier_mapping_memory (mapping)));
    //  Validated, so that documents can carry it, but not acted on yet: say so, not silence.
    s_publish_mapping (self, "mapping.loaded", revision, NULL);
    s_resume_if_free (self);
}

static void s_fill_heartbeat (crier_event_t *event, void *arg)
{
    server_t *self = arg;
    crier_event_add_text (event, "feed",
                          crier_follower_connected (self->follower) ? "connected" : "down");
    crier_event_add_text (event, "mapping_revision",
                          self->mapping ? crier_mapping_revision (self->mapping) : NULL);
    crier_event_add_int (event, "mapping_groups",
                         self->mapping ? (int64_t)crier_mapping_group_count (self->mapping) : 0);
    crier_event_add_int (event, "routed", (int64_t)self->routed);
    crier_event_add_int (event, "unroutable", (int64_t)self->unroutable);
    crier_event_add_int (event, "waiting", (int64_t)crier_channel_flow_waiting (self->flow));
    crier_event_add_int (event, "repeated", (int64_t)self->repeated);
    crier_event_add_int (event, "held", (int64_t)self->held);
    //  The stalled channels by name (crier status shows them), or "none".
    char stalled[64];
    crier_channel_flow_stalled (self->flow, stalled, sizeof stalled);
    crier_event_add_text (event, "stalled", stalled);
}

//  A line for each process that fails the handshake before the ZAP handler sees it (another
//  mechanism: CURVE, a stack identity or none; another server key).
static int s_watch (server_t *self)
{
    const char *hint = crier_links_internal_key (&self->config->links)
                           ? "give every crier process the same CRIER_CURVE_INTERNAL_CERT "
                             "(docs/security.md)"
                           : "give every process of this stack the same CRIER_STACK_ID; a "
                             "process of another stack must use that stack's endpoints";
    self->watch = crier_handshake_watch_new (
        self->loop, crier_links_internal_key (&self->config->links) ? "curve.handshake_failed"
                                                                    : "link.handshake_failed");
    if (!self->watch)
        return -1;
    int rc = crier_handshake_watch_add (self->watch, self->notifications,
                                        "notifications from crier-ingest", hint);
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++)
        rc |=
            crier_handshake_watch_add (self->watch, crier_channel_flow_socket (self->flow, channel),
                                       crier_channel_name ((crier_channel_t)channel), hint);
    rc |= crier_handshake_watch_add (self->watch, crier_event_bus_intake (self->bus),
                                     "event bus (publishers)", hint);
    rc |= crier_handshake_watch_add (self->watch, self->events, "event bus (watchers)", hint);
    return rc;
}

static int s_start (server_t *self)
{
    const crier_resolver_config_t *config = self->config;
    //  The resolver binds every internal link: with CURVE or a stack identity, its ZAP handler
    //  must come first.
    if ((crier_links_internal_key (&config->links) || crier_links_stack_id (&config->links)) &&
        !(self->zap = crier_zap_new (self->loop, NULL, &config->links)))
        return -1;
    self->notifications = crier_socket_open (ZMQ_PULL, CRIER_BIND, config->notifications_endpoint,
                                             &config->links, "notifications from crier-ingest");
    self->intake = self->notifications ? crier_intake_new (self->loop, self->notifications,
                                                           s_on_notification, NULL, self)
                                       : NULL;
    if (!self->intake)
        return -1;
    self->bus = crier_event_bus_new (self->loop, config->events_publish_endpoint,
                                     config->events_endpoint, &config->links);
    if (!self->bus)
        return -1;
    self->events = crier_event_bus_publisher (self->bus);
    self->flow = crier_channel_flow_new (self->loop, config, self->events, s_on_free, self);
    if (!self->flow)
        return -1;
    self->recent = crier_recent_new (RECENT_MAX, RECENT_KEEP_MS);
    self->gate = crier_throttle_gate_new (THROTTLE_REMEMBER_MAX);
    self->routed_ids = crier_recent_new (RECENT_MAX, RECENT_KEEP_MS);
    self->fanout = crier_fanout_new ();
    if (!self->recent || !self->gate || !self->routed_ids || !self->fanout)
        return -1;
    crier_event_bus_watch (self->bus, "delivery.delivered", s_on_delivered, self);
    if (s_watch (self) != 0)
        return -1;
    self->http = crier_transfers_new (self->loop);
    crier_follower_options_t options = {config->heartbeat_ms, config->retry_max_ms,
                                        (size_t)config->mapping_max_bytes};
    self->follower = self->http ? crier_follower_new (self->loop, self->http, &config->couchdb,
                                                      &options, s_on_document, self, self->events)
                                : NULL;
    if (!self->events || !self->follower || crier_follower_start (self->follower) != 0)
        return -1;
    self->heartbeat = crier_heartbeat_new (self->loop, self->events, config->heartbeat_interval_ms,
                                           s_fill_heartbeat, self);
    if (!self->heartbeat)
        return -1;
    crier_event_bus_answer_heartbeats (self->bus, self->heartbeat);
    crier_log (CRIER_LOG_INFO, "mapping.waiting", "url", config->couchdb.display_url, "database",
               config->couchdb.database, "document", config->couchdb.document, "hint",
               "notifications wait in the queue until the mapping document loads");
    return 0;
}

static char *s_on_start (void *arg)
{
    server_t *self = arg;
    if (s_start (self) != 0)
        return NULL;
    char *endpoint = crier_socket_endpoint (self->notifications);
    const crier_resolver_config_t *config = self->config;
    crier_log (CRIER_LOG_INFO, "resolver.ready", "endpoint", endpoint, "matrix",
               config->deliveries_endpoint[CRIER_CHANNEL_MATRIX], "email",
               config->deliveries_endpoint[CRIER_CHANNEL_EMAIL], "events", config->events_endpoint,
               "security", crier_links_security (&self->config->links));
    return endpoint;
}

//  Told to stop: routes nothing more, but keeps the event bus while crier-ingest follows the
//  outcomes, up to CRIER_STOP_GRACE: when every process is stopped at once (Ctrl-C on a
//  terminal), the senders' last outcomes must still reach ingest, or it would send those
//  notifications again at its next start.
static bool s_finishing (void *arg, bool out_of_time)
{
    server_t *self = arg;
    if (!self->stopping) {
        self->stopping = true;
        self->outcomes_seen = crier_event_bus_outcomes_passed (self->bus);
        self->outcome_at = zclock_mono ();
        s_set_reading (self, false);
        if (crier_event_bus_outcomes_followed (self->bus))
            crier_log (CRIER_LOG_INFO, "resolver.finishing", "hint",
                       "forwarding the senders' last outcomes to crier-ingest until it stops "
                       "(CRIER_STOP_GRACE)");
    }
    //  Quiet: no outcome passed for QUIET_MS since the stop: no sender is finishing work.
    uint64_t passed = crier_event_bus_outcomes_passed (self->bus);
    if (passed != self->outcomes_seen) {
        self->outcomes_seen = passed;
        self->outcome_at = zclock_mono ();
    }
    bool quiet = zclock_mono () - self->outcome_at >= QUIET_MS;
    return crier_event_bus_outcomes_followed (self->bus) && !quiet && !out_of_time;
}

void crier_resolver_server (zsock_t *pipe, void *args)
{
    server_t self = {.config = args};
    self.loop = zloop_new ();
    crier_actor_run_finishing (pipe, self.loop, s_on_start, &self, s_finishing, &self,
                               self.config->stop_grace_ms);

    crier_log (CRIER_LOG_INFO, "resolver.stats", "routed_total", CRIER_LOG_INT (self.routed),
               "unroutable_total", CRIER_LOG_INT (self.unroutable), "waiting",
               CRIER_LOG_INT (self.flow ? crier_channel_flow_waiting (self.flow) : 0));
    crier_recent_destroy (&self.recent);
    crier_throttle_gate_destroy (&self.gate);
    crier_recent_destroy (&self.routed_ids);
    crier_fanout_destroy (&self.fanout);
    //  While the watched sockets all still exist.
    crier_handshake_watch_destroy (&self.watch);
    crier_heartbeat_destroy (&self.heartbeat);
    crier_follower_destroy (&self.follower);
    crier_transfers_destroy (&self.http);
    crier_event_bus_destroy (&self.bus);
    crier_intake_destroy (&self.intake);
    crier_mapping_destroy (&self.mapping);
    crier_routing_free (&self.routing);
    crier_nag_emails_free (&self.nag_emails);
    crier_channel_flow_destroy (&self.flow);
    crier_zap_destroy (&self.zap);
    zloop_destroy (&self.loop);
    zsock_destroy (&self.notifications);
}

/*  e2ee_rooms.c - see e2ee_rooms.h. Each room goes through its steps one request at a time
    (learn its state, query devices, claim one-time keys, share the room key, encrypt); a step's
    answer calls s_advance again, which picks the next step from what is known. */
//  explicit_bzero (glibc, BSD): wiping room keys the compiler must not optimise away.
#define _DEFAULT_SOURCE
#include "e2ee_rooms.h"
#include "e2ee_devices.h"
#include "e2ee_olm_store.h"
#include "e2ee_sessions.h"
#include "e2ee_signing.h"

#include "e2ee_state.h"

#include "crier/backoff.h"
#include "crier/durable_file.h"
#include "crier/event.h"
#include "crier/id.h"
#include "crier/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEGOLM "m.megolm.v1.aes-sha2"
#define OLM    "m.olm.v1.curve25519-aes-sha2"
//  The specification's defaults for m.room.encryption.
#define ROTATION_MS_DEFAULT   604800000ULL
#define ROTATION_MSGS_DEFAULT 100
#define ROOM_FILE_BYTES       (16 * 1024 * 1024)
#define RETRY_BASE_MS         500
#define RETRY_CAP_MS          30000

typedef enum { ROOM_NEW, ROOM_KNOWN } room_state_t;
typedef enum { STEP_NONE, STEP_STATE, STEP_MEMBERS, STEP_QUERY, STEP_CLAIM, STEP_SHARE } step_t;

typedef struct {
    void *peer;
    size_t peer_size;
    json_t *request;
} request_t;

typedef struct {
    crier_e2ee_rooms_t *rooms;
    char *id;
    char *path; //  its state file
    room_state_t state;
    bool encrypted;
    uint64_t rotation_ms;
    uint64_t rotation_msgs;
    json_t *members; //  joined user -> true
    crier_e2ee_megolm_t *session;
    int64_t session_created_ms;
    uint64_t session_messages;
    json_t *shared;  //  "user device" -> true: devices that have the session's key
    json_t *skipped; //  "user device" -> true: no one-time key to be had, until lists change
    bool rotate;     //  a member left: a new session before the next message
    zlistx_t *pending;
    step_t step; //  the request running for this room
    json_t *step_data;
    unsigned failures;
    int timer;
} room_t;

struct crier_e2ee_rooms_t {
    crier_e2ee_rooms_options_t options;
    zhashx_t *rooms; //  room id -> room_t
    crier_e2ee_devices_t *devices;
    crier_e2ee_olm_store_t *olm;
};

static void s_advance (room_t *room);

// ---------------------------------------------------------------------------------------------
// Rooms and their state file

static void s_request_destroy (void **item)
{
    request_t *request = *item;
    if (request) {
        free (request->peer);
        json_decref (request->request);
        free (request);
    }
    *item = NULL;
}

static void s_room_destroy (void **item)
{
    room_t *room = *item;
    if (!room)
        return;
    if (room->timer != -1)
        zloop_timer_end (room->rooms->options.loop, room->timer);
    crier_e2ee_megolm_destroy (&room->session);
    zlistx_destroy (&room->pending);
    json_decref (room->members);
    json_decref (room->shared);
    json_decref (room->skipped);
    json_decref (room->step_data);
    zstr_free (&room->path);
    free (room->id);
    free (room);
    *item = NULL;
}

//  Saves the room's session, synced: 0, or -1 after logging.
static int s_room_save (room_t *room)
{
    const char *key = room->rooms->options.key;
    char *saved = room->session ? crier_e2ee_megolm_save (room->session, key, strlen (key)) : NULL;
    json_t *file = json_pack ("{s:s, s:s?, s:I, s:I, s:O}", "room_id", room->id, "session", saved,
                              "created_at", (json_int_t)room->session_created_ms, "messages",
                              (json_int_t)room->session_messages, "shared", room->shared);
    int rc = crier_e2ee_state_write (room->path, file,
                                     "messages to this room wait until its room key can be kept");
    json_decref (file);
    free (saved);
    return rc;
}

//  Reads what an earlier run kept of the room's session, if anything.
static void s_room_load (room_t *room)
{
    char *text = crier_durable_read (room->path, ROOM_FILE_BYTES, NULL);
    json_t *file = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    const char *saved = json_string_value (json_object_get (file, "session"));
    const char *key = room->rooms->options.key;
    char reason[160];
    if (saved && json_is_object (json_object_get (file, "shared")) &&
        (room->session =
             crier_e2ee_megolm_load (saved, key, strlen (key), reason, sizeof reason))) {
        room->session_created_ms = json_integer_value (json_object_get (file, "created_at"));
        room->session_messages = (uint64_t)json_integer_value (json_object_get (file, "messages"));
        json_object_update (room->shared, json_object_get (file, "shared"));
    } else if (saved)
        crier_log (CRIER_LOG_WARN, "e2ee.room_state_dropped", "room", room->id, "file", room->path,
                   "hint", "unreadable: the room gets a new room key");
    json_decref (file);
}

static room_t *s_room (crier_e2ee_rooms_t *self, const char *id)
{
    room_t *room = zhashx_lookup (self->rooms, id);
    if (room)
        return room;
    room = calloc (1, sizeof *room);
    if (!room)
        return NULL;
    room->rooms = self;
    room->timer = -1;
    room->id = strdup (id);
    room->members = json_object ();
    room->shared = json_object ();
    room->skipped = json_object ();
    room->pending = zlistx_new ();
    char digest[CRIER_DIGEST_BYTES];
    crier_id_digest (digest, (const char *const[]){id}, 1);
    room->path = zsys_sprintf ("%s/e2ee-room-%s.json", self->options.dir, digest);
    void *item = room;
    if (!room->id || !room->members || !room->shared || !room->skipped || !room->pending ||
        !room->path) {
        s_room_destroy (&item);
        return NULL;
    }
    zlistx_set_destructor (room->pending, s_request_destroy);
    s_room_load (room);
    zhashx_insert (self->rooms, id, room);
    return room;
}

// ---------------------------------------------------------------------------------------------
// Answers

static void s_answer (room_t *room, request_t *request, const char *outcome, json_t *content,
                      const char *reason)
{
    json_t *reply = json_pack ("{s:O?, s:s, s:s}", "delivery_id",
                               json_object_get (request->request, "delivery_id"), "room_id",
                               room->id, "outcome", outcome);
    if (reply && content)
        json_object_set (reply, "content", content);
    if (reply && reason)
        json_object_set_new (reply, "reason", json_string (reason));
    if (reply)
        room->rooms->options.reply (request->peer, request->peer_size, reply,
                                    room->rooms->options.arg);
    json_decref (reply);
}

//  Answers every waiting request the same way.
static void s_answer_all (room_t *room, const char *outcome, const char *reason)
{
    for (request_t *request = zlistx_first (room->pending); request;
         request = zlistx_next (room->pending))
        s_answer (room, request, outcome, NULL, reason);
    zlistx_purge (room->pending);
}

// ---------------------------------------------------------------------------------------------
// Steps: each sends one request; its answer comes to s_on_answer

static void s_on_answer (const crier_matrix_answer_t *answer, void *arg);

static int s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    room_t *room = arg;
    room->timer = -1;
    s_advance (room);
    return 0;
}

//  A step failed for now: the room's requests wait (their senders time out and ask again).
static void s_retry (room_t *room, const char *reason)
{
    if (room->failures++ == 0)
        crier_log (CRIER_LOG_WARN, "e2ee.room_waiting", "room", room->id, "reason", reason, "hint",
                   "messages to this encrypted room wait (never sent in plaintext); retrying "
                   "with backoff");
    uint64_t delay = crier_backoff_ms (room->failures, RETRY_BASE_MS, RETRY_CAP_MS);
    room->timer = zloop_timer (room->rooms->options.loop, (size_t)delay, 1, s_on_retry, room);
}

static void s_start (room_t *room, step_t step, const char *method, const char *path,
                     const json_t *body)
{
    char *text = body ? json_dumps (body, JSON_COMPACT) : NULL;
    char reason[256] = "out of memory";
    room->step = step;
    if ((body && !text) ||
        crier_matrix_client_request (room->rooms->options.client, method, path, text, s_on_answer,
                                     room, reason, sizeof reason) != 0) {
        room->step = STEP_NONE;
        s_retry (room, reason);
    }
    free (text);
}

static void s_learn (room_t *room)
{
    char path[1024];
    if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/", room->id,
                           "/state/m.room.encryption/", (char *)NULL) != 0) {
        s_answer_all (room, "failed", "the room id makes a request path too long");
        return;
    }
    s_start (room, STEP_STATE, "GET", path, NULL);
}

//  The room's m.room.encryption content: encrypted, with its rotation periods.
static void s_encryption (room_t *room, const json_t *content)
{
    const char *algorithm = json_string_value (json_object_get (content, "algorithm"));
    room->encrypted = true;
    if (!algorithm || strcmp (algorithm, MEGOLM) != 0)
        crier_log (CRIER_LOG_WARN, "e2ee.room_algorithm", "room", room->id, "algorithm", algorithm,
                   "hint", "crier encrypts with " MEGOLM " only");
    json_t *ms = json_object_get (content, "rotation_period_ms");
    json_t *msgs = json_object_get (content, "rotation_period_msgs");
    room->rotation_ms = json_is_integer (ms) && json_integer_value (ms) > 0
                            ? (uint64_t)json_integer_value (ms)
                            : ROTATION_MS_DEFAULT;
    room->rotation_msgs = json_is_integer (msgs) && json_integer_value (msgs) > 0
                              ? (uint64_t)json_integer_value (msgs)
                              : ROTATION_MSGS_DEFAULT;
    crier_log (CRIER_LOG_INFO, "e2ee.room_encrypted", "room", room->id, "rotation_period_ms",
               CRIER_LOG_INT (room->rotation_ms), "rotation_period_msgs",
               CRIER_LOG_INT (room->rotation_msgs));
}

static void s_on_state (room_t *room, const crier_matrix_answer_t *answer)
{
    if (answer->outcome == CRIER_MATRIX_OK)
        s_encryption (room, answer->body);
    else if (answer->outcome == CRIER_MATRIX_NOT_FOUND)
        room->encrypted = false;
    else if (answer->outcome == CRIER_MATRIX_FORBIDDEN) {
        s_answer_all (room, "forbidden", answer->reason);
        return;
    } else {
        s_retry (room, answer->reason);
        return;
    }
    if (!room->encrypted) {
        room->state = ROOM_KNOWN;
        return;
    }
    char path[1024];
    if (crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/", room->id,
                           "/joined_members", (char *)NULL) == 0)
        s_start (room, STEP_MEMBERS, "GET", path, NULL);
}

static void s_on_members (room_t *room, const crier_matrix_answer_t *answer)
{
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (room, answer->reason);
        return;
    }
    json_object_clear (room->members);
    const char *user;
    const json_t *ignored;
    json_object_foreach (json_object_get (answer->body, "joined"), user, ignored)
    {
        json_object_set_new (room->members, user, json_true ());
    }
    room->state = ROOM_KNOWN;
}

// ---------------------------------------------------------------------------------------------
// Sharing the room key

typedef struct {
    room_t *room;
    json_t *missing; //  "user device" -> recipient, for devices without the key
} gather_t;

static void s_gather (const crier_e2ee_recipient_t *recipient, void *arg)
{
    gather_t *gather = arg;
    crier_e2ee_device_t *own = gather->room->rooms->options.device;
    if (strcmp (recipient->user, crier_e2ee_device_user (own)) == 0 &&
        strcmp (recipient->device, crier_e2ee_device_id (own)) == 0)
        return; //  the bot's own device needs no key to send
    char name[600];
    snprintf (name, sizeof name, "%s %s", recipient->user, recipient->device);
    if (json_object_get (gather->room->shared, name) ||
        json_object_get (gather->room->skipped, name))
        return;
    json_object_set_new (gather->missing, name,
                         json_pack ("{s:s, s:s, s:s, s:s}", "user", recipient->user, "device",
                                    recipient->device, "curve25519", recipient->curve25519,
                                    "ed25519", recipient->ed25519));
}

//  The devices of the members that lack the current key (not skipped): "user device" -> keys.
static json_t *s_missing (room_t *room)
{
    gather_t gather = {room, json_object ()};
    const char *user;
    const json_t *ignored;
    json_object_foreach (room->members, user, ignored)
    {
        crier_e2ee_devices_each (room->rooms->devices, user, s_gather, &gather);
    }
    return gather.missing;
}

//  Claims one-time keys for the devices in missing that have no Olm session yet. Returns true
//  when it started a request.
static bool s_claim (room_t *room, json_t *missing)
{
    json_t *claim = json_object ();
    const char *name;
    json_t *device;
    json_object_foreach (missing, name, device)
    {
        const char *curve = json_string_value (json_object_get (device, "curve25519"));
        if (crier_e2ee_olm_store_get (room->rooms->olm, curve))
            continue;
        const char *user = json_string_value (json_object_get (device, "user"));
        json_t *devices = json_object_get (claim, user);
        if (!devices) {
            devices = json_object ();
            json_object_set_new (claim, user, devices);
        }
        json_object_set_new (devices, json_string_value (json_object_get (device, "device")),
                             json_string ("signed_curve25519"));
    }
    if (json_object_size (claim) == 0) {
        json_decref (claim);
        return false;
    }
    json_t *body = json_pack ("{s:o}", "one_time_keys", claim);
    json_decref (room->step_data);
    room->step_data = json_incref (missing);
    s_start (room, STEP_CLAIM, "POST", "/_matrix/client/v3/keys/claim", body);
    json_decref (body);
    return true;
}

//  Olm sessions from the claimed keys, each key checked to be signed by its device. A device
//  that gave none is skipped until device lists change.
static void s_on_claim (room_t *room, const crier_matrix_answer_t *answer)
{
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (room, answer->reason);
        return;
    }
    crier_e2ee_rooms_t *self = room->rooms;
    const json_t *claimed = json_object_get (answer->body, "one_time_keys");
    const char *name;
    json_t *device;
    bool added = false;
    json_object_foreach (room->step_data, name, device)
    {
        const char *user = json_string_value (json_object_get (device, "user"));
        const char *id = json_string_value (json_object_get (device, "device"));
        const char *curve = json_string_value (json_object_get (device, "curve25519"));
        if (crier_e2ee_olm_store_get (self->olm, curve))
            continue;
        //  One key per device was asked: the first is it.
        void *first =
            json_object_iter ((json_t *)json_object_get (json_object_get (claimed, user), id));
        const json_t *key = first ? json_object_iter_value (first) : NULL;
        const char *ed = json_string_value (json_object_get (device, "ed25519"));
        const char *one_time = json_string_value (json_object_get (key, "key"));
        char reason[200] = "it gave no one-time key (it must upload some)";
        crier_e2ee_olm_t *session = NULL;
        if (one_time && !crier_e2ee_signed_by (key, user, id, ed))
            snprintf (reason, sizeof reason, "its one-time key is not signed by it");
        else if (one_time)
            session = crier_e2ee_olm_new (crier_e2ee_device_account (self->options.device), curve,
                                          one_time, reason, sizeof reason);
        if (session && crier_e2ee_olm_store_put (self->olm, curve, session) == 0)
            added = true;
        else {
            crier_log (CRIER_LOG_WARN, "e2ee.device_skipped", "room", room->id, "user", user,
                       "device", id, "reason", reason, "hint",
                       "this device cannot read crier's messages until it can be reached");
            json_object_set_new (room->skipped, name, json_true ());
        }
    }
    if (added && crier_e2ee_olm_store_save (self->olm) != 0)
        s_retry (room, "the Olm sessions cannot be kept");
}

//  The m.room_key to-device messages for the devices in missing that have an Olm session,
//  encrypted, the sessions saved before they go. Returns true when it started a request.
static bool s_share (room_t *room, json_t *missing)
{
    crier_e2ee_rooms_t *self = room->rooms;
    crier_e2ee_device_t *own = self->options.device;
    char *session_key = crier_e2ee_megolm_key (room->session);
    json_t *messages = json_object ();
    json_t *sent = json_object ();
    const char *name;
    json_t *device;
    json_object_foreach (missing, name, device)
    {
        const char *user = json_string_value (json_object_get (device, "user"));
        const char *id = json_string_value (json_object_get (device, "device"));
        const char *curve = json_string_value (json_object_get (device, "curve25519"));
        crier_e2ee_olm_t *olm = crier_e2ee_olm_store_get (self->olm, curve);
        if (!olm || !session_key)
            continue;
        json_t *payload = json_pack (
            "{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}, s:s, s:{s:O}}", "type", "m.room_key",
            "content", "algorithm", MEGOLM, "room_id", room->id, "session_id",
            crier_e2ee_megolm_id (room->session), "session_key", session_key, "sender",
            crier_e2ee_device_user (own), "sender_device", crier_e2ee_device_id (own), "keys",
            "ed25519", crier_e2ee_device_ed25519 (own), "recipient", user, "recipient_keys",
            "ed25519", json_object_get (device, "ed25519"));
        char *plaintext = payload ? json_dumps (payload, JSON_COMPACT) : NULL;
        int type = 0;
        char *body =
            plaintext ? crier_e2ee_olm_encrypt (olm, plaintext, strlen (plaintext), &type) : NULL;
        if (plaintext)
            explicit_bzero (plaintext, strlen (plaintext));
        free (plaintext);
        json_decref (payload);
        if (!body)
            continue;
        json_t *content = json_pack ("{s:s, s:s, s:{s:{s:i, s:s}}}", "algorithm", OLM, "sender_key",
                                     crier_e2ee_device_curve25519 (own), "ciphertext", curve,
                                     "type", type, "body", body);
        free (body);
        json_t *by_user = json_object_get (messages, user);
        if (!by_user) {
            by_user = json_object ();
            json_object_set_new (messages, user, by_user);
        }
        json_object_set_new (by_user, id, content);
        json_object_set_new (sent, name, json_true ());
    }
    if (session_key)
        explicit_bzero (session_key, strlen (session_key));
    free (session_key);
    bool started = false;
    if (json_object_size (sent) > 0 && crier_e2ee_olm_store_save (self->olm) == 0) {
        char txn[CRIER_ID_BYTES], path[256];
        crier_id_generate (txn);
        snprintf (path, sizeof path, "/_matrix/client/v3/sendToDevice/m.room.encrypted/%s", txn);
        json_t *body = json_pack ("{s:O}", "messages", messages);
        json_decref (room->step_data);
        room->step_data = json_incref (sent);
        s_start (room, STEP_SHARE, "PUT", path, body);
        json_decref (body);
        started = true;
    } else if (json_object_size (sent) > 0)
        s_retry (room, "the Olm sessions cannot be kept");
    json_decref (messages);
    json_decref (sent);
    return started || room->timer != -1;
}

static void s_on_share (room_t *room, const crier_matrix_answer_t *answer)
{
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (room, answer->reason);
        return;
    }
    json_object_update (room->shared, room->step_data);
    crier_log (CRIER_LOG_INFO, "e2ee.keys_shared", "room", room->id, "session",
               crier_e2ee_megolm_id (room->session), "devices",
               CRIER_LOG_INT (json_object_size (room->step_data)));
    crier_event_t *event =
        room->rooms->options.events ? crier_event_new ("e2ee.keys_shared") : NULL;
    if (event) {
        crier_event_add_text (event, "room_id", room->id);
        crier_event_add_text (event, "session_id", crier_e2ee_megolm_id (room->session));
        crier_event_add_int (event, "devices", (int64_t)json_object_size (room->step_data));
        crier_event_send (&event, room->rooms->options.events);
    }
    if (s_room_save (room) != 0)
        s_retry (room, "the room key cannot be kept");
}

// ---------------------------------------------------------------------------------------------
// Encrypting

//  A new session when there is none, a member left, or it is past a rotation period.
static int s_session (room_t *room, int64_t now_ms)
{
    if (room->session && !room->rotate && room->session_messages < room->rotation_msgs &&
        (uint64_t)(now_ms - room->session_created_ms) < room->rotation_ms)
        return 0;
    char reason[160];
    crier_e2ee_megolm_t *session = crier_e2ee_megolm_new (reason, sizeof reason);
    if (!session) {
        s_retry (room, reason);
        return -1;
    }
    crier_e2ee_megolm_destroy (&room->session);
    room->session = session;
    room->session_created_ms = now_ms;
    room->session_messages = 0;
    room->rotate = false;
    json_object_clear (room->shared);
    json_object_clear (room->skipped);
    if (s_room_save (room) != 0) {
        s_retry (room, "the room key cannot be kept");
        return -1;
    }
    crier_log (CRIER_LOG_INFO, "e2ee.room_key_new", "room", room->id, "session",
               crier_e2ee_megolm_id (room->session));
    return 0;
}

//  Encrypts every waiting request, saves the session once, then answers them all.
static void s_encrypt_pending (room_t *room)
{
    crier_e2ee_device_t *own = room->rooms->options.device;
    json_t *answers = json_array ();
    for (request_t *request = zlistx_first (room->pending); request;
         request = zlistx_next (room->pending)) {
        json_t *plain = json_pack (
            "{s:O?, s:O?, s:s}", "type", json_object_get (request->request, "type"), "content",
            json_object_get (request->request, "content"), "room_id", room->id);
        char *text = plain ? json_dumps (plain, JSON_COMPACT) : NULL;
        char *ciphertext =
            text ? crier_e2ee_megolm_encrypt (room->session, text, strlen (text)) : NULL;
        json_decref (plain);
        free (text);
        if (ciphertext)
            room->session_messages++;
        json_array_append_new (
            answers,
            ciphertext ? json_pack ("{s:s, s:s, s:s, s:s, s:s}", "algorithm", MEGOLM, "sender_key",
                                    crier_e2ee_device_curve25519 (own), "ciphertext", ciphertext,
                                    "session_id", crier_e2ee_megolm_id (room->session), "device_id",
                                    crier_e2ee_device_id (own))
                       : json_null ());
        free (ciphertext);
        //  A relation (an edit's m.replace) stays readable beside the ciphertext, as the
        //  specification asks, so that the homeserver can aggregate it.
        json_t *relation =
            json_object_get (json_object_get (request->request, "content"), "m.relates_to");
        json_t *encrypted = json_array_get (answers, json_array_size (answers) - 1);
        if (relation && json_is_object (encrypted))
            json_object_set (encrypted, "m.relates_to", relation);
    }
    //  Kept before any of them leaves: a crash never sends two messages under one index.
    if (s_room_save (room) != 0) {
        json_decref (answers);
        s_retry (room, "the room key cannot be kept");
        return;
    }
    size_t index = 0;
    for (request_t *request = zlistx_first (room->pending); request;
         request = zlistx_next (room->pending), index++) {
        json_t *content = json_array_get (answers, index);
        if (json_is_object (content))
            s_answer (room, request, "encrypted", content, NULL);
        else
            s_answer (room, request, "failed", NULL, "could not encrypt (out of memory)");
    }
    zlistx_purge (room->pending);
    json_decref (answers);
}

//  The next step of a room with waiting requests.
static void s_advance (room_t *room)
{
    crier_e2ee_rooms_t *self = room->rooms;
    if (room->step != STEP_NONE || room->timer != -1 || zlistx_size (room->pending) == 0)
        return;
    if (room->state == ROOM_NEW) {
        s_learn (room);
        return;
    }
    if (!room->encrypted) {
        s_answer_all (room, "plaintext", NULL);
        return;
    }
    if (!crier_e2ee_device_ready (self->options.device)) {
        s_retry (room, "the bot's device keys are not published yet");
        return;
    }
    if (s_session (room, zclock_time ()) != 0)
        return;
    json_t *users = json_array ();
    const char *user;
    const json_t *ignored;
    json_object_foreach (room->members, user, ignored)
    {
        json_array_append_new (users, json_string (user));
    }
    json_t *query = crier_e2ee_devices_query (self->devices, users);
    json_decref (users);
    if (query) {
        json_decref (room->step_data);
        room->step_data = query;
        s_start (room, STEP_QUERY, "POST", "/_matrix/client/v3/keys/query", query);
        return;
    }
    json_t *missing = s_missing (room);
    bool busy = s_claim (room, missing) || s_share (room, missing);
    json_decref (missing);
    if (busy)
        return;
    if (json_object_size (room->shared) == 0) {
        s_answer_all (room, "failed",
                      "no member of the room has a device crier can encrypt for (no device keys, "
                      "or no one-time keys)");
        return;
    }
    s_encrypt_pending (room);
}

static void s_on_answer (const crier_matrix_answer_t *answer, void *arg)
{
    room_t *room = arg;
    step_t step = room->step;
    room->step = STEP_NONE;
    bool ok = answer->outcome == CRIER_MATRIX_OK;
    switch (step) {
        case STEP_STATE:
            s_on_state (room, answer);
            break;
        case STEP_MEMBERS:
            s_on_members (room, answer);
            break;
        case STEP_QUERY:
            if (ok)
                crier_e2ee_devices_apply (room->rooms->devices, room->step_data, answer->body);
            else
                s_retry (room, answer->reason);
            break;
        case STEP_CLAIM:
            s_on_claim (room, answer);
            break;
        case STEP_SHARE:
            s_on_share (room, answer);
            break;
        case STEP_NONE:
            break;
    }
    if (room->step == STEP_NONE && room->timer == -1) {
        if (ok)
            room->failures = 0;
        s_advance (room);
    }
}

// ---------------------------------------------------------------------------------------------
// The interface

crier_e2ee_rooms_t *crier_e2ee_rooms_new (const crier_e2ee_rooms_options_t *options)
{
    crier_e2ee_rooms_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->rooms = zhashx_new ();
    self->devices = crier_e2ee_devices_new ();
    self->olm = crier_e2ee_olm_store_open (options->dir, options->key);
    if (!self->rooms || !self->devices || !self->olm) {
        crier_e2ee_rooms_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->rooms, s_room_destroy);
    return self;
}

void crier_e2ee_rooms_destroy (crier_e2ee_rooms_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_rooms_t *self = *self_p;
    zhashx_destroy (&self->rooms);
    crier_e2ee_devices_destroy (&self->devices);
    crier_e2ee_olm_store_destroy (&self->olm);
    free (self);
    *self_p = NULL;
}

void crier_e2ee_rooms_request (crier_e2ee_rooms_t *self, const void *peer, size_t peer_size,
                               const json_t *request)
{
    const char *room_id = json_string_value (json_object_get (request, "room_id"));
    room_t *room = room_id ? s_room (self, room_id) : NULL;
    request_t *waiting = room ? calloc (1, sizeof *waiting) : NULL;
    if (waiting && (waiting->peer = malloc (peer_size ? peer_size : 1))) {
        memcpy (waiting->peer, peer, peer_size);
        waiting->peer_size = peer_size;
        waiting->request = json_incref ((json_t *)request);
        zlistx_add_end (room->pending, waiting);
        s_advance (room);
    } else {
        free (waiting);
        crier_log (CRIER_LOG_WARN, "e2ee.request_dropped", "room", room_id, "reason",
                   room_id ? "out of memory" : "no room_id", "hint",
                   "the sender asks again when its request times out");
    }
}

//  One room's part of a /sync answer: its encryption and its members' comings and goings.
static void s_sync_room (room_t *room, const json_t *events)
{
    size_t index;
    const json_t *event;
    json_array_foreach (events, index, event)
    {
        const char *type = json_string_value (json_object_get (event, "type"));
        const char *key = json_string_value (json_object_get (event, "state_key"));
        const json_t *content = json_object_get (event, "content");
        if (!type || !key)
            continue;
        if (strcmp (type, "m.room.encryption") == 0 && !key[0]) {
            if (!room->encrypted)
                room->state = ROOM_NEW; //  learn its members from the start
            s_encryption (room, content);
        } else if (strcmp (type, "m.room.member") == 0) {
            const char *membership = json_string_value (json_object_get (content, "membership"));
            bool joined = membership && strcmp (membership, "join") == 0;
            if (!joined && json_object_get (room->members, key)) {
                room->rotate = true; //  who left must not read what follows
                crier_log (CRIER_LOG_INFO, "e2ee.member_left", "room", room->id, "user", key,
                           "then", "the next message gets a new room key");
            }
            if (joined)
                json_object_set_new (room->members, key, json_true ());
            else
                json_object_del (room->members, key);
        }
    }
}

void crier_e2ee_rooms_on_sync (crier_e2ee_rooms_t *self, const json_t *body)
{
    const json_t *changed = json_object_get (json_object_get (body, "device_lists"), "changed");
    if (json_array_size (changed) > 0) {
        crier_e2ee_devices_outdated (self->devices, changed);
        for (room_t *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms))
            json_object_clear (room->skipped);
    }
    const char *room_id;
    const json_t *joined;
    json_object_foreach (json_object_get (json_object_get (body, "rooms"), "join"), room_id, joined)
    {
        room_t *room = zhashx_lookup (self->rooms, room_id);
        if (!room || room->state != ROOM_KNOWN)
            continue;
        s_sync_room (room, json_object_get (json_object_get (joined, "state"), "events"));
        s_sync_room (room, json_object_get (json_object_get (joined, "timeline"), "events"));
    }
    json_object_foreach (json_object_get (json_object_get (body, "rooms"), "leave"), room_id,
                         joined)
    {
        room_t *room = zhashx_lookup (self->rooms, room_id);
        if (room && room->step == STEP_NONE && zlistx_size (room->pending) == 0) {
            //  Its room key goes too: if the bot comes back, a new one for who is there then.
            unlink (room->path);
            zhashx_delete (self->rooms, room_id);
        }
    }
    for (room_t *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms))
        s_advance (room);
}

/*  e2ee_inbox.c - see e2ee_inbox.h. Olm sessions by the sender's identity key (a list: a device
    may start several), Megolm sessions by "room|sender key|session id". */
//  explicit_bzero (glibc, BSD): wiping what was decrypted before it is freed.
#define _DEFAULT_SOURCE
#include "e2ee_inbox.h"
#include "e2ee_account.h"
#include "e2ee_sessions.h"

#include "e2ee_state.h"

#include "crier/durable_file.h"
#include "crier/log.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_FILE  "e2ee-inbox.json"
#define INBOX_BYTES (64 * 1024 * 1024)
#define MEGOLM      "m.megolm.v1.aes-sha2"
#define OLM         "m.olm.v1.curve25519-aes-sha2"

struct crier_e2ee_inbox_t {
    crier_e2ee_inbox_options_t options;
    char *path;
    zhashx_t *olm;    //  sender key -> zlistx_t of crier_e2ee_olm_t
    zhashx_t *megolm; //  "room|sender key|session" -> crier_e2ee_megolm_in_t
};

static void s_olm_list_destroy (void **item)
{
    zlistx_destroy ((zlistx_t **)item);
}

static void s_olm_destroy (void **item)
{
    crier_e2ee_olm_destroy ((crier_e2ee_olm_t **)item);
}

static void s_megolm_destroy (void **item)
{
    crier_e2ee_megolm_in_destroy ((crier_e2ee_megolm_in_t **)item);
}

//  The sessions of a sender key (made when missing), or NULL when out of memory.
static zlistx_t *s_olm_list (crier_e2ee_inbox_t *self, const char *sender_key)
{
    zlistx_t *list = zhashx_lookup (self->olm, sender_key);
    if (!list && (list = zlistx_new ())) {
        zlistx_set_destructor (list, s_olm_destroy);
        zhashx_insert (self->olm, sender_key, list);
    }
    return list;
}

static int s_save (crier_e2ee_inbox_t *self)
{
    const char *key = self->options.key;
    json_t *olm = json_object (), *megolm = json_object ();
    int rc = olm && megolm ? 0 : -1;
    for (zlistx_t *list = zhashx_first (self->olm); list && rc == 0;
         list = zhashx_next (self->olm)) {
        json_t *saved = json_array ();
        for (crier_e2ee_olm_t *session = zlistx_first (list); session;
             session = zlistx_next (list)) {
            char *text = crier_e2ee_olm_save (session, key, strlen (key));
            json_array_append_new (saved, text ? json_string (text) : json_null ());
            free (text);
        }
        json_object_set_new (olm, zhashx_cursor (self->olm), saved);
    }
    for (crier_e2ee_megolm_in_t *session = zhashx_first (self->megolm); session && rc == 0;
         session = zhashx_next (self->megolm)) {
        char *text = crier_e2ee_megolm_in_save (session, key, strlen (key));
        json_object_set_new (megolm, zhashx_cursor (self->megolm),
                             text ? json_string (text) : json_null ());
        free (text);
    }
    json_t *file = json_pack ("{s:o, s:o}", "olm", olm, "megolm", megolm);
    rc = crier_e2ee_state_write (self->path, rc == 0 ? file : NULL,
                                 "room keys received are not kept");
    json_decref (file);
    return rc;
}

//  Reads what is kept: 0, or -1 when it is there but unreadable.
static int s_load (crier_e2ee_inbox_t *self)
{
    char *text = crier_durable_read (self->path, INBOX_BYTES, NULL);
    if (!text)
        return errno == ENOENT ? 0 : -1;
    json_t *file = json_loads (text, 0, NULL);
    free (text);
    const char *key = self->options.key;
    const char *name;
    json_t *value;
    char reason[160];
    int rc = json_is_object (file) ? 0 : -1;
    json_object_foreach (json_object_get (file, "olm"), name, value)
    {
        zlistx_t *list = s_olm_list (self, name);
        size_t index;
        json_t *saved;
        json_array_foreach (value, index, saved)
        {
            crier_e2ee_olm_t *session =
                json_is_string (saved) ? crier_e2ee_olm_load (json_string_value (saved), key,
                                                              strlen (key), reason, sizeof reason)
                                       : NULL;
            if (session && list)
                zlistx_add_end (list, session);
            else
                rc = -1;
        }
    }
    json_object_foreach (json_object_get (file, "megolm"), name, value)
    {
        crier_e2ee_megolm_in_t *session =
            json_is_string (value) ? crier_e2ee_megolm_in_load (json_string_value (value), key,
                                                                strlen (key), reason, sizeof reason)
                                   : NULL;
        if (session)
            zhashx_insert (self->megolm, name, session);
        else
            rc = -1;
    }
    json_decref (file);
    return rc;
}

crier_e2ee_inbox_t *crier_e2ee_inbox_new (const crier_e2ee_inbox_options_t *options)
{
    crier_e2ee_inbox_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->path = zsys_sprintf ("%s/%s", options->dir, INBOX_FILE);
    self->olm = zhashx_new ();
    self->megolm = zhashx_new ();
    if (!self->path || !self->olm || !self->megolm) {
        crier_e2ee_inbox_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->olm, s_olm_list_destroy);
    zhashx_set_destructor (self->megolm, s_megolm_destroy);
    if (s_load (self) != 0) {
        crier_log (CRIER_LOG_ERROR, "e2ee.state_unreadable", "file", self->path, "hint",
                   "give the CRIER_MATRIX_STATE_KEY it was saved with, or remove the file (room "
                   "keys received so far are then lost)");
        crier_e2ee_inbox_destroy (&self);
    }
    return self;
}

void crier_e2ee_inbox_destroy (crier_e2ee_inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_inbox_t *self = *self_p;
    zhashx_destroy (&self->olm);
    zhashx_destroy (&self->megolm);
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

//  An Olm message from sender_key: decrypted with a session it belongs to, or a new one it
//  starts (type 0). The plaintext (the caller frees it), or NULL.
static char *s_olm_decrypt (crier_e2ee_inbox_t *self, const char *sender_key, int type,
                            const char *body, bool *changed_p)
{
    zlistx_t *list = s_olm_list (self, sender_key);
    if (!list)
        return NULL;
    for (crier_e2ee_olm_t *session = zlistx_first (list); session; session = zlistx_next (list)) {
        if (type == 0 && !crier_e2ee_olm_matches (session, body))
            continue;
        char *plaintext = crier_e2ee_olm_decrypt (session, type, body);
        if (plaintext) {
            *changed_p = true;
            return plaintext;
        }
    }
    if (type != 0)
        return NULL;
    char reason[160];
    crier_e2ee_olm_t *session = crier_e2ee_olm_new_inbound (
        crier_e2ee_device_account (self->options.device), sender_key, body, reason, sizeof reason);
    char *plaintext = session ? crier_e2ee_olm_decrypt (session, 0, body) : NULL;
    //  The one-time key it used is gone: kept so, before anything else happens.
    if (!plaintext || crier_e2ee_device_save (self->options.device) != 0) {
        crier_log (CRIER_LOG_WARN, "e2ee.message_unreadable", "sender_key", sender_key, "reason",
                   plaintext ? "the account could not be kept" : reason, "hint",
                   "the sending device retries with a new session");
        crier_e2ee_olm_destroy (&session);
        free (plaintext);
        return NULL;
    }
    zlistx_add_end (list, session);
    *changed_p = true;
    return plaintext;
}

//  A decrypted to-device payload: a room key for this device is kept.
static bool s_room_key (crier_e2ee_inbox_t *self, const char *sender, const char *sender_key,
                        const json_t *payload)
{
    crier_e2ee_device_t *own = self->options.device;
    const char *type = json_string_value (json_object_get (payload, "type"));
    const char *recipient = json_string_value (json_object_get (payload, "recipient"));
    const char *recipient_ed = json_string_value (
        json_object_get (json_object_get (payload, "recipient_keys"), "ed25519"));
    const char *claimed = json_string_value (json_object_get (payload, "sender"));
    //  Meant for this device, from who says it sent it: else a replay or a forwarding.
    if (!type || !recipient || !recipient_ed || !claimed ||
        strcmp (recipient, crier_e2ee_device_user (own)) != 0 ||
        strcmp (recipient_ed, crier_e2ee_device_ed25519 (own)) != 0 ||
        strcmp (claimed, sender) != 0) {
        crier_log (CRIER_LOG_WARN, "e2ee.message_refused", "sender", sender, "reason",
                   "not addressed to this device, or not from its sender", "hint",
                   "ignored; nothing to do unless it repeats");
        return false;
    }
    const json_t *content = json_object_get (payload, "content");
    const char *room = json_string_value (json_object_get (content, "room_id"));
    const char *session_id = json_string_value (json_object_get (content, "session_id"));
    const char *session_key = json_string_value (json_object_get (content, "session_key"));
    const char *algorithm = json_string_value (json_object_get (content, "algorithm"));
    if (strcmp (type, "m.room_key") != 0 || !room || !session_id || !session_key || !algorithm ||
        strcmp (algorithm, MEGOLM) != 0)
        return false;
    char *name = zsys_sprintf ("%s|%s|%s", room, sender_key, session_id);
    bool added = false;
    if (name && !zhashx_lookup (self->megolm, name)) {
        char reason[160];
        crier_e2ee_megolm_in_t *session =
            crier_e2ee_megolm_in_new (session_key, reason, sizeof reason);
        if (session && strcmp (crier_e2ee_megolm_in_id (session), session_id) == 0) {
            zhashx_insert (self->megolm, name, session);
            added = true;
            crier_log (CRIER_LOG_INFO, "e2ee.room_key_received", "room", room, "sender", sender,
                       "session", session_id);
        } else
            crier_e2ee_megolm_in_destroy (&session);
    }
    zstr_free (&name);
    return added;
}

static void s_to_device (crier_e2ee_inbox_t *self, const json_t *body)
{
    const char *own_key = crier_e2ee_device_curve25519 (self->options.device);
    bool changed = false;
    size_t index;
    const json_t *message;
    json_array_foreach (json_object_get (json_object_get (body, "to_device"), "events"), index,
                        message)
    {
        const json_t *content = json_object_get (message, "content");
        const char *type = json_string_value (json_object_get (message, "type"));
        const char *sender = json_string_value (json_object_get (message, "sender"));
        const char *algorithm = json_string_value (json_object_get (content, "algorithm"));
        const char *sender_key = json_string_value (json_object_get (content, "sender_key"));
        const json_t *mine = json_object_get (json_object_get (content, "ciphertext"), own_key);
        const char *ciphertext = json_string_value (json_object_get (mine, "body"));
        if (!type || strcmp (type, "m.room.encrypted") != 0 || !sender || !algorithm ||
            strcmp (algorithm, OLM) != 0 || !sender_key || !ciphertext)
            continue;
        int message_type = (int)json_integer_value (json_object_get (mine, "type"));
        char *plaintext = s_olm_decrypt (self, sender_key, message_type, ciphertext, &changed);
        json_t *payload = plaintext ? json_loads (plaintext, 0, NULL) : NULL;
        if (plaintext)
            explicit_bzero (plaintext, strlen (plaintext));
        free (plaintext);
        if (payload)
            changed |= s_room_key (self, sender, sender_key, payload);
        json_decref (payload);
    }
    if (changed)
        s_save (self);
}

static void s_timeline (crier_e2ee_inbox_t *self, const char *room, const json_t *events,
                        crier_e2ee_decrypted_fn *fn, void *arg)
{
    size_t index;
    const json_t *event;
    json_array_foreach (events, index, event)
    {
        const json_t *content = json_object_get (event, "content");
        const char *type = json_string_value (json_object_get (event, "type"));
        const char *algorithm = json_string_value (json_object_get (content, "algorithm"));
        if (!type || strcmp (type, "m.room.encrypted") != 0 || !algorithm ||
            strcmp (algorithm, MEGOLM) != 0)
            continue;
        char *name = zsys_sprintf ("%s|%s|%s", room,
                                   json_string_value (json_object_get (content, "sender_key")),
                                   json_string_value (json_object_get (content, "session_id")));
        crier_e2ee_megolm_in_t *session = name ? zhashx_lookup (self->megolm, name) : NULL;
        zstr_free (&name);
        const char *ciphertext = json_string_value (json_object_get (content, "ciphertext"));
        uint32_t message_index = 0;
        char *plaintext = session && ciphertext
                              ? crier_e2ee_megolm_in_decrypt (session, ciphertext, &message_index)
                              : NULL;
        json_t *decrypted = plaintext ? json_loads (plaintext, 0, NULL) : NULL;
        free (plaintext);
        //  It names its room: one replayed from another room is not this room's.
        const char *claimed = json_string_value (json_object_get (decrypted, "room_id"));
        const char *sender = json_string_value (json_object_get (event, "sender"));
        if (decrypted && claimed && strcmp (claimed, room) == 0 && sender) {
            crier_log (CRIER_LOG_DEBUG, "e2ee.message_decrypted", "room", room, "sender", sender,
                       "type", json_string_value (json_object_get (decrypted, "type")), "index",
                       CRIER_LOG_INT (message_index));
            if (fn)
                fn (room, sender, json_string_value (json_object_get (event, "event_id")),
                    decrypted, arg);
        }
        json_decref (decrypted);
    }
}

void crier_e2ee_inbox_on_sync (crier_e2ee_inbox_t *self, const json_t *body,
                               crier_e2ee_decrypted_fn *fn, void *arg)
{
    if (!crier_e2ee_device_account (self->options.device))
        return; //  no keys yet: nothing can be for this device
    s_to_device (self, body);
    const char *room;
    const json_t *joined;
    json_object_foreach (json_object_get (json_object_get (body, "rooms"), "join"), room, joined)
    {
        s_timeline (self, room, json_object_get (json_object_get (joined, "timeline"), "events"),
                    fn, arg);
    }
}

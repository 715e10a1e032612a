/*  e2ee_device.c - see e2ee_device.h. */
//  explicit_bzero (glibc, BSD): wiping secrets that the compiler must not optimise away.
#define _DEFAULT_SOURCE
#include "e2ee_device.h"
#include "e2ee_account.h"
#include "e2ee_signing.h"

#include "e2ee_state.h"

#include "crier/backoff.h"
#include "crier/durable_file.h"
#include "crier/event.h"
#include "crier/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_FILE       "e2ee-device.json"
#define DEVICE_FILE_BYTES (1024 * 1024)
#define RETRY_BASE_MS     1000
#define RETRY_CAP_MS      30000

struct crier_e2ee_device_t {
    crier_e2ee_device_options_t options;
    char *path;   //  the state file
    char *user;   //  whose device
    char *device; //  its id
    crier_e2ee_account_t *account;
    bool device_keys_published; //  in this run
    bool uploading;             //  a /keys/upload is running
    bool ready;                 //  e2ee.device_ready said
    size_t on_server;           //  one-time keys the homeserver said it holds
    unsigned failures;          //  uploads failed in a row
    int timer;                  //  the next try, or -1
};

static void s_upload (crier_e2ee_device_t *self);

//  Half of what the account can hold: room for keys made while others are still on the server.
static size_t s_target (const crier_e2ee_device_t *self)
{
    return crier_e2ee_account_max_one_time_keys (self->account) / 2;
}

//  Keeps the account, synced: 0, or -1 after logging.
static int s_save (crier_e2ee_device_t *self)
{
    char *saved =
        crier_e2ee_account_save (self->account, self->options.key, strlen (self->options.key));
    json_t *file = saved ? json_pack ("{s:s, s:s, s:s}", "user_id", self->user, "device_id",
                                      self->device, "account", saved)
                         : NULL;
    int rc = crier_e2ee_state_write (
        self->path, file,
        "the device's keys cannot be kept, and nothing is published until they are");
    json_decref (file);
    free (saved);
    return rc;
}

crier_e2ee_device_t *crier_e2ee_device_open (const crier_e2ee_device_options_t *options)
{
    crier_e2ee_device_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->timer = -1;
    self->path = zsys_sprintf ("%s/%s", options->dir, DEVICE_FILE);
    char *text = self->path ? crier_durable_read (self->path, DEVICE_FILE_BYTES, NULL) : NULL;
    if (!text && self->path && errno == ENOENT)
        return self; //  none yet: made once whoami tells the device
    json_t *file = text ? json_loads (text, 0, NULL) : NULL;
    const char *user = json_string_value (json_object_get (file, "user_id"));
    const char *device = json_string_value (json_object_get (file, "device_id"));
    const char *saved = json_string_value (json_object_get (file, "account"));
    char reason[256] = "not a device file of crier's";
    if (!text)
        snprintf (reason, sizeof reason, "%s", strerror (errno));
    else if (user && device && saved) {
        self->account = crier_e2ee_account_load (saved, options->key, strlen (options->key), reason,
                                                 sizeof reason);
        self->user = strdup (user);
        self->device = strdup (device);
    }
    json_decref (file);
    if (text)
        explicit_bzero (text, strlen (text));
    free (text);
    if (!self->account || !self->user || !self->device) {
        crier_log (CRIER_LOG_ERROR, "e2ee.state_unreadable", "file", self->path, "reason", reason,
                   "hint",
                   "give the CRIER_MATRIX_STATE_KEY it was saved with; a new key or device "
                   "means a new device for the bot (docs/matrix.md, End-to-end encryption)");
        crier_e2ee_device_destroy (&self);
    }
    return self;
}

void crier_e2ee_device_destroy (crier_e2ee_device_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_e2ee_device_t *self = *self_p;
    if (self->timer != -1)
        zloop_timer_end (self->options.loop, self->timer);
    crier_e2ee_account_destroy (&self->account);
    zstr_free (&self->path);
    free (self->user);
    free (self->device);
    free (self);
    *self_p = NULL;
}

//  The device keys, signed by the device.
static json_t *s_device_keys (crier_e2ee_device_t *self)
{
    char curve[300], ed[300];
    snprintf (curve, sizeof curve, "curve25519:%s", self->device);
    snprintf (ed, sizeof ed, "ed25519:%s", self->device);
    json_t *keys = json_pack ("{s:s, s:s, s:[s, s], s:{s:s, s:s}}", "user_id", self->user,
                              "device_id", self->device, "algorithms",
                              "m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2", "keys", curve,
                              crier_e2ee_account_curve25519 (self->account), ed,
                              crier_e2ee_account_ed25519 (self->account));
    if (keys && crier_e2ee_sign (self->account, keys, self->user, self->device) != 0) {
        json_decref (keys);
        keys = NULL;
    }
    return keys;
}

//  The unpublished one-time keys, each signed: {"signed_curve25519:AAAAAQ": {"key": ...}}.
static json_t *s_one_time_keys (crier_e2ee_device_t *self, size_t *count_p)
{
    json_t *keys = crier_e2ee_account_unpublished_keys (self->account);
    json_t *signed_keys = keys ? json_object () : NULL;
    const char *id;
    json_t *key;
    *count_p = 0;
    json_object_foreach (keys, id, key)
    {
        char name[128];
        snprintf (name, sizeof name, "signed_curve25519:%s", id);
        json_t *entry = json_pack ("{s:O}", "key", key);
        if (!entry || crier_e2ee_sign (self->account, entry, self->user, self->device) != 0 ||
            json_object_set_new (signed_keys, name, entry) != 0) {
            json_decref (signed_keys);
            signed_keys = NULL;
            break;
        }
        (*count_p)++;
    }
    json_decref (keys);
    return signed_keys;
}

static int s_on_retry (zloop_t *loop, int timer_id, void *arg)
{
    crier_e2ee_device_t *self = arg;
    self->timer = -1;
    s_upload (self);
    return 0;
}

static void s_retry (crier_e2ee_device_t *self, const char *reason, const char *hint)
{
    if (self->failures++ == 0)
        crier_log (CRIER_LOG_WARN, "e2ee.keys_upload_failed", "device", self->device, "reason",
                   reason, "hint", hint, "meanwhile",
                   "encrypted rooms cannot be sent to until the keys are published; retrying "
                   "with backoff");
    uint64_t delay = crier_backoff_ms (self->failures, RETRY_BASE_MS, RETRY_CAP_MS);
    self->timer = zloop_timer (self->options.loop, (size_t)delay, 1, s_on_retry, self);
}

static void s_say_ready (crier_e2ee_device_t *self)
{
    self->ready = true;
    crier_log (CRIER_LOG_INFO, "e2ee.device_ready", "user", self->user, "device", self->device,
               "curve25519", crier_e2ee_account_curve25519 (self->account), "ed25519",
               crier_e2ee_account_ed25519 (self->account), "one_time_keys",
               CRIER_LOG_INT (self->on_server));
    crier_event_t *event = self->options.events ? crier_event_new ("e2ee.device_ready") : NULL;
    if (event) {
        crier_event_add_text (event, "user_id", self->user);
        crier_event_add_text (event, "device_id", self->device);
        crier_event_add_text (event, "curve25519", crier_e2ee_account_curve25519 (self->account));
        crier_event_add_text (event, "ed25519", crier_e2ee_account_ed25519 (self->account));
        crier_event_add_int (event, "one_time_keys", (int64_t)self->on_server);
        crier_event_send (&event, self->options.events);
    }
}

//  Makes the one-time keys the homeserver lacks, saved before they go: 0, or -1.
static int s_make_keys (crier_e2ee_device_t *self)
{
    size_t target = s_target (self);
    if (self->on_server >= target)
        return 0;
    if (crier_e2ee_account_generate_one_time_keys (self->account, target - self->on_server) != 0)
        return -1;
    return s_save (self);
}

static void s_on_upload (const crier_matrix_answer_t *answer, void *arg)
{
    crier_e2ee_device_t *self = arg;
    self->uploading = false;
    if (answer->outcome != CRIER_MATRIX_OK) {
        s_retry (self, answer->reason,
                 answer->outcome == CRIER_MATRIX_UNAUTHORIZED
                     ? "check CRIER_MATRIX_ACCESS_TOKEN (docs/matrix.md)"
                 : answer->outcome == CRIER_MATRIX_FATAL
                     ? "the homeserver refused the keys: if the device's state was lost, log the "
                       "bot in again for a new device (docs/matrix.md, End-to-end encryption)"
                     : "check the homeserver's health");
        return;
    }
    if (self->failures > 0)
        crier_log (CRIER_LOG_INFO, "e2ee.keys_upload_recovered", "failures",
                   CRIER_LOG_INT (self->failures));
    self->failures = 0;
    self->device_keys_published = true;
    //  What was sent is on the server now: never sent again under another key.
    crier_e2ee_account_mark_published (self->account);
    json_t *count = json_object_get (json_object_get (answer->body, "one_time_key_counts"),
                                     "signed_curve25519");
    self->on_server = json_is_integer (count) ? (size_t)json_integer_value (count) : 0;
    if (s_save (self) != 0)
        return;
    if (self->on_server < s_target (self)) {
        if (s_make_keys (self) == 0)
            s_upload (self);
        return;
    }
    if (!self->ready)
        s_say_ready (self);
}

static void s_upload (crier_e2ee_device_t *self)
{
    size_t one_time = 0;
    json_t *body = json_object ();
    json_t *keys = self->device_keys_published ? NULL : s_device_keys (self);
    json_t *one_time_keys = s_one_time_keys (self, &one_time);
    if (keys)
        json_object_set_new (body, "device_keys", keys);
    if (one_time_keys && one_time > 0)
        json_object_set (body, "one_time_keys", one_time_keys);
    json_decref (one_time_keys);
    char *text = body && (keys || self->device_keys_published) && one_time_keys
                     ? json_dumps (body, JSON_COMPACT)
                     : NULL;
    json_decref (body);
    char reason[256] = "out of memory";
    if (!text ||
        crier_matrix_client_request (self->options.client, "POST", "/_matrix/client/v3/keys/upload",
                                     text, s_on_upload, self, reason, sizeof reason) != 0)
        s_retry (self, reason, "see the reason");
    else
        self->uploading = true;
    free (text);
}

int crier_e2ee_device_publish (crier_e2ee_device_t *self, const char *user_id,
                               const char *device_id)
{
    if (self->account && (strcmp (self->user, user_id) != 0 || strcmp (self->device, device_id))) {
        //  The access token is another device's now: its keys are not this one's. The old
        //  file stays beside, in case the token is put back.
        char *kept = zsys_sprintf ("%s.%s", self->path, self->device);
        crier_log (CRIER_LOG_WARN, "e2ee.device_changed", "was", self->device, "now", device_id,
                   "kept", kept, "hint",
                   "CRIER_MATRIX_ACCESS_TOKEN belongs to another device: it gets keys of its "
                   "own, and customers see a new device (verify it again: docs/matrix.md)");
        if (kept)
            rename (self->path, kept);
        zstr_free (&kept);
        crier_e2ee_account_destroy (&self->account);
    }
    free (self->user);
    free (self->device);
    self->user = strdup (user_id);
    self->device = strdup (device_id);
    char reason[256] = "out of memory";
    if (self->user && self->device && !self->account) {
        self->account = crier_e2ee_account_new (reason, sizeof reason);
        //  The account is saved before anything of it is published.
        if (self->account && s_save (self) != 0)
            return -1;
        if (self->account)
            crier_log (CRIER_LOG_INFO, "e2ee.device_created", "user", self->user, "device",
                       self->device, "file", self->path);
    }
    if (!self->account || !self->user || !self->device) {
        crier_log (CRIER_LOG_ERROR, "e2ee.device_unusable", "reason", reason, "hint",
                   "encrypted rooms cannot be sent to; this is a bug or out of memory");
        return -1;
    }
    s_upload (self);
    return 0;
}

void crier_e2ee_device_on_sync (crier_e2ee_device_t *self, const json_t *body)
{
    const json_t *count =
        json_object_get (json_object_get (body, "device_one_time_keys_count"), "signed_curve25519");
    if (!self->ready || self->uploading || self->timer != -1 || !json_is_integer (count))
        return;
    self->on_server = (size_t)json_integer_value (count);
    //  Topped up once half of them were claimed, not after every claim.
    if (self->on_server < s_target (self) / 2 && s_make_keys (self) == 0)
        s_upload (self);
}

bool crier_e2ee_device_ready (const crier_e2ee_device_t *self)
{
    return self->ready;
}

int crier_e2ee_device_save (crier_e2ee_device_t *self)
{
    return self->account ? s_save (self) : -1;
}

const char *crier_e2ee_device_user (const crier_e2ee_device_t *self)
{
    return self->account ? self->user : NULL;
}

const char *crier_e2ee_device_ed25519 (const crier_e2ee_device_t *self)
{
    return self->account ? crier_e2ee_account_ed25519 (self->account) : NULL;
}

crier_e2ee_account_t *crier_e2ee_device_account (crier_e2ee_device_t *self)
{
    return self->account;
}

const char *crier_e2ee_device_id (const crier_e2ee_device_t *self)
{
    return self->account ? self->device : NULL;
}

const char *crier_e2ee_device_curve25519 (const crier_e2ee_device_t *self)
{
    return self->account ? crier_e2ee_account_curve25519 (self->account) : NULL;
}

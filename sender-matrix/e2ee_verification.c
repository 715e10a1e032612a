/*  e2ee_verification.c - see e2ee_verification.h. One exchange per transaction id; each step
    answers the other side's message. */
#include "e2ee_verification.h"
#include "e2ee_sessions.h"
#include "e2ee_signing.h"

#include "crier/event.h"
#include "crier/id.h"
#include "crier/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAS_METHOD    "m.sas.v1"
#define KEY_AGREEMENT "curve25519-hkdf-sha256"
#define HASH          "sha256"
#define MAC_METHOD    "hkdf-hmac-sha256"
#define EXCHANGES_MAX 64 //  exchanges at once: more are cancelled

static const char *const s_emoji[64] = {
    "Dog",    "Cat",        "Lion",     "Horse",  "Unicorn",   "Pig",        "Elephant",  "Rabbit",
    "Panda",  "Rooster",    "Penguin",  "Turtle", "Fish",      "Octopus",    "Butterfly", "Flower",
    "Tree",   "Cactus",     "Mushroom", "Globe",  "Moon",      "Cloud",      "Fire",      "Banana",
    "Apple",  "Strawberry", "Corn",     "Pizza",  "Cake",      "Heart",      "Smiley",    "Robot",
    "Hat",    "Glasses",    "Wrench",   "Santa",  "Thumbs up", "Umbrella",   "Hourglass", "Clock",
    "Gift",   "Light Bulb", "Book",     "Pencil", "Paperclip", "Scissors",   "Lock",      "Key",
    "Hammer", "Telephone",  "Flag",     "Train",  "Bicycle",   "Airplane",   "Rocket",    "Trophy",
    "Ball",   "Guitar",     "Trumpet",  "Bell",   "Anchor",    "Headphones", "Folder",    "Pin"};

const char *crier_e2ee_emoji_name (unsigned index)
{
    return index < 64 ? s_emoji[index] : "?";
}

typedef struct {
    crier_e2ee_verification_t *owner;
    char *transaction;
    char *user;   //  theirs
    char *device; //  theirs
    char *room;   //  the room of a request made as a room message, or NULL (to-device)
    char *their_key;
    crier_e2ee_sas_t *sas;
} exchange_t;

//  Where a verification message goes, and which exchange it belongs to.
typedef struct {
    const char *user;
    const char *device;
    const char *room; //  NULL: to-device
    const char *transaction;
} peer_t;

struct crier_e2ee_verification_t {
    crier_e2ee_verification_options_t options;
    zhashx_t *exchanges; //  transaction id -> exchange_t
    //  Messages to send, one at a time and in order (the other side must have our key before
    //  our MAC): to-device {"path", "body"}, or room events {"room", "type", "content", "txn"}
    //  (encrypted first when the room is).
    json_t *outbox;
    bool sending;
    char *master_key;   //  the bot's master cross-signing key, once /keys/query told it
    bool asking_master; //  that query is on its way
};

static void s_exchange_destroy (void **item)
{
    exchange_t *exchange = *item;
    if (!exchange)
        return;
    crier_e2ee_sas_destroy (&exchange->sas);
    free (exchange->transaction);
    free (exchange->user);
    free (exchange->device);
    free (exchange->room);
    free (exchange->their_key);
    free (exchange);
    *item = NULL;
}

crier_e2ee_verification_t *
crier_e2ee_verification_new (const crier_e2ee_verification_options_t *options)
{
    crier_e2ee_verification_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = *options;
    self->exchanges = zhashx_new ();
    self->outbox = json_array ();
    if (!self->exchanges || !self->outbox) {
        crier_e2ee_verification_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->exchanges, s_exchange_destroy);
    return self;
}

void crier_e2ee_verification_destroy (crier_e2ee_verification_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->exchanges);
    json_decref ((*self_p)->outbox);
    free ((*self_p)->master_key);
    free (*self_p);
    *self_p = NULL;
}

static void s_on_sent (const crier_matrix_answer_t *answer, void *arg);

//  Sends the next message of the outbox, if none is on its way: a room event is encrypted
//  first (the watcher's rooms engine answers crier_e2ee_verification_on_encrypted).
static void s_pump (crier_e2ee_verification_t *self)
{
    while (!self->sending && json_array_size (self->outbox) > 0) {
        json_t *next = json_array_get (self->outbox, 0);
        const char *room = json_string_value (json_object_get (next, "room"));
        char reason[256] = "out of memory";
        if (room) {
            json_t *request =
                json_pack ("{s:s, s:O, s:O, s:O}", "room_id", room, "delivery_id",
                           json_object_get (next, "txn"), "type", json_object_get (next, "type"),
                           "content", json_object_get (next, "content"));
            if (request && self->options.encrypt) {
                self->sending = true;
                self->options.encrypt (request, self->options.arg);
            }
            json_decref (request);
        } else {
            char *text = json_dumps (json_object_get (next, "body"), JSON_COMPACT);
            if (text &&
                crier_matrix_client_request (self->options.client, "PUT",
                                             json_string_value (json_object_get (next, "path")),
                                             text, s_on_sent, self, reason, sizeof reason) == 0)
                self->sending = true;
            free (text);
        }
        if (!self->sending) {
            crier_log (CRIER_LOG_WARN, "e2ee.verification_failed", "reason", reason, "hint",
                       "the person verifying starts again");
            json_array_remove (self->outbox, 0);
        }
    }
}

static void s_on_sent (const crier_matrix_answer_t *answer, void *arg)
{
    crier_e2ee_verification_t *self = arg;
    self->sending = false;
    json_array_remove (self->outbox, 0);
    if (answer->outcome != CRIER_MATRIX_OK)
        crier_log (CRIER_LOG_WARN, "e2ee.verification_failed", "reason", answer->reason, "hint",
                   "the person verifying starts again");
    s_pump (self);
}

void crier_e2ee_verification_on_encrypted (crier_e2ee_verification_t *self, const json_t *answer)
{
    json_t *next = json_array_get (self->outbox, 0);
    const char *outcome = json_string_value (json_object_get (answer, "outcome"));
    const char *txn = json_string_value (json_object_get (next, "txn"));
    const char *asked = json_string_value (json_object_get (answer, "delivery_id"));
    if (!self->sending || !next || !txn || !asked || strcmp (txn, asked) != 0 || !outcome)
        return; //  not the message on its way
    bool encrypted = strcmp (outcome, "encrypted") == 0;
    char path[1024], reason[256] = "the room's encryption said no";
    char *text = NULL;
    if (encrypted || strcmp (outcome, "plaintext") == 0) {
        const json_t *content =
            encrypted ? json_object_get (answer, "content") : json_object_get (next, "content");
        text = json_dumps (content, JSON_COMPACT);
    }
    if (text &&
        crier_matrix_path (path, sizeof path, "/_matrix/client/v3/rooms/",
                           json_string_value (json_object_get (next, "room")), "/send/",
                           encrypted ? "m.room.encrypted"
                                     : json_string_value (json_object_get (next, "type")),
                           "/", txn, (char *)NULL) == 0 &&
        crier_matrix_client_request (self->options.client, "PUT", path, text, s_on_sent, self,
                                     reason, sizeof reason) == 0) {
        free (text);
        return;
    }
    free (text);
    crier_log (CRIER_LOG_WARN, "e2ee.verification_failed", "reason", reason, "hint",
               "the person verifying starts again");
    self->sending = false;
    json_array_remove (self->outbox, 0);
    s_pump (self);
}

//  Queues a verification message of type for peer: to-device with its transaction_id, or a
//  room event related to the request.
static void s_send (crier_e2ee_verification_t *self, const peer_t *peer, const char *type,
                    json_t *content)
{
    char txn[CRIER_ID_BYTES];
    crier_id_generate (txn);
    json_t *body = json_deep_copy (content);
    json_t *message = NULL;
    if (body && peer->room) {
        json_object_set_new (
            body, "m.relates_to",
            json_pack ("{s:s, s:s}", "rel_type", "m.reference", "event_id", peer->transaction));
        message = json_pack ("{s:s, s:s, s:O, s:s}", "room", peer->room, "type", type, "content",
                             body, "txn", txn);
    } else if (body) {
        char path[256];
        snprintf (path, sizeof path, "/_matrix/client/v3/sendToDevice/%s/%s", type, txn);
        json_object_set_new (body, "transaction_id", json_string (peer->transaction));
        message = json_pack ("{s:s, s:{s:{s:{s:O}}}}", "path", path, "body", "messages", peer->user,
                             peer->device, body);
    }
    json_decref (body);
    if (message)
        json_array_append_new (self->outbox, message);
    s_pump (self);
}

static peer_t s_peer (const exchange_t *exchange)
{
    return (peer_t){exchange->user, exchange->device, exchange->room, exchange->transaction};
}

static void s_cancel (crier_e2ee_verification_t *self, const peer_t *peer, const char *code,
                      const char *reason)
{
    json_t *content = json_pack ("{s:s, s:s}", "code", code, "reason", reason);
    if (content)
        s_send (self, peer, "m.key.verification.cancel", content);
    json_decref (content);
    crier_log (CRIER_LOG_INFO, "e2ee.verification_cancelled", "user", peer->user, "device",
               peer->device, "reason", reason);
}

static bool s_offers (const json_t *content, const char *field, const char *value)
{
    size_t index;
    const json_t *item;
    json_array_foreach (json_object_get (content, field), index, item)
    {
        if (json_is_string (item) && strcmp (json_string_value (item), value) == 0)
            return true;
    }
    return false;
}

static void s_on_master (const crier_matrix_answer_t *answer, void *arg)
{
    crier_e2ee_verification_t *self = arg;
    const char *bot = crier_e2ee_device_user (self->options.device);
    const json_t *keys = json_object_get (
        json_object_get (json_object_get (answer->body, "master_keys"), bot), "keys");
    void *first = json_object_iter ((json_t *)keys);
    const char *master = first ? json_string_value (json_object_iter_value (first)) : NULL;
    self->asking_master = false;
    if (master) {
        free (self->master_key);
        self->master_key = strdup (master);
    }
}

//  The bot's master cross-signing key (`crier matrix cross-sign`), looked up while a
//  verification's keys are exchanged, until there is one.
static void s_ask_master (crier_e2ee_verification_t *self)
{
    if (self->master_key || self->asking_master)
        return;
    self->asking_master = true;
    json_t *query =
        json_pack ("{s:{s:[]}}", "device_keys", crier_e2ee_device_user (self->options.device));
    char *text = query ? json_dumps (query, JSON_COMPACT) : NULL;
    char reason[256];
    if (!text ||
        crier_matrix_client_request (self->options.client, "POST", "/_matrix/client/v3/keys/query",
                                     text, s_on_master, self, reason, sizeof reason) != 0)
        self->asking_master = false;
    free (text);
    json_decref (query);
}

//  m.key.verification.start (to-device, or in room, related to transaction): accepted with
//  our commitment to a fresh key.
static void s_on_start (crier_e2ee_verification_t *self, const char *user, const char *room,
                        const char *transaction, const json_t *content)
{
    const char *device = json_string_value (json_object_get (content, "from_device"));
    const char *method = json_string_value (json_object_get (content, "method"));
    if (!transaction || !device)
        return;
    peer_t peer = {user, device, room, transaction};
    if (!method || strcmp (method, SAS_METHOD) != 0 ||
        !s_offers (content, "key_agreement_protocols", KEY_AGREEMENT) ||
        !s_offers (content, "hashes", HASH) ||
        !s_offers (content, "message_authentication_codes", MAC_METHOD) ||
        !s_offers (content, "short_authentication_string", "emoji")) {
        s_cancel (self, &peer, "m.unknown_method",
                  "crier verifies with m.sas.v1, " KEY_AGREEMENT ", " HASH ", " MAC_METHOD
                  " and emoji");
        return;
    }
    if (zhashx_size (self->exchanges) >= EXCHANGES_MAX) {
        s_cancel (self, &peer, "m.user", "too many verifications at once");
        return;
    }
    exchange_t *exchange = calloc (1, sizeof *exchange);
    if (!exchange)
        return;
    exchange->owner = self;
    exchange->transaction = strdup (transaction);
    exchange->user = strdup (user);
    exchange->device = strdup (device);
    exchange->room = room ? strdup (room) : NULL;
    exchange->sas = crier_e2ee_sas_new ();
    s_ask_master (self);
    //  The commitment: our key and their start, so that neither side can choose its key after
    //  seeing the other's.
    char *canonical = crier_e2ee_canonical (content);
    char *joined = canonical && exchange->sas
                       ? zsys_sprintf ("%s%s", crier_e2ee_sas_public (exchange->sas), canonical)
                       : NULL;
    char *commitment = joined ? crier_e2ee_sha256 (joined, strlen (joined)) : NULL;
    free (canonical);
    zstr_free (&joined);
    void *item = exchange;
    if (!commitment || !exchange->transaction || !exchange->user || !exchange->device) {
        s_exchange_destroy (&item);
        free (commitment);
        return;
    }
    zhashx_update (self->exchanges, transaction, exchange);
    json_t *accept = json_pack (
        "{s:s, s:s, s:s, s:s, s:[s, s], s:s}", "method", SAS_METHOD, "key_agreement_protocol",
        KEY_AGREEMENT, "hash", HASH, "message_authentication_code", MAC_METHOD,
        "short_authentication_string", "decimal", "emoji", "commitment", commitment);
    free (commitment);
    if (accept)
        s_send (self, &peer, "m.key.verification.accept", accept);
    json_decref (accept);
    crier_log (CRIER_LOG_INFO, "e2ee.verification_started", "user", user, "device", device,
               "transaction", transaction);
}

//  The SAS, once both keys are known: said as emoji and decimals.
static void s_say_sas (crier_e2ee_verification_t *self, exchange_t *exchange)
{
    crier_e2ee_device_t *own = self->options.device;
    char *info = zsys_sprintf ("MATRIX_KEY_VERIFICATION_SAS|%s|%s|%s|%s|%s|%s|%s", exchange->user,
                               exchange->device, exchange->their_key, crier_e2ee_device_user (own),
                               crier_e2ee_device_id (own), crier_e2ee_sas_public (exchange->sas),
                               exchange->transaction);
    unsigned char bytes[6];
    if (!info || crier_e2ee_sas_bytes (exchange->sas, info, bytes, sizeof bytes) != 0) {
        zstr_free (&info);
        return;
    }
    zstr_free (&info);
    //  Seven emoji from the first 42 of the 48 bits, six bits each; three numbers of 13 bits
    //  from the first 40.
    uint64_t bits = 0;
    for (size_t index = 0; index < 6; index++)
        bits = bits << 8 | bytes[index];
    char emoji[256] = "";
    for (int index = 0; index < 7; index++)
        snprintf (emoji + strlen (emoji), sizeof emoji - strlen (emoji), "%s%s", index ? ", " : "",
                  crier_e2ee_emoji_name ((unsigned)(bits >> (48 - 6 * (index + 1))) & 63));
    uint64_t first40 = bits >> 8;
    char decimals[32];
    snprintf (decimals, sizeof decimals, "%u %u %u", (unsigned)((first40 >> 27) & 0x1fff) + 1000,
              (unsigned)((first40 >> 14) & 0x1fff) + 1000,
              (unsigned)((first40 >> 1) & 0x1fff) + 1000);
    crier_log (CRIER_LOG_INFO, "e2ee.verification_sas", "user", exchange->user, "device",
               exchange->device, "emoji", emoji, "decimals", decimals, "hint",
               "read these out to the person verifying the bot: they must match what their "
               "client shows");
    crier_event_t *event = self->options.events ? crier_event_new ("e2ee.verification_sas") : NULL;
    if (event) {
        crier_event_add_text (event, "user_id", exchange->user);
        crier_event_add_text (event, "device_id", exchange->device);
        crier_event_add_text (event, "transaction_id", exchange->transaction);
        crier_event_add_text (event, "emoji", emoji);
        crier_event_add_text (event, "decimals", decimals);
        crier_event_send (&event, self->options.events);
    }
}

//  Our MAC of our device key and of the key ids.
//  The MAC of one of our keys (public value), added to content's "mac": 0 or -1.
static int s_add_mac (exchange_t *exchange, json_t *macs, const char *info, const char *key_id,
                      const char *value)
{
    char *key_info = zsys_sprintf ("%s%s", info, key_id);
    char *mac = key_info ? crier_e2ee_sas_mac (exchange->sas, value, key_info) : NULL;
    int rc = mac ? json_object_set_new (macs, key_id, json_string (mac)) : -1;
    zstr_free (&key_info);
    free (mac);
    return rc;
}

//  Our MAC of our device key, and of the bot's master cross-signing key when it has one (so
//  that the other side can mark the bot *user* verified), and of the key ids.
static json_t *s_our_mac (crier_e2ee_verification_t *self, exchange_t *exchange)
{
    crier_e2ee_device_t *own = self->options.device;
    char *info = zsys_sprintf ("MATRIX_KEY_VERIFICATION_MAC%s%s%s%s%s",
                               crier_e2ee_device_user (own), crier_e2ee_device_id (own),
                               exchange->user, exchange->device, exchange->transaction);
    json_t *macs = json_object ();
    char device_id[300], master_id[300] = "";
    snprintf (device_id, sizeof device_id, "ed25519:%s", crier_e2ee_device_id (own));
    int rc = info && macs
                 ? s_add_mac (exchange, macs, info, device_id, crier_e2ee_device_ed25519 (own))
                 : -1;
    if (rc == 0 && self->master_key) {
        snprintf (master_id, sizeof master_id, "ed25519:%s", self->master_key);
        rc = s_add_mac (exchange, macs, info, master_id, self->master_key);
    }
    //  The key ids, sorted and joined with commas (a device id sorts either way of the key).
    char ids[700];
    if (master_id[0] && strcmp (master_id, device_id) < 0)
        snprintf (ids, sizeof ids, "%s,%s", master_id, device_id);
    else if (master_id[0])
        snprintf (ids, sizeof ids, "%s,%s", device_id, master_id);
    else
        snprintf (ids, sizeof ids, "%s", device_id);
    char *ids_info = info ? zsys_sprintf ("%sKEY_IDS", info) : NULL;
    char *ids_mac = ids_info ? crier_e2ee_sas_mac (exchange->sas, ids, ids_info) : NULL;
    json_t *content =
        rc == 0 && ids_mac ? json_pack ("{s:O, s:s}", "mac", macs, "keys", ids_mac) : NULL;
    json_decref (macs);
    zstr_free (&info);
    zstr_free (&ids_info);
    free (ids_mac);
    return content;
}

//  m.key.verification.key: ours in answer, the SAS said, and our MAC after our key.
static void s_on_key (crier_e2ee_verification_t *self, exchange_t *exchange, const json_t *content)
{
    const char *key = json_string_value (json_object_get (content, "key"));
    if (!key || exchange->their_key || crier_e2ee_sas_their_key (exchange->sas, key) != 0) {
        peer_t peer = s_peer (exchange);
        s_cancel (self, &peer, "m.unexpected_message", "no key, or a key twice");
        zhashx_delete (self->exchanges, exchange->transaction);
        return;
    }
    exchange->their_key = strdup (key);
    s_say_sas (self, exchange);
    peer_t peer = s_peer (exchange);
    json_t *ours = json_pack ("{s:s}", "key", crier_e2ee_sas_public (exchange->sas));
    if (ours)
        s_send (self, &peer, "m.key.verification.key", ours);
    json_decref (ours);
    //  The bot cannot look: it confirms at once (after its key); the person's side decides.
    json_t *mac = s_our_mac (self, exchange);
    if (mac)
        s_send (self, &peer, "m.key.verification.mac", mac);
    json_decref (mac);
}

static int s_compare (const void *left, const void *right)
{
    return strcmp (*(const char *const *)left, *(const char *const *)right);
}

//  m.key.verification.mac: the other side is satisfied; checked that it holds the same secret.
static void s_on_mac (crier_e2ee_verification_t *self, exchange_t *exchange, const json_t *content)
{
    crier_e2ee_device_t *own = self->options.device;
    char *info = zsys_sprintf ("MATRIX_KEY_VERIFICATION_MAC%s%s%s%s%sKEY_IDS", exchange->user,
                               exchange->device, crier_e2ee_device_user (own),
                               crier_e2ee_device_id (own), exchange->transaction);
    //  The key ids it names, sorted and joined with commas, as it computed them.
    const char *names[16] = {NULL};
    size_t count = 0;
    json_t *macs = json_object_get (content, "mac");
    for (void *iter = json_object_iter (macs); iter && count < 16;
         iter = json_object_iter_next (macs, iter))
        names[count++] = json_object_iter_key (iter);
    qsort (names, count, sizeof names[0], s_compare);
    char joined[1024] = "";
    for (size_t index = 0; index < count; index++)
        snprintf (joined + strlen (joined), sizeof joined - strlen (joined), "%s%s",
                  index ? "," : "", names[index]);
    char *expected = info ? crier_e2ee_sas_mac (exchange->sas, joined, info) : NULL;
    const char *keys = json_string_value (json_object_get (content, "keys"));
    bool same = expected && keys && strcmp (expected, keys) == 0;
    free (expected);
    zstr_free (&info);
    crier_log (same ? CRIER_LOG_INFO : CRIER_LOG_WARN,
               same ? "e2ee.verification_done" : "e2ee.verification_mismatch", "user",
               exchange->user, "device", exchange->device, "hint",
               same ? "the other side holds the same secret; its client now shows the bot's "
                      "device as verified if its person confirmed the emoji"
                    : "the other side's MAC does not match: not the same secret");
    peer_t peer = s_peer (exchange);
    if (!same)
        s_cancel (self, &peer, "m.key_mismatch", "the MAC does not match");
    else {
        //  The request flow ends with done; the older one ignores it.
        json_t *done = json_object ();
        if (done)
            s_send (self, &peer, "m.key.verification.done", done);
        json_decref (done);
    }
    zhashx_delete (self->exchanges, exchange->transaction);
}

//  m.key.verification.request (the flow Element starts with): ready for SAS; the other side
//  then sends its start.
static void s_on_request (crier_e2ee_verification_t *self, const char *user, const char *room,
                          const char *transaction, const json_t *content)
{
    const char *device = json_string_value (json_object_get (content, "from_device"));
    if (!transaction || !device)
        return;
    peer_t peer = {user, device, room, transaction};
    if (!s_offers (content, "methods", SAS_METHOD)) {
        s_cancel (self, &peer, "m.unknown_method", "crier verifies with " SAS_METHOD " (emoji)");
        return;
    }
    json_t *ready = json_pack ("{s:s, s:[s]}", "from_device",
                               crier_e2ee_device_id (self->options.device), "methods", SAS_METHOD);
    if (ready)
        s_send (self, &peer, "m.key.verification.ready", ready);
    json_decref (ready);
    crier_log (CRIER_LOG_INFO, "e2ee.verification_requested", "user", user, "device", device,
               "transaction", transaction);
}

//  One verification message, to-device (room NULL) or in a room, of transaction.
static void s_dispatch (crier_e2ee_verification_t *self, const char *type, const char *sender,
                        const char *room, const char *transaction, const json_t *content)
{
    exchange_t *exchange = zhashx_lookup (self->exchanges, transaction);
    if (strcmp (type, "m.key.verification.request") == 0)
        s_on_request (self, sender, room, transaction, content);
    else if (strcmp (type, "m.key.verification.start") == 0)
        s_on_start (self, sender, room, transaction, content);
    else if (!exchange || strcmp (exchange->user, sender) != 0)
        return; //  not one of ours
    else if (strcmp (type, "m.key.verification.key") == 0)
        s_on_key (self, exchange, content);
    else if (strcmp (type, "m.key.verification.mac") == 0)
        s_on_mac (self, exchange, content);
    else if (strcmp (type, "m.key.verification.cancel") == 0) {
        crier_log (CRIER_LOG_INFO, "e2ee.verification_cancelled", "user", sender, "reason",
                   json_string_value (json_object_get (content, "reason")));
        zhashx_delete (self->exchanges, transaction);
    }
}

void crier_e2ee_verification_on_room_event (crier_e2ee_verification_t *self, const char *room,
                                            const char *sender, const char *event_id,
                                            const json_t *event)
{
    const char *type = json_string_value (json_object_get (event, "type"));
    const json_t *content = json_object_get (event, "content");
    const char *bot = crier_e2ee_device_user (self->options.device);
    if (!type || !sender || !bot || strcmp (sender, bot) == 0)
        return; //  our own messages come back in the timeline
    if (strcmp (type, "m.room.message") == 0) {
        //  A request is a message addressed to the bot; its event id is the transaction.
        const char *msgtype = json_string_value (json_object_get (content, "msgtype"));
        const char *to = json_string_value (json_object_get (content, "to"));
        if (msgtype && strcmp (msgtype, "m.key.verification.request") == 0 && to &&
            strcmp (to, bot) == 0 && event_id)
            s_dispatch (self, "m.key.verification.request", sender, room, event_id, content);
        return;
    }
    const char *related =
        json_string_value (json_object_get (json_object_get (content, "m.relates_to"), "event_id"));
    if (strncmp (type, "m.key.verification.", 19) == 0 && related)
        s_dispatch (self, type, sender, room, related, content);
}

void crier_e2ee_verification_on_sync (crier_e2ee_verification_t *self, const json_t *body)
{
    size_t index;
    const json_t *message;
    json_array_foreach (json_object_get (json_object_get (body, "to_device"), "events"), index,
                        message)
    {
        const char *type = json_string_value (json_object_get (message, "type"));
        const char *sender = json_string_value (json_object_get (message, "sender"));
        const json_t *content = json_object_get (message, "content");
        const char *transaction = json_string_value (json_object_get (content, "transaction_id"));
        if (type && sender && transaction && strncmp (type, "m.key.verification.", 19) == 0)
            s_dispatch (self, type, sender, NULL, transaction, content);
    }
    //  Requests in rooms that are not encrypted (encrypted ones come through the inbox).
    const char *room;
    const json_t *joined;
    json_object_foreach (json_object_get (json_object_get (body, "rooms"), "join"), room, joined)
    {
        json_array_foreach (json_object_get (json_object_get (joined, "timeline"), "events"), index,
                            message)
        {
            crier_e2ee_verification_on_room_event (
                self, room, json_string_value (json_object_get (message, "sender")),
                json_string_value (json_object_get (message, "event_id")), message);
        }
    }
}

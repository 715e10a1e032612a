/*  zap.c - see zap.h. czmq's zauth actor does the same job but can only report a refused key in
    its verbose trace, carries no per-client policy, and its certificate store scans the folder
    on every lookup; this handler runs on the caller's loop and keeps one table. */
#include "crier/zap.h"
#include "crier/curve.h"
#include "crier/log.h"
#include "crier/process.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
//  How often the folder is looked at for changes.
#define CHECK_INTERVAL_MS 1000
//  A refused key is logged at most this often, and this many keys are remembered.
#define REFUSAL_LOG_INTERVAL_MS 60000
#define REFUSALS_REMEMBERED     1024
#define SECRET_SUFFIX           "_secret"

struct crier_zap_t {
    zloop_t *loop;
    zsock_t *handler; //  REP, answers libzmq's ZAP requests
    char *dir;
    zhashx_t *clients;  //  public key -> crier_client_t
    zhashx_t *refusals; //  public key -> time it was last logged (int64_t *)
    struct stat stamp;  //  the folder as last read
    bool stamped;
    int hangup_fd; //  readable on SIGHUP
    int timer;
    char internal_key[41]; //  the internal switch's key (Z85), or ""
    char *stack_id;        //  the stack identity PLAIN peers must present, or NULL
};

static void s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static void s_client_destroy (void **item)
{
    crier_client_t *client = *item;
    if (!client)
        return;
    for (size_t index = 0; index < client->group_count; index++)
        free (client->groups[index]);
    free (client->groups);
    free (client->name);
    free (client->file);
    free (client);
    *item = NULL;
}

//  Splits "#a #b,#c" into groups. Returns 0, or -1 when out of memory.
static int s_parse_groups (crier_client_t *client, const char *text)
{
    char *copy = strdup (text);
    if (!copy)
        return -1;
    int rc = 0;
    char *state = NULL;
    for (char *group = strtok_r (copy, " ,\t", &state); group && rc == 0;
         group = strtok_r (NULL, " ,\t", &state)) {
        char **grown = realloc (client->groups, (client->group_count + 1) * sizeof *grown);
        char *kept = grown ? strdup (group) : NULL;
        if (grown)
            client->groups = grown;
        if (kept)
            client->groups[client->group_count++] = kept;
        else
            rc = -1;
    }
    free (copy);
    return rc;
}

static crier_client_t *s_client_new (const char *path, const char *file_name)
{
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        crier_log (CRIER_LOG_WARN, "curve.client_unreadable", "path", path, "error",
                   "not a certificate: expected a public certificate written by crier keygen",
                   "hint", "fix or remove the file; the other clients are not affected");
        return NULL;
    }
    crier_client_t *client = calloc (1, sizeof *client);
    const char *name = zcert_meta (cert, "name");
    const char *groups = zcert_meta (cert, "groups");
    const char *operator= zcert_meta (cert, "operator");
    if (client) {
        snprintf (client->key, sizeof client->key, "%s", zcert_public_txt (cert));
        crier_id_client_tag (client->tag, client->key);
        client->name = strdup (name && *name ? name : file_name);
        client->file = strdup (path);
        client->operator= operator&& (strcmp (operator, "yes") == 0 ||
                                      strcmp (operator, "true") == 0);
        if (!client->name || !client->file || (groups && s_parse_groups (client, groups) != 0)) {
            void *item = client;
            s_client_destroy (&item);
            client = NULL;
        }
    }
    zcert_destroy (&cert);
    return client;
}

static bool s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text), suffix_length = strlen (suffix);
    return length >= suffix_length && strcmp (text + length - suffix_length, suffix) == 0;
}

//  Reads the folder into a new table. Returns 0, or -1 (logged) when it cannot be read.
static int s_load (crier_zap_t *self)
{
    DIR *folder = opendir (self->dir);
    if (!folder) {
        crier_log (CRIER_LOG_ERROR, "curve.clients_unreadable", "dir", self->dir, "error",
                   strerror (errno), "hint",
                   "CRIER_CURVE_CLIENTS_DIR must be a folder of client certificates; no client "
                   "is let in until it can be read");
        zhashx_purge (self->clients);
        return -1;
    }
    zhashx_t *clients = zhashx_new ();
    zhashx_set_destructor (clients, s_client_destroy);
    const struct dirent *entry;
    while ((entry = readdir (folder)) != NULL) {
        char path[512];
        struct stat status;
        if (entry->d_name[0] == '.' ||
            snprintf (path, sizeof path, "%s/%s", self->dir, entry->d_name) >= (int)sizeof path ||
            stat (path, &status) != 0 || !S_ISREG (status.st_mode))
            continue;
        if (s_ends_with (entry->d_name, SECRET_SUFFIX)) {
            crier_log (CRIER_LOG_WARN, "curve.secret_in_clients_dir", "path", path, "hint",
                       "a client's secret certificate belongs with the client only: move it "
                       "out and keep only the public file (without _secret) here");
            continue;
        }
        crier_client_t *client = s_client_new (path, entry->d_name);
        if (client && zhashx_insert (clients, client->key, client) != 0) {
            crier_log (CRIER_LOG_WARN, "curve.client_duplicate", "path", path, "key", client->key,
                       "hint", "two files hold the same public key; the first one read is used");
            void *item = client;
            s_client_destroy (&item);
        }
    }
    closedir (folder);
    zhashx_destroy (&self->clients);
    self->clients = clients;
    crier_log (CRIER_LOG_INFO, "curve.clients_loaded", "dir", self->dir, "clients",
               CRIER_LOG_INT (zhashx_size (clients)));
    return 0;
}

//  Reads the folder again when it changed since the last reading.
static void s_refresh (crier_zap_t *self)
{
    if (!self->dir) {
        self->stamped = true; //  no clients folder: internal links only
        return;
    }
    struct stat status;
    bool readable = stat (self->dir, &status) == 0;
    bool changed = !readable || !self->stamped || status.st_ino != self->stamp.st_ino ||
                   status.st_mtim.tv_sec != self->stamp.st_mtim.tv_sec ||
                   status.st_mtim.tv_nsec != self->stamp.st_mtim.tv_nsec ||
                   status.st_ctim.tv_sec != self->stamp.st_ctim.tv_sec ||
                   status.st_ctim.tv_nsec != self->stamp.st_ctim.tv_nsec;
    if (!changed)
        return;
    self->stamped = readable && s_load (self) == 0;
    if (self->stamped)
        self->stamp = status;
}

//  Whether a refusal of this peer (a key, or a process and address) should be logged: at most
//  once a minute each, for at most REFUSALS_REMEMBERED peers at once.
static bool s_should_log (crier_zap_t *self, const char *peer)
{
    int64_t now = zclock_mono ();
    int64_t *last = zhashx_lookup (self->refusals, peer);
    if (last && now - *last < REFUSAL_LOG_INTERVAL_MS)
        return false;
    if (!last) {
        if (zhashx_size (self->refusals) >= REFUSALS_REMEMBERED)
            zhashx_purge (self->refusals);
        last = malloc (sizeof *last);
        if (!last || zhashx_insert (self->refusals, peer, last) != 0) {
            free (last);
            last = NULL;
        }
    }
    if (last)
        *last = now;
    return true;
}

//  Logs a refused key, at most once a minute per key.
static void s_log_refusal (crier_zap_t *self, const char *key, const char *address, bool internal)
{
    if (!s_should_log (self, key))
        return;
    if (internal)
        crier_log (CRIER_LOG_WARN, "curve.client_refused", "key", key, "address", address, "link",
                   "internal", "hint",
                   "a process on a link between crier's processes does not hold the certificate "
                   "of CRIER_CURVE_INTERNAL_CERT: give every crier process the same one");
    else
        crier_log (CRIER_LOG_WARN, "curve.client_refused", "key", key, "address", address, "dir",
                   self->dir ? self->dir : "(none)", "hint",
                   "this public key has no certificate in CRIER_CURVE_CLIENTS_DIR: add the "
                   "client's public certificate (crier keygen) there to let it in");
}

static void s_reply (zsock_t *handler, const char *sequence, const char *status, const char *text,
                     const char *user_id)
{
    zstr_sendx (handler, "1.0", sequence, status, text, user_id, "", NULL);
}

//  A peer on a link guarded by the stack identity: PLAIN, the process's name as user (crier
//  for the command line), the identity as password (user is the first credential frame,
//  already popped; password the next). Logged once a minute per process and address: one of
//  another stack retries every few seconds.
static void s_check_stack (crier_zap_t *self, zmsg_t *request, const char *sequence,
                           const char *mechanism, zframe_t *user, const char *address)
{
    zframe_t *password = zmsg_pop (request);
    bool admitted = self->stack_id && streq (mechanism, "PLAIN") && user && password &&
                    zframe_streq (password, self->stack_id);
    zframe_destroy (&password);
    char *name = user ? zframe_strdup (user) : NULL;
    if (admitted)
        s_reply (self->handler, sequence, "200", "OK", name ? name : "");
    else {
        char peer[600];
        snprintf (peer, sizeof peer, "stack %s %s", name ? name : "", address ? address : "");
        if (s_should_log (self, peer))
            crier_log (CRIER_LOG_WARN, "stack.refused", "peer", name, "address",
                       address ? address : "", "hint",
                       "a process of another crier stack (or one with another CRIER_STACK_ID) "
                       "tried to join this one and was refused: give it this stack's "
                       "CRIER_STACK_ID, or its own stack's endpoints");
        s_reply (self->handler, sequence, "400", "Another crier stack", "");
    }
    free (name);
}

//  One ZAP request: [version][sequence][domain][address][routing id][mechanism][credentials...]
static int s_on_request (zloop_t *loop, zsock_t *handler, void *arg)
{
    crier_zap_t *self = arg;
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return 0;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *routing_id = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);
    bool stack = domain && streq (domain, CRIER_ZAP_DOMAIN_STACK);
    if (!version || !streq (version, "1.0") || !mechanism)
        s_reply (handler, sequence ? sequence : "", "500", "Malformed ZAP request", "");
    else if (stack)
        s_check_stack (self, request, sequence, mechanism, credential, address);
    else if (!streq (mechanism, "CURVE") || !credential || zframe_size (credential) != 32)
        s_reply (handler, sequence, "400", "CURVE required", "");
    else {
        char key[41];
        zmq_z85_encode (key, zframe_data (credential), 32);
        bool internal = domain && streq (domain, CRIER_ZAP_DOMAIN_INTERNAL);
        if (!internal)
            s_refresh (self);
        if (internal ? self->internal_key[0] && streq (key, self->internal_key)
                     : zhashx_lookup (self->clients, key) != NULL)
            s_reply (handler, sequence, "200", "OK", key);
        else {
            s_log_refusal (self, key, address ? address : "", internal);
            s_reply (handler, sequence, "400", "Unknown client key", "");
        }
    }
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&routing_id);
    zframe_destroy (&credential);
    zmsg_destroy (&request);
    return 0;
}

static int s_on_check (zloop_t *loop, int timer_id, void *arg)
{
    s_refresh (arg);
    return 0;
}

static int s_on_hangup (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    crier_zap_t *self = arg;
    crier_process_hangup_clear (self->hangup_fd);
    crier_log (CRIER_LOG_INFO, "curve.reload", "dir", self->dir, "reason", "SIGHUP");
    self->stamped = false;
    s_refresh (self);
    return 0;
}

crier_zap_t *crier_zap_new (zloop_t *loop, const char *clients_dir, const crier_links_t *links)
{
    const char *internal_key = crier_links_internal_key (links);
    const char *stack_id = crier_links_stack_id (links);
    crier_zap_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->timer = -1;
    self->hangup_fd = -1;
    self->dir = clients_dir ? strdup (clients_dir) : NULL;
    if (internal_key)
        snprintf (self->internal_key, sizeof self->internal_key, "%s", internal_key);
    self->stack_id = stack_id ? strdup (stack_id) : NULL;
    self->clients = zhashx_new ();
    self->refusals = zhashx_new ();
    self->handler = zsock_new (ZMQ_REP);
    if ((clients_dir && !self->dir) || (stack_id && !self->stack_id) || !self->clients ||
        !self->refusals || !self->handler) {
        crier_zap_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->refusals, s_free_item);
    if (zsock_bind (self->handler, ZAP_ENDPOINT) != 0) {
        crier_log (CRIER_LOG_ERROR, "curve.zap_failed", "error", zmq_strerror (zmq_errno ()),
                   "hint", "only one ZAP handler may run in a process");
        crier_zap_destroy (&self);
        return NULL;
    }
    s_refresh (self);
    if (!self->stamped) {
        crier_zap_destroy (&self);
        return NULL;
    }
    zloop_reader (loop, self->handler, s_on_request, self);
    if (!self->dir)
        return self; //  nothing to read again
    self->timer = zloop_timer (loop, CHECK_INTERVAL_MS, 0, s_on_check, self);
    self->hangup_fd = crier_process_hangup_fd ();
    if (self->hangup_fd >= 0) {
        zmq_pollitem_t item = {NULL, self->hangup_fd, ZMQ_POLLIN, 0};
        zloop_poller (loop, &item, s_on_hangup, self);
    }
    return self;
}

void crier_zap_destroy (crier_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_zap_t *self = *self_p;
    if (self->handler) {
        zloop_reader_end (self->loop, self->handler);
        zsock_destroy (&self->handler);
    }
    if (self->timer != -1)
        zloop_timer_end (self->loop, self->timer);
    if (self->hangup_fd >= 0) {
        zmq_pollitem_t item = {NULL, self->hangup_fd, ZMQ_POLLIN, 0};
        zloop_poller_end (self->loop, &item);
    }
    zhashx_destroy (&self->clients);
    zhashx_destroy (&self->refusals);
    free (self->dir);
    free (self->stack_id);
    free (self);
    *self_p = NULL;
}

const crier_client_t *crier_zap_client (crier_zap_t *self, const char *key)
{
    return key ? zhashx_lookup (self->clients, key) : NULL;
}

bool crier_client_may_send_to (const crier_client_t *client, const char *group)
{
    if (client->group_count == 0)
        return true;
    for (size_t index = 0; index < client->group_count; index++)
        if (strcmp (client->groups[index], group) == 0)
            return true;
    return false;
}

const char *crier_client_groups_text (const crier_client_t *client, char *buffer, size_t size)
{
    if (client->group_count == 0)
        return "any";
    size_t used = 0;
    buffer[0] = '\0';
    for (size_t index = 0; index < client->group_count && used < size; index++) {
        int written =
            snprintf (buffer + used, size - used, "%s%s", index ? " " : "", client->groups[index]);
        used += written > 0 ? (size_t)written : 0;
    }
    return buffer;
}

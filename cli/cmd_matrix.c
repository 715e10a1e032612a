/*  cmd_matrix.c - crier matrix cross-sign: gives the bot cross-signing keys and signs its
    device with them, so that customers' clients show crier's messages as coming from a device
    its owner verified, and flag a device an attacker adds with a stolen token (docs/matrix.md,
    Cross-signing). Run once by an operator, with the bot's password; the private keys stay in
    a file the running processes never read. */
//  explicit_bzero (glibc, BSD): wiping the seeds the compiler must not optimise away.
#define _DEFAULT_SOURCE
#include "commands.h"
#include "http_call.h"
#include "usage.h"

#include "crier/config.h"
#include "crier/durable_file.h"
#include "crier/log.h"
#include "e2ee_sessions.h"
#include "e2ee_signing.h"
#include "matrix_client.h"
#include "matrix_config.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage =
    "Usage: crier matrix cross-sign [options]\n"
    "\n"
    "Gives the bot cross-signing keys (master, self-signing, user-signing), uploads them, and\n"
    "signs the bot's device (crier-matrix-watch's) with the self-signing key. Run it once the\n"
    "device's keys are published (crier-matrix-watch with CRIER_MATRIX_STATE_KEY), and again\n"
    "whenever the bot gets a new device: it reuses the keys kept in the file. New keys only\n"
    "with --reset, since new keys reset every customer's trust in the bot.\n"
    "\n"
    "Settings: CRIER_MATRIX_HOMESERVER, CRIER_MATRIX_ACCESS_TOKEN (or _FILE), "
    "CRIER_MATRIX_CA_FILE\n"
    "as for the senders; CRIER_MATRIX_PASSWORD (or _FILE), the bot's password, which the\n"
    "homeserver asks for to store cross-signing keys.\n"
    "\n"
    "Options:\n"
    "  --keys FILE   where the private keys are kept (default crier-cross-signing.json, mode\n"
    "                0600): keep it offline, the running processes never need it\n"
    "  --reset       make new keys even if the file or the homeserver has some\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 done, 1 the homeserver could not be reached or refused, 2 bad settings.\n";

static const char *const s_roles[] = {"master", "self_signing", "user_signing"};
#define ROLES 3

typedef struct {
    char *homeserver, *display, *token, *user_id, *ca_file, *password;
    const char *keys_path;
    bool reset;
    char *user;   //  whoami's
    char *device; //  whoami's
    crier_e2ee_signing_t *keys[ROLES];
} session_t;

//  One request; the answer's body parsed (decref), or NULL. *status_p gets the HTTP status.
static json_t *s_call (session_t *self, const char *method, const char *path, const json_t *body,
                       long *status_p, char *error, size_t error_size)
{
    char *url = zsys_sprintf ("%s%s", self->homeserver, path);
    char *text = body ? json_dumps (body, JSON_COMPACT) : NULL;
    char *authorization = zsys_sprintf ("Authorization: Bearer %s", self->token);
    CURL *easy = url && authorization ? curl_easy_init () : NULL;
    if (easy &&
        (curl_easy_setopt (easy, CURLOPT_URL, url) != CURLE_OK ||
         (self->ca_file && curl_easy_setopt (easy, CURLOPT_CAINFO, self->ca_file) != CURLE_OK))) {
        curl_easy_cleanup (easy);
        easy = NULL;
    }
    cli_response_t response;
    cli_http_call (easy, method, authorization, text, &response);
    json_t *answer = json_loads (response.body, 0, NULL);
    *status_p = response.status;
    const char *errcode = json_string_value (json_object_get (answer, "errcode"));
    const char *message = json_string_value (json_object_get (answer, "error"));
    if (response.status == 0)
        snprintf (error, error_size, "no answer: %s", response.error);
    else if (errcode || message)
        snprintf (error, error_size, "HTTP %ld %s: %s", response.status, errcode ? errcode : "",
                  message ? message : "");
    else
        snprintf (error, error_size, "HTTP %ld", response.status);
    cli_response_free (&response);
    zstr_free (&authorization);
    zstr_free (&url);
    free (text);
    return answer;
}

//  The seeds kept in the file (or new ones, written first). 0, or an exit status.
static int s_keys (session_t *self)
{
    size_t seed_length = crier_e2ee_signing_seed_length ();
    unsigned char seeds[ROLES][64];
    char *text = self->reset ? NULL : crier_durable_read (self->keys_path, 64 * 1024, NULL);
    json_t *file = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    if (file && !json_is_object (file)) {
        fprintf (stderr, "crier matrix: %s is not a cross-signing keys file\n", self->keys_path);
        json_decref (file);
        return CRIER_EXIT_USAGE;
    }
    bool made = !file;
    for (int role = 0; role < ROLES; role++) {
        const char *kept = json_string_value (json_object_get (file, s_roles[role]));
        if (made ? crier_e2ee_random (seeds[role], seed_length) != 0
                 : !kept || strlen (kept) != seed_length * 5 / 4 ||
                       !zmq_z85_decode (seeds[role], kept)) {
            fprintf (stderr, "crier matrix: %s\n",
                     made ? "no random bytes from the kernel"
                          : "the keys file is damaged (use --reset to make new keys)");
            json_decref (file);
            return made ? CRIER_EXIT_UNAVAILABLE : CRIER_EXIT_USAGE;
        }
        self->keys[role] = crier_e2ee_signing_new (seeds[role], seed_length);
    }
    json_decref (file);
    if (made) {
        //  Kept before anything is uploaded: a second run reuses them.
        json_t *out = json_pack ("{s:s}", "user_id", self->user);
        for (int role = 0; role < ROLES; role++) {
            char encoded[128];
            zmq_z85_encode (encoded, seeds[role], seed_length);
            json_object_set_new (out, s_roles[role], json_string (encoded));
            explicit_bzero (encoded, sizeof encoded);
        }
        char *dump = json_dumps (out, JSON_INDENT (2));
        json_decref (out);
        int rc = dump ? crier_durable_write (self->keys_path, dump, strlen (dump)) : -1;
        if (dump)
            explicit_bzero (dump, strlen (dump));
        free (dump);
        if (rc != 0) {
            fprintf (stderr, "crier matrix: could not write %s: %s\n", self->keys_path,
                     strerror (errno));
            explicit_bzero (seeds, sizeof seeds);
            return CRIER_EXIT_UNAVAILABLE;
        }
        printf ("new cross-signing keys kept in %s (mode 0600): keep it offline\n",
                self->keys_path);
    }
    explicit_bzero (seeds, sizeof seeds);
    for (int role = 0; role < ROLES; role++)
        if (!self->keys[role]) {
            fprintf (stderr, "crier matrix: out of memory\n");
            return CRIER_EXIT_UNAVAILABLE;
        }
    return CRIER_EXIT_OK;
}

//  A cross-signing key object, signed by the master key unless it is the master key.
static json_t *s_key_object (session_t *self, int role)
{
    char usage[32], name[128];
    snprintf (usage, sizeof usage, "%s", s_roles[role]);
    snprintf (name, sizeof name, "ed25519:%s", crier_e2ee_signing_public (self->keys[role]));
    json_t *object = json_pack ("{s:s, s:[s], s:{s:s}}", "user_id", self->user, "usage", usage,
                                "keys", name, crier_e2ee_signing_public (self->keys[role]));
    if (object && role != 0 && crier_e2ee_sign_with_key (self->keys[0], object, self->user) != 0) {
        json_decref (object);
        object = NULL;
    }
    return object;
}

//  The homeserver's master key for the bot, or NULL.
static const char *s_public (const json_t *key)
{
    void *first = json_object_iter (json_object_get ((json_t *)key, "keys"));
    return first ? json_string_value (json_object_iter_value (first)) : NULL;
}

//  Uploads the keys, answering the homeserver's password question (user-interactive auth).
static int s_upload_keys (session_t *self)
{
    json_t *body = json_object ();
    static const char *const fields[] = {"master_key", "self_signing_key", "user_signing_key"};
    for (int role = 0; role < ROLES; role++)
        json_object_set_new (body, fields[role], s_key_object (self, role));
    long status = 0;
    char error[512];
    json_t *answer = s_call (self, "POST", "/_matrix/client/v3/keys/device_signing/upload", body,
                             &status, error, sizeof error);
    if (status == 401 && json_object_get (answer, "flows")) {
        if (!self->password) {
            fprintf (stderr, "crier matrix: the homeserver asks for the bot's password: set "
                             "CRIER_MATRIX_PASSWORD (or CRIER_MATRIX_PASSWORD_FILE)\n");
            json_decref (answer);
            json_decref (body);
            return CRIER_EXIT_USAGE;
        }
        json_object_set_new (body, "auth",
                             json_pack ("{s:s, s:{s:s, s:s}, s:s, s:O?}", "type",
                                        "m.login.password", "identifier", "type", "m.id.user",
                                        "user", self->user, "password", self->password, "session",
                                        json_object_get (answer, "session")));
        json_decref (answer);
        answer = s_call (self, "POST", "/_matrix/client/v3/keys/device_signing/upload", body,
                         &status, error, sizeof error);
    }
    json_decref (answer);
    json_decref (body);
    if (status != 200) {
        fprintf (stderr,
                 "crier matrix: the homeserver did not store the cross-signing keys: %s%s\n", error,
                 status == 401 ? " (check CRIER_MATRIX_PASSWORD)" : "");
        return status == 401 ? CRIER_EXIT_USAGE : CRIER_EXIT_UNAVAILABLE;
    }
    printf ("cross-signing keys uploaded: master key %s\n",
            crier_e2ee_signing_public (self->keys[0]));
    return CRIER_EXIT_OK;
}

//  Signs the bot's device with the self-signing key (unless it is already).
static int s_sign_device (session_t *self, const json_t *device_keys)
{
    const char *ssk = crier_e2ee_signing_public (self->keys[1]);
    if (crier_e2ee_signed_by (device_keys, self->user, ssk, ssk)) {
        printf ("device %s is signed already\n", self->device);
        return CRIER_EXIT_OK;
    }
    json_t *signed_keys = json_deep_copy (device_keys);
    json_object_del (signed_keys, "signatures");
    json_object_del (signed_keys, "unsigned");
    long status = 0;
    char error[512];
    json_t *answer = NULL;
    if (crier_e2ee_sign_with_key (self->keys[1], signed_keys, self->user) == 0) {
        json_t *body = json_pack ("{s:{s:O}}", self->user, self->device, signed_keys);
        answer = s_call (self, "POST", "/_matrix/client/v3/keys/signatures/upload", body, &status,
                         error, sizeof error);
        json_decref (body);
    }
    json_decref (signed_keys);
    bool failed = status != 200 || json_object_size (json_object_get (answer, "failures")) > 0;
    if (failed) {
        char *failures = json_dumps (json_object_get (answer, "failures"), JSON_COMPACT);
        fprintf (stderr, "crier matrix: the device's signature was not stored: %s %s\n", error,
                 failures ? failures : "");
        free (failures);
    } else
        printf ("device %s signed by the self-signing key\n", self->device);
    json_decref (answer);
    return failed ? CRIER_EXIT_UNAVAILABLE : CRIER_EXIT_OK;
}

static int s_cross_sign (session_t *self)
{
    long status = 0;
    char error[512];
    json_t *whoami = s_call (self, "GET", "/_matrix/client/v3/account/whoami", NULL, &status, error,
                             sizeof error);
    const char *user = json_string_value (json_object_get (whoami, "user_id"));
    const char *device = json_string_value (json_object_get (whoami, "device_id"));
    self->user = user ? strdup (user) : NULL;
    self->device = device ? strdup (device) : NULL;
    json_decref (whoami);
    if (!self->user || !self->device) {
        fprintf (stderr,
                 "crier matrix: whoami failed: %s (check CRIER_MATRIX_HOMESERVER and "
                 "CRIER_MATRIX_ACCESS_TOKEN)\n",
                 status == 200 ? "no user or device id" : error);
        return status == 401 ? CRIER_EXIT_USAGE : CRIER_EXIT_UNAVAILABLE;
    }
    int rc = s_keys (self);
    if (rc != CRIER_EXIT_OK)
        return rc;
    json_t *query = json_pack ("{s:{s:[]}}", "device_keys", self->user);
    json_t *known =
        s_call (self, "POST", "/_matrix/client/v3/keys/query", query, &status, error, sizeof error);
    json_decref (query);
    if (status != 200) {
        fprintf (stderr, "crier matrix: /keys/query failed: %s\n", error);
        json_decref (known);
        return CRIER_EXIT_UNAVAILABLE;
    }
    const char *master =
        s_public (json_object_get (json_object_get (known, "master_keys"), self->user));
    const char *mine = crier_e2ee_signing_public (self->keys[0]);
    if (master && strcmp (master, mine) == 0)
        printf ("cross-signing keys already on the homeserver: master key %s\n", mine);
    else if (master && !self->reset) {
        fprintf (stderr,
                 "crier matrix: the homeserver holds other cross-signing keys for %s (master "
                 "key %s): --reset replaces them, which resets every customer's trust in the "
                 "bot\n",
                 self->user, master);
        json_decref (known);
        return CRIER_EXIT_USAGE;
    } else if ((rc = s_upload_keys (self)) != CRIER_EXIT_OK) {
        json_decref (known);
        return rc;
    }
    const json_t *device_keys = json_object_get (
        json_object_get (json_object_get (known, "device_keys"), self->user), self->device);
    if (!device_keys) {
        fprintf (stderr,
                 "crier matrix: device %s has no keys on the homeserver yet: start "
                 "crier-matrix-watch with CRIER_MATRIX_STATE_KEY, then run this again\n",
                 self->device);
        json_decref (known);
        return CRIER_EXIT_UNAVAILABLE;
    }
    rc = s_sign_device (self, device_keys);
    json_decref (known);
    return rc;
}

int crier_cmd_matrix (int argc, char *argv[])
{
    static const struct option options[] = {{"keys", required_argument, NULL, 'k'},
                                            {"reset", no_argument, NULL, 'r'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    session_t self = {.keys_path = "crier-cross-signing.json"};
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        fputs (s_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CRIER_EXIT_USAGE : CRIER_EXIT_OK;
    }
    if (strcmp (argv[1], "cross-sign") != 0)
        return cli_fail_usage ("matrix", "unknown subcommand", argv[1]);
    optind = 1;
    int option;
    while ((option = getopt_long (argc - 1, argv + 1, "h", options, NULL)) != -1) {
        if (option == 'k')
            self.keys_path = optarg;
        else if (option == 'r')
            self.reset = true;
        else if (option == 'h') {
            fputs (s_usage, stdout);
            return CRIER_EXIT_OK;
        } else
            return cli_unknown_option ("matrix", argc - 1, argv + 1, optind);
    }
    if (optind < argc - 1)
        return cli_fail_usage ("matrix", "unexpected argument", argv[optind + 1]);
    int rc = crier_matrix_account_load (&self.homeserver, &self.display, &self.token, &self.user_id,
                                        &self.ca_file);
    rc |= crier_config_secret ("CRIER_MATRIX_PASSWORD", &self.password);
    int status = rc == 0 ? s_cross_sign (&self) : CRIER_EXIT_USAGE;
    for (int role = 0; role < ROLES; role++)
        crier_e2ee_signing_destroy (&self.keys[role]);
    crier_matrix_account_free (&self.homeserver, &self.display, &self.token, &self.user_id,
                               &self.ca_file);
    if (self.password)
        explicit_bzero (self.password, strlen (self.password));
    free (self.password);
    free (self.user);
    free (self.device);
    return status;
}

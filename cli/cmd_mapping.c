/*  cmd_mapping.c - crier mapping get|put|check: read, validate and store the mapping document.

    put handles _rev for the user: a file without _rev replaces whatever revision is current; a
    file with _rev (as get wrote it) is stored only if nobody changed the document meanwhile.
    This is an administrator's tool: like crier-resolver it talks to CouchDB, which the pipeline's
    other processes never do.
*/
#include "commands.h"
#include "couch_request.h"

#include "crier/mapping.h"
#include "crier/url.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage =
    "Usage: crier mapping get [FILE]    print the mapping document (or write it to FILE)\n"
    "       crier mapping put FILE      check FILE and store it as the mapping document; it\n"
    "                                   says what changes, and takes --force when groups\n"
    "                                   in use would disappear\n"
    "       crier mapping check FILE    only check FILE\n"
    "\n"
    "FILE '-' is standard input or output. The document is {\"mapping\": {\"#group\": "
    "{\"matrix\":\n"
    "[...], \"email\": [...]}}}; docs/mapping.md describes it. put creates the database when it\n"
    "does not exist, and takes care of _rev: a FILE without _rev replaces the current document;\n"
    "a FILE with _rev (as get writes it) is refused if the document changed since.\n"
    "\n"
    "CouchDB settings: CRIER_COUCHDB_URL, CRIER_COUCHDB_USER, CRIER_COUCHDB_PASSWORD (or _FILE),\n"
    "CRIER_COUCHDB_DB, CRIER_MAPPING_DOC.\n"
    "\n"
    "Exit status: 0 done, 1 CouchDB refused or could not be reached, 2 bad arguments or an\n"
    "invalid document.\n";

//  Explains a failed request and returns CRIER_EXIT_UNAVAILABLE.
static int s_fail_request (const crier_couchdb_t *couchdb, const char *what,
                           const couch_response_t *response)
{
    if (response->status == 0) {
        fprintf (stderr,
                 "crier mapping: could not %s at %s: %s; is CouchDB running there? "
                 "(CRIER_COUCHDB_URL)\n",
                 what, couchdb->display_url, response->error);
        return CRIER_EXIT_UNAVAILABLE;
    }
    char *reason = couch_response_reason (response);
    const char *hint = "";
    //  Name where the credentials came from: the variables, or the user:password in the URL.
    if (response->status == 401 || response->status == 403)
        hint = couchdb->user ? "; check CRIER_COUCHDB_USER and CRIER_COUCHDB_PASSWORD"
               : crier_url_has_user (couchdb->url)
                   ? "; check the user:password in CRIER_COUCHDB_URL"
                   : "; CouchDB wants credentials: set CRIER_COUCHDB_USER and "
                     "CRIER_COUCHDB_PASSWORD";
    fprintf (stderr, "crier mapping: could not %s at %s: HTTP %ld %s%s\n", what,
             couchdb->display_url, response->status, reason, hint);
    free (reason);
    return CRIER_EXIT_UNAVAILABLE;
}

//  Reads FILE, at most CRIER_MAPPING_MAX_BYTES: the resolver would skip a larger document.
static char *s_read_file (const char *path, size_t *length_p)
{
    uint64_t max_bytes;
    if (crier_mapping_max_bytes_load (&max_bytes) != 0)
        return NULL;
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "crier mapping: could not open %s: %s\n", path, strerror (errno));
        return NULL;
    }
    char *text = malloc (max_bytes + 1);
    size_t length = text ? fread (text, 1, max_bytes + 1, file) : 0;
    bool failed = !text || ferror (file);
    if (file != stdin)
        fclose (file);
    if (failed)
        fprintf (stderr, "crier mapping: could not read %s\n", path);
    else if (length > max_bytes)
        fprintf (stderr,
                 "crier mapping: %s is larger than CRIER_MAPPING_MAX_BYTES (%llu bytes): the "
                 "resolver would skip it. Raise CRIER_MAPPING_MAX_BYTES for the resolver and "
                 "this command, and CouchDB's max_document_size (docs/mapping.md, Large "
                 "mappings)\n",
                 path, (unsigned long long)max_bytes);
    if (failed || length > max_bytes) {
        free (text);
        return NULL;
    }
    text[length] = '\0';
    *length_p = length;
    return text;
}

//  Reads and validates FILE. Returns the mapping, or NULL after saying why; *text_p (may be
//  NULL) gets the file's text.
static crier_mapping_t *s_load (const char *path, char **text_p)
{
    size_t length = 0;
    char *text = s_read_file (path, &length);
    if (!text)
        return NULL;
    crier_mapping_error_t error;
    crier_mapping_t *mapping = crier_mapping_parse (text, length, &error);
    if (!mapping)
        fprintf (stderr, "crier mapping: %s is not a valid mapping: %s: %s\n", path, error.path,
                 error.message);
    if (mapping && text_p)
        *text_p = text;
    else
        free (text);
    return mapping;
}

static int s_check (const char *path)
{
    crier_mapping_t *mapping = s_load (path, NULL);
    if (!mapping)
        return CRIER_EXIT_USAGE;
    printf ("%s is valid: %zu groups\n", path, crier_mapping_group_count (mapping));
    crier_mapping_destroy (&mapping);
    return CRIER_EXIT_OK;
}

static int s_get (const crier_couchdb_t *couchdb, const char *document_url, const char *path)
{
    couch_response_t response;
    couch_request (couchdb, "GET", document_url, NULL, &response);
    int status = CRIER_EXIT_OK;
    if (response.status == 404) {
        fprintf (stderr,
                 "crier mapping: there is no document '%s' in database '%s' at %s yet; store one "
                 "with 'crier mapping put FILE'\n",
                 couchdb->document, couchdb->database, couchdb->display_url);
        status = CRIER_EXIT_UNAVAILABLE;
    } else if (response.status != 200)
        status = s_fail_request (couchdb, "read the mapping", &response);
    else {
        json_t *document = json_loads (response.body, 0, NULL);
        FILE *out = !path || strcmp (path, "-") == 0 ? stdout : fopen (path, "w");
        if (!out)
            perror (path), status = CRIER_EXIT_USAGE;
        else {
            json_dumpf (document, out, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
            fputc ('\n', out);
            if (out != stdout && fclose (out) != 0)
                perror (path), status = CRIER_EXIT_USAGE;
        }
        json_decref (document);
    }
    couch_response_free (&response);
    return status;
}

//  The current document (caller decrefs), NULL when there is none; creates the database when
//  missing. Returns 0 or an exit status.
static int s_current (const crier_couchdb_t *couchdb, const char *document_url, json_t **document_p)
{
    *document_p = NULL;
    couch_response_t response;
    couch_request (couchdb, "GET", document_url, NULL, &response);
    int status = 0;
    if (response.status == 200)
        *document_p = json_loads (response.body, 0, NULL);
    else if (response.status == 404) {
        //  The document or the whole database is missing: create the database (412 when it
        //  exists already is fine).
        char *database_url = crier_couchdb_url (couchdb, NULL, NULL);
        couch_response_t created;
        couch_request (couchdb, "PUT", database_url, NULL, &created);
        if (created.status != 201 && created.status != 202 && created.status != 412)
            status = s_fail_request (couchdb, "create the database", &created);
        else if (created.status != 412)
            fprintf (stderr, "crier mapping: created database '%s'\n", couchdb->database);
        couch_response_free (&created);
        free (database_url);
    } else
        status = s_fail_request (couchdb, "read the current mapping", &response);
    couch_response_free (&response);
    return status;
}

//  What storing groups over current changes, as a line (",": nothing), and the groups it would
//  remove in removed (the first few, space-separated). Returns how many it removes.
static size_t s_changes (const json_t *current, const json_t *groups, char *line, size_t size,
                         char *removed, size_t removed_size)
{
    size_t added = 0, gone = 0, changed = 0;
    const char *name;
    const json_t *value;
    removed[0] = '\0';
    json_object_foreach ((json_t *)current, name, value)
    {
        const json_t *now = json_object_get (groups, name);
        if (!now) {
            if (gone++ < 5)
                snprintf (removed + strlen (removed), removed_size - strlen (removed), "%s%s",
                          *removed ? " " : "", name);
        } else if (!json_equal ((json_t *)now, (json_t *)value))
            changed++;
    }
    json_object_foreach ((json_t *)groups, name, value) added +=
        json_object_get (current, name) == NULL;
    if (gone > 5)
        snprintf (removed + strlen (removed), removed_size - strlen (removed), " and %zu more",
                  gone - 5);
    snprintf (line, size, "%zu added, %zu removed, %zu changed", added, gone, changed);
    return gone;
}

static int s_put (const crier_couchdb_t *couchdb, const char *document_url, const char *path,
                  bool force)
{
    char *text = NULL;
    crier_mapping_t *mapping = s_load (path, &text);
    //  Valid, so JSON: read again as a tree to edit _id and _rev and to compare groups.
    json_t *document = text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    if (!document) {
        crier_mapping_destroy (&mapping);
        return CRIER_EXIT_USAGE;
    }
    //  The document id comes from CRIER_MAPPING_DOC, whatever the file says.
    json_object_del (document, "_id");
    json_t *current = NULL;
    int status = s_current (couchdb, document_url, &current);
    const char *revision = json_string_value (json_object_get (current, "_rev"));
    if (status == 0 && revision && !json_object_get (document, "_rev"))
        json_object_set_new (document, "_rev", json_string (revision));
    //  What changes, said before anything is stored; losing groups takes --force.
    char changes[160] = "", removed[400];
    const json_t *old_groups = json_object_get (current, "mapping");
    size_t gone = status == 0 && json_is_object (old_groups)
                      ? s_changes (old_groups, json_object_get (document, "mapping"), changes,
                                   sizeof changes, removed, sizeof removed)
                      : 0;
    if (gone > 0 && !force) {
        fprintf (stderr,
                 "crier mapping: %s would remove %zu group%s now in use (%s): their "
                 "notifications would become dead letters. Pass --force to store it anyway\n",
                 path, gone, gone == 1 ? "" : "s", removed);
        status = CRIER_EXIT_USAGE;
    }
    json_decref (current);
    if (status == 0) {
        char *body = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER);
        couch_response_t response;
        couch_request (couchdb, "PUT", document_url, body, &response);
        if (response.status == 201 || response.status == 202) {
            json_t *answer = json_loads (response.body, 0, NULL);
            printf ("stored revision %s (%zu groups%s%s)\n",
                    json_string_value (json_object_get (answer, "rev")),
                    crier_mapping_group_count (mapping), *changes ? ": " : "", changes);
            json_decref (answer);
        } else if (response.status == 409) {
            fprintf (stderr,
                     "crier mapping: the document changed since revision %s was read; run "
                     "'crier mapping get', apply your edit again, and put it (or remove _rev "
                     "from the file to replace whatever is there)\n",
                     json_string_value (json_object_get (document, "_rev")));
            status = CRIER_EXIT_UNAVAILABLE;
        } else
            status = s_fail_request (couchdb, "store the mapping", &response);
        couch_response_free (&response);
        free (body);
    }
    json_decref (document);
    crier_mapping_destroy (&mapping);
    return status;
}

int crier_cmd_mapping (int argc, char *argv[])
{
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        fputs (s_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CRIER_EXIT_USAGE : CRIER_EXIT_OK;
    }
    const char *action = argv[1];
    //  put takes --force, before or after its FILE.
    bool force = false;
    const char *path = NULL;
    int words = 0;
    for (int index = 2; index < argc; index++) {
        if (strcmp (argv[index], "--force") == 0 && strcmp (action, "put") == 0)
            force = true;
        else {
            path = argv[index];
            words++;
        }
    }
    bool known =
        strcmp (action, "get") == 0 || strcmp (action, "put") == 0 || strcmp (action, "check") == 0;
    if (!known || words > 1 || (!path && strcmp (action, "get") != 0)) {
        fprintf (stderr,
                 "crier mapping: expected get [FILE], put FILE [--force] or check FILE\n\n%s",
                 s_usage);
        return CRIER_EXIT_USAGE;
    }
    if (strcmp (action, "check") == 0)
        return s_check (path);

    crier_couchdb_t couchdb = {0};
    int status = CRIER_EXIT_USAGE;
    if (crier_couchdb_load (&couchdb) == 0 && curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK) {
        char *suffix = crier_couchdb_document_suffix (&couchdb);
        char *document_url = suffix ? crier_couchdb_url (&couchdb, suffix, NULL) : NULL;
        if (document_url)
            status = strcmp (action, "get") == 0 ? s_get (&couchdb, document_url, path)
                                                 : s_put (&couchdb, document_url, path, force);
        free (document_url);
        free (suffix);
        curl_global_cleanup ();
    }
    crier_couchdb_free (&couchdb);
    return status;
}

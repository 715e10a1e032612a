/*  mapping_reader.c - see mapping.h. Follows the document's structure by depth: its members at
    depth 1, groups and people at depth 2. Each group (or person) is built whole as a small
    jansson value, checked by mapping_checks.c, copied into the compact mapping and freed, so the
    document never exists as one tree. A group's target arrays are the exception: their strings
    are checked one by one and stream straight into the mapping (the value gets empty arrays), so
    that a group of a million addresses costs its text, not a million jansson strings. */
#include "crier/json_tree.h"
#include "crier/mapping.h"
#include "mapping_checks.h"
#include "mapping_store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A group's value nests at most this deep (nag.email[0] is 3 below it).
#define MEMBER_MAX_DEPTH 16

//  Steps of the path kept inside a member crier does not read, to name where a NUL is.
#define OTHER_PATH_DEPTH 16

typedef struct {
    bool array;
    size_t index; //  of the array's current value, SIZE_MAX before its first
    char *key;    //  the object's current key
} step_t;

//  The document member being read.
typedef enum { MEMBER_OTHER, MEMBER_REVISION, MEMBER_GROUPS, MEMBER_PEOPLE } member_t;

struct crier_mapping_reader_t {
    crier_mapping_t *mapping; //  being filled
    crier_json_tree_t *tree;  //  the group or person being read
    crier_mapping_error_t error;
    bool failed;        //  error holds the first problem: the rest is only looked through
    size_t depth;       //  objects and arrays open around the next token
    member_t member;    //  the member at depth 1 being read
    bool member_object; //  "mapping" or "people" is an object, as it must be
    char *member_key;   //  its key (for "other" members, to name it in an error)
    char *entry;        //  the group or person being read (its key at depth 2)
    char *revision;     //  the document's _rev
    bool seen_groups;   //  "mapping" was there
    bool seen_people;
    bool started;                   //  the document's first token came
    step_t steps[OTHER_PATH_DEPTH]; //  where in an "other" member (the first levels)
    size_t other_depth;             //  containers open in it
    int channel_key;                //  the channel the group's last key names, or -1
    int streaming;                  //  the channel whose array of targets is being read, or -1
    size_t next_target;             //  the index of its next target
};

crier_mapping_reader_t *crier_mapping_reader_new (void)
{
    crier_mapping_reader_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->channel_key = self->streaming = -1;
    self->tree = crier_json_tree_new (MEMBER_MAX_DEPTH);
    if (!self->tree)
        crier_mapping_reader_destroy (&self);
    return self;
}

//  Forgets the document read so far.
static void s_reset (crier_mapping_reader_t *self)
{
    crier_mapping_destroy (&self->mapping);
    crier_json_tree_reset (self->tree);
    free (self->member_key);
    free (self->entry);
    free (self->revision);
    for (size_t step = 0; step < OTHER_PATH_DEPTH; step++)
        free (self->steps[step].key);
    crier_json_tree_t *tree = self->tree;
    memset (self, 0, sizeof *self);
    self->tree = tree;
    self->channel_key = self->streaming = -1;
}

void crier_mapping_reader_destroy (crier_mapping_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_mapping_reader_t *self = *self_p;
    if (self->tree)
        s_reset (self);
    crier_json_tree_destroy (&self->tree);
    free (self);
    *self_p = NULL;
}

const char *crier_mapping_reader_revision (const crier_mapping_reader_t *self)
{
    return self->revision;
}

//  Keeps the first problem only.
static void s_fail (crier_mapping_reader_t *self, const char *path, const char *message)
{
    if (self->failed)
        return;
    crier_mapping_fail (&self->error, path, "%s", message);
    self->failed = true;
    crier_mapping_destroy (&self->mapping);
    crier_json_tree_reset (self->tree);
}

//  The path of the current group or person: mapping["#admins"], people["@will:server"].
static void s_entry_path (crier_mapping_reader_t *self, char *path, size_t size)
{
    crier_mapping_keyed_path (path, size, self->member == MEMBER_GROUPS ? "mapping" : "people",
                              self->entry ? self->entry : "");
}

//  A key as a C string, or NULL when it holds a NUL (or memory ran out: then failed is set).
static char *s_key (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    if (memchr (token->text, '\0', token->length))
        return NULL;
    char *key = crier_json_token_copy (token);
    if (!key)
        s_fail (self, "(document)", "out of memory");
    return key;
}

//  What storing a group or person into the mapping gave: 1 when it is there already.
static void s_stored (crier_mapping_reader_t *self, int rc)
{
    if (rc == 1) {
        char path[sizeof self->error.path];
        s_entry_path (self, path, sizeof path);
        s_fail (self, path,
                self->member == MEMBER_GROUPS ? "appears twice: each group once"
                                              : "appears twice: each person once");
    } else if (rc != 0)
        s_fail (self, "(document)", "out of memory, or over the 4 GiB a mapping can hold");
}

//  A group or person read whole: checked, then copied into the mapping (a group's name and
//  targets are there already).
static void s_add_entry (crier_mapping_reader_t *self, json_t *value)
{
    char path[sizeof self->error.path] = "";
    if (crier_mapping_find_nul (value, path, sizeof path, 0)) {
        //  Rare: looked for again with the entry's own path in front.
        s_entry_path (self, path, sizeof path);
        crier_mapping_find_nul (value, path, sizeof path, strlen (path));
        s_fail (self, path, "contains a NUL character (\\u0000): remove it");
        return;
    }
    bool groups = self->member == MEMBER_GROUPS;
    if ((groups ? crier_mapping_check_group (self->entry, value, &self->error)
                : crier_mapping_check_person (self->entry, value, &self->error)) != 0) {
        self->failed = true; //  error holds what the check found
        crier_mapping_destroy (&self->mapping);
        return;
    }
    int rc = groups
                 ? crier_mapping_group_end (self->mapping, value)
                 : crier_mapping_add_person (self->mapping, self->entry,
                                             json_string_value (json_object_get (value, "email")));
    s_stored (self, rc);
}

//  The channel a key names, or -1.
static int s_channel_of (const crier_json_token_t *token)
{
    for (int channel = 0; channel < CRIER_CHANNEL_COUNT; channel++) {
        const char *name = crier_channel_name ((crier_channel_t)channel);
        if (token->length == strlen (name) && memcmp (token->text, name, token->length) == 0)
            return channel;
    }
    return -1;
}

//  One value of the target array being streamed: checked, then added to its list.
static void s_stream_target (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    crier_channel_t channel = (crier_channel_t)self->streaming;
    size_t index = self->next_target++;
    char group_path[sizeof self->error.path];
    s_entry_path (self, group_path, sizeof group_path);
    if (token->kind == CRIER_JSON_STRING && memchr (token->text, '\0', token->length)) {
        char path[sizeof self->error.path];
        snprintf (path, sizeof path, "%.256s.%s[%zu]", group_path, crier_channel_name (channel),
                  index);
        s_fail (self, path, "contains a NUL character (\\u0000): remove it");
        return;
    }
    char *target = token->kind == CRIER_JSON_STRING ? crier_json_token_copy (token) : NULL;
    if (token->kind == CRIER_JSON_STRING && !target) {
        s_fail (self, "(document)", "out of memory");
        return;
    }
    if (crier_mapping_check_target (group_path, channel, index, target,
                                    crier_json_token_type (token), &self->error) != 0) {
        self->failed = true; //  error holds what the check found
        crier_mapping_destroy (&self->mapping);
        crier_json_tree_reset (self->tree);
    } else
        s_stored (self, crier_mapping_group_target (self->mapping, channel, target));
    free (target);
}

//  A group's arrays of targets stream into lists: true when it took the token, which the tree
//  then does not see (it gets the arrays' start and end only).
static bool s_stream (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    if (self->depth == 3 && token->kind == CRIER_JSON_KEY) {
        self->channel_key = s_channel_of (token);
        return false;
    }
    if (self->depth == 3 && token->kind == CRIER_JSON_ARRAY_START && self->channel_key >= 0) {
        self->streaming = self->channel_key;
        self->next_target = 0;
        return false;
    }
    if (self->streaming < 0)
        return false;
    if (self->depth == 3) { //  the array's end
        self->streaming = -1;
        return false;
    }
    s_stream_target (self, token);
    return true;
}

//  A token inside "mapping" or "people" (depth 2 and below).
static void s_take_entry (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    if (self->member == MEMBER_GROUPS && s_stream (self, token))
        return;
    if (token->kind == CRIER_JSON_KEY && self->depth == 2) {
        free (self->entry);
        self->entry = s_key (self, token);
        if (!self->entry && !self->failed)
            s_fail (self, self->member == MEMBER_GROUPS ? "mapping" : "people",
                    "a name contains a NUL character (\\u0000): remove it");
        else if (self->entry && self->member == MEMBER_GROUPS && !self->failed)
            s_stored (self, crier_mapping_group_begin (self->mapping, self->entry));
        self->channel_key = self->streaming = -1;
        return;
    }
    char problem[160];
    int rc = crier_json_tree_add (self->tree, token, problem, sizeof problem);
    if (rc == 1) {
        json_t *value = crier_json_tree_take (self->tree);
        s_add_entry (self, value);
        json_decref (value);
    } else if (rc < 0) {
        char path[sizeof self->error.path];
        s_entry_path (self, path, sizeof path);
        s_fail (self, path, problem);
    }
}

//  A member's key at depth 1.
static void s_take_member_key (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    free (self->member_key);
    self->member_key = s_key (self, token);
    self->member_object = false;
    self->other_depth = 0;
    if (!self->member_key) {
        s_fail (self, "(document)", "a key contains a NUL character (\\u0000): remove it");
        self->member = MEMBER_OTHER;
        return;
    }
    const char *key = self->member_key;
    bool groups = strcmp (key, "mapping") == 0, people = strcmp (key, "people") == 0;
    if ((groups && self->seen_groups) || (people && self->seen_people))
        s_fail (self, key, "appears twice in the document");
    self->seen_groups |= groups;
    self->seen_people |= people;
    self->member = groups                      ? MEMBER_GROUPS
                   : people                    ? MEMBER_PEOPLE
                   : strcmp (key, "_rev") == 0 ? MEMBER_REVISION
                                               : MEMBER_OTHER;
}

//  The innermost step kept, or NULL when deeper than kept (or at the member's own value).
static step_t *s_step (crier_mapping_reader_t *self)
{
    return self->other_depth > 0 && self->other_depth <= OTHER_PATH_DEPTH
               ? &self->steps[self->other_depth - 1]
               : NULL;
}

//  Members crier does not read may hold anything but a NUL (a log line would cut it): their
//  path is followed to name it.
static void s_check_other (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    step_t *step = s_step (self);
    if (token->kind == CRIER_JSON_OBJECT_END || token->kind == CRIER_JSON_ARRAY_END) {
        if (step) {
            free (step->key);
            step->key = NULL;
        }
        self->other_depth--;
        return;
    }
    if (token->kind != CRIER_JSON_KEY && step && step->array)
        step->index++; //  a value in an array: from SIZE_MAX to 0 for the first
    bool nul = (token->kind == CRIER_JSON_STRING || token->kind == CRIER_JSON_KEY) &&
               memchr (token->text, '\0', token->length);
    if (token->kind == CRIER_JSON_KEY && step && !nul) {
        free (step->key);
        step->key = crier_json_token_copy (token);
    }
    if (nul && self->member_key && !self->failed) {
        char path[sizeof self->error.path];
        size_t used = crier_mapping_path_key (path, sizeof path, 0, self->member_key);
        for (size_t level = 0; level < self->other_depth && level < OTHER_PATH_DEPTH; level++) {
            const step_t *at = &self->steps[level];
            if (at->array)
                used = crier_mapping_path_index (path, sizeof path, used, at->index);
            else if (at->key)
                used = crier_mapping_path_key (path, sizeof path, used, at->key);
        }
        s_fail (self, path, "contains a NUL character (\\u0000): remove it");
    }
    if (token->kind == CRIER_JSON_OBJECT_START || token->kind == CRIER_JSON_ARRAY_START) {
        if (++self->other_depth <= OTHER_PATH_DEPTH)
            self->steps[self->other_depth - 1] =
                (step_t){.array = token->kind == CRIER_JSON_ARRAY_START, .index = SIZE_MAX};
    }
}

//  The first token of a member's value, at depth 1.
static void s_take_member_value (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    bool object = token->kind == CRIER_JSON_OBJECT_START;
    char message[sizeof self->error.message];
    switch (self->member) {
        case MEMBER_REVISION:
            if (token->kind == CRIER_JSON_STRING && !memchr (token->text, '\0', token->length)) {
                free (self->revision);
                self->revision = crier_json_token_copy (token);
            }
            break;
        case MEMBER_GROUPS:
            self->member_object = object;
            snprintf (message, sizeof message, "must be an object of groups, got %s",
                      crier_json_token_type (token));
            if (!object)
                s_fail (self, "mapping", message);
            break;
        case MEMBER_PEOPLE:
            self->member_object = object;
            snprintf (message, sizeof message,
                      "must be an object of Matrix users, e.g. {\"@will:example.org\": "
                      "{\"email\": \"will@example.org\"}}, got %s",
                      crier_json_token_type (token));
            if (!object)
                s_fail (self, "people", message);
            break;
        case MEMBER_OTHER:
            s_check_other (self, token);
            break;
    }
}

int crier_mapping_reader_take (crier_mapping_reader_t *self, const crier_json_token_t *token)
{
    bool opens = token->kind == CRIER_JSON_OBJECT_START || token->kind == CRIER_JSON_ARRAY_START;
    bool closes = token->kind == CRIER_JSON_OBJECT_END || token->kind == CRIER_JSON_ARRAY_END;
    if (closes && self->depth > 0)
        self->depth--;
    if (self->depth == 0 && !closes) {
        //  The document itself.
        if (!self->started && token->kind == CRIER_JSON_OBJECT_START) {
            self->mapping = crier_mapping_empty ();
            if (!self->mapping)
                s_fail (self, "(document)", "out of memory");
        } else if (!self->started) {
            char message[64];
            snprintf (message, sizeof message, "must be a JSON object, got %s",
                      crier_json_token_type (token));
            s_fail (self, "(document)", message);
        }
        self->started = true;
    } else if (self->depth == 1 && token->kind == CRIER_JSON_KEY)
        s_take_member_key (self, token);
    else if (self->depth == 1 && !closes)
        s_take_member_value (self, token);
    else if (self->member == MEMBER_OTHER && self->depth >= 1)
        s_check_other (self, token); //  inside the member's value, or its end at depth 1
    else if (self->depth >= 2 && self->member_object && !self->failed)
        s_take_entry (self, token);
    if (opens)
        self->depth++;
    return 0;
}

crier_mapping_t *crier_mapping_reader_finish (crier_mapping_reader_t *self,
                                              crier_mapping_error_t *error)
{
    if (!self->started)
        s_fail (self, "(document)", "empty: a JSON object is expected");
    else if (!self->seen_groups)
        s_fail (self, "mapping", "missing: the document needs a \"mapping\" object of groups");
    crier_mapping_t *mapping = NULL;
    if (self->failed)
        *error = self->error;
    else {
        mapping = self->mapping;
        self->mapping = NULL;
        crier_mapping_set_revision (mapping, self->revision);
        self->revision = NULL;
    }
    s_reset (self);
    return mapping;
}

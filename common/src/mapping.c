/*  mapping.c - see mapping.h. The text of every name and target sits in one block, addressed by
    32-bit offsets: a group's name, then its targets channel after channel (Matrix first, unless
    the document listed email first: they are stored as they stream in), each target once.
    Groups and people are 16- and 8-byte records found through open-addressing hash indexes (at
    most three quarters full). About 24 bytes per group beside its text, where a jansson tree
    took about ten times the JSON. */
#include "crier/mapping.h"
#include "crier/config.h"
#include "mapping_store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t name;                        //  offset of the group's name in text; its targets
                                          //  follow, channel after channel
    uint32_t counts[CRIER_CHANNEL_COUNT]; //  how many targets on each channel
    uint32_t extra;                       //  1 + its index in extras, 0 when it has none; and
                                          //  EMAIL_FIRST
} group_t;

//  Two channels: a group's targets of one are stored right after its name, the other's next.
_Static_assert(CRIER_CHANNEL_COUNT == 2, "crier_mapping_targets skips one channel at most");

//  In group_t.extra: the group's email targets are stored before its Matrix targets.
#define EMAIL_FIRST 0x80000000u
#define EXTRA_INDEX (~EMAIL_FIRST)

//  A channel's targets past which a repeat is found through a hash, not a scan.
#define LISTED_INDEX_FROM 16

//  What few groups have: a nag, a throttle.
typedef struct {
    uint64_t nag_after_ms;
    uint64_t throttle_ms;
    uint32_t nag_emails;
    uint32_t nag_email_count;
    bool nag;
    bool throttle;
} extra_t;

typedef struct {
    uint32_t user;
    uint32_t email;
} person_t;

//  Slots hold 1 + the index of a record, 0 when empty; capacity is a power of two.
typedef struct {
    uint32_t *slots;
    size_t capacity;
} name_index_t;

struct crier_mapping_t {
    char *revision;
    char *text;
    size_t text_used, text_capacity;
    group_t *groups;
    size_t group_count, group_capacity;
    extra_t *extras;
    size_t extra_count, extra_capacity;
    person_t *people;
    size_t person_count, person_capacity;
    name_index_t group_index, person_index;
    size_t nags;
    //  The group being streamed in: the channel whose targets come, where they start, and an
    //  index of them (offsets) to keep each target once.
    int array_channel;
    uint32_t array_start;
    name_index_t listed;
};

typedef const char *(name_fn)(const crier_mapping_t *self, uint32_t record);

static const char *s_channel_names[CRIER_CHANNEL_COUNT] = {"matrix", "email"};

const char *crier_channel_name (crier_channel_t channel)
{
    return s_channel_names[channel];
}

int crier_channel_parse (const char *name, crier_channel_t *channel_p)
{
    for (int known = 0; known < CRIER_CHANNEL_COUNT; known++)
        if (strcmp (name, s_channel_names[known]) == 0) {
            *channel_p = (crier_channel_t)known;
            return 0;
        }
    return -1;
}

//  Makes room for needed items of item_size in *items, doubling. 0, or -1 when out of memory.
static int s_grow (void **items, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return 0;
    size_t grown = *capacity ? *capacity : 16;
    while (grown < needed) {
        if (grown > SIZE_MAX / 2 / item_size)
            return -1;
        grown *= 2;
    }
    void *moved = realloc (*items, grown * item_size);
    if (!moved)
        return -1;
    *items = moved;
    *capacity = grown;
    return 0;
}

//  Copies a string into the text block. 0 with its offset, or -1 (out of memory, past 4 GiB).
static int s_text_add (crier_mapping_t *self, const char *text, uint32_t *offset_p)
{
    size_t length = strlen (text) + 1;
    if (self->text_used + length > UINT32_MAX ||
        s_grow ((void **)&self->text, &self->text_capacity, self->text_used + length, 1) != 0)
        return -1;
    memcpy (self->text + self->text_used, text, length);
    *offset_p = (uint32_t)self->text_used;
    self->text_used += length;
    return 0;
}

//  FNV-1a: names are short and hostile input can at worst slow its own mapping's load.
static uint64_t s_hash (const char *name)
{
    uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char *byte = (const unsigned char *)name; *byte; byte++)
        hash = (hash ^ *byte) * 1099511628211ULL;
    return hash;
}

static const char *s_group_name (const crier_mapping_t *self, uint32_t record)
{
    return self->text + self->groups[record].name;
}

static const char *s_person_name (const crier_mapping_t *self, uint32_t record)
{
    return self->text + self->people[record].user;
}

//  The slot that holds name, or the empty one where it would go. capacity must not be 0.
static size_t s_slot (const crier_mapping_t *self, const name_index_t *index, name_fn *name_of,
                      const char *name)
{
    size_t mask = index->capacity - 1;
    size_t slot = (size_t)s_hash (name) & mask;
    while (index->slots[slot] && strcmp (name_of (self, index->slots[slot] - 1), name) != 0)
        slot = (slot + 1) & mask;
    return slot;
}

//  The record named name: 0 with its index, or -1.
static int s_find (const crier_mapping_t *self, const name_index_t *index, name_fn *name_of,
                   const char *name, uint32_t *record_p)
{
    if (index->capacity == 0)
        return -1;
    uint32_t found = index->slots[s_slot (self, index, name_of, name)];
    if (!found)
        return -1;
    *record_p = found - 1;
    return 0;
}

//  Indexes record (its name already in place), the records before it being indexed: 0, 1 when
//  the name is there already, -1 when out of memory. At most three quarters full, rebuilt twice
//  as large.
static int s_index_add (crier_mapping_t *self, name_index_t *index, name_fn *name_of,
                        uint32_t record)
{
    if ((size_t)(record + 1) * 4 > index->capacity * 3) {
        name_index_t grown = {.capacity = index->capacity ? index->capacity * 2 : 64};
        grown.slots = calloc (grown.capacity, sizeof *grown.slots);
        if (!grown.slots)
            return -1;
        for (uint32_t indexed = 0; indexed < record; indexed++)
            grown.slots[s_slot (self, &grown, name_of, name_of (self, indexed))] = indexed + 1;
        free (index->slots);
        *index = grown;
    }
    size_t slot = s_slot (self, index, name_of, name_of (self, record));
    if (index->slots[slot])
        return 1;
    index->slots[slot] = record + 1;
    return 0;
}

//  A new record's name: copied into the text (*offset_p, the record's field) and indexed.
//  Returns as s_index_add; a name already there is taken out of the text again.
static int s_name_add (crier_mapping_t *self, name_index_t *index, name_fn *name_of,
                       uint32_t record, const char *name, uint32_t *offset_p)
{
    size_t text_before = self->text_used;
    if (s_text_add (self, name, offset_p) != 0)
        return -1;
    int rc = s_index_add (self, index, name_of, record);
    if (rc != 0)
        self->text_used = text_before;
    return rc;
}

crier_mapping_t *crier_mapping_empty (void)
{
    return calloc (1, sizeof (crier_mapping_t));
}

//  Copies a checked array of strings (may be NULL) after the text so far: 0 with the count.
static int s_targets_add (crier_mapping_t *self, const json_t *targets, uint32_t *count_p)
{
    *count_p = 0;
    size_t index;
    const json_t *target;
    json_array_foreach (targets, index, target)
    {
        uint32_t offset;
        if (s_text_add (self, json_string_value (target), &offset) != 0)
            return -1;
        (*count_p)++;
    }
    return 0;
}

static const char *s_text_at (const crier_mapping_t *self, uint32_t offset)
{
    return self->text + offset;
}

//  Indexes the targets of the array being streamed, in a table twice as large as needed.
static int s_listed_rebuild (crier_mapping_t *self, uint32_t count)
{
    name_index_t grown = {.capacity = 64};
    while ((size_t)(count + 1) * 4 > grown.capacity * 3)
        grown.capacity *= 2;
    grown.capacity *= 2;
    grown.slots = calloc (grown.capacity, sizeof *grown.slots);
    if (!grown.slots)
        return -1;
    const char *listed = self->text + self->array_start;
    for (uint32_t index = 0; index < count; index++, listed = crier_targets_next (listed))
        grown.slots[s_slot (self, &grown, s_text_at, listed)] = (uint32_t)(listed - self->text) + 1;
    free (self->listed.slots);
    self->listed = grown;
    return 0;
}

//  Whether the array being streamed lists target already: 1, 0, or -1 when out of memory.
static int s_listed (crier_mapping_t *self, uint32_t count, const char *target)
{
    if (count < LISTED_INDEX_FROM) {
        const char *listed = self->text + self->array_start;
        for (uint32_t index = 0; index < count; index++, listed = crier_targets_next (listed))
            if (strcmp (listed, target) == 0)
                return 1;
        return 0;
    }
    if ((size_t)(count + 1) * 4 > self->listed.capacity * 3 && s_listed_rebuild (self, count) != 0)
        return -1;
    return self->listed.slots[s_slot (self, &self->listed, s_text_at, target)] != 0;
}

//  Forgets the index of the last array (a large one's table is freed, not kept for the next).
static void s_listed_clear (crier_mapping_t *self)
{
    if (self->listed.capacity > 4096) {
        free (self->listed.slots);
        self->listed = (name_index_t){0};
    } else if (self->listed.capacity)
        memset (self->listed.slots, 0, self->listed.capacity * sizeof *self->listed.slots);
}

int crier_mapping_group_begin (crier_mapping_t *self, const char *name)
{
    if (self->group_count >= UINT32_MAX - 1 ||
        s_grow ((void **)&self->groups, &self->group_capacity, self->group_count + 1,
                sizeof *self->groups) != 0)
        return -1;
    uint32_t record = (uint32_t)self->group_count;
    group_t *group = &self->groups[record];
    memset (group, 0, sizeof *group);
    int rc = s_name_add (self, &self->group_index, s_group_name, record, name, &group->name);
    if (rc != 0)
        return rc;
    self->group_count++;
    self->array_channel = -1;
    return 0;
}

int crier_mapping_group_target (crier_mapping_t *self, crier_channel_t channel, const char *target)
{
    if (self->group_count == 0)
        return -1;
    group_t *group = &self->groups[self->group_count - 1];
    if ((int)channel != self->array_channel) {
        //  One array per channel, each whole (the reader refuses a key given twice).
        if (group->counts[channel] > 0)
            return -1;
        if (channel == CRIER_CHANNEL_EMAIL && group->counts[CRIER_CHANNEL_MATRIX] == 0)
            group->extra |= EMAIL_FIRST;
        self->array_channel = (int)channel;
        self->array_start = (uint32_t)self->text_used;
        s_listed_clear (self);
    }
    uint32_t count = group->counts[channel];
    int listed = s_listed (self, count, target);
    if (listed != 0)
        return listed < 0 ? -1 : 0;
    uint32_t offset;
    if (count == UINT32_MAX || s_text_add (self, target, &offset) != 0)
        return -1;
    group->counts[channel]++;
    //  Once indexed, kept whole.
    if (count >= LISTED_INDEX_FROM && self->listed.capacity)
        self->listed.slots[s_slot (self, &self->listed, s_text_at, target)] = offset + 1;
    return 0;
}

//  A group's nag and throttle, when it has either.
static int s_extra_add (crier_mapping_t *self, group_t *group, const json_t *channels)
{
    const json_t *nag = json_object_get (channels, "nag");
    const json_t *throttle = json_object_get (channels, "throttle");
    if (!nag && !throttle)
        return 0;
    if (s_grow ((void **)&self->extras, &self->extra_capacity, self->extra_count + 1,
                sizeof *self->extras) != 0)
        return -1;
    extra_t *extra = &self->extras[self->extra_count];
    memset (extra, 0, sizeof *extra);
    //  Checked: durations within bounds, addresses valid.
    if (nag) {
        extra->nag = true;
        crier_duration_parse (json_string_value (json_object_get (nag, "after")),
                              &extra->nag_after_ms);
        extra->nag_emails = (uint32_t)self->text_used;
        if (s_targets_add (self, json_object_get (nag, "email"), &extra->nag_email_count) != 0)
            return -1;
        self->nags++;
    }
    if (throttle) {
        extra->throttle = true;
        crier_duration_parse (json_string_value (json_object_get (throttle, "window")),
                              &extra->throttle_ms);
    }
    group->extra = (group->extra & EMAIL_FIRST) | (uint32_t)++self->extra_count;
    return 0;
}

int crier_mapping_group_end (crier_mapping_t *self, const json_t *channels)
{
    if (self->group_count == 0)
        return -1;
    s_listed_clear (self);
    self->array_channel = -1;
    return s_extra_add (self, &self->groups[self->group_count - 1], channels);
}

int crier_mapping_add_person (crier_mapping_t *self, const char *user, const char *email)
{
    if (self->person_count >= UINT32_MAX - 1 ||
        s_grow ((void **)&self->people, &self->person_capacity, self->person_count + 1,
                sizeof *self->people) != 0)
        return -1;
    uint32_t record = (uint32_t)self->person_count;
    person_t *person = &self->people[record];
    int rc = s_name_add (self, &self->person_index, s_person_name, record, user, &person->user);
    if (rc != 0)
        return rc;
    self->person_count++;
    return s_text_add (self, email, &person->email);
}

int crier_mapping_max_bytes_load (uint64_t *bytes_p)
{
    //  Up to 2 GiB: a mapping's text must fit the 32-bit offsets above.
    return crier_config_bytes ("CRIER_MAPPING_MAX_BYTES", CRIER_DEFAULT_MAPPING_MAX_BYTES, 1024,
                               2ULL * 1024 * 1024 * 1024, bytes_p);
}

void crier_mapping_set_revision (crier_mapping_t *self, char *revision)
{
    free (self->revision);
    self->revision = revision;
}

void crier_mapping_destroy (crier_mapping_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_mapping_t *self = *self_p;
    free (self->revision);
    free (self->text);
    free (self->groups);
    free (self->extras);
    free (self->people);
    free (self->group_index.slots);
    free (self->person_index.slots);
    free (self->listed.slots);
    free (self);
    *self_p = NULL;
}

const char *crier_mapping_revision (const crier_mapping_t *self)
{
    return self->revision;
}

size_t crier_mapping_group_count (const crier_mapping_t *self)
{
    return self->group_count;
}

size_t crier_mapping_person_count (const crier_mapping_t *self)
{
    return self->person_count;
}

size_t crier_mapping_nag_count (const crier_mapping_t *self)
{
    return self->nags;
}

size_t crier_mapping_memory (const crier_mapping_t *self)
{
    //  What is written: the rest of each block's capacity is never touched, so never resident.
    return sizeof *self + self->text_used + self->group_count * sizeof *self->groups +
           self->extra_count * sizeof *self->extras + self->person_count * sizeof *self->people +
           (self->group_index.capacity + self->person_index.capacity) * sizeof (uint32_t);
}

const char *crier_targets_next (const char *target)
{
    return target + strlen (target) + 1;
}

//  The group named name, or NULL.
static const group_t *s_group (const crier_mapping_t *self, const char *name)
{
    uint32_t record;
    return s_find (self, &self->group_index, s_group_name, name, &record) == 0
               ? &self->groups[record]
               : NULL;
}

static const extra_t *s_extra (const crier_mapping_t *self, const char *name)
{
    const group_t *group = s_group (self, name);
    return group && (group->extra & EXTRA_INDEX) ? &self->extras[(group->extra & EXTRA_INDEX) - 1]
                                                 : NULL;
}

int crier_mapping_targets (const crier_mapping_t *self, const char *group_name,
                           crier_channel_t channel, crier_targets_t *targets)
{
    const group_t *group = s_group (self, group_name);
    if (!group) {
        *targets = (crier_targets_t){NULL, 0};
        return -1;
    }
    targets->count = group->counts[channel];
    targets->first = NULL;
    if (targets->count) {
        //  Past the name and the channel stored before this one, if any.
        const char *target = crier_targets_next (self->text + group->name);
        crier_channel_t first =
            group->extra & EMAIL_FIRST ? CRIER_CHANNEL_EMAIL : CRIER_CHANNEL_MATRIX;
        if (channel != first)
            for (uint32_t index = 0; index < group->counts[first]; index++)
                target = crier_targets_next (target);
        targets->first = target;
    }
    return 0;
}

int crier_mapping_nag (const crier_mapping_t *self, const char *group, uint64_t *after_ms_p,
                       crier_targets_t *emails_p)
{
    const extra_t *extra = s_extra (self, group);
    if (!extra || !extra->nag)
        return -1;
    *after_ms_p = extra->nag_after_ms;
    if (emails_p) {
        emails_p->count = extra->nag_email_count;
        emails_p->first = emails_p->count ? self->text + extra->nag_emails : NULL;
    }
    return 0;
}

int crier_mapping_throttle (const crier_mapping_t *self, const char *group, uint64_t *window_ms_p)
{
    const extra_t *extra = s_extra (self, group);
    if (!extra || !extra->throttle)
        return -1;
    *window_ms_p = extra->throttle_ms;
    return 0;
}

const char *crier_mapping_person_email (const crier_mapping_t *self, const char *user)
{
    uint32_t record;
    return s_find (self, &self->person_index, s_person_name, user, &record) == 0
               ? self->text + self->people[record].email
               : NULL;
}

static int s_pass_token (const crier_json_token_t *token, void *reader)
{
    return crier_mapping_reader_take (reader, token);
}

crier_mapping_t *crier_mapping_parse (const char *text, size_t length, crier_mapping_error_t *error)
{
    crier_mapping_reader_t *reader = crier_mapping_reader_new ();
    crier_json_stream_t *stream = reader ? crier_json_stream_new (s_pass_token, reader) : NULL;
    crier_mapping_t *self = NULL;
    char problem[160] = "out of memory";
    if (stream && crier_json_stream_feed (stream, text, length, problem, sizeof problem) == 0 &&
        crier_json_stream_finish (stream, problem, sizeof problem) == 0)
        self = crier_mapping_reader_finish (reader, error);
    else {
        //  Where, as an editor shows it: line and column of the byte yajl stopped at (the
        //  last it read).
        size_t offset = stream ? crier_json_stream_offset (stream) : 0;
        size_t line = 1, column = 1;
        for (size_t at = 0; at + 1 < offset && at < length; at++, column++)
            if (text[at] == '\n') {
                line++;
                column = 0;
            }
        snprintf (error->path, sizeof error->path, "(line %zu, column %zu)", line, column);
        snprintf (error->message, sizeof error->message, "not valid JSON: %s", problem);
    }
    crier_json_stream_destroy (&stream);
    crier_mapping_reader_destroy (&reader);
    return self;
}

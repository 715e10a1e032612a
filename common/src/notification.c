/*  notification.c - the public notification codec (protocol v1, docs/protocol.md). */
#include "crier/notification.h"
#include "crier/utf8.h"
#include "msgpack_read.h"
#include "msgpack_write.h"
#include "notification_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_priority_names[] = {"low", "normal", "high", "urgent"};

const char *crier_priority_name (crier_priority_t priority)
{
    return s_priority_names[priority];
}

int crier_priority_parse (const char *name, crier_priority_t *priority_p)
{
    for (int priority = CRIER_PRIORITY_LOW; priority <= CRIER_PRIORITY_URGENT; priority++) {
        if (strcmp (name, s_priority_names[priority]) == 0) {
            *priority_p = (crier_priority_t)priority;
            return 0;
        }
    }
    return -1;
}

crier_notification_t *crier_notification_new (void)
{
    crier_notification_t *self = calloc (1, sizeof *self);
    if (self)
        self->priority = CRIER_PRIORITY_NORMAL;
    return self;
}

void crier_notification_destroy (crier_notification_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_notification_t *self = *self_p;
    free (self->id);
    free (self->key);
    for (size_t index = 0; index < self->to_count; index++)
        free (self->to[index]);
    free (self->subject);
    free (self->body);
    free (self->html);
    free (self);
    *self_p = NULL;
}

int crier_notification_set (char **field_p, const char *text)
{
    char *copy = NULL;
    if (text && !(copy = strdup (text)))
        return -1;
    free (*field_p);
    *field_p = copy;
    return 0;
}

int crier_notification_add_group (crier_notification_t *self, const char *group)
{
    if (self->to_count == CRIER_MAX_GROUPS)
        return -1;
    char *copy = strdup (group);
    if (!copy)
        return -1;
    self->to[self->to_count++] = copy;
    return 0;
}

int crier_group_name_check (const char *name, size_t length, char *message, size_t message_size)
{
    const char *problem = NULL;
    if (length == 0 || name[0] != '#')
        problem = "must start with '#'";
    else if (length == 1)
        problem = "needs a name after '#'";
    else if (length > CRIER_MAX_GROUP_BYTES)
        problem = "longer than 128 bytes";
    else if (crier_utf8_has_invisible (name, length))
        problem = "contains white space, a control character or an invisible or bidirectional "
                  "formatting character";
    if (problem) {
        snprintf (message, message_size, "group \"%.*s\" %s", (int)(length > 64 ? 64 : length),
                  name, problem);
        return -1;
    }
    return 0;
}

static int s_check_id (const char *id, crier_error_t *error)
{
    size_t length = strlen (id);
    bool visible = length >= 1 && length <= CRIER_MAX_ID_BYTES;
    for (size_t index = 0; visible && index < length; index++)
        visible = id[index] > ' ' && id[index] < 0x7f;
    if (!visible)
        return crier_error_set (error, "id",
                                "must be 1 to 128 visible ASCII characters (no spaces or control "
                                "characters), got %zu bytes",
                                length);
    return 0;
}

//  A key is 1 to 128 printable ASCII bytes (spaces allowed): db1/backup-failed.
static int s_check_key (const char *key, crier_error_t *error)
{
    size_t length = strlen (key);
    bool printable = length >= 1 && length <= CRIER_MAX_KEY_BYTES;
    for (size_t index = 0; printable && index < length; index++)
        printable = key[index] >= ' ' && key[index] < 0x7f;
    if (!printable)
        return crier_error_set (error, "key",
                                "must be 1 to 128 printable ASCII characters, such as "
                                "\"db1/backup-failed\", got %zu bytes",
                                length);
    return 0;
}

//  The rules every notification follows, on strings already known to be UTF-8.
static int s_check_rules (const crier_notification_t *self, crier_error_t *error)
{
    if (self->id && s_check_id (self->id, error) != 0)
        return -1;
    if (self->key && s_check_key (self->key, error) != 0)
        return -1;
    if (self->to_count == 0)
        return crier_error_set (error, "to",
                                "required: a group name such as \"#admins\" or an array of 1 to "
                                "16 of them");
    for (size_t index = 0; index < self->to_count; index++) {
        char message[sizeof error->message];
        if (crier_group_name_check (self->to[index], strlen (self->to[index]), message,
                                    sizeof message) != 0) {
            char field[32];
            snprintf (field, sizeof field, self->to_count > 1 ? "to[%zu]" : "to", index);
            return crier_error_set (error, field, "%s", message);
        }
    }
    if (!(self->body && *self->body) && !(self->html && *self->html))
        return crier_error_set (error, "body", "a notification needs body, html or both");
    return 0;
}

int crier_notification_validate (const crier_notification_t *self, crier_error_t *error)
{
    const char *const texts[] = {self->subject, self->body, self->html};
    const char *const names[] = {"subject", "body", "html"};
    for (size_t index = 0; index < 3; index++) {
        size_t bad_offset;
        if (texts[index] && !crier_utf8_valid (texts[index], strlen (texts[index]), &bad_offset))
            return crier_error_set (error, names[index], "not valid UTF-8 (at byte %zu)",
                                    bad_offset);
    }
    for (size_t index = 0; index < self->to_count; index++) {
        if (!crier_utf8_valid (self->to[index], strlen (self->to[index]), NULL))
            return crier_error_set (error, "to", "not valid UTF-8");
    }
    return s_check_rules (self, error);
}

static int s_read_groups (const msgpack_object *map, crier_notification_t *self,
                          crier_error_t *error)
{
    bool duplicate = false;
    const msgpack_object *to = crier_msgpack_map_get (map, "to", &duplicate);
    if (duplicate)
        return crier_error_set (error, "to", "given more than once");
    if (!to || to->type == MSGPACK_OBJECT_NIL)
        return 0; //  s_check_rules reports the missing field
    if (to->type == MSGPACK_OBJECT_STR) {
        if (crier_msgpack_copy_text (to, "to", &self->to[0], error) != 0)
            return -1;
        self->to_count = 1;
        return 0;
    }
    if (to->type != MSGPACK_OBJECT_ARRAY)
        return crier_error_set (error, "to", "must be a group name or an array of them, got %s",
                                crier_msgpack_type_name (to));
    uint32_t count = to->via.array.size;
    if (count == 0)
        return crier_error_set (error, "to", "empty array: name at least one group");
    if (count > CRIER_MAX_GROUPS)
        return crier_error_set (error, "to", "%u groups, at most %d allowed", count,
                                CRIER_MAX_GROUPS);
    for (uint32_t index = 0; index < count; index++) {
        char field[32];
        snprintf (field, sizeof field, "to[%u]", index);
        if (crier_msgpack_copy_text (&to->via.array.ptr[index], field, &self->to[index], error) !=
            0)
            return -1;
        self->to_count = index + 1;
    }
    return 0;
}

//  Empty strings mean the same as an absent field.
static void s_drop_if_empty (char **text_p)
{
    if (*text_p && !**text_p) {
        free (*text_p);
        *text_p = NULL;
    }
}

int crier_notification_read_fields (const msgpack_object *map, crier_notification_t *self,
                                    crier_error_t *error)
{
    char *priority = NULL;
    if (s_read_groups (map, self, error) != 0 ||
        crier_msgpack_read_optional_text (map, "id", &self->id, error) != 0 ||
        crier_msgpack_read_optional_text (map, "subject", &self->subject, error) != 0 ||
        crier_msgpack_read_optional_text (map, "body", &self->body, error) != 0 ||
        crier_msgpack_read_optional_text (map, "html", &self->html, error) != 0 ||
        crier_msgpack_read_optional_text (map, "key", &self->key, error) != 0 ||
        //  Last: nothing read after it can fail and leave it behind.
        crier_msgpack_read_optional_text (map, "priority", &priority, error) != 0)
        return -1;
    s_drop_if_empty (&self->subject);
    s_drop_if_empty (&self->body);
    s_drop_if_empty (&self->html);
    if (priority && crier_priority_parse (priority, &self->priority) != 0) {
        crier_error_set (error, "priority",
                         "must be one of low, normal, high, urgent; got \"%.32s\"", priority);
        free (priority);
        return -1;
    }
    free (priority);
    return s_check_rules (self, error);
}

crier_notification_t *crier_notification_decode (const void *data, size_t size, size_t max_bytes,
                                                 crier_error_t *error)
{
    if (size > max_bytes) {
        crier_error_set (error, "(frame)",
                         "frame is %zu bytes, over the limit of %zu (CRIER_MAX_MESSAGE_BYTES)",
                         size, max_bytes);
        return NULL;
    }
    msgpack_unpacked unpacked;
    crier_notification_t *self = NULL;
    if (crier_msgpack_unpack_map (data, size, &unpacked, error) == 0) {
        self = crier_notification_new ();
        if (!self)
            crier_error_set (error, "(frame)", "out of memory");
        else if (crier_notification_read_fields (&unpacked.data, self, error) != 0)
            crier_notification_destroy (&self);
    }
    msgpack_unpacked_destroy (&unpacked);
    return self;
}

uint32_t crier_notification_field_count (const crier_notification_t *self)
{
    return 2 + (self->id != NULL) + (self->subject != NULL) + (self->body != NULL) +
           (self->html != NULL) + (self->key != NULL);
}

void crier_notification_pack_fields (msgpack_packer *packer, const crier_notification_t *self)
{
    crier_msgpack_pack_text (packer, "to");
    msgpack_pack_array (packer, self->to_count);
    for (size_t index = 0; index < self->to_count; index++)
        crier_msgpack_pack_text (packer, self->to[index]);
    crier_msgpack_pack_text (packer, "priority");
    crier_msgpack_pack_text (packer, crier_priority_name (self->priority));
    const char *const keys[] = {"id", "subject", "body", "html", "key"};
    const char *const values[] = {self->id, self->subject, self->body, self->html, self->key};
    for (size_t index = 0; index < 5; index++) {
        if (values[index]) {
            crier_msgpack_pack_text (packer, keys[index]);
            crier_msgpack_pack_text (packer, values[index]);
        }
    }
}

int crier_notification_encode (const crier_notification_t *self, char **data_p, size_t *size_p)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_packer *packer = &writer.packer;
    msgpack_pack_map (packer, crier_notification_field_count (self));
    crier_notification_pack_fields (packer, self);
    return crier_msgpack_writer_finish (&writer, data_p, size_p);
}

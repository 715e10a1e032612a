/*  watch_state.c - see watch_state.h. */
#include "watch_state.h"

#include "crier/durable_file.h"
#include "crier/log.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SINCE_FILE    "since"
#define FOLLOWED_FILE "followed"
//  A line longer than this is no line of ours.
#define LINE_MAX_BYTES 4096

struct crier_watch_state_t {
    char *dir;
    char *since;
    zchunk_t *pending;  //  lines not written yet
    size_t lines;       //  in the file
    bool failed_logged; //  a failure to write said once
};

static char *s_path (const crier_watch_state_t *self, const char *name)
{
    return zsys_sprintf ("%s/%s", self->dir, name);
}

crier_watch_state_t *crier_watch_state_open (const char *dir)
{
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        crier_log (CRIER_LOG_ERROR, "watch.state_unusable", "dir", dir, "error", strerror (errno),
                   "hint", "CRIER_MATRIX_WATCH_DIR must be a folder this process can write");
        return NULL;
    }
    crier_watch_state_t *self = calloc (1, sizeof *self);
    if (!self || !(self->dir = strdup (dir)) || !(self->pending = zchunk_new (NULL, 0))) {
        crier_watch_state_destroy (&self);
        return NULL;
    }
    char *path = s_path (self, SINCE_FILE);
    FILE *file = path ? fopen (path, "r") : NULL;
    char line[1024] = "";
    if (file && fgets (line, sizeof line, file))
        line[strcspn (line, "\n")] = '\0';
    if (file)
        fclose (file);
    zstr_free (&path);
    self->since = line[0] ? strdup (line) : NULL;
    return self;
}

void crier_watch_state_destroy (crier_watch_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_watch_state_t *self = *self_p;
    free (self->dir);
    free (self->since);
    zchunk_destroy (&self->pending);
    free (self);
    *self_p = NULL;
}

const char *crier_watch_state_since (const crier_watch_state_t *self)
{
    return self->since;
}

static void s_failed (crier_watch_state_t *self, const char *what)
{
    if (self->failed_logged)
        return;
    self->failed_logged = true;
    crier_log (CRIER_LOG_ERROR, "watch.state_unwritable", "dir", self->dir, "file", what, "error",
               strerror (errno), "hint",
               "the sync position or the messages followed are not kept: after a restart, "
               "crier-matrix-watch starts from the homeserver's present state (reads of earlier "
               "messages are not said); check the folder and the disk");
}

//  Writes size bytes to path (appended, or the whole file replaced durably), synced.
static int s_write (crier_watch_state_t *self, const char *name, const void *data, size_t size,
                    bool append)
{
    char *path = s_path (self, name);
    bool written = false;
    if (path && append) {
        int fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        written = fd >= 0 && (size == 0 || write (fd, data, size) == (ssize_t)size) &&
                  fdatasync (fd) == 0;
        if (fd >= 0)
            close (fd);
    } else if (path)
        written = crier_atomic_write (path, data, size) == 0; //  going back is safe here
    zstr_free (&path);
    if (!written)
        s_failed (self, name);
    else
        self->failed_logged = false;
    return written ? 0 : -1;
}

void crier_watch_state_follow (crier_watch_state_t *self, const crier_read_report_t *message,
                               int64_t seen_at_ms)
{
    json_t *line =
        message->reader
            ? json_pack ("{s:s, s:s}", "event", message->event_id, "reader", message->reader)
            : json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "room", message->room_id, "event",
                         message->event_id, "delivery", message->delivery_id, "notification",
                         message->notification_id, "sent_at", (json_int_t)message->sent_at_ms,
                         "seen_at", (json_int_t)seen_at_ms);
    char *text = line ? json_dumps (line, JSON_COMPACT) : NULL;
    if (text && strlen (text) < LINE_MAX_BYTES) {
        zchunk_extend (self->pending, text, strlen (text));
        zchunk_extend (self->pending, "\n", 1);
    }
    free (text);
    json_decref (line);
}

void crier_watch_state_save (crier_watch_state_t *self, const char *since)
{
    size_t size = zchunk_size (self->pending);
    if (size > 0) {
        if (s_write (self, FOLLOWED_FILE, zchunk_data (self->pending), size, true) != 0)
            return; //  the position waits: it must not run ahead of what it showed
        for (size_t at = 0; at < size; at++)
            self->lines += zchunk_data (self->pending)[at] == '\n';
        zchunk_set (self->pending, NULL, 0);
    }
    char *text = zsys_sprintf ("%s\n", since);
    if (text && s_write (self, SINCE_FILE, text, strlen (text), false) == 0) {
        free (self->since);
        self->since = strdup (since);
    }
    zstr_free (&text);
}

bool crier_watch_state_wants_rewrite (const crier_watch_state_t *self, size_t following)
{
    return self->lines > 2 * following + 1000;
}

void crier_watch_state_rewrite (crier_watch_state_t *self, crier_watch_each_fn *each, void *arg)
{
    //  What was not saved yet goes into the new file with the rest.
    zchunk_set (self->pending, NULL, 0);
    each (self, arg);
    size_t size = zchunk_size (self->pending);
    if (s_write (self, FOLLOWED_FILE, zchunk_data (self->pending), size, false) != 0)
        return; //  kept pending: appended with the next save
    self->lines = 0;
    for (size_t at = 0; at < size; at++)
        self->lines += zchunk_data (self->pending)[at] == '\n';
    zchunk_set (self->pending, NULL, 0);
}

typedef struct {
    int64_t now_ms;
    int64_t keep_ms;
    crier_watch_followed_fn *fn;
    void *arg;
    size_t count;
    size_t skipped;
    zhashx_t *kept; //  events of the messages handed on (readers of others are dropped)
} restoring_t;

//  One line of the file: handed on when it is whole and recent enough.
static void s_restore_line (crier_watch_state_t *self, const char *text, restoring_t *restoring)
{
    json_t *line = json_loads (text, 0, NULL);
    const char *room = NULL, *event = NULL, *delivery = NULL, *notification = NULL;
    const char *reader = NULL;
    json_int_t sent_at = 0, seen_at = 0;
    if (line && json_unpack (line, "{s:s, s:s}", "event", &event, "reader", &reader) == 0) {
        if (zhashx_lookup (restoring->kept, event)) {
            crier_read_report_t said = {NULL, NULL, NULL, event, reader, 0};
            restoring->fn (&said, 0, restoring->arg);
            crier_watch_state_follow (self, &said, 0);
        }
    } else if (!line || json_unpack (line, "{s:s, s:s, s:s, s:s, s:I, s:I}", "room", &room, "event",
                                     &event, "delivery", &delivery, "notification", &notification,
                                     "sent_at", &sent_at, "seen_at", &seen_at) != 0)
        restoring->skipped++;
    else if (restoring->now_ms - seen_at <= restoring->keep_ms) {
        crier_read_report_t message = {notification, delivery, room, event, NULL, sent_at};
        restoring->fn (&message, seen_at, restoring->arg);
        crier_watch_state_follow (self, &message, seen_at);
        zhashx_insert (restoring->kept, event, (void *)1);
        restoring->count++;
    }
    json_decref (line);
}

size_t crier_watch_state_followed (crier_watch_state_t *self, int64_t now_ms, int64_t keep_ms,
                                   crier_watch_followed_fn *fn, void *arg)
{
    char *path = s_path (self, FOLLOWED_FILE);
    FILE *file = path ? fopen (path, "r") : NULL;
    zstr_free (&path);
    restoring_t restoring = {now_ms, keep_ms, fn, arg, 0, 0, zhashx_new ()};
    zchunk_set (self->pending, NULL, 0);
    char *line = NULL;
    size_t capacity = 0;
    while (file && restoring.kept && getline (&line, &capacity, file) != -1)
        s_restore_line (self, line, &restoring);
    free (line);
    zhashx_destroy (&restoring.kept);
    if (file)
        fclose (file);
    if (restoring.skipped > 0)
        crier_log (CRIER_LOG_WARN, "watch.state_damaged", "dir", self->dir, "file", FOLLOWED_FILE,
                   "lines_skipped", CRIER_LOG_INT (restoring.skipped), "hint",
                   "reads of those messages are not said; the file is written anew");
    //  Anew, with only what is still followed.
    size_t size = zchunk_size (self->pending);
    if (s_write (self, FOLLOWED_FILE, zchunk_data (self->pending), size, false) == 0) {
        self->lines = restoring.count;
        zchunk_set (self->pending, NULL, 0);
    }
    return restoring.count;
}

/*  journal.c - see journal.h. */
#include "journal.h"

#include "crier/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const uint8_t s_magic[4] = {'C', 'R', 'J', '1'};

struct crier_journal_t {
    char *directory;
    char *path;       //  directory/journal
    int fd;           //  the journal appends go to
    int read_fd;      //  the journal reads come from (the old one during a rewrite)
    uint64_t written; //  bytes in the file
    uint64_t synced;  //  of those, known to be on disk
    bool broken;      //  a failed sync could not be cut back: nothing may be promised any more
    uint64_t read_written;
    //  The buffer holds the file's bytes from buffer_offset on: the first flushed of them are
    //  written already and stay until the next append, so that what was just synced can be read
    //  back (to send it on) without a system call.
    unsigned char *buffer;
    uint64_t buffer_offset;
    size_t buffered;
    size_t flushed;
    size_t capacity;
};

static void s_put_u32 (unsigned char *at, uint32_t value)
{
    crier_journal_put_le (at, value, 4);
}

static uint32_t s_get_u32 (const unsigned char *at)
{
    return (uint32_t)crier_journal_get_le (at, 4);
}

static uint32_t s_crc (uint8_t type, const unsigned char *payload, size_t size)
{
    uLong crc = crc32 (0L, &type, 1);
    //  zlib takes lengths as uInt: feed large payloads in pieces.
    while (size > 0) {
        uInt piece = size > (1u << 30) ? 1u << 30 : (uInt)size;
        crc = crc32 (crc, payload, piece);
        payload += piece;
        size -= piece;
    }
    return (uint32_t)crc;
}

static void s_log_io (const char *event, const char *path, const char *hint)
{
    crier_log (CRIER_LOG_ERROR, event, "path", path, "error", strerror (errno), "hint", hint);
}

//  Checks the record at data[0..available): returns its whole length, or 0 when it is not intact.
static size_t s_check (const unsigned char *data, size_t available)
{
    if (available < CRIER_JOURNAL_HEADER_BYTES || memcmp (data, s_magic, 4) != 0)
        return 0;
    uint32_t size = s_get_u32 (data + 4);
    if (size > CRIER_JOURNAL_MAX_RECORD || available - CRIER_JOURNAL_HEADER_BYTES < size)
        return 0;
    if (s_crc (data[12], data + CRIER_JOURNAL_HEADER_BYTES, size) != s_get_u32 (data + 8))
        return 0;
    return CRIER_JOURNAL_HEADER_BYTES + (size_t)size;
}

static void s_log_damaged (const crier_journal_t *self, uint64_t offset, uint64_t bytes)
{
    crier_log (CRIER_LOG_ERROR, "journal.damaged_record", "path", self->path, "offset",
               CRIER_LOG_INT (offset), "bytes", CRIER_LOG_INT (bytes), "hint",
               "skipped; what it held is lost (the disk may be failing)");
}

//  Reads [offset, offset + size) of the file reads come from. Returns 0, or -1 after logging.
static int s_pread (crier_journal_t *self, uint64_t offset, void *into, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t got = pread (self->read_fd, (unsigned char *)into + done, size - done,
                             (off_t)(offset + done));
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            s_log_io ("journal.read_failed", self->path, "check the data directory's disk");
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

//  Reads the whole file into memory. Returns 0, or -1 after logging.
static int s_slurp (crier_journal_t *self, unsigned char **data_p, size_t *size_p)
{
    struct stat info;
    if (fstat (self->fd, &info) != 0) {
        s_log_io ("journal.read_failed", self->path, "check the data directory");
        return -1;
    }
    size_t size = (size_t)info.st_size;
    unsigned char *data = malloc (size ? size : 1);
    size_t done = 0;
    while (data && done < size) {
        ssize_t got = pread (self->fd, data + done, size - done, (off_t)done);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            s_log_io ("journal.read_failed", self->path, "check the data directory's disk");
            free (data);
            return -1;
        }
        done += (size_t)got;
    }
    if (!data) {
        crier_log (CRIER_LOG_ERROR, "journal.read_failed", "path", self->path, "error",
                   "out of memory", "bytes", CRIER_LOG_INT (size));
        return -1;
    }
    *data_p = data;
    *size_p = size;
    return 0;
}

static int s_replay (crier_journal_t *self, crier_journal_replay_fn *fn, void *arg,
                     crier_journal_report_t *report)
{
    unsigned char *data;
    size_t size;
    if (s_slurp (self, &data, &size) != 0)
        return -1;
    size_t at = 0;
    while (at < size) {
        size_t length = s_check (data + at, size - at);
        if (length > 0) {
            crier_journal_position_t position = {at + CRIER_JOURNAL_HEADER_BYTES,
                                                 s_get_u32 (data + at + 4)};
            fn (data[at + 12], data + position.offset, position.size, position, arg);
            report->records++;
            at += length;
            continue;
        }
        //  Damaged: find the next intact record, if any.
        size_t next = at + 1;
        while (next < size && s_check (data + next, size - next) == 0)
            next++;
        if (next < size) {
            s_log_damaged (self, at, next - at);
            report->skipped_bytes += next - at;
            at = next;
            continue;
        }
        crier_log (CRIER_LOG_WARN, "journal.torn_tail", "path", self->path, "offset",
                   CRIER_LOG_INT (at), "bytes", CRIER_LOG_INT (size - at), "hint",
                   "the last write was cut short by a crash; it was never acknowledged, so it "
                   "is dropped");
        report->cut_bytes += size - at;
        if (ftruncate (self->fd, (off_t)at) != 0) {
            s_log_io ("journal.write_failed", self->path, "check the data directory");
            free (data);
            return -1;
        }
        size = at;
    }
    free (data);
    self->written = self->synced = self->read_written = self->buffer_offset = size;
    return 0;
}

static char *s_join (const char *directory, const char *name)
{
    size_t size = strlen (directory) + strlen (name) + 2;
    char *path = malloc (size);
    if (path)
        snprintf (path, size, "%s/%s", directory, name);
    return path;
}

//  Makes a rename or a new file in the directory durable.
static int s_sync_directory (const char *directory)
{
    int fd = open (directory, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

crier_journal_t *crier_journal_open (const char *directory, crier_journal_replay_fn *fn, void *arg,
                                     crier_journal_report_t *report)
{
    *report = (crier_journal_report_t){0};
    if (mkdir (directory, 0700) != 0 && errno != EEXIST) {
        s_log_io ("journal.open_failed", directory,
                  "CRIER_DATA_DIR must be a directory crier-ingest can create and write");
        return NULL;
    }
    crier_journal_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = self->read_fd = -1;
    self->directory = strdup (directory);
    self->path = s_join (directory, "journal");
    if (!self->directory || !self->path) {
        crier_journal_close (&self);
        return NULL;
    }
    self->fd = open (self->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        s_log_io ("journal.open_failed", self->path,
                  "CRIER_DATA_DIR must be a directory crier-ingest can write");
        crier_journal_close (&self);
        return NULL;
    }
    self->read_fd = self->fd;
    //  One journal, one writer: a second crier-ingest on the same directory would corrupt it.
    if (flock (self->fd, LOCK_EX | LOCK_NB) != 0) {
        s_log_io ("journal.in_use", self->path,
                  "another crier-ingest uses this CRIER_DATA_DIR; give each its own");
        crier_journal_close (&self);
        return NULL;
    }
    //  The journal file's own directory entry must survive a crash too.
    if (s_sync_directory (directory) != 0) {
        s_log_io ("journal.open_failed", directory,
                  "the data directory could not be synced; check its disk and file system");
        crier_journal_close (&self);
        return NULL;
    }
    if (s_replay (self, fn, arg, report) != 0)
        crier_journal_close (&self);
    return self;
}

void crier_journal_close (crier_journal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    crier_journal_t *self = *self_p;
    if (self->fd >= 0) {
        crier_journal_sync (self);
        close (self->fd);
    }
    free (self->buffer);
    free (self->directory);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int crier_journal_append (crier_journal_t *self, uint8_t type, const void *payload, size_t size,
                          crier_journal_position_t *position_p)
{
    if (size > CRIER_JOURNAL_MAX_RECORD)
        return -1;
    if (self->flushed > 0 && self->flushed == self->buffered) {
        self->buffer_offset += self->buffered;
        self->buffered = self->flushed = 0;
    }
    size_t needed = self->buffered + CRIER_JOURNAL_HEADER_BYTES + size;
    if (needed > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 64 * 1024;
        while (capacity < needed)
            capacity *= 2;
        unsigned char *buffer = realloc (self->buffer, capacity);
        if (!buffer)
            return -1;
        self->buffer = buffer;
        self->capacity = capacity;
    }
    unsigned char *at = self->buffer + self->buffered;
    memcpy (at, s_magic, 4);
    s_put_u32 (at + 4, (uint32_t)size);
    s_put_u32 (at + 8, s_crc (type, payload, size));
    at[12] = type;
    if (size > 0)
        memcpy (at + CRIER_JOURNAL_HEADER_BYTES, payload, size);
    if (position_p)
        *position_p = (crier_journal_position_t){
            self->buffer_offset + self->buffered + CRIER_JOURNAL_HEADER_BYTES, (uint32_t)size};
    self->buffered = needed;
    return 0;
}

//  Writes the buffer out (no sync). Returns 0, or -1 after logging.
static int s_write (crier_journal_t *self)
{
    size_t done = self->flushed;
    while (done < self->buffered) {
        ssize_t wrote = write (self->fd, self->buffer + done, self->buffered - done);
        if (wrote < 0) {
            if (errno == EINTR)
                continue;
            s_log_io ("journal.write_failed", self->path,
                      "free space on the data directory's disk; crier-ingest refuses new "
                      "notifications until it can write its journal again");
            return -1;
        }
        done += (size_t)wrote;
    }
    self->written += self->buffered - self->flushed;
    if (self->read_fd == self->fd)
        self->read_written = self->written;
    self->flushed = self->buffered;
    return 0;
}

//  After a failed write or sync: cuts the file and the buffer back to what was synced, so that
//  nothing written since (and never promised) can come back after a restart.
static void s_cut_back (crier_journal_t *self)
{
    if (ftruncate (self->fd, (off_t)self->synced) != 0 || fdatasync (self->fd) != 0) {
        s_log_io ("journal.cut_back_failed", self->path,
                  "crier-ingest stops: what it could not write may or may not be in the journal; "
                  "check the data directory's disk, then start it again");
        self->broken = true;
    }
    self->written = self->synced;
    if (self->read_fd == self->fd)
        self->read_written = self->written;
    self->buffered = self->flushed = (size_t)(self->synced - self->buffer_offset);
}

int crier_journal_sync (crier_journal_t *self)
{
    if (self->broken)
        return -1;
    if (self->flushed == self->buffered)
        return 0;
    if (s_write (self) != 0) {
        s_cut_back (self);
        return -1;
    }
    if (fdatasync (self->fd) != 0) {
        s_log_io ("journal.sync_failed", self->path,
                  "check the data directory's disk; what was not synced is cut off and its "
                  "clients are told to try again");
        s_cut_back (self);
        return -1;
    }
    self->synced = self->written;
    return 0;
}

bool crier_journal_broken (const crier_journal_t *self)
{
    return self->broken;
}

size_t crier_journal_unsynced (const crier_journal_t *self)
{
    return self->buffered - self->flushed;
}

uint64_t crier_journal_size (const crier_journal_t *self)
{
    return self->buffer_offset + self->buffered;
}

int crier_journal_read (crier_journal_t *self, crier_journal_position_t position, void *buffer)
{
    unsigned char *into = buffer;
    //  Still in the buffer (only when reading the file appends go to).
    if (self->read_fd == self->fd && position.offset >= self->buffer_offset) {
        uint64_t from = position.offset - self->buffer_offset;
        if (from + position.size > self->buffered)
            return -1;
        memcpy (into, self->buffer + from, position.size);
        return 0;
    }
    if (position.offset + position.size > self->read_written)
        return -1;
    return s_pread (self, position.offset, into, position.size);
}

//  What a scan holds of the file: bytes [at, at + length).
typedef struct {
    unsigned char *data;
    size_t capacity;
    uint64_t at;
    size_t length;
} scan_window_t;

//  Bytes a scan reads at a time (a bigger record is read whole).
#define SCAN_CHUNK (256u * 1024)

//  Makes the window hold [offset, offset + size), reading a chunk or more. Returns the bytes at
//  offset, or NULL after logging.
static const unsigned char *s_window (crier_journal_t *self, scan_window_t *window, uint64_t offset,
                                      size_t size)
{
    if (offset >= window->at && offset + size <= window->at + window->length)
        return window->data + (offset - window->at);
    size_t length = size > SCAN_CHUNK ? size : SCAN_CHUNK;
    if (length > self->read_written - offset)
        length = (size_t)(self->read_written - offset);
    if (length > window->capacity) {
        unsigned char *data = realloc (window->data, length);
        if (!data) {
            crier_log (CRIER_LOG_ERROR, "journal.read_failed", "path", self->path, "error",
                       "out of memory", "bytes", CRIER_LOG_INT (length));
            return NULL;
        }
        window->data = data;
        window->capacity = length;
    }
    window->at = offset;
    window->length = 0;
    if (s_pread (self, offset, window->data, length) != 0)
        return NULL;
    window->length = length;
    return window->data;
}

int crier_journal_scan (crier_journal_t *self, uint64_t *offset_p, crier_journal_scan_fn *fn,
                        void *arg)
{
    scan_window_t window = {0};
    uint64_t end = self->read_written;
    uint64_t at = *offset_p;
    uint64_t damaged_from = UINT64_MAX;
    bool more = true;
    int rc = 0;
    while (more && at < end) {
        size_t header =
            end - at < CRIER_JOURNAL_HEADER_BYTES ? (size_t)(end - at) : CRIER_JOURNAL_HEADER_BYTES;
        const unsigned char *data = s_window (self, &window, at, header);
        if (!data) {
            rc = -1;
            break;
        }
        //  The whole record's length, when its header is plausible.
        size_t length = 0;
        if (header == CRIER_JOURNAL_HEADER_BYTES && memcmp (data, s_magic, 4) == 0 &&
            s_get_u32 (data + 4) <= CRIER_JOURNAL_MAX_RECORD &&
            s_get_u32 (data + 4) <= end - at - CRIER_JOURNAL_HEADER_BYTES)
            length = CRIER_JOURNAL_HEADER_BYTES + (size_t)s_get_u32 (data + 4);
        if (length > 0 && !(data = s_window (self, &window, at, length))) {
            rc = -1;
            break;
        }
        if (length == 0 || s_check (data, length) != length) {
            if (damaged_from == UINT64_MAX)
                damaged_from = at;
            at++;
            continue;
        }
        if (damaged_from != UINT64_MAX) {
            s_log_damaged (self, damaged_from, at - damaged_from);
            damaged_from = UINT64_MAX;
        }
        crier_journal_position_t position = {at + CRIER_JOURNAL_HEADER_BYTES,
                                             (uint32_t)(length - CRIER_JOURNAL_HEADER_BYTES)};
        more = fn (data[12], data + CRIER_JOURNAL_HEADER_BYTES, position.size, position, arg);
        at += length;
    }
    if (damaged_from != UINT64_MAX)
        s_log_damaged (self, damaged_from, at - damaged_from);
    free (window.data);
    *offset_p = at;
    return rc;
}

int crier_journal_rewrite (crier_journal_t *self, crier_journal_rewrite_fn *fn, void *arg)
{
    if (crier_journal_sync (self) != 0)
        return -1;
    char *path = s_join (self->directory, "journal.rewrite");
    int fd = path ? open (path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600) : -1;
    if (fd < 0) {
        s_log_io ("journal.rewrite_failed", path ? path : self->directory,
                  "check the data directory; the journal keeps growing meanwhile");
        free (path);
        return -1;
    }
    //  Locked at once, so that the new file is never unguarded. Appends go to it; reads still
    //  come from the old one.
    if (flock (fd, LOCK_EX | LOCK_NB) != 0)
        s_log_io ("journal.lock_failed", path, "check the data directory");
    int old_fd = self->fd;
    uint64_t old_written = self->written;
    self->fd = fd;
    self->written = self->synced = self->buffer_offset = 0;
    self->buffered = self->flushed = 0;
    int rc = fn (self, arg);
    if (rc == 0)
        rc = crier_journal_sync (self);
    if (rc == 0 && rename (path, self->path) != 0) {
        s_log_io ("journal.rewrite_failed", path, "check the data directory");
        rc = -1;
    }
    //  The rename is done: a failed directory sync only leaves it less certain after a crash.
    if (rc == 0 && s_sync_directory (self->directory) != 0)
        s_log_io ("journal.sync_failed", self->directory, "check the data directory");
    if (rc == 0) {
        close (old_fd);
        self->read_fd = self->fd;
        self->read_written = self->written;
    } else {
        close (fd);
        unlink (path);
        //  A cut-back that failed on the new file leaves the old one, fully synced, sound.
        self->broken = false;
        self->fd = self->read_fd = old_fd;
        self->written = self->synced = self->read_written = self->buffer_offset = old_written;
        self->buffered = self->flushed = 0;
    }
    free (path);
    return rc;
}

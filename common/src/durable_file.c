/*  durable_file.c - see durable_file.h. */
#include "crier/durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  Syncs the folder holding path, so that a rename into it is durable.
static int s_sync_folder (const char *path)
{
    char *copy = strdup (path);
    int fd = copy ? open (dirname (copy), O_RDONLY | O_DIRECTORY) : -1;
    free (copy);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

static int s_replace (const char *path, const void *data, size_t size, bool sync_folder)
{
    size_t length = strlen (path) + sizeof ".new";
    char *temporary = malloc (length);
    if (!temporary)
        return -1;
    snprintf (temporary, length, "%s.new", path);
    int fd = open (temporary, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool written =
        fd >= 0 && (size == 0 || write (fd, data, size) == (ssize_t)size) && fdatasync (fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (written && (rename (temporary, path) != 0 || (sync_folder && s_sync_folder (path) != 0))) {
        written = false;
        saved = errno;
    }
    if (!written)
        unlink (temporary);
    free (temporary);
    errno = saved;
    return written ? 0 : -1;
}

int crier_durable_write (const char *path, const void *data, size_t size)
{
    return s_replace (path, data, size, true);
}

int crier_atomic_write (const char *path, const void *data, size_t size)
{
    return s_replace (path, data, size, false);
}

char *crier_durable_read (const char *path, size_t max_bytes, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *data = malloc (max_bytes + 1);
    size_t size = data ? fread (data, 1, max_bytes + 1, file) : 0;
    int failed = !data ? ENOMEM : ferror (file) ? EIO : size > max_bytes ? EFBIG : 0;
    fclose (file);
    if (failed) {
        free (data);
        errno = failed;
        return NULL;
    }
    data[size] = '\0';
    if (size_p)
        *size_p = size;
    return data;
}

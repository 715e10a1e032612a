/*  durable_file.h - small state files that survive a crash whole: the old content or the new,
    never a mix or nothing (crier-matrix-watch's sync position, the bot device's keys). */
#ifndef CRIER_DURABLE_FILE_H_INCLUDED
#define CRIER_DURABLE_FILE_H_INCLUDED

#include <stddef.h>

//  Replaces path with size bytes (mode 0600): written to path.new, synced, renamed over path,
//  and the folder synced so that the rename itself survives. Returns 0, or -1 with errno.
int crier_durable_write (const char *path, const void *data, size_t size);

//  The same without syncing the folder: for a file whose older content is safe to find again
//  after a power loss (crier-matrix-watch's sync position: it reads again what followed), since
//  the folder's sync is the slow part.
int crier_atomic_write (const char *path, const void *data, size_t size);

//  The whole of path, NUL-terminated (the caller frees it), at most max_bytes; *size_p (may be
//  NULL) gets its size. NULL with errno: ENOENT when there is none, EFBIG when it is larger.
char *crier_durable_read (const char *path, size_t max_bytes, size_t *size_p);

#endif

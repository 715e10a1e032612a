/*  e2ee_state.c - see e2ee_state.h. */
#include "e2ee_state.h"

#include "crier/durable_file.h"
#include "crier/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crier_e2ee_state_write (const char *path, const json_t *file, const char *consequence)
{
    char *text = file ? json_dumps (file, JSON_COMPACT) : NULL;
    int rc = text ? crier_durable_write (path, text, strlen (text)) : -1;
    if (rc != 0) {
        char hint[256];
        snprintf (hint, sizeof hint, "%s: check CRIER_MATRIX_WATCH_DIR and the disk", consequence);
        crier_log (CRIER_LOG_ERROR, "e2ee.state_unwritable", "file", path, "error",
                   text ? strerror (errno) : "out of memory", "hint", hint);
    }
    free (text);
    return rc;
}

/*  log.h - one line per event on stderr: time, level, process, event, key=value pairs.

    crier_log (CRIER_LOG_WARN, "frame.rejected", "field", "to", "error", msg);
    prints
    2026-11-25T06:22:51.123Z warn crier-ingest frame.rejected field=to error="must start with #"

    Values are strings; CRIER_LOG_INT formats a number in place. Values with spaces, quotes or
    control characters are quoted and escaped, and long ones are cut, so that one event is always
    one parseable line whatever bytes a client sent.
*/
#ifndef CRIER_LOG_H_INCLUDED
#define CRIER_LOG_H_INCLUDED

#include <stdio.h>

typedef enum {
    CRIER_LOG_DEBUG = 0,
    CRIER_LOG_INFO = 1,
    CRIER_LOG_WARN = 2,
    CRIER_LOG_ERROR = 3
} crier_log_level_t;

//  Names this process in every line (e.g. "crier-ingest"). The string must outlive logging.
void crier_log_init (const char *process);

//  The name given to crier_log_init.
const char *crier_log_process (void);

//  Whether a line of this level would be printed: lets a hot path skip building its fields.
int crier_log_enabled (crier_log_level_t level);

//  A level from its name (debug, info, warn, error; any case). Returns 0, or -1 on an unknown
//  name, leaving *level_p as it was.
int crier_log_level_parse (const char *name, crier_log_level_t *level_p);

//  Sets the lowest level printed (main does, from its settings).
void crier_log_set_level (crier_log_level_t level);

//  Where lines go; stderr unless a test redirects them. NULL restores stderr.
void crier_log_set_stream (FILE *stream);

//  Logs one event: crier_log (level, event, key, value, key, value, ...). Keys and values are
//  strings; a NULL value prints as "-". The macro ends the list, so no sentinel is needed.
#define crier_log(...) crier_log_fields (__VA_ARGS__, (const char *)NULL)
void crier_log_fields (crier_log_level_t level, const char *event, ...) __attribute__ ((sentinel));

//  Formats a number into a buffer that lives until the end of the enclosing full expression, so it
//  can stand as a value inside one crier_log call.
#define CRIER_LOG_INT(n) crier_log_format_int ((char[24]){0}, (long long)(n))
const char *crier_log_format_int (char *buffer, long long value);

#endif

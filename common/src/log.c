/*  log.c - see log.h. One write() per line, so lines from several threads never interleave. */
#include "crier/log.h"
#include "crier/secret.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

//  Logging settings are process-wide by nature, like stderr itself.
static const char *s_process = "crier";
static crier_log_level_t s_level = CRIER_LOG_INFO;
static FILE *s_stream = NULL;

#define LINE_MAX_BYTES  4096
#define VALUE_MAX_BYTES 512

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

void crier_log_init (const char *process)
{
    s_process = process;
}

const char *crier_log_process (void)
{
    return s_process;
}

int crier_log_enabled (crier_log_level_t level)
{
    return level >= s_level;
}

int crier_log_level_parse (const char *name, crier_log_level_t *level_p)
{
    for (int level = CRIER_LOG_DEBUG; level <= CRIER_LOG_ERROR; level++) {
        if (strcasecmp (name, s_level_names[level]) == 0) {
            *level_p = (crier_log_level_t)level;
            return 0;
        }
    }
    return -1;
}

void crier_log_set_level (crier_log_level_t level)
{
    s_level = level;
}

void crier_log_set_stream (FILE *stream)
{
    s_stream = stream;
}

const char *crier_log_format_int (char *buffer, long long value)
{
    snprintf (buffer, 24, "%lld", value);
    return buffer;
}

typedef struct {
    char text[LINE_MAX_BYTES];
    size_t length;
} line_t;

static void s_append (line_t *line, const char *text, size_t length)
{
    size_t room = sizeof (line->text) - 1 - line->length;
    if (length > room)
        length = room;
    memcpy (line->text + line->length, text, length);
    line->length += length;
}

static void s_append_str (line_t *line, const char *text)
{
    s_append (line, text, strlen (text));
}

static bool s_needs_quotes (const char *value)
{
    if (*value == '\0')
        return true;
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || *c == 0x7f)
            return true;
    }
    return false;
}

//  Appends a value, quoted and escaped when needed, cut after VALUE_MAX_BYTES input bytes.
static void s_append_value (line_t *line, const char *value)
{
    if (!value) {
        s_append_str (line, "-");
        return;
    }
    char scrubbed[VALUE_MAX_BYTES + 1];
    value = crier_secret_scrub (value, scrubbed, sizeof scrubbed);
    if (!s_needs_quotes (value)) {
        size_t length = strnlen (value, VALUE_MAX_BYTES);
        s_append (line, value, length);
        if (value[length])
            s_append_str (line, "...");
        return;
    }
    s_append_str (line, "\"");
    size_t count = 0;
    for (const unsigned char *c = (const unsigned char *)value; *c; c++, count++) {
        if (count == VALUE_MAX_BYTES) {
            s_append_str (line, "...");
            break;
        }
        char escaped[8];
        if (*c == '"' || *c == '\\')
            snprintf (escaped, sizeof escaped, "\\%c", *c);
        else if (*c == '\n')
            snprintf (escaped, sizeof escaped, "\\n");
        else if (*c == '\r')
            snprintf (escaped, sizeof escaped, "\\r");
        else if (*c == '\t')
            snprintf (escaped, sizeof escaped, "\\t");
        else if (*c < ' ' || *c == 0x7f)
            snprintf (escaped, sizeof escaped, "\\x%02x", *c);
        else {
            s_append (line, (const char *)c, 1);
            continue;
        }
        s_append_str (line, escaped);
    }
    s_append_str (line, "\"");
}

//  The line's time to the second, formatted once per second and thread: gmtime and strftime
//  were a good part of a line's cost, and a busy sender logs a line per delivery.
static const char *s_second (time_t second)
{
    static __thread time_t formatted = -1;
    static __thread char stamp[32];
    if (second != formatted) {
        struct tm utc;
        gmtime_r (&second, &utc);
        if (strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc) == 0)
            stamp[0] = '\0';
        formatted = second;
    }
    return stamp;
}

void crier_log_fields (crier_log_level_t level, const char *event, ...)
{
    if (level < s_level)
        return;
    line_t line = {.length = 0};

    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    s_append_str (&line, s_second (now.tv_sec));
    long millis = now.tv_nsec / 1000000;
    char fraction[] = {'.',
                       (char)('0' + millis / 100),
                       (char)('0' + millis / 10 % 10),
                       (char)('0' + millis % 10),
                       'Z',
                       ' ',
                       '\0'};
    s_append_str (&line, fraction);
    s_append_str (&line, s_level_names[level]);
    s_append_str (&line, " ");
    s_append_str (&line, s_process);
    s_append_str (&line, " ");
    s_append_str (&line, event);

    va_list args;
    va_start (args, event);
    const char *key;
    while ((key = va_arg (args, const char *)) != NULL) {
        const char *value = va_arg (args, const char *);
        s_append_str (&line, " ");
        s_append_str (&line, key);
        s_append_str (&line, "=");
        s_append_value (&line, value);
    }
    va_end (args);
    line.text[line.length++] = '\n';

    FILE *stream = s_stream ? s_stream : stderr;
    if (stream == stderr) {
        //  A single write keeps concurrent lines whole; a short write to stderr has no remedy.
        ssize_t written = write (STDERR_FILENO, line.text, line.length);
        (void)written;
    } else {
        fwrite (line.text, 1, line.length, stream);
        fflush (stream);
    }
}

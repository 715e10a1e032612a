/*  notification.h - the public message: what a service pushes to crier-ingest (protocol v1).

    One ZeroMQ frame holding one msgpack map; docs/protocol.md is the reference. The decoder never
    trusts its input: every problem comes back as a crier_error_t naming the field and what is
    wrong with it, never as an assertion or a crash.
*/
#ifndef CRIER_NOTIFICATION_H_INCLUDED
#define CRIER_NOTIFICATION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRIER_MAX_GROUPS          16
#define CRIER_MAX_GROUP_BYTES     128 //  including the leading '#'
#define CRIER_MAX_ID_BYTES        128
#define CRIER_MAX_KEY_BYTES       128
#define CRIER_DEFAULT_MAX_MESSAGE (256 * 1024)

typedef enum {
    CRIER_PRIORITY_LOW,
    CRIER_PRIORITY_NORMAL,
    CRIER_PRIORITY_HIGH,
    CRIER_PRIORITY_URGENT
} crier_priority_t;

typedef struct {
    char *id;                   //  idempotency key; NULL until the sender or ingest sets one
    char *to[CRIER_MAX_GROUPS]; //  group names, each starting with '#'
    size_t to_count;            //  1..CRIER_MAX_GROUPS
    char *subject;              //  NULL when absent
    char *body;                 //  plain text; NULL when absent
    char *html;                 //  HTML; NULL when absent
    char *key;                  //  what it is about, for throttles (docs/throttle.md); NULL: none
    crier_priority_t priority;  //  CRIER_PRIORITY_NORMAL by default
    int64_t received_at_ms;     //  Unix milliseconds when ingest accepted it; 0 before that
} crier_notification_t;

//  What was wrong with a frame: the field ("to", "to[3]", "body", or "(frame)" for the frame as a
//  whole) and a sentence that says what is expected.
typedef struct {
    char field[48];
    char message[208];
} crier_error_t;

//  Fills *error with the field and a formatted message. Always returns -1.
int crier_error_set (crier_error_t *error, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Creates an empty notification (priority normal). Destroy with crier_notification_destroy.
crier_notification_t *crier_notification_new (void);

//  Frees the notification and its strings, and sets *self_p to NULL. NULL-safe.
void crier_notification_destroy (crier_notification_t **self_p);

//  Decodes and validates one public frame of size bytes, refusing frames over max_bytes.
//  Returns a new notification the caller owns, or NULL with *error filled in.
crier_notification_t *crier_notification_decode (const void *data, size_t size, size_t max_bytes,
                                                 crier_error_t *error);

//  Checks the rules of protocol v1 on a notification built in memory (as crier send does).
//  Returns 0, or -1 with *error filled in.
int crier_notification_validate (const crier_notification_t *self, crier_error_t *error);

//  Encodes into the public wire format. Returns 0 and a malloc'ed buffer the caller frees in
//  *data_p, or -1 when out of memory.
int crier_notification_encode (const crier_notification_t *self, char **data_p, size_t *size_p);

//  Copies text into the field (replacing its value); NULL clears it. Returns 0 or -1 (no memory).
int crier_notification_set (char **field_p, const char *text);

//  Adds a group to to[]. Returns 0, or -1 when there are already CRIER_MAX_GROUPS.
int crier_notification_add_group (crier_notification_t *self, const char *group);

//  Checks a group name: '#' then 1 to 127 bytes of UTF-8 without white space or control
//  characters. Returns 0, or -1 with a reason in message.
int crier_group_name_check (const char *name, size_t length, char *message, size_t message_size);

//  A notification's title: its subject, or the first line of its text (the body, else its HTML
//  rendered) cut to max_bytes with "…" (an email's subject line, a nag's). Caller frees; NULL
//  when out of memory.
char *crier_notification_title (const crier_notification_t *self, size_t max_bytes);

//  "low", "normal", "high" or "urgent"; parsing returns -1 for anything else.
const char *crier_priority_name (crier_priority_t priority);
int crier_priority_parse (const char *name, crier_priority_t *priority_p);

#endif

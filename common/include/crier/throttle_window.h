/*  throttle_window.h - one throttle window (docs/throttle.md) as crier-ingest keeps it and
    writes it into its journal when it compacts it (a 'W' record): its group and key, when it
    started and how long it is, what it counted, and the latest one's subject and body for the
    summary's text.
*/
#ifndef CRIER_THROTTLE_WINDOW_H_INCLUDED
#define CRIER_THROTTLE_WINDOW_H_INCLUDED

#include "crier/frames.h"
#include "crier/notification.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *group;
    char *key;
    int64_t start_ms; //  Unix ms
    int64_t window_ms;
    uint64_t count;  //  counted in it: held back, or urgent and sent all the same
    uint64_t urgent; //  of those, urgent
    int64_t first_ms;
    int64_t last_ms;
    char *opener;         //  the notification that opened it (NULL: not known)
    char *latest_subject; //  of the latest one counted, when copied; NULL otherwise
    char *latest_body;
    //  The opener's text, once copied, and its Matrix messages (room and event id): what the
    //  edits of its first message show and replace.
    char *opener_subject;
    char *opener_body;
    crier_frame_edit_t *messages;
    size_t message_count;
} crier_throttle_window_t;

//  Messages of a window's first one kept at most (one per room).
#define CRIER_THROTTLE_MESSAGES_MAX 16

//  Encodes a window as a msgpack map. Returns 0 with a malloc'ed buffer, or -1.
int crier_throttle_window_encode (const crier_throttle_window_t *window, char **data_p,
                                  size_t *size_p);

//  Decodes one into *window (free it with crier_throttle_window_free). Returns 0, or -1 with
//  *error set.
int crier_throttle_window_decode (const void *data, size_t size, crier_throttle_window_t *window,
                                  crier_error_t *error);

//  Frees the window's messages (a new window has none).
void crier_throttle_window_forget_messages (crier_throttle_window_t *window);

//  Frees a window's strings. NULL-safe.
void crier_throttle_window_free (crier_throttle_window_t *window);

#endif

/*  throttle_gate.h - the resolver's side of throttles (docs/throttle.md): for each group of a
    notification with a key whose group has a throttle, whether the notification opens a window
    (it goes), is held back in an open one, or goes all the same (urgent) and is counted.

    crier-ingest keeps the windows durably and sends those of a notification's key in its frame.
    The gate also remembers the windows it decided lately, which ingest may not know yet:
    notifications of one key that are in flight together are decided as if one came after the
    other. A window that counted anything is followed at once by the next (a storm that goes on
    gives one summary per window); a window that counted nothing ends, and the key starts afresh.
*/
#ifndef CRIER_THROTTLE_GATE_H_INCLUDED
#define CRIER_THROTTLE_GATE_H_INCLUDED

#include "crier/frames.h"
#include "crier/mapping.h"
#include "crier/notification.h"
#include "crier/receipt.h"

#include <stddef.h>
#include <stdint.h>

typedef struct crier_throttle_gate_t crier_throttle_gate_t;

//  remember_max: windows remembered at most (past it, the gate relies on ingest's alone).
//  Returns NULL when out of memory.
crier_throttle_gate_t *crier_throttle_gate_new (size_t remember_max);
void crier_throttle_gate_destroy (crier_throttle_gate_t **self_p);

//  Decides for each distinct group of the notification that has a throttle in the mapping (none
//  without a key): decisions[] (room for CRIER_MAX_GROUPS) receives one per such group, their
//  group strings borrowed from the notification. windows are ingest's for this key. Returns how
//  many decisions.
size_t crier_throttle_gate_decide (crier_throttle_gate_t *self, const crier_mapping_t *mapping,
                                   const crier_notification_t *notification,
                                   const crier_frame_window_t *windows, size_t window_count,
                                   int64_t now_ms, crier_receipt_throttle_t *decisions);

//  Whether a target reached through these groups is held back: only when every one of them
//  held the notification back.
bool crier_throttle_gate_holds (const crier_receipt_throttle_t *decisions, size_t count,
                                const char *const *groups, size_t group_count);

//  Windows remembered now.
size_t crier_throttle_gate_size (const crier_throttle_gate_t *self);

#endif

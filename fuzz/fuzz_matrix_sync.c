/*  fuzz_matrix_sync.c - a homeserver's /sync answer applied to the read state (the nag's
    watcher): any JSON is applied or skipped part by part without a crash, and what was applied
    can be asked about. */
#include "sync_apply.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void s_member (const char *user, void *arg)
{
    (void)user;
    (*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    json_t *answer = json_loadb ((const char *)data, size, 0, NULL);
    crier_read_state_t *state = answer ? crier_read_state_new () : NULL;
    if (state) {
        crier_sync_summary_t summary;
        if (crier_sync_apply (state, answer, &summary) == 0 && summary.skipped > 0 &&
            summary.problem[0] == '\0')
            abort (); //  a skipped part always says why
        //  Ask about every room the answer named.
        const json_t *join = json_object_get (json_object_get (answer, "rooms"), "join");
        const char *room;
        const json_t *joined;
        json_object_foreach ((json_t *)join, room, joined)
        {
            size_t members = 0;
            crier_read_state_members (state, room, s_member, &members);
            crier_read_state_has_read (state, room, "$alert", "@will:example.org");
            crier_read_state_place (state, room, "$missed", "$alert", members % 2 == 0);
            crier_read_state_unplaced (state, room, "@will:example.org");
        }
    }
    crier_read_state_destroy (&state);
    json_decref (answer);
    return 0;
}

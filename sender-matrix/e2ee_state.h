/*  e2ee_state.h - one state file of the E2EE device (the account, the Olm sessions, a room's key,
    the keys received) written whole, synced with its folder, and one log line when it cannot
    be: what is not kept is not used. */
#ifndef CRIER_E2EE_STATE_H_INCLUDED
#define CRIER_E2EE_STATE_H_INCLUDED

#include <jansson.h>

//  Writes file (NULL: out of memory) to path durably. Returns 0, or -1 after logging
//  e2ee.state_unwritable with consequence ("room keys received are not kept") in its hint.
int crier_e2ee_state_write (const char *path, const json_t *file, const char *consequence);

#endif

/*  nag_text.h - the words of a nag (docs/nag.md): why someone gets one, said the same way in the
    email and in the nag.sent event. */
#ifndef CRIER_NAG_TEXT_H_INCLUDED
#define CRIER_NAG_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  "not read in Matrix for 15 minutes" for a person; "nobody read it in Matrix for 15 minutes"
//  for an escalation address (a nag_of that is no Matrix user id). Writes at most size bytes.
void crier_nag_reason (int64_t after_ms, const char *nag_of, char *text, size_t size);

//  Whether a nag is for an escalation address rather than a person (a Matrix user id).
bool crier_nag_is_escalation (const char *nag_of);

#endif

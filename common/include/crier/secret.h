/*  secret.h - the last line of defence for passwords and tokens: every secret crier reads from
    its settings is registered here, and every value written to a log line or an event passes
    through crier_secret_scrub, so that a secret echoed back by a server, a library's error
    message or a URL never leaves the process. */
#ifndef CRIER_SECRET_H_INCLUDED
#define CRIER_SECRET_H_INCLUDED

#include <stddef.h>

//  What a secret is replaced with.
#define CRIER_SECRET_MASK "[secret]"

//  Registers a secret (copied). Call it while reading settings, before other threads start.
//  Secrets shorter than 4 bytes are not registered (masking them would mangle ordinary text);
//  at most 16 are kept.
void crier_secret_register (const char *secret);

//  Returns text when it holds no registered secret, else buffer holding text with each secret
//  replaced by CRIER_SECRET_MASK (cut to size - 1 bytes).
const char *crier_secret_scrub (const char *text, char *buffer, size_t size);

//  Forgets every registered secret (tests).
void crier_secret_forget_all (void);

#endif

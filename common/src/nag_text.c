/*  nag_text.c - see nag_text.h. */
#include "crier/nag_text.h"

#include <stdio.h>

bool crier_nag_is_escalation (const char *nag_of)
{
    return nag_of[0] != '@';
}

//  Appends "<count> <unit>[s]" when count is not 0.
static size_t s_part (char *text, size_t size, size_t used, int64_t count, const char *unit)
{
    if (count == 0 || used >= size)
        return used;
    int written = snprintf (text + used, size - used, "%s%lld %s%s", used ? " " : "",
                            (long long)count, unit, count == 1 ? "" : "s");
    return written < 0 ? used : used + (size_t)written;
}

void crier_nag_reason (int64_t after_ms, const char *nag_of, char *text, size_t size)
{
    char span[64] = "";
    int64_t seconds = (after_ms + 999) / 1000;
    size_t used = s_part (span, sizeof span, 0, seconds / 3600, "hour");
    used = s_part (span, sizeof span, used, seconds / 60 % 60, "minute");
    s_part (span, sizeof span, used, seconds % 60, "second");
    snprintf (text, size, "%s in Matrix for %s",
              crier_nag_is_escalation (nag_of) ? "nobody read it" : "not read", span);
}

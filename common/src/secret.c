/*  secret.c - see secret.h. */
#include "crier/secret.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRETS      16
#define MIN_SECRET_BYTES 4

static char *s_secrets[MAX_SECRETS];
static size_t s_count;

void crier_secret_register (const char *secret)
{
    if (!secret || strlen (secret) < MIN_SECRET_BYTES || s_count == MAX_SECRETS)
        return;
    for (size_t index = 0; index < s_count; index++)
        if (strcmp (s_secrets[index], secret) == 0)
            return;
    char *copy = strdup (secret);
    if (copy)
        s_secrets[s_count++] = copy;
}

//  The registered secret that starts earliest in text (the longest of those starting there, so
//  that no part of a longer secret stays in clear), or NULL.
static const char *s_first (const char *text, size_t *index_p)
{
    const char *first = NULL;
    for (size_t index = 0; index < s_count; index++) {
        const char *found = strstr (text, s_secrets[index]);
        if (found &&
            (!first || found < first ||
             (found == first && strlen (s_secrets[index]) > strlen (s_secrets[*index_p])))) {
            first = found;
            *index_p = index;
        }
    }
    return first;
}

const char *crier_secret_scrub (const char *text, char *buffer, size_t size)
{
    size_t index = 0;
    const char *found = text && s_count ? s_first (text, &index) : NULL;
    if (!found || size == 0)
        return text;
    size_t used = 0;
    while (found && used + 1 < size) {
        size_t before = (size_t)(found - text);
        size_t room = size - 1 - used;
        size_t take = before < room ? before : room;
        memcpy (buffer + used, text, take);
        used += take;
        room = size - 1 - used;
        take = strlen (CRIER_SECRET_MASK) < room ? strlen (CRIER_SECRET_MASK) : room;
        memcpy (buffer + used, CRIER_SECRET_MASK, take);
        used += take;
        text = found + strlen (s_secrets[index]);
        found = s_first (text, &index);
    }
    size_t rest = strlen (text);
    size_t take = rest < size - 1 - used ? rest : size - 1 - used;
    memcpy (buffer + used, text, take);
    used += take;
    buffer[used] = '\0';
    return buffer;
}

void crier_secret_forget_all (void)
{
    for (size_t index = 0; index < s_count; index++)
        free (s_secrets[index]);
    s_count = 0;
}

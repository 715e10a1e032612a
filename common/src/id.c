/*  id.c - see id.h. */
#include "crier/id.h"

#include <czmq.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void s_random_bytes (uint8_t *bytes, size_t size)
{
    size_t filled = 0;
    while (filled < size) {
        ssize_t got = getrandom (bytes + filled, size - filled, 0);
        if (got > 0)
            filled += (size_t)got;
        //  getrandom only fails with EINTR here (the pool is long initialised after boot).
    }
}

void crier_id_generate (char id[CRIER_ID_BYTES])
{
    uint8_t bytes[16];
    s_random_bytes (bytes, sizeof bytes);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    uint64_t millis = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    for (int index = 0; index < 6; index++)
        bytes[index] = (uint8_t)(millis >> (40 - 8 * index));
    bytes[6] = (uint8_t)(0x70 | (bytes[6] & 0x0f)); //  version 7
    bytes[8] = (uint8_t)(0x80 | (bytes[8] & 0x3f)); //  variant 10
    snprintf (id, CRIER_ID_BYTES,
              "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
              bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
              bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
}

void crier_id_digest (char digest[CRIER_DIGEST_BYTES], const char *const *parts, size_t count)
{
    zdigest_t *sha1 = zdigest_new ();
    for (size_t index = 0; index < count; index++) {
        zdigest_update (sha1, (const byte *)parts[index], strlen (parts[index]));
        zdigest_update (sha1, (const byte *)"\n", 1);
    }
    //  zdigest_string gives uppercase hex; ids read better in lowercase.
    const char *hex = zdigest_string (sha1);
    for (int index = 0; index < CRIER_DIGEST_BYTES - 1; index++)
        digest[index] =
            (char)(hex[index] >= 'A' && hex[index] <= 'F' ? hex[index] + 32 : hex[index]);
    digest[CRIER_DIGEST_BYTES - 1] = '\0';
    zdigest_destroy (&sha1);
}

void crier_id_client_tag (char tag[CRIER_CLIENT_TAG_BYTES + 1], const char *client_key)
{
    char digest[CRIER_DIGEST_BYTES];
    const char *const key[] = {client_key};
    crier_id_digest (digest, key, 1);
    memcpy (tag, digest, CRIER_CLIENT_TAG_BYTES); //  its first characters
    tag[CRIER_CLIENT_TAG_BYTES] = '\0';
}

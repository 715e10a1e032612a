/*  id.c - see id.h. */
#include "crier/id.h"

#include <gnutls/crypto.h>
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

//  SHA-1 with GnuTLS: czmq's zdigest cost each delivery several times as much (every process
//  computes a digest per delivery, the resolver one per target of a fan-out).
void crier_id_digest (char digest[CRIER_DIGEST_BYTES], const char *const *parts, size_t count)
{
    uint8_t sha1[20] = {0};
    gnutls_hash_hd_t hash;
    if (gnutls_hash_init (&hash, GNUTLS_DIG_SHA1) == 0) {
        for (size_t index = 0; index < count; index++) {
            gnutls_hash (hash, parts[index], strlen (parts[index]));
            gnutls_hash (hash, "\n", 1);
        }
        gnutls_hash_deinit (hash, sha1);
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t index = 0; index < sizeof sha1; index++) {
        digest[2 * index] = hex[sha1[index] >> 4];
        digest[2 * index + 1] = hex[sha1[index] & 15];
    }
    digest[CRIER_DIGEST_BYTES - 1] = '\0';
}

void crier_id_client_tag (char tag[CRIER_CLIENT_TAG_BYTES + 1], const char *client_key)
{
    char digest[CRIER_DIGEST_BYTES];
    const char *const key[] = {client_key};
    crier_id_digest (digest, key, 1);
    memcpy (tag, digest, CRIER_CLIENT_TAG_BYTES); //  its first characters
    tag[CRIER_CLIENT_TAG_BYTES] = '\0';
}

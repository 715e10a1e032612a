/*  id.h - unique, time-ordered identifiers and stable derived ones. */
#ifndef CRIER_ID_H_INCLUDED
#define CRIER_ID_H_INCLUDED

#include <stddef.h>

#define CRIER_ID_BYTES 37 //  36 characters and the NUL

//  Writes a new UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then random bits) as 36 lowercase
//  characters. Ids made later sort later, which keeps journals and logs in order.
void crier_id_generate (char id[CRIER_ID_BYTES]);

#define CRIER_DIGEST_BYTES 41 //  40 hex characters and the NUL

//  Writes the SHA-1 of the given strings, each followed by a newline, as 40 lowercase hex
//  characters. The same parts always give the same digest: crier derives delivery ids (and from
//  them Matrix transaction ids) this way, so a retry by any process is recognisably the same.
void crier_id_digest (char digest[CRIER_DIGEST_BYTES], const char *const *parts, size_t count);

#define CRIER_CLIENT_TAG_BYTES 12 //  hex characters of a client's tag in its ids

//  A CURVE client's tag: the first CRIER_CLIENT_TAG_BYTES hex of the digest of its public key.
//  Ingest scopes the ids a client gives with it ("<id>@<tag>"), so clients cannot collide.
void crier_id_client_tag (char tag[CRIER_CLIENT_TAG_BYTES + 1], const char *client_key);

#endif

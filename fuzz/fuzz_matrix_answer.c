/*  fuzz_matrix_answer.c - the Matrix client's reading of a homeserver's answer: the first byte
    picks the HTTP status (and a Retry-After), the rest is the response body. */
#include "matrix_client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 201, 400, 401, 403, 404, 408, 413, 429, 500, 502, 302};
    if (size == 0)
        return 0;
    long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    //  A body as libcurl hands it to the client: bytes, then a NUL.
    char *body = malloc (size);
    if (!body)
        return 0;
    memcpy (body, data + 1, size - 1);
    body[size - 1] = '\0';
    crier_matrix_answer_t answer;
    crier_matrix_classify (CURLE_OK, "", status, body, data[0] >> 4, &answer);
    crier_matrix_answer_free (&answer);
    free (body);
    return 0;
}

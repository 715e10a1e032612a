/*  fuzz_changes.c - the _changes feed line parser: bytes arriving in two pieces split anywhere,
    each included document read as a mapping, as the resolver does. */
#include "changes_parser.h"
#include "crier/mapping.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void s_on_change (crier_change_t *change, void *arg)
{
    (void)arg;
    char *seq = crier_change_seq_text (change->seq);
    free (seq);
    if (change->mapping)
        crier_mapping_group_count (change->mapping);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    //  The first byte says where the feed is split; a small line limit reaches the overflow path.
    size_t split = data[0] % size;
    const char *feed = (const char *)data + 1;
    size_t feed_size = size - 1;
    if (split > feed_size)
        split = feed_size;
    crier_changes_parser_t *parser = crier_changes_parser_new (4096);
    if (!parser)
        return 0;
    char problem[256];
    if (crier_changes_parser_feed (parser, feed, split, s_on_change, NULL, problem,
                                   sizeof problem) >= 0)
        crier_changes_parser_feed (parser, feed + split, feed_size - split, s_on_change, NULL,
                                   problem, sizeof problem);
    crier_changes_parser_destroy (&parser);
    return 0;
}

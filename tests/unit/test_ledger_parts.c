/*  test_ledger_parts.c - crier-ingest's ledger with a notification sent in parts
    (docs/delivery.md, Large groups): the next part is asked for when the last one is half done,
    done deliveries of the parts behind are forgotten, a lost lease sends the pending ones again
    and asks again for the part (each outcome restarts the lease), compaction and the journal's
    replay carry the parts. */
#include "ledger.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE     1000
#define PART_SIZE 4

static crier_ledger_t *s_ledger (void)
{
    crier_ledger_options_t options = {LEASE, 10000, 100, 0, 60000, 0};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    assert_non_null (ledger);
    return ledger;
}

static char *s_group[] = {"#customers"};

//  Delivery number n: id "n" padded, target "cn@example.org".
static void s_delivery (crier_receipt_delivery_t *row, unsigned n, char *target, size_t size)
{
    snprintf (target, size, "c%u@example.org", n);
    *row = (crier_receipt_delivery_t){.channel = "email", .target = target};
    memset (row->delivery_id, 'a' + (int)n, CRIER_DIGEST_BYTES - 1);
}

//  The routed receipt of a part: deliveries from..to-1 of 3 parts, delivery nagged with a nag
//  (none when past to).
static crier_ledger_change_t s_part_nagged (crier_ledger_t *ledger, uint32_t part, unsigned from,
                                            unsigned to, unsigned nagged, int64_t now)
{
    crier_receipt_delivery_t rows[PART_SIZE];
    char targets[PART_SIZE][32];
    for (unsigned n = from; n < to; n++)
        s_delivery (&rows[n - from], n, targets[n - from], sizeof targets[0]);
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_ROUTED,
                               .notification_id = "big",
                               .deliveries = rows,
                               .delivery_count = to - from,
                               .parts = 3,
                               .part = part,
                               .part_size = PART_SIZE,
                               .groups = s_group,
                               .group_count = 1};
    crier_receipt_nag_t nag = {.after_ms = 60000};
    if (nagged >= from && nagged < to) {
        memcpy (nag.delivery_id, rows[nagged - from].delivery_id, CRIER_DIGEST_BYTES);
        receipt.nags = &nag;
        receipt.nag_count = 1;
    }
    return crier_ledger_apply (ledger, &receipt, now);
}

static crier_ledger_change_t s_part (crier_ledger_t *ledger, uint32_t part, unsigned from,
                                     unsigned to, int64_t now)
{
    return s_part_nagged (ledger, part, from, to, UINT32_MAX, now);
}

static crier_ledger_change_t s_delivered (crier_ledger_t *ledger, unsigned n, int64_t now)
{
    char target[32];
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_DELIVERED, .notification_id = "big"};
    s_delivery (&receipt.delivery, n, target, sizeof target);
    return crier_ledger_apply (ledger, &receipt, now);
}

static void s_describe (crier_ledger_t *ledger, uint64_t deliveries, uint64_t delivered)
{
    crier_wait_reply_t reply = {0};
    crier_ledger_describe (ledger, "big", 0, &reply);
    assert_int_equal (reply.deliveries, deliveries);
    assert_int_equal (reply.delivered, delivered);
    crier_wait_reply_free (&reply);
}

//  Checks the work at the head: a part request for part (or none: UINT32_MAX), with only_count
//  pending deliveries sent again.
static void s_expect_work (crier_ledger_t *ledger, uint32_t part, size_t only_count)
{
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_string_equal (work.id, "big");
    assert_int_equal (work.redelivery.only_count, only_count);
    if (part == UINT32_MAX) {
        assert_int_equal (work.redelivery.part_size, 0);
        return;
    }
    assert_int_equal (work.redelivery.part_size, PART_SIZE);
    assert_int_equal (work.redelivery.part, part);
    assert_int_equal (work.group_count, 1);
    assert_string_equal (work.groups[0], "#customers");
}

typedef struct {
    uint32_t parts, part;
    size_t deliveries, outcomes;
    uint64_t forgotten;
} live_t;

static int s_live (const crier_ledger_live_t *live, crier_journal_position_t *new_position_p,
                   void *arg)
{
    live_t *seen = arg;
    *new_position_p = live->position;
    assert_non_null (live->routed);
    seen->parts = live->routed->parts;
    seen->part = live->routed->part;
    seen->deliveries = live->routed->delivery_count;
    seen->outcomes = live->outcome_count;
    seen->forgotten = live->routed->forgotten;
    assert_int_equal (live->routed->group_count, 1);
    return 0;
}

static void test_parts_go_one_after_another (void **state)
{
    (void)state;
    crier_ledger_t *ledger = s_ledger ();
    assert_int_equal (
        crier_ledger_accept (ledger, "big", (crier_journal_position_t){0, 10}, false, 0), 0);
    s_expect_work (ledger, UINT32_MAX, 0);
    crier_ledger_sent (ledger, 0);
    assert_int_equal (s_part (ledger, 0, 0, 4, 1), CRIER_LEDGER_UPDATED);
    crier_ledger_work_t work;
    assert_false (crier_ledger_next (ledger, &work));

    //  Half of part 0 done: part 1 is asked for, nothing sent again.
    assert_int_equal (s_delivered (ledger, 0, 2), CRIER_LEDGER_UPDATED);
    assert_false (crier_ledger_next (ledger, &work));
    assert_int_equal (s_delivered (ledger, 1, 3), CRIER_LEDGER_UPDATED);
    s_expect_work (ledger, 1, 0);
    crier_ledger_sent (ledger, 3);
    assert_false (crier_ledger_next (ledger, &work));
    assert_int_equal (crier_ledger_in_flight (ledger), 1);

    //  An outcome of part 1 overtakes its routed receipt: kept, and not pending again after it.
    assert_int_equal (s_delivered (ledger, 2, 4), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_delivered (ledger, 4, 4), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_part (ledger, 1, 4, 8, 5), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_part (ledger, 1, 4, 8, 5), CRIER_LEDGER_IGNORED); //  said twice
    assert_int_equal (s_part (ledger, 0, 0, 4, 5), CRIER_LEDGER_IGNORED); //  behind
    //  Part 0's done deliveries are forgotten, but still counted.
    s_describe (ledger, 8, 4);

    //  The lease runs out: the pending ones go again (c3, c5, c6, c7), no part is asked for.
    //  (restarted by each outcome: the last came at 4).
    assert_int_equal (crier_ledger_expire (ledger, 4 + LEASE - 1), 0);
    assert_int_equal (crier_ledger_expire (ledger, 4 + LEASE), 1);
    s_expect_work (ledger, UINT32_MAX, 4);
    crier_ledger_sent (ledger, 4 + LEASE);

    //  Compaction writes the parts' plan and the last part routed.
    live_t live = {0};
    assert_int_equal (crier_ledger_each_live (ledger, s_live, &live), 0);
    assert_int_equal (live.parts, 3);
    assert_int_equal (live.part, 1);
    assert_int_equal (live.deliveries, 5); //  c3 of part 0 (pending), c4..c7
    assert_int_equal (live.outcomes, 1);   //  c4
    assert_int_equal (live.forgotten, 3);  //  c0..c2, still counted after a compaction

    assert_int_equal (s_delivered (ledger, 4, 2000), CRIER_LEDGER_IGNORED); //  done already
    for (unsigned n = 3; n < 7; n++)
        if (n != 4)
            assert_int_equal (s_delivered (ledger, n, 2000), CRIER_LEDGER_UPDATED);
    s_expect_work (ledger, 2, 0);
    crier_ledger_sent (ledger, 2000);
    //  The resolver restarted before it routed part 2: asked for again.
    assert_int_equal (crier_ledger_expire_unrouted (ledger), 1);
    s_expect_work (ledger, 2, 1);
    crier_ledger_sent (ledger, 2001);

    assert_int_equal (s_part (ledger, 2, 8, 10, 2002), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_delivered (ledger, 7, 2003), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_delivered (ledger, 8, 2003), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_delivered (ledger, 9, 2003), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "big"));
    s_describe (ledger, 10, 10);
    crier_ledger_destroy (&ledger);
}

//  Replayed from the journal: part 0 routed and all done, so part 1 is asked for at once; and a
//  compacted journal's count of what was done and forgotten is taken back.
static void test_a_replayed_notification_asks_for_its_next_part (void **state)
{
    (void)state;
    crier_ledger_t *ledger = s_ledger ();
    assert_int_equal (
        crier_ledger_load (ledger, "big", (crier_journal_position_t){0, 10}, false, 0), 0);
    assert_int_equal (s_part (ledger, 0, 0, 4, 1), CRIER_LEDGER_UPDATED);
    for (unsigned n = 0; n < 3; n++)
        assert_int_equal (s_delivered (ledger, n, 2), CRIER_LEDGER_UPDATED);
    crier_ledger_replayed (ledger);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 2);
    assert_int_equal (work.redelivery.part, 1);
    assert_int_equal (work.redelivery.only_count, 1); //  c3
    assert_string_equal (work.redelivery.only[0].target, "c3@example.org");
    crier_ledger_destroy (&ledger);

    //  A compacted journal's routed receipt says how many were done and forgotten before.
    ledger = s_ledger ();
    assert_int_equal (
        crier_ledger_load (ledger, "big", (crier_journal_position_t){0, 10}, false, 0), 0);
    crier_receipt_delivery_t row;
    char target[32];
    s_delivery (&row, 9, target, sizeof target);
    crier_receipt_t compacted = {.kind = CRIER_RECEIPT_ROUTED,
                                 .notification_id = "big",
                                 .deliveries = &row,
                                 .delivery_count = 1,
                                 .parts = 3,
                                 .part = 2,
                                 .part_size = PART_SIZE,
                                 .groups = s_group,
                                 .group_count = 1,
                                 .forgotten = 7};
    assert_int_equal (crier_ledger_apply (ledger, &compacted, 1), CRIER_LEDGER_UPDATED);
    s_describe (ledger, 8, 7);
    crier_ledger_destroy (&ledger);
}

typedef struct {
    size_t nags;
    size_t deliveries;
} nagged_t;

static int s_nagged_live (const crier_ledger_live_t *live, crier_journal_position_t *new_position_p,
                          void *arg)
{
    nagged_t *seen = arg;
    *new_position_p = live->position;
    seen->nags = live->routed->nag_count;
    seen->deliveries = live->routed->delivery_count;
    return 0;
}

//  Rooms with a nag in part 0 and in part 1 are both followed; a delivered one that a nag refers
//  to is not forgotten with its part (compaction writes it with its nag).
static void test_nags_of_every_part_are_kept (void **state)
{
    (void)state;
    crier_ledger_t *ledger = s_ledger ();
    assert_int_equal (
        crier_ledger_accept (ledger, "big", (crier_journal_position_t){0, 10}, false, 0), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    crier_ledger_sent (ledger, 0);
    assert_int_equal (s_part_nagged (ledger, 0, 0, 4, 1, 1), CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_nags_pending (ledger), 1);
    for (unsigned n = 0; n < 4; n++)
        assert_int_equal (s_delivered (ledger, n, 2), CRIER_LEDGER_UPDATED);
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.part, 1);
    crier_ledger_sent (ledger, 3);
    assert_int_equal (s_part_nagged (ledger, 1, 4, 8, 5, 4), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_part_nagged (ledger, 1, 4, 8, 5, 4), CRIER_LEDGER_IGNORED);
    assert_int_equal (crier_ledger_nags_pending (ledger), 2);
    //  c1 (nagged, delivered) stays; c0, c2, c3 are forgotten.
    nagged_t live = {0};
    assert_int_equal (crier_ledger_each_live (ledger, s_nagged_live, &live), 0);
    assert_int_equal (live.nags, 2);
    assert_int_equal (live.deliveries, 5); //  c1, c4..c7
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parts_go_one_after_another),
        cmocka_unit_test (test_a_replayed_notification_asks_for_its_next_part),
        cmocka_unit_test (test_nags_of_every_part_are_kept),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

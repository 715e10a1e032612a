/*  test_ledger.c - crier-ingest's ledger: a notification is done when every delivery it became
    has its outcome; an expired lease sends again only what is pending; outcomes may overtake
    the routing receipt; failures and unroutable groups become dead letters that can be
    retried; client ids are remembered for the dedup window. */
#include "ledger.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE         1000
#define NAG_SEEN_WAIT 60000

static crier_ledger_t *s_ledger (void)
{
    crier_ledger_options_t options = {LEASE, 10000, 100, 0, NAG_SEEN_WAIT, 0};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    assert_non_null (ledger);
    return ledger;
}

static crier_journal_position_t s_position (uint64_t offset)
{
    return (crier_journal_position_t){offset, 10};
}

//  A receipt about one delivery of notification id; delivery ids are "a..a", "b..b", ...
static crier_receipt_t s_outcome (crier_receipt_kind_t kind, char *id, char letter, char *target)
{
    crier_receipt_t receipt = {.kind = kind, .notification_id = id, .reason = "why"};
    memset (receipt.delivery.delivery_id, letter, CRIER_DIGEST_BYTES - 1);
    receipt.delivery.channel = "email";
    receipt.delivery.target = target;
    return receipt;
}

static crier_ledger_change_t s_routed (crier_ledger_t *ledger, char *id, int64_t now)
{
    crier_receipt_delivery_t rows[2] = {{.channel = "email", .target = "a@example.org"},
                                        {.channel = "matrix", .target = "!room:example.org"}};
    memset (rows[0].delivery_id, 'a', CRIER_DIGEST_BYTES - 1);
    memset (rows[1].delivery_id, 'b', CRIER_DIGEST_BYTES - 1);
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_ROUTED,
                               .notification_id = id,
                               .deliveries = rows,
                               .delivery_count = 2};
    return crier_ledger_apply (ledger, &receipt, now);
}

static void s_accept_and_send (crier_ledger_t *ledger, const char *id, int64_t now)
{
    assert_int_equal (crier_ledger_accept (ledger, id, s_position (now), false, now), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_string_equal (work.id, id);
    crier_ledger_sent (ledger, now);
}

static void test_done_when_every_delivery_has_its_outcome (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    assert_int_equal (crier_ledger_accept (ledger, "n1", s_position (13), false, 0), 0);
    assert_int_equal (crier_ledger_backlog (ledger), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.position.offset, 13);
    assert_int_equal (work.redelivery.attempt, 1);
    assert_int_equal (work.redelivery.only_count, 0);
    assert_null (work.groups);
    crier_ledger_sent (ledger, 0);
    assert_false (crier_ledger_next (ledger, &work));
    assert_int_equal (crier_ledger_in_flight (ledger), 1);

    assert_int_equal (s_routed (ledger, "n1", 10), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_routed (ledger, "n1", 10), CRIER_LEDGER_IGNORED); //  said twice
    crier_receipt_t first = s_outcome (CRIER_RECEIPT_DELIVERED, "n1", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &first, 20), CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_apply (ledger, &first, 20), CRIER_LEDGER_IGNORED);
    crier_receipt_t second = s_outcome (CRIER_RECEIPT_DELIVERED, "n1", 'b', "!room:example.org");
    second.delivery.channel = "matrix";
    assert_int_equal (crier_ledger_apply (ledger, &second, 30), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n1"));
    assert_int_equal (crier_ledger_backlog (ledger), 0);
    assert_int_equal (crier_ledger_in_flight (ledger), 0);
    assert_int_equal (crier_ledger_dead_count (ledger), 0);
    //  Receipts about a forgotten notification change nothing.
    assert_int_equal (crier_ledger_apply (ledger, &first, 40), CRIER_LEDGER_IGNORED);
    crier_ledger_destroy (&ledger);
}

static void test_expired_lease_sends_only_what_is_pending (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n2", 0);
    s_routed (ledger, "n2", 5);
    crier_receipt_t done = s_outcome (CRIER_RECEIPT_DELIVERED, "n2", 'a', "a@example.org");
    crier_ledger_apply (ledger, &done, 10);
    assert_int_equal (crier_ledger_expire (ledger, LEASE - 1), 0);
    assert_int_equal (crier_ledger_expire (ledger, LEASE), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 2);
    assert_int_equal (work.redelivery.only_count, 1);
    assert_string_equal (work.redelivery.only[0].channel, "matrix");
    assert_string_equal (work.redelivery.only[0].target, "!room:example.org");
    crier_ledger_sent (ledger, LEASE);
    //  Sent again: a new lease from then.
    assert_int_equal (crier_ledger_expire (ledger, 2 * LEASE - 1), 0);
    assert_int_equal (crier_ledger_expire (ledger, 2 * LEASE), 1);
    crier_ledger_destroy (&ledger);
}

static void test_never_routed_goes_again_whole (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n3", 0);
    assert_int_equal (crier_ledger_expire (ledger, LEASE), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 2);
    assert_int_equal (work.redelivery.only_count, 0); //  the resolver routes it again
    crier_ledger_destroy (&ledger);
}

static void test_retrying_and_deferred_renew_and_released_expires_now (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n4", 0);
    s_routed (ledger, "n4", 0);
    crier_receipt_t retrying = s_outcome (CRIER_RECEIPT_RETRYING, "n4", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &retrying, 900), CRIER_LEDGER_RENEWED);
    assert_int_equal (crier_ledger_expire (ledger, LEASE), 0);
    assert_int_equal (crier_ledger_expire (ledger, 900 + LEASE), 1);
    crier_ledger_sent (ledger, 2000);

    crier_receipt_t released = s_outcome (CRIER_RECEIPT_RELEASED, "n4", 'b', "!room:example.org");
    assert_int_equal (crier_ledger_apply (ledger, &released, 2100), CRIER_LEDGER_RENEWED);
    assert_int_equal (crier_ledger_expire (ledger, 2100), 1);
    crier_ledger_sent (ledger, 2200);

    //  Deferred (its channel is stalled): due again a whole lease later, with what is pending.
    crier_receipt_t deferred = s_outcome (CRIER_RECEIPT_DEFERRED, "n4", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &deferred, 2500), CRIER_LEDGER_RENEWED);
    assert_int_equal (crier_ledger_expire (ledger, 2200 + LEASE), 0);
    assert_int_equal (crier_ledger_expire (ledger, 2500 + LEASE), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.only_count, 2);
    crier_ledger_destroy (&ledger);
}

//  A channel flowing again (deliveries.flowing) sends at once what it deferred, and only that:
//  neither what was merely sent nor what was deferred and has been sent again since.
static void test_deferred_goes_again_when_its_channel_flows (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "d1", 0);
    s_routed (ledger, "d1", 0);
    s_accept_and_send (ledger, "d2", 0);
    s_routed (ledger, "d2", 0);
    s_accept_and_send (ledger, "d3", 0);
    s_routed (ledger, "d3", 0);
    crier_receipt_t deferred = s_outcome (CRIER_RECEIPT_DEFERRED, "d1", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &deferred, 100), CRIER_LEDGER_RENEWED);
    deferred.notification_id = "d3";
    assert_int_equal (crier_ledger_apply (ledger, &deferred, 100), CRIER_LEDGER_RENEWED);
    //  d3's lease ends first: sent again the usual way, it is no longer owed.
    crier_ledger_work_t work;
    assert_int_equal (crier_ledger_expire (ledger, 100 + LEASE), 3);
    for (int sent = 0; sent < 3; sent++) {
        assert_true (crier_ledger_next (ledger, &work));
        crier_ledger_sent (ledger, 100 + LEASE);
    }
    deferred.notification_id = "d1";
    assert_int_equal (crier_ledger_apply (ledger, &deferred, 200 + LEASE), CRIER_LEDGER_RENEWED);
    assert_int_equal (crier_ledger_expire_deferred (ledger), 1);
    assert_true (crier_ledger_next (ledger, &work));
    assert_string_equal (work.id, "d1");
    assert_int_equal (work.redelivery.attempt, 3);
    assert_int_equal (work.redelivery.only_count, 2);
    crier_ledger_sent (ledger, 300 + LEASE);
    assert_false (crier_ledger_next (ledger, &work));
    assert_int_equal (crier_ledger_expire_deferred (ledger), 0); //  said once
    crier_ledger_destroy (&ledger);
}

static void test_outcome_may_come_before_the_routing (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n5", 0);
    crier_receipt_t early = s_outcome (CRIER_RECEIPT_DELIVERED, "n5", 'b', "!room:example.org");
    early.delivery.channel = "matrix";
    assert_int_equal (crier_ledger_apply (ledger, &early, 1), CRIER_LEDGER_UPDATED);
    assert_int_equal (s_routed (ledger, "n5", 2), CRIER_LEDGER_UPDATED);
    crier_receipt_t late = s_outcome (CRIER_RECEIPT_DELIVERED, "n5", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &late, 3), CRIER_LEDGER_FINISHED);
    crier_ledger_destroy (&ledger);
}

typedef struct {
    int count;
    char target[64];
    char reason[64];
    bool has_delivery_id;
} listed_t;

static void s_list (const crier_dead_letter_t *letter, void *arg)
{
    listed_t *listed = arg;
    listed->count++;
    snprintf (listed->target, sizeof listed->target, "%s", letter->target);
    snprintf (listed->reason, sizeof listed->reason, "%s", letter->reason);
    listed->has_delivery_id = letter->delivery_id != NULL;
}

static void test_failure_is_a_dead_letter_until_retried (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n6", 0);
    s_routed (ledger, "n6", 0);
    crier_receipt_t ok = s_outcome (CRIER_RECEIPT_DELIVERED, "n6", 'b', "!room:example.org");
    crier_ledger_apply (ledger, &ok, 1);
    crier_receipt_t failed = s_outcome (CRIER_RECEIPT_FAILED, "n6", 'a', "a@example.org");
    failed.reason = "550 no such user";
    assert_int_equal (crier_ledger_apply (ledger, &failed, 2), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, "n6")); //  kept: it holds a dead letter
    assert_int_equal (crier_ledger_backlog (ledger), 0);
    assert_int_equal (crier_ledger_dead_count (ledger), 1);
    listed_t listed = {0};
    crier_ledger_dead_letters (ledger, s_list, &listed);
    assert_int_equal (listed.count, 1);
    assert_string_equal (listed.target, "a@example.org");
    assert_string_equal (listed.reason, "550 no such user");
    assert_true (listed.has_delivery_id);

    assert_int_equal (crier_ledger_retry (ledger, "no-such-id"), 0);
    assert_int_equal (crier_ledger_retry (ledger, NULL), 1);
    assert_int_equal (crier_ledger_dead_count (ledger), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 2);
    assert_int_equal (work.redelivery.only_count, 1);
    assert_string_equal (work.redelivery.only[0].target, "a@example.org");
    crier_ledger_sent (ledger, 3);
    crier_receipt_t now_ok = s_outcome (CRIER_RECEIPT_DELIVERED, "n6", 'a', "a@example.org");
    assert_int_equal (crier_ledger_apply (ledger, &now_ok, 4), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n6"));
    crier_ledger_destroy (&ledger);
}

static void test_unroutable_groups_are_a_dead_letter (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n7", 0);
    char *groups[] = {"#typo"};
    crier_receipt_t unroutable = {.kind = CRIER_RECEIPT_UNROUTABLE,
                                  .notification_id = "n7",
                                  .reason = "not in the mapping document",
                                  .groups = groups,
                                  .group_count = 1};
    assert_int_equal (crier_ledger_apply (ledger, &unroutable, 1), CRIER_LEDGER_UPDATED);
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED, .notification_id = "n7"};
    assert_int_equal (crier_ledger_apply (ledger, &routed, 2), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, "n7"));
    listed_t listed = {0};
    crier_ledger_dead_letters (ledger, s_list, &listed);
    assert_int_equal (listed.count, 1);
    assert_string_equal (listed.target, "#typo");
    assert_false (listed.has_delivery_id);
    assert_int_equal (crier_ledger_dead_count (ledger), 1);
    assert_int_equal (crier_ledger_retry (ledger, "n7"), 1);
    assert_int_equal (crier_ledger_dead_count (ledger), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.group_count, 1);
    assert_string_equal (work.groups[0], "#typo");
    assert_int_equal (work.redelivery.only_count, 0);
    crier_ledger_sent (ledger, 3);
    //  Routed now: not done until the new deliveries end.
    assert_int_equal (s_routed (ledger, "n7", 4), CRIER_LEDGER_UPDATED);
    crier_receipt_t a = s_outcome (CRIER_RECEIPT_DELIVERED, "n7", 'a', "a@example.org");
    crier_receipt_t b = s_outcome (CRIER_RECEIPT_DELIVERED, "n7", 'b', "!room:example.org");
    assert_int_equal (crier_ledger_apply (ledger, &a, 5), CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_apply (ledger, &b, 5), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n7"));
    crier_ledger_destroy (&ledger);
}

//  A notification with a failed delivery and an unroutable group: retrying one delivery by its
//  id leaves the rest dead; retrying the notification routes its groups again and sends the
//  failed delivery as it was, in one piece of work.
static void test_retry_by_delivery_id_and_by_notification (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n8", 0);
    char *groups[] = {"#typo"};
    crier_receipt_t unroutable = {.kind = CRIER_RECEIPT_UNROUTABLE,
                                  .notification_id = "n8",
                                  .reason = "not in the mapping document",
                                  .groups = groups,
                                  .group_count = 1};
    crier_ledger_apply (ledger, &unroutable, 1);
    s_routed (ledger, "n8", 1);
    crier_receipt_t failed_a = s_outcome (CRIER_RECEIPT_FAILED, "n8", 'a', "a@example.org");
    crier_receipt_t failed_b = s_outcome (CRIER_RECEIPT_FAILED, "n8", 'b', "!room:example.org");
    crier_ledger_apply (ledger, &failed_a, 2);
    assert_int_equal (crier_ledger_apply (ledger, &failed_b, 2), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, "n8"));
    assert_int_equal (crier_ledger_dead_count (ledger), 3);

    char b_id[CRIER_DIGEST_BYTES];
    memset (b_id, 'b', CRIER_DIGEST_BYTES - 1);
    b_id[CRIER_DIGEST_BYTES - 1] = '\0';
    assert_int_equal (crier_ledger_retry (ledger, b_id), 1);
    assert_int_equal (crier_ledger_dead_count (ledger), 2);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 2);
    assert_null (work.groups);
    assert_int_equal (work.redelivery.only_count, 1);
    assert_string_equal (work.redelivery.only[0].target, "!room:example.org");
    crier_ledger_sent (ledger, 3);
    crier_receipt_t ok_b = s_outcome (CRIER_RECEIPT_DELIVERED, "n8", 'b', "!room:example.org");
    assert_int_equal (crier_ledger_apply (ledger, &ok_b, 4), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, "n8"));

    assert_int_equal (crier_ledger_retry (ledger, "n8"), 2);
    assert_int_equal (crier_ledger_dead_count (ledger), 0);
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.attempt, 3);
    assert_int_equal (work.group_count, 1);
    assert_true (work.redelivery.route);
    assert_int_equal (work.redelivery.only_count, 1);
    assert_string_equal (work.redelivery.only[0].target, "a@example.org");
    crier_ledger_sent (ledger, 5);
    crier_receipt_t ok_a = s_outcome (CRIER_RECEIPT_DELIVERED, "n8", 'a', "a@example.org");
    //  Not done before the retried groups are routed.
    assert_int_equal (crier_ledger_apply (ledger, &ok_a, 6), CRIER_LEDGER_UPDATED);
    crier_receipt_t routed_none = {.kind = CRIER_RECEIPT_ROUTED, .notification_id = "n8"};
    assert_int_equal (crier_ledger_apply (ledger, &routed_none, 7), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n8"));
    crier_ledger_destroy (&ledger);
}

//  A group of thousands of addresses: every outcome is found (through the index past the first
//  few), the notification is done with the last one, a late duplicate changes nothing, and a
//  failed delivery deep in the list is retried by its id.
static void test_a_big_fan_out_is_tracked_delivery_by_delivery (void **state)
{
    enum { COUNT = 3000 };
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n9", 0);
    crier_receipt_delivery_t *rows = calloc (COUNT, sizeof *rows);
    char (*targets)[32] = calloc (COUNT, sizeof *targets);
    for (int index = 0; index < COUNT; index++) {
        snprintf (targets[index], sizeof targets[index], "user%d@example.org", index);
        rows[index] = (crier_receipt_delivery_t){.channel = "email", .target = targets[index]};
        crier_delivery_id (rows[index].delivery_id, "n9", "email", targets[index]);
    }
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = "n9",
                              .deliveries = rows,
                              .delivery_count = COUNT};
    assert_int_equal (crier_ledger_apply (ledger, &routed, 1), CRIER_LEDGER_UPDATED);
    for (int index = COUNT - 1; index >= 0; index--) {
        crier_receipt_t outcome = {.kind = index == 2500 ? CRIER_RECEIPT_FAILED
                                                         : CRIER_RECEIPT_DELIVERED,
                                   .notification_id = "n9",
                                   .delivery = rows[index],
                                   .reason = "550 no such user"};
        crier_ledger_change_t change = crier_ledger_apply (ledger, &outcome, 2);
        if (change != (index == 0 ? CRIER_LEDGER_FINISHED : CRIER_LEDGER_UPDATED))
            fail_msg ("outcome %d: change %d", index, (int)change);
    }
    crier_receipt_t again = {
        .kind = CRIER_RECEIPT_DELIVERED, .notification_id = "n9", .delivery = rows[7]};
    assert_int_equal (crier_ledger_apply (ledger, &again, 3), CRIER_LEDGER_IGNORED);
    assert_false (crier_ledger_finish (ledger, "n9"));
    assert_int_equal (crier_ledger_dead_count (ledger), 1);
    assert_int_equal (crier_ledger_retry (ledger, rows[2500].delivery_id), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.only_count, 1);
    assert_string_equal (work.redelivery.only[0].target, "user2500@example.org");
    crier_ledger_destroy (&ledger);
    free (rows);
    free (targets);
}

static void test_client_ids_are_remembered_for_the_window (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    assert_false (crier_ledger_seen (ledger, "mine", 0));
    assert_int_equal (crier_ledger_accept (ledger, "mine", s_position (0), true, 0), 0);
    assert_true (crier_ledger_seen (ledger, "mine", 1));
    crier_ledger_sent (ledger, 0);
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED, .notification_id = "mine"};
    assert_int_equal (crier_ledger_apply (ledger, &routed, 2), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "mine"));
    assert_true (crier_ledger_seen (ledger, "mine", 9999));   //  done, still remembered
    assert_false (crier_ledger_seen (ledger, "mine", 10001)); //  the window is 10 s
    crier_ledger_destroy (&ledger);
}

//  Fails both deliveries of a sent notification: only dead letters keep it.
static void s_fail_both (crier_ledger_t *ledger, char *id, int64_t now)
{
    assert_int_equal (s_routed (ledger, id, now), CRIER_LEDGER_UPDATED);
    crier_receipt_t first = s_outcome (CRIER_RECEIPT_FAILED, id, 'a', "a@example.org");
    crier_receipt_t second = s_outcome (CRIER_RECEIPT_FAILED, id, 'b', "!room:example.org");
    second.delivery.channel = "matrix";
    crier_ledger_apply (ledger, &first, now);
    assert_int_equal (crier_ledger_apply (ledger, &second, now), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, id)); //  kept by its dead letters
}

static void s_count_dropped (const char *id, void *arg)
{
    (*(int *)arg)++;
}

//  Each client's dead letters are counted apart (by the tag of its ids), and dropping them lets
//  the notifications go.
static void test_dead_letters_are_counted_per_client (void **state)
{
    crier_ledger_t *ledger = s_ledger ();
    s_accept_and_send (ledger, "n1@0123456789ab", 0);
    s_fail_both (ledger, "n1@0123456789ab", 1);
    s_accept_and_send (ledger, "n2@0123456789ab", 2);
    s_fail_both (ledger, "n2@0123456789ab", 3);
    s_accept_and_send (ledger, "other@ba9876543210", 4);
    s_fail_both (ledger, "other@ba9876543210", 5);
    s_accept_and_send (ledger, "plain", 6); //  no tag: the one plain client, ""
    s_fail_both (ledger, "plain", 7);
    crier_dead_share_t share = crier_ledger_dead_share (ledger, "0123456789ab");
    assert_int_equal (share.count, 2);
    assert_int_equal (share.bytes, 20); //  two records of 10 bytes
    assert_int_equal (crier_ledger_dead_share (ledger, "ba9876543210").count, 1);
    assert_int_equal (crier_ledger_dead_share (ledger, "").count, 1);
    assert_int_equal (crier_ledger_dead_share (ledger, "ffffffffffff").count, 0);
    //  A retried one is no longer only dead letters; dropped ones are gone.
    assert_int_equal (crier_ledger_retry (ledger, "n1@0123456789ab"), 2);
    assert_int_equal (crier_ledger_dead_share (ledger, "0123456789ab").count, 1);
    int dropped = 0;
    assert_int_equal (crier_ledger_drop (ledger, "n1@0123456789ab", s_count_dropped, &dropped),
                      0); //  being worked on again: not dropped
    assert_int_equal (crier_ledger_drop (ledger, "n2@0123456789ab", s_count_dropped, &dropped), 1);
    assert_int_equal (crier_ledger_dead_share (ledger, "0123456789ab").count, 0);
    assert_int_equal (crier_ledger_drop (ledger, NULL, s_count_dropped, &dropped), 2);
    assert_int_equal (dropped, 3);
    assert_int_equal (crier_ledger_dead_share (ledger, "").count, 0);
    assert_int_equal (crier_ledger_dead_count (ledger), 0);
    crier_ledger_destroy (&ledger);
}

//  What a wait request is told (crier_ledger_describe): pending with the deliveries so far,
//  delivered once done (with how many), failed with its dead letters, pending again for a
//  client id that waits in the journal only, unknown otherwise.
static void test_describe_says_what_became_of_a_notification (void **state)
{
    //  One queued in memory at most.
    crier_ledger_options_t options = {LEASE, 10000, 100, 1, NAG_SEEN_WAIT, 0};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    s_accept_and_send (ledger, "n-1", 1000);
    crier_wait_reply_t reply = {.ok = true};
    crier_ledger_describe (ledger, "n-1", 1000, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_PENDING);
    assert_false (reply.routed);
    s_routed (ledger, "n-1", 1001);
    crier_ledger_describe (ledger, "n-1", 1001, &reply);
    assert_true (reply.routed);
    assert_int_equal (reply.deliveries, 2);
    crier_receipt_t delivered = s_outcome (CRIER_RECEIPT_DELIVERED, "n-1", 'a', "a@example.org");
    crier_receipt_t failed = s_outcome (CRIER_RECEIPT_FAILED, "n-1", 'b', "!room:example.org");
    crier_ledger_apply (ledger, &delivered, 1002);
    crier_ledger_describe (ledger, "n-1", 1002, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_PENDING);
    assert_int_equal (reply.delivered, 1);
    assert_int_equal (crier_ledger_apply (ledger, &failed, 1003), CRIER_LEDGER_FINISHED);
    assert_false (crier_ledger_finish (ledger, "n-1")); //  kept by its dead letter
    crier_ledger_describe (ledger, "n-1", 1003, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_FAILED);
    assert_int_equal (reply.count, 1);
    assert_string_equal (reply.dead_letters[0].target, "!room:example.org");
    crier_wait_reply_free (&reply);
    //  Done with every delivery delivered: remembered as delivered, with how many.
    s_accept_and_send (ledger, "n-2", 2000);
    s_routed (ledger, "n-2", 2001);
    delivered = s_outcome (CRIER_RECEIPT_DELIVERED, "n-2", 'a', "a@example.org");
    crier_receipt_t other = s_outcome (CRIER_RECEIPT_DELIVERED, "n-2", 'b', "!room:example.org");
    crier_ledger_apply (ledger, &delivered, 2002);
    assert_int_equal (crier_ledger_apply (ledger, &other, 2003), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n-2"));
    reply = (crier_wait_reply_t){.ok = true};
    crier_ledger_describe (ledger, "n-2", 2004, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_DELIVERED);
    assert_int_equal (reply.deliveries, 2);
    //  Client ids past the one queued in memory wait in the journal only: pending.
    assert_int_equal (crier_ledger_accept (ledger, "c-1", s_position (3000), true, 3000), 0);
    assert_int_equal (crier_ledger_accept (ledger, "c-2", s_position (3001), true, 3001), 0);
    assert_true (crier_ledger_in_journal (ledger, &(uint64_t){0}) > 0);
    crier_ledger_describe (ledger, "c-2", 3002, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_PENDING);
    crier_ledger_describe (ledger, "never", 3002, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_UNKNOWN);
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_dead_letters_are_counted_per_client),
        cmocka_unit_test (test_done_when_every_delivery_has_its_outcome),
        cmocka_unit_test (test_expired_lease_sends_only_what_is_pending),
        cmocka_unit_test (test_never_routed_goes_again_whole),
        cmocka_unit_test (test_retrying_and_deferred_renew_and_released_expires_now),
        cmocka_unit_test (test_deferred_goes_again_when_its_channel_flows),
        cmocka_unit_test (test_outcome_may_come_before_the_routing),
        cmocka_unit_test (test_failure_is_a_dead_letter_until_retried),
        cmocka_unit_test (test_unroutable_groups_are_a_dead_letter),
        cmocka_unit_test (test_retry_by_delivery_id_and_by_notification),
        cmocka_unit_test (test_a_big_fan_out_is_tracked_delivery_by_delivery),
        cmocka_unit_test (test_client_ids_are_remembered_for_the_window),
        cmocka_unit_test (test_describe_says_what_became_of_a_notification),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

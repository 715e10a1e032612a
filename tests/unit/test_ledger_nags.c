/*  test_ledger_nags.c - crier-ingest's ledger with nags (docs/nag.md): a notification whose
    Matrix delivery has a nag waits, out of the backlog, until the nag is decided; it goes to the
    resolver as a nag request when the nag falls due, naming the members who read it nowhere;
    nobody reading escalates once; a room crier-matrix-watch never reported waits longer; a
    failed delivery has nothing to nag about; a lease that runs out sends the request or its
    emails again; past CRIER_MAX_PENDING_NAGS a notification goes without nags; and the
    journal's records rebuild all of it after a compaction. */
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
#define ROOM_B        "!b:example.org"
#define ROOM_D        "!d:example.org"

//  Two nags pending at most.
#define NAGS_MAX 2

static crier_ledger_t *s_ledger (void)
{
    crier_ledger_options_t options = {LEASE, 10000, 100, 0, NAG_SEEN_WAIT, NAGS_MAX};
    crier_ledger_t *ledger = crier_ledger_new (&options);
    assert_non_null (ledger);
    return ledger;
}

//  Delivery ids are "a..a", "b..b", ...: a is the archive email, b and d Matrix rooms, c and e
//  nag emails.
static void s_id (char id[CRIER_DIGEST_BYTES], char letter)
{
    memset (id, letter, CRIER_DIGEST_BYTES - 1);
    id[CRIER_DIGEST_BYTES - 1] = '\0';
}

static crier_ledger_change_t s_apply (crier_ledger_t *ledger, crier_receipt_t receipt, int64_t now)
{
    receipt.notification_id = "n";
    return crier_ledger_apply (ledger, &receipt, now);
}

//  Accepted, sent, and routed to a@ (email) and the rooms b (and d when two) with their nags.
static crier_ledger_t *s_routed (int64_t after_b, int64_t after_d)
{
    crier_ledger_t *ledger = s_ledger ();
    assert_int_equal (
        crier_ledger_accept (ledger, "n", (crier_journal_position_t){0, 10}, false, 0), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    crier_ledger_sent (ledger, 0);
    crier_receipt_delivery_t rows[3] = {{.channel = "email", .target = "a@example.org"},
                                        {.channel = "matrix", .target = ROOM_B},
                                        {.channel = "matrix", .target = ROOM_D}};
    crier_receipt_nag_t nags[2] = {{.after_ms = after_b}, {.after_ms = after_d}};
    s_id (rows[0].delivery_id, 'a');
    s_id (rows[1].delivery_id, 'b');
    s_id (rows[2].delivery_id, 'd');
    s_id (nags[0].delivery_id, 'b');
    s_id (nags[1].delivery_id, 'd');
    size_t rooms = after_d ? 2 : 1;
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .deliveries = rows,
                              .delivery_count = 1 + rooms,
                              .nags = nags,
                              .nag_count = rooms};
    assert_int_equal (s_apply (ledger, routed, 0), CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_nags_pending (ledger), rooms);
    return ledger;
}

static crier_receipt_t s_outcome (crier_receipt_kind_t kind, char letter, const char *channel,
                                  const char *target, int64_t time_ms)
{
    crier_receipt_t receipt = {.kind = kind, .time_ms = time_ms};
    s_id (receipt.delivery.delivery_id, letter);
    receipt.delivery.channel = (char *)channel;
    receipt.delivery.target = (char *)target;
    return receipt;
}

static crier_receipt_t s_seen (char letter, const char *room, char **members, size_t count)
{
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_SEEN,
                               .room_id = (char *)room,
                               .event_id = "$event",
                               .members = members,
                               .member_count = count};
    s_id (receipt.delivery.delivery_id, letter);
    return receipt;
}

static crier_receipt_t s_read (char letter, const char *reader)
{
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_READ, .reader = (char *)reader};
    s_id (receipt.delivery.delivery_id, letter);
    return receipt;
}

//  nag.routed deciding room (a letter, or 0 for none) with nag emails {letter, nag_of, target}.
typedef struct {
    char letter;
    const char *nag_of;
    const char *target;
} email_row_t;

static crier_receipt_t s_nag_routed (char room, const email_row_t *emails, size_t count,
                                     crier_receipt_delivery_t *rows, crier_receipt_nag_t *decided)
{
    crier_receipt_t receipt = {.kind = CRIER_RECEIPT_NAG_ROUTED,
                               .deliveries = rows,
                               .delivery_count = count,
                               .nags = decided,
                               .nag_count = room != 0};
    s_id (decided->delivery_id, room ? room : 'b');
    for (size_t index = 0; index < count; index++) {
        rows[index] = (crier_receipt_delivery_t){.channel = "email",
                                                 .target = (char *)emails[index].target,
                                                 .nag_of = (char *)emails[index].nag_of};
        s_id (rows[index].delivery_id, emails[index].letter);
        s_id (rows[index].of, room ? room : 'b');
    }
    return receipt;
}

//  The next work must be a nag request deciding one room, with exactly these unread members.
static void s_expect_request (crier_ledger_t *ledger, char room, const char *const *unread,
                              bool escalate)
{
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    assert_int_equal (work.redelivery.only_count, 0);
    assert_int_equal (work.redelivery.nag_count, 1);
    const crier_frame_nag_t *nag = &work.redelivery.nags[0];
    char id[CRIER_DIGEST_BYTES];
    s_id (id, room);
    assert_string_equal (nag->delivery_id, id);
    assert_non_null (nag->unread);
    size_t count = 0;
    while (unread[count])
        count++;
    assert_int_equal (nag->unread_count, count);
    for (size_t index = 0; index < count; index++)
        assert_string_equal (nag->unread[index], unread[index]);
    assert_int_equal (work.redelivery.escalate, escalate);
    assert_int_equal (work.redelivery.nag_delivery_count, 0);
}

static void test_a_nag_holds_the_notification_until_decided (void **state)
{
    crier_ledger_t *ledger = s_routed (2000, 0);
    assert_int_equal (
        s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'a', "email", "a@example.org", 10),
                 10),
        CRIER_LEDGER_UPDATED);
    //  Delivered everywhere: not finished, but out of the backlog and said delivered.
    assert_int_equal (
        s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'b', "matrix", ROOM_B, 100), 100),
        CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_backlog (ledger), 0);
    assert_int_equal (crier_ledger_in_flight (ledger), 0);
    crier_wait_reply_t reply = {.ok = true};
    crier_ledger_describe (ledger, "n", 200, &reply);
    assert_int_equal (reply.state, CRIER_WAIT_DELIVERED);
    crier_wait_reply_free (&reply);
    char *members[] = {"@will:example.org", "@anna:example.org", "@bob:example.org"};
    assert_int_equal (s_apply (ledger, s_seen ('b', ROOM_B, members, 3), 300),
                      CRIER_LEDGER_UPDATED);
    assert_int_equal (s_apply (ledger, s_read ('b', "@anna:example.org"), 400),
                      CRIER_LEDGER_UPDATED);
    assert_int_equal (s_apply (ledger, s_read ('b', "@anna:example.org"), 400),
                      CRIER_LEDGER_IGNORED); //  said once is enough
    //  Due 2000 ms after the delivery (100), not before.
    assert_int_equal (crier_ledger_nags_due (ledger, 2099), 0);
    crier_ledger_work_t work;
    assert_false (crier_ledger_next (ledger, &work));
    assert_int_equal (crier_ledger_nags_due (ledger, 2100), 1);
    assert_int_equal (crier_ledger_backlog (ledger), 1);
    s_expect_request (ledger, 'b', (const char *[]){"@will:example.org", "@bob:example.org", NULL},
                      false);
    crier_ledger_sent (ledger, 2100);
    crier_receipt_delivery_t rows[2];
    crier_receipt_nag_t decided;
    email_row_t emails[] = {{'c', "@will:example.org", "will@example.org"}};
    assert_int_equal (s_apply (ledger, s_nag_routed ('b', emails, 1, rows, &decided), 2110),
                      CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_nags_pending (ledger), 0);
    crier_receipt_t sent =
        s_outcome (CRIER_RECEIPT_DELIVERED, 'c', "email", "will@example.org", 2200);
    sent.notification_id = "n";
    crier_ledger_nag_t nag;
    assert_true (crier_ledger_nag_info (ledger, &sent, &nag));
    assert_true (nag.email);
    assert_string_equal (nag.nag_of, "@will:example.org");
    assert_int_equal (nag.after_ms, 2000);
    assert_int_equal (crier_ledger_apply (ledger, &sent, 2200), CRIER_LEDGER_FINISHED);
    assert_true (crier_ledger_finish (ledger, "n"));
    crier_ledger_destroy (&ledger);
}

static void test_nobody_reading_escalates_once_and_an_unseen_room_waits (void **state)
{
    crier_ledger_t *ledger = s_routed (1000, 5000);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'a', "email", "a@example.org", 0), 0);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'b', "matrix", ROOM_B, 100), 100);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'd', "matrix", ROOM_D, 100), 100);
    //  Not seen by crier-matrix-watch yet: its nag waits for the report.
    assert_int_equal (crier_ledger_nags_due (ledger, 1100), 0);
    char *members_b[] = {"@will:example.org"};
    s_apply (ledger, s_seen ('b', ROOM_B, members_b, 1), 1500);
    assert_int_equal (crier_ledger_nags_due (ledger, 1500), 1);
    s_expect_request (ledger, 'b', (const char *[]){"@will:example.org", NULL}, true);
    crier_ledger_sent (ledger, 1500);
    crier_receipt_delivery_t rows[2];
    crier_receipt_nag_t decided;
    email_row_t emails[] = {{'c', "@will:example.org", "will@example.org"},
                            {'e', "oncall@example.org", "oncall@example.org"}};
    s_apply (ledger, s_nag_routed ('b', emails, 2, rows, &decided), 1510);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'c', "email", "will@example.org", 1600),
             1600);
    //  Room d's nag is still to come: waiting again.
    assert_int_equal (
        s_apply (ledger,
                 s_outcome (CRIER_RECEIPT_DELIVERED, 'e', "email", "oncall@example.org", 1600),
                 1600),
        CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_backlog (ledger), 0);
    assert_int_equal (crier_ledger_nags_pending (ledger), 1);
    char *members_d[] = {"@will:example.org", "@anna:example.org"};
    s_apply (ledger, s_seen ('d', ROOM_D, members_d, 2), 2000);
    //  d falls due 5000 ms after its delivery (100) even though nothing changed since.
    assert_int_equal (crier_ledger_nags_due (ledger, 5099), 0);
    assert_int_equal (crier_ledger_nags_due (ledger, 5100), 1);
    //  Will was nagged already; the escalation went already.
    s_expect_request (ledger, 'd', (const char *[]){"@anna:example.org", NULL}, false);
    crier_ledger_sent (ledger, 5100);
    //  A lease that runs out before the answer sends the request again.
    assert_int_equal (crier_ledger_expire (ledger, 5100 + LEASE), 1);
    s_expect_request (ledger, 'd', (const char *[]){"@anna:example.org", NULL}, false);
    crier_ledger_sent (ledger, 5100 + LEASE);
    assert_int_equal (s_apply (ledger, s_nag_routed ('d', NULL, 0, rows, &decided), 6100),
                      CRIER_LEDGER_FINISHED);
    crier_ledger_destroy (&ledger);
}

static void test_a_failed_delivery_has_nothing_to_nag_about (void **state)
{
    crier_ledger_t *ledger = s_routed (1000, 0);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'a', "email", "a@example.org", 0), 0);
    assert_int_equal (
        s_apply (ledger, s_outcome (CRIER_RECEIPT_FAILED, 'b', "matrix", ROOM_B, 10), 10),
        CRIER_LEDGER_FINISHED);
    assert_int_equal (crier_ledger_nags_pending (ledger), 0);
    assert_false (crier_ledger_finish (ledger, "n")); //  kept by its dead letter
    assert_int_equal (crier_ledger_nags_due (ledger, 100000), 0);
    crier_ledger_destroy (&ledger);
}

//  Past CRIER_MAX_PENDING_NAGS a notification goes without its nags: memory stays bounded, and
//  the notification is done when its deliveries are.
static void test_past_the_limit_a_notification_goes_without_nags (void **state)
{
    crier_ledger_t *ledger = s_routed (1000, 5000); //  two pending: the limit
    assert_int_equal (
        crier_ledger_accept (ledger, "m", (crier_journal_position_t){20, 10}, false, 0), 0);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    crier_ledger_sent (ledger, 0);
    crier_receipt_delivery_t row = {.channel = "matrix", .target = ROOM_B};
    crier_receipt_nag_t nag = {.after_ms = 1000};
    s_id (row.delivery_id, 'f');
    s_id (nag.delivery_id, 'f');
    crier_receipt_t routed = {.kind = CRIER_RECEIPT_ROUTED,
                              .notification_id = "m",
                              .deliveries = &row,
                              .delivery_count = 1,
                              .nags = &nag,
                              .nag_count = 1};
    assert_int_equal (crier_ledger_apply (ledger, &routed, 0), CRIER_LEDGER_UPDATED);
    assert_int_equal (crier_ledger_nags_pending (ledger), NAGS_MAX);
    assert_int_equal (crier_ledger_nags_refused (ledger), 1);
    crier_receipt_t delivered = s_outcome (CRIER_RECEIPT_DELIVERED, 'f', "matrix", ROOM_B, 10);
    delivered.notification_id = "m";
    assert_int_equal (crier_ledger_apply (ledger, &delivered, 10), CRIER_LEDGER_FINISHED);
    crier_ledger_destroy (&ledger);
}

//  Copies a live notification's records into another ledger, each receipt through its encoding
//  as the journal keeps it.
static void s_replay_receipt (crier_ledger_t *copy, const crier_receipt_t *receipt)
{
    char *data;
    size_t size;
    assert_int_equal (crier_receipt_encode (receipt, &data, &size), 0);
    crier_receipt_t decoded;
    crier_error_t error;
    if (crier_receipt_decode (data, size, &decoded, &error) != 1)
        fail_msg ("%s: %s", error.field, error.message);
    crier_ledger_apply (copy, &decoded, 0);
    crier_receipt_free (&decoded);
    free (data);
}

static int s_copy_live (const crier_ledger_live_t *live, crier_journal_position_t *new_position_p,
                        void *arg)
{
    crier_ledger_t *copy = arg;
    *new_position_p = live->position;
    assert_int_equal (crier_ledger_load (copy, live->id, live->position, live->client_id, 0), 0);
    if (live->routed)
        s_replay_receipt (copy, live->routed);
    for (size_t index = 0; index < live->nag_count; index++)
        s_replay_receipt (copy, &live->nag_receipts[index]);
    for (size_t index = 0; index < live->outcome_count; index++)
        s_replay_receipt (copy, &live->outcomes[index]);
    return 0;
}

static void test_the_records_of_a_compaction_rebuild_the_nags (void **state)
{
    crier_ledger_t *ledger = s_routed (1000, 5000);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'a', "email", "a@example.org", 0), 0);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'b', "matrix", ROOM_B, 100), 100);
    s_apply (ledger, s_outcome (CRIER_RECEIPT_DELIVERED, 'd', "matrix", ROOM_D, 100), 100);
    char *members[] = {"@will:example.org", "@anna:example.org", "@bob:example.org"};
    s_apply (ledger, s_seen ('b', ROOM_B, members, 3), 200);
    s_apply (ledger, s_seen ('d', ROOM_D, members, 3), 200);
    s_apply (ledger, s_read ('d', "@bob:example.org"), 300);
    assert_int_equal (crier_ledger_nags_due (ledger, 1100), 1);
    crier_ledger_work_t work;
    assert_true (crier_ledger_next (ledger, &work));
    crier_ledger_sent (ledger, 1100);
    crier_receipt_delivery_t rows[1];
    crier_receipt_nag_t decided;
    email_row_t emails[] = {{'c', "@will:example.org", "will@example.org"}};
    s_apply (ledger, s_nag_routed ('b', emails, 1, rows, &decided), 1110);

    crier_ledger_t *copy = s_ledger ();
    assert_int_equal (crier_ledger_each_live (ledger, s_copy_live, copy), 0);
    crier_ledger_replayed (copy);
    assert_int_equal (crier_ledger_nags_pending (copy), 1);
    //  Will's email is still pending: after the restart it goes again as a nag email, not routed.
    assert_true (crier_ledger_next (copy, &work));
    assert_int_equal (work.redelivery.only_count, 0);
    assert_int_equal (work.redelivery.nag_delivery_count, 1);
    assert_string_equal (work.redelivery.nag_deliveries[0].nag_of, "@will:example.org");
    assert_string_equal (work.redelivery.nag_deliveries[0].target, "will@example.org");
    char room_b[CRIER_DIGEST_BYTES];
    s_id (room_b, 'b');
    assert_string_equal (work.redelivery.nag_deliveries[0].of, room_b);
    assert_int_equal (work.redelivery.nag_count, 1);
    assert_string_equal (work.redelivery.nags[0].room_id, ROOM_B);
    assert_null (work.redelivery.nags[0].unread); //  referred to, not decided again
    crier_ledger_sent (copy, 1200);
    s_apply (copy, s_outcome (CRIER_RECEIPT_DELIVERED, 'c', "email", "will@example.org", 1300),
             1300);
    //  Room d falls due when it did before (its delivery at 100), with bob's read kept and
    //  will's nag remembered.
    assert_int_equal (crier_ledger_nags_due (copy, 5099), 0);
    assert_int_equal (crier_ledger_nags_due (copy, 5100), 1);
    s_expect_request (copy, 'd', (const char *[]){"@anna:example.org", NULL}, false);
    crier_ledger_destroy (&copy);
    crier_ledger_destroy (&ledger);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_nag_holds_the_notification_until_decided),
        cmocka_unit_test (test_nobody_reading_escalates_once_and_an_unseen_room_waits),
        cmocka_unit_test (test_a_failed_delivery_has_nothing_to_nag_about),
        cmocka_unit_test (test_past_the_limit_a_notification_goes_without_nags),
        cmocka_unit_test (test_the_records_of_a_compaction_rebuild_the_nags),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

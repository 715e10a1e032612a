/*  e2e_stack.c - see e2e_stack.h. */
#include "e2e_stack.h"

#include "crier/endpoint_list.h"
#include "crier/notification.h"
#include "crier/reply.h"

#include <curl/curl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_names[] = {"crier-ingest", "crier-resolver", "crier-sender-matrix",
                                      "crier-sender-email"};
static const char *const s_ready[] = {"ingest.ready", "mapping.loaded", "matrix.ready",
                                      "sender.ready"};
//  The links between the processes, each on an ipc endpoint of this test process.
static const char *const s_links[] = {
    "CRIER_NOTIFICATIONS_ENDPOINT",    "CRIER_MATRIX_DELIVERIES_ENDPOINT",
    "CRIER_EMAIL_DELIVERIES_ENDPOINT", "CRIER_EVENTS_PUBLISH_ENDPOINT",
    "CRIER_EVENTS_ENDPOINT",           "CRIER_INGEST_ENDPOINT",
    "CRIER_INGEST_ACK_ENDPOINT",       "CRIER_INGEST_CONTROL_ENDPOINT"};
#define LINKS (sizeof s_links / sizeof s_links[0])

const char *e2e_stack_core_endpoint (const e2e_stack_t *stack, int core, const char *variable)
{
    for (size_t index = 0; index < LINKS; index++)
        if (strcmp (s_links[index], variable) == 0)
            return strchr (core ? stack->core_env[core][index] : stack->env[index], '=') + 1;
    fail_msg ("no link named %s", variable);
    return NULL;
}

const char *e2e_stack_endpoint (const e2e_stack_t *stack, const char *variable)
{
    return e2e_stack_core_endpoint (stack, 0, variable);
}

const char *e2e_stack_name (stack_kind_t kind)
{
    return s_names[kind];
}

static size_t s_count_of (const char *const *list)
{
    size_t count = 0;
    while (list && list[count])
        count++;
    return count;
}

//  A process of core index (ingest, resolver) or sender number index.
static test_process_t *s_start (e2e_stack_t *stack, stack_kind_t kind, int index)
{
    const char *const *env = stack->common;
    if (kind <= STACK_RESOLVER && index > 0 && index < STACK_MAX_CORES)
        env = stack->core_common[index];
    else if (kind > STACK_RESOLVER && stack->cores > 1)
        env = stack->sender_common;
    return test_process_start_ready (s_names[kind], env, s_ready[kind], 30000);
}

//  Core 1's own links and journal before the shared settings; the senders' lists of both cores'
//  endpoints (the first of a name wins).
static void s_second_core (e2e_stack_t *stack)
{
    size_t count = 0;
    for (size_t index = 0; index < LINKS; index++)
        snprintf (stack->core_env[1][count++], 256, "%s=ipc://%s/core-1-link-%zu", s_links[index],
                  test_scratch_dir (), index);
    snprintf (stack->core_env[1][count++], 256, "CRIER_DATA_DIR=%s/ingest-1", test_scratch_dir ());
    assert_true (count + stack->common_count < 40);
    size_t used = 0;
    for (size_t index = 0; index < count; index++)
        stack->core_common[1][used++] = stack->core_env[1][index];
    for (size_t index = 0; index < stack->common_count; index++)
        stack->core_common[1][used++] = stack->common[index];
    const char *shared[] = {"CRIER_MATRIX_DELIVERIES_ENDPOINT", "CRIER_EMAIL_DELIVERIES_ENDPOINT",
                            "CRIER_EVENTS_PUBLISH_ENDPOINT"};
    used = 0;
    for (size_t index = 0; index < 3; index++) {
        snprintf (stack->sender_env[index], sizeof stack->sender_env[index], "%s=%s,%s",
                  shared[index], e2e_stack_core_endpoint (stack, 0, shared[index]),
                  e2e_stack_core_endpoint (stack, 1, shared[index]));
        stack->sender_common[used++] = stack->sender_env[index];
    }
    for (size_t index = 0; index < stack->common_count; index++)
        stack->sender_common[used++] = stack->common[index];
    snprintf (stack->ack_endpoint, sizeof stack->ack_endpoint, "%s,%s",
              e2e_stack_core_endpoint (stack, 0, "CRIER_INGEST_ACK_ENDPOINT"),
              e2e_stack_core_endpoint (stack, 1, "CRIER_INGEST_ACK_ENDPOINT"));
}

//  "#all" mapped to every room and mailbox, as JSON.
static void s_mapping (const e2e_stack_t *stack, char *json, size_t size)
{
    size_t used = (size_t)snprintf (json, size, "{\"#all\": {\"matrix\": [");
    for (size_t index = 0; stack->rooms[index]; index++)
        used += (size_t)snprintf (json + used, size - used, "%s\"%s\"", index ? ", " : "",
                                  stack->rooms[index]);
    used += (size_t)snprintf (json + used, size - used, "], \"email\": [");
    for (size_t index = 0; stack->mailboxes[index]; index++)
        used += (size_t)snprintf (json + used, size - used, "%s\"%s\"", index ? ", " : "",
                                  stack->mailboxes[index]);
    snprintf (json + used, size - used, "]}}");
}

e2e_stack_t *e2e_stack_start (const char *const *rooms, const char *const *mailboxes,
                              const char *const *extra_env)
{
    return e2e_stack_start_mapped (NULL, rooms, mailboxes, extra_env);
}

e2e_stack_t *e2e_stack_start_mapped (const char *mapping_json, const char *const *rooms,
                                     const char *const *mailboxes, const char *const *extra_env)
{
    if (!mapping_json)
        return e2e_stack_start_document (NULL, rooms, mailboxes, extra_env);
    size_t size = strlen (mapping_json) + 16;
    char *members = malloc (size);
    assert_non_null (members);
    snprintf (members, size, "\"mapping\": %s", mapping_json);
    e2e_stack_t *stack = e2e_stack_start_document (members, rooms, mailboxes, extra_env);
    free (members);
    return stack;
}

static e2e_stack_t *s_start_stack (int cores, const char *members_json, const char *const *rooms,
                                   const char *const *mailboxes, const char *const *extra_env)
{
    e2e_stack_t *stack = calloc (1, sizeof *stack);
    assert_non_null (stack);
    assert_true (cores >= 1 && cores <= STACK_MAX_CORES);
    stack->cores = cores;
    assert_true (s_count_of (rooms) <= STACK_MAX_TARGETS);
    assert_true (s_count_of (mailboxes) <= STACK_MAX_TARGETS);
    const char *joined[2 * STACK_MAX_TARGETS + 1] = {NULL};
    for (size_t index = 0; rooms[index]; index++) {
        stack->rooms[index] = rooms[index];
        joined[2 * index] = "--joined";
        joined[2 * index + 1] = rooms[index];
    }
    for (size_t index = 0; mailboxes[index]; index++)
        stack->mailboxes[index] = mailboxes[index];

    curl_global_init (CURL_GLOBAL_DEFAULT);
    stack->couch = test_couch_start ();
    assert_int_equal (test_couch_request (stack->couch, "PUT", "/crier", NULL, NULL), 201);
    if (members_json)
        free (test_couch_put_document (stack->couch, "crier", members_json));
    else {
        char mapping[1024];
        s_mapping (stack, mapping, sizeof mapping);
        free (test_couch_put_mapping (stack->couch, "crier", mapping));
    }
    stack->homeserver = test_homeserver_start (joined);
    stack->smtp = test_smtp_start (NULL);

    size_t count = 0;
    for (size_t index = 0; index < LINKS; index++)
        snprintf (stack->env[count++], 256, "%s=ipc://%s/link-%zu", s_links[index],
                  test_scratch_dir (), index);
    snprintf (stack->ack_endpoint, sizeof stack->ack_endpoint, "%s",
              strchr (stack->env[6], '=') + 1);
    snprintf (stack->env[count++], 256, "CRIER_COUCHDB_URL=%s", stack->couch->url);
    snprintf (stack->env[count++], 256, "CRIER_COUCHDB_USER=%s", TEST_COUCH_USER);
    snprintf (stack->env[count++], 256, "CRIER_COUCHDB_PASSWORD=%s", TEST_COUCH_PASSWORD);
    snprintf (stack->env[count++], 256, "CRIER_MATRIX_HOMESERVER=%s", stack->homeserver->url);
    snprintf (stack->env[count++], 256, "CRIER_MATRIX_ACCESS_TOKEN=%s", TEST_MATRIX_TOKEN);
    snprintf (stack->env[count++], 256, "CRIER_SMTP_URL=smtp://127.0.0.1:%d",
              stack->smtp->smtp_port);
    //  Ingest keeps its journal across restarts.
    snprintf (stack->env[count++], 256, "CRIER_DATA_DIR=%s/ingest", test_scratch_dir ());
    //  Every stack has an identity of its own, as scripts/run.sh gives one.
    snprintf (stack->stack_id, sizeof stack->stack_id, "CRIER_STACK_ID=e2e-%d", (int)getpid ());
    snprintf (stack->env[count++], 256, "%s", stack->stack_id);
    //  The test's own entries first: the first of a name wins.
    for (size_t index = 0; extra_env && extra_env[index]; index++)
        stack->common[stack->common_count++] = extra_env[index];
    for (size_t index = 0; index < count; index++)
        stack->common[stack->common_count++] = stack->env[index];
    stack->common[stack->common_count++] = "CRIER_SMTP_TLS=none";
    stack->common[stack->common_count++] = "CRIER_EMAIL_FROM=crier <crier@example.org>";
    assert_true (stack->common_count < sizeof stack->common / sizeof stack->common[0]);
    if (cores > 1)
        s_second_core (stack);

    for (int core = 0; core < cores; core++) {
        stack->processes[STACK_RESOLVER][core] = s_start (stack, STACK_RESOLVER, core);
        stack->processes[STACK_INGEST][core] = s_start (stack, STACK_INGEST, core);
    }
    for (int index = 0; index < 2; index++) {
        stack->processes[STACK_MATRIX][index] = s_start (stack, STACK_MATRIX, index);
        stack->processes[STACK_EMAIL][index] = s_start (stack, STACK_EMAIL, index);
    }
    return stack;
}

e2e_stack_t *e2e_stack_start_document (const char *members_json, const char *const *rooms,
                                       const char *const *mailboxes, const char *const *extra_env)
{
    return s_start_stack (1, members_json, rooms, mailboxes, extra_env);
}

e2e_stack_t *e2e_stack_start_cores (int cores, const char *const *rooms,
                                    const char *const *mailboxes, const char *const *extra_env)
{
    return s_start_stack (cores, NULL, rooms, mailboxes, extra_env);
}

void e2e_stack_stop (e2e_stack_t **stack_p)
{
    e2e_stack_t *stack = *stack_p;
    if (!stack)
        return;
    for (int kind = 0; kind < STACK_KINDS; kind++)
        for (int index = 0; index < 2; index++)
            if (stack->processes[kind][index]) {
                int status = test_process_stop (stack->processes[kind][index], SIGTERM, 15000);
                if (status != 0)
                    fail_msg ("%s exited with %d after SIGTERM", s_names[kind], status);
                test_process_destroy (&stack->processes[kind][index]);
            }
    test_smtp_destroy (&stack->smtp);
    test_homeserver_destroy (&stack->homeserver);
    test_couch_destroy (&stack->couch);
    curl_global_cleanup ();
    free (stack);
    *stack_p = NULL;
}

void e2e_stack_stop_one (e2e_stack_t *stack, stack_kind_t kind, int index, int signal,
                         int expected_status)
{
    test_process_t **process = &stack->processes[kind][index];
    int status = test_process_stop (*process, signal, 20000);
    if (status != expected_status)
        fail_msg ("%s exited with %d after signal %d, expected %d", s_names[kind], status, signal,
                  expected_status);
    printf ("# %s stopped with signal %d (finishing: %d, released: %d)\n", s_names[kind], signal,
            test_process_count_log (*process, "sender.finishing"),
            test_process_count_log (*process, "sender.released"));
    test_process_destroy (process);
}

void e2e_stack_start_one (e2e_stack_t *stack, stack_kind_t kind, int index)
{
    assert_null (stack->processes[kind][index]);
    stack->processes[kind][index] = s_start (stack, kind, index);
}

void e2e_stack_restart_all_at_once (e2e_stack_t *stack, int signal)
{
    for (int kind = 0; kind < STACK_KINDS; kind++)
        for (int index = 0; index < 2; index++)
            if (stack->processes[kind][index])
                kill (stack->processes[kind][index]->pid, signal);
    for (int kind = 0; kind < STACK_KINDS; kind++)
        for (int index = 0; index < 2; index++)
            if (stack->processes[kind][index]) {
                int status = test_process_stop (stack->processes[kind][index], 0, 30000);
                if (status != 0)
                    fail_msg ("%s exited with %d after signal %d", s_names[kind], status, signal);
                test_process_destroy (&stack->processes[kind][index]);
            }
    const stack_kind_t order[] = {STACK_RESOLVER, STACK_INGEST, STACK_MATRIX, STACK_EMAIL};
    for (int kind = 0; kind < STACK_KINDS; kind++)
        for (int index = 0; index < (order[kind] >= STACK_MATRIX ? 2 : stack->cores); index++)
            e2e_stack_start_one (stack, order[kind], index);
}

void e2e_stack_restart (e2e_stack_t *stack, stack_kind_t kind, int index, int signal,
                        int expected_status)
{
    e2e_stack_stop_one (stack, kind, index, signal, expected_status);
    e2e_stack_start_one (stack, kind, index);
}

//  The number in a body "PREFIX NUMBER", or -1.
static int s_number (const char *text, const char *prefix, int total)
{
    size_t length = strlen (prefix);
    if (!text || strncmp (text, prefix, length) != 0 || text[length] != ' ')
        return -1;
    int number = atoi (text + length + 1);
    return number >= 0 && number < total ? number : -1;
}

static int s_index_of (const char *const *list, const char *name)
{
    for (int index = 0; name && list[index]; index++)
        if (strcmp (list[index], name) == 0)
            return index;
    return -1;
}

void e2e_stack_count (e2e_stack_t *stack, const char *prefix, int total, int **counts)
{
    int rooms = (int)s_count_of (stack->rooms);
    int targets = rooms + (int)s_count_of (stack->mailboxes);
    for (int target = 0; target < targets; target++)
        memset (counts[target], 0, sizeof (int) * (size_t)total);
    json_t *events = test_homeserver_get (stack->homeserver, "events");
    size_t index;
    json_t *item;
    json_array_foreach (events, index, item)
    {
        int number = s_number (
            json_string_value (json_object_get (json_object_get (item, "content"), "body")), prefix,
            total);
        int room = s_index_of (stack->rooms, json_string_value (json_object_get (item, "room_id")));
        if (number >= 0 && room >= 0)
            counts[room][number]++;
    }
    json_decref (events);
    json_t *mail = test_smtp_wait_messages (stack->smtp, 0, 0);
    json_array_foreach (mail, index, item)
    {
        int number =
            s_number (json_string_value (json_object_get (json_object_get (item, "body"), "text")),
                      prefix, total);
        size_t rcpt;
        json_t *address;
        json_array_foreach (json_object_get (item, "rcpt_tos"), rcpt, address)
        {
            int mailbox = s_index_of (stack->mailboxes, json_string_value (address));
            if (number >= 0 && mailbox >= 0)
                counts[rooms + mailbox][number]++;
        }
    }
    json_decref (mail);
}

e2e_tally_t e2e_stack_await_all (e2e_stack_t *stack, const char *prefix, int total, int timeout_ms)
{
    int rooms = (int)s_count_of (stack->rooms);
    int targets = rooms + (int)s_count_of (stack->mailboxes);
    int *counts[2 * STACK_MAX_TARGETS];
    for (int target = 0; target < targets; target++)
        counts[target] = calloc ((size_t)total, sizeof (int));
    e2e_tally_t tally = {0};
    int64_t deadline = zclock_mono () + timeout_ms;
    do {
        if (tally.missing > 0)
            poll (NULL, 0, 200); //  the doubles offer no change notification to wait on
        e2e_stack_count (stack, prefix, total, counts);
        tally = (e2e_tally_t){0};
        for (int target = 0; target < targets; target++)
            for (int number = 0; number < total; number++)
                tally.missing += counts[target][number] == 0;
    } while (tally.missing > 0 && zclock_mono () < deadline);
    for (int target = 0; target < targets; target++) {
        const char *name = target < rooms ? stack->rooms[target] : stack->mailboxes[target - rooms];
        for (int number = 0; number < total; number++) {
            int seen = counts[target][number];
            if (seen == 0)
                printf ("# %s %d never reached %s\n", prefix, number, name);
            if (seen > 1)
                *(target < rooms ? &tally.room_duplicates : &tally.mail_duplicates) += seen - 1;
        }
        free (counts[target]);
    }
    printf ("# %d acknowledged, to %d rooms and %d mailboxes: missing %d, Matrix duplicates %d, "
            "email duplicates %d\n",
            total, rooms, targets - rooms, tally.missing, tally.room_duplicates,
            tally.mail_duplicates);
    return tally;
}

void e2e_stack_send (e2e_stack_t *stack, const char *prefix, int count)
{
    char ack[400];
    snprintf (ack, sizeof ack, "CRIER_ACK_ENDPOINT=%s", stack->ack_endpoint);
    const char *env[] = {ack, NULL};
    for (int number = 0; number < count; number++) {
        char body[48], *out, *err;
        snprintf (body, sizeof body, "%s %d", prefix, number);
        const char *args[] = {"send", "--to", "#all", body, NULL};
        assert_int_equal (test_run ("crier", args, env, NULL, 15000, &out, &err), 0);
        free (out);
        free (err);
    }
}

void e2e_stack_send_burst (e2e_stack_t *stack, const char *group, const char *key,
                           const char *prefix, int first, int count)
{
    e2e_stack_send_burst_to (stack->ack_endpoint, group, key, prefix, first, count);
}

void e2e_stack_send_burst_to (const char *endpoints, const char *group, const char *key,
                              const char *prefix, int first, int count)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (dealer, 30000);
    zsock_set_sndhwm (dealer, 0);
    //  Connected to each before the first send, so that the burst is spread over all of them.
    crier_endpoint_list_t list;
    assert_int_equal (crier_endpoint_list_parse (endpoints, &list), 0);
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    char monitor_endpoint[64];
    snprintf (monitor_endpoint, sizeof monitor_endpoint, "inproc://e2e-burst-%p", (void *)dealer);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (dealer), monitor_endpoint,
                                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
                      0);
    assert_int_equal (zsock_connect (monitor, "%s", monitor_endpoint), 0);
    for (size_t index = 0; index < list.count; index++)
        assert_int_equal (zsock_connect (dealer, "%s", list.items[index]), 0);
    zsock_set_rcvtimeo (monitor, 10000);
    for (size_t index = 0; index < list.count; index++) {
        zmsg_t *event = zmsg_recv (monitor);
        assert_non_null (event);
        zmsg_destroy (&event);
    }
    zmq_socket_monitor (zsock_resolve (dealer), NULL, 0);
    zsock_destroy (&monitor);
    crier_endpoint_list_free (&list);
    for (int number = first; number < first + count; number++) {
        crier_notification_t *notification = crier_notification_new ();
        char body[64];
        snprintf (body, sizeof body, "%s %d", prefix, number);
        crier_notification_add_group (notification, group);
        crier_notification_set (&notification->body, body);
        crier_notification_set (&notification->key, key);
        char *data;
        size_t size;
        assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
        zmsg_t *message = zmsg_new ();
        zmsg_addmem (message, NULL, 0);
        zmsg_addmem (message, data, size);
        assert_int_equal (zmsg_send (&message, dealer), 0);
        free (data);
        crier_notification_destroy (&notification);
    }
    for (int answer = 0; answer < count; answer++) {
        zmsg_t *reply = zmsg_recv (dealer);
        assert_non_null (reply);
        zframe_t *body = zmsg_last (reply);
        crier_reply_t decoded;
        crier_error_t error;
        assert_int_equal (
            crier_reply_decode (zframe_data (body), zframe_size (body), &decoded, &error), 0);
        assert_true (decoded.ok);
        crier_reply_free (&decoded);
        zmsg_destroy (&reply);
    }
    zsock_destroy (&dealer);
}

test_process_t *e2e_stack_start_extra (e2e_stack_t *stack, const char *name, const char *entry)
{
    const char *env[40] = {entry};
    size_t count = 1;
    for (size_t index = 0; index < stack->common_count && count < 39; index++)
        env[count++] = stack->common[index];
    test_process_t *process = test_process_start (name, NULL, env);
    assert_non_null (process);
    return process;
}

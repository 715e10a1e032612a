/*  test_msgpack_write.c - a frame whose buffer cannot grow (out of memory) is refused whole,
    never handed out truncated: every encoder of common/ builds its frame through
    msgpack_write.c. realloc is wrapped (-Wl,--wrap=realloc) so that the test can make it fail. */
#include "crier/event.h"
#include "crier/frames.h"
#include "crier/notification.h"
#include "crier/reply.h"
#include "msgpack_write.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void *__real_realloc (void *pointer, size_t size);
void *__wrap_realloc (void *pointer, size_t size);

//  When set, a realloc that grows past this many bytes fails.
static size_t s_fail_past;

void *__wrap_realloc (void *pointer, size_t size)
{
    if (s_fail_past && size > s_fail_past)
        return NULL;
    return __real_realloc (pointer, size);
}

static crier_notification_t *s_notification (size_t body_bytes)
{
    crier_notification_t *notification = crier_notification_new ();
    assert_int_equal (crier_notification_add_group (notification, "#ops"), 0);
    assert_int_equal (crier_notification_set (&notification->id, "big"), 0);
    char *body = malloc (body_bytes + 1);
    memset (body, 'x', body_bytes);
    body[body_bytes] = '\0';
    notification->body = body;
    return notification;
}

static void test_a_writer_that_cannot_grow_gives_no_frame (void **state)
{
    crier_msgpack_writer_t writer;
    crier_msgpack_writer_init (&writer);
    msgpack_pack_map (&writer.packer, 1);
    s_fail_past = 4096;
    char big[8192];
    memset (big, 'y', sizeof big);
    msgpack_pack_str (&writer.packer, sizeof big);
    msgpack_pack_str_body (&writer.packer, big, sizeof big);
    s_fail_past = 0;
    assert_true (writer.failed);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal (crier_msgpack_writer_finish (&writer, &data, &size), -1);
    assert_null (data);
}

static void test_encoders_refuse_what_they_could_not_write_whole (void **state)
{
    crier_notification_t *notification = s_notification (64 * 1024);
    char *data = NULL;
    size_t size = 0;
    s_fail_past = 16 * 1024;
    assert_int_equal (crier_notification_encode (notification, &data, &size), -1);
    assert_int_equal (crier_frame_encode_notification (notification, &data, &size), -1);
    crier_event_t *event = crier_event_new ("test.event");
    crier_event_add_text (event, "body", notification->body);
    assert_int_equal (crier_event_encode (event, 0, &data, &size), -1);
    s_fail_past = 0;
    assert_null (data);
    crier_event_destroy (&event);

    //  With memory, the same succeed.
    assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
    assert_true (size > 64 * 1024);
    free (data);
    crier_notification_destroy (&notification);
}

//  A small frame keeps about the memory it needs (msgpack-c starts buffers at 8 KiB, and a
//  large group's deliveries wait in a queue as frames).
static void test_a_small_frame_keeps_little_memory (void **state)
{
    crier_notification_t *notification = s_notification (100);
    char *data = NULL;
    size_t size = 0;
    assert_int_equal (crier_frame_encode_notification (notification, &data, &size), 0);
    assert_true (size > 100);
    assert_true (malloc_usable_size (data) <
                 2 * size + 256); //  not the 8 KiB msgpack-c starts with
    free (data);
    crier_notification_destroy (&notification);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_writer_that_cannot_grow_gives_no_frame),
        cmocka_unit_test (test_encoders_refuse_what_they_could_not_write_whole),
        cmocka_unit_test (test_a_small_frame_keeps_little_memory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

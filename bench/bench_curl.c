/*  bench_curl.c - crier-bench curl: libcurl alone sending what crier-sender-matrix sends (the
    same PUTs, bodies and headers, each room's next message when its last was answered), with
    the easy handles reused: the floor under the Matrix sender's CPU per delivery. */
#include "bench_curl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static size_t s_ignore (char *data, size_t size, size_t count, void *arg)
{
    return size * count;
}

static double s_seconds (struct timeval time)
{
    return (double)time.tv_sec + (double)time.tv_usec / 1e6;
}

//  Points a room's handle at its next message (the number makes the txnId).
static void s_next (CURL *easy, const char *base, long room, long number)
{
    char url[512];
    snprintf (url, sizeof url,
              "%s/_matrix/client/v3/rooms/%%21room%ld%%3Abench/send/m.room.message/"
              "%040ld",
              base, room, number);
    curl_easy_setopt (easy, CURLOPT_URL, url);
}

int crier_bench_curl (const char *base, long count, long rooms)
{
    static const char body[] = "{\"msgtype\":\"m.text\",\"org.crier.delivery\":{\"id\":"
                               "\"0123456789abcdef0123456789abcdef01234567\",\"notification\":"
                               "\"01a23211-6fb0-77a0-b430-cebb6af12cfd\"},\"body\":\"bench 1\"}";
    CURLM *multi = curl_multi_init ();
    struct curl_slist *headers = curl_slist_append (NULL, "Authorization: Bearer bench");
    headers = curl_slist_append (headers, "Content-Type: application/json");
    CURL **easies = calloc ((size_t)rooms, sizeof *easies);
    if (!multi || !headers || !easies)
        return 1;
    struct rusage before, after;
    getrusage (RUSAGE_SELF, &before);
    long started = 0, done = 0, failed = 0;
    for (long room = 0; room < rooms && started < count; room++, started++) {
        CURL *easy = easies[room] = curl_easy_init ();
        curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt (easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (easy, CURLOPT_USERAGENT, "crier-bench");
        curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_ignore);
        curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
        s_next (easy, base, room, started);
        curl_multi_add_handle (multi, easy);
    }
    while (done < count) {
        int running, queued;
        curl_multi_perform (multi, &running);
        CURLMsg *message;
        while ((message = curl_multi_info_read (multi, &queued))) {
            if (message->msg != CURLMSG_DONE)
                continue;
            CURL *easy = message->easy_handle;
            long status = 0;
            curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
            failed += message->data.result != CURLE_OK || status != 200;
            long room = 0; //  the room whose handle this is
            while (easies[room] != easy)
                room++;
            curl_multi_remove_handle (multi, easy);
            done++;
            if (started < count) {
                s_next (easy, base, room, started++);
                curl_multi_add_handle (multi, easy);
            }
        }
        if (done < count)
            curl_multi_poll (multi, NULL, 0, 1000, NULL);
    }
    getrusage (RUSAGE_SELF, &after);
    double user = s_seconds (after.ru_utime) - s_seconds (before.ru_utime);
    double kernel = s_seconds (after.ru_stime) - s_seconds (before.ru_stime);
    printf ("{\"requests\": %ld, \"failed\": %ld, \"user_us\": %.2f, \"kernel_us\": %.2f}\n", count,
            failed, 1e6 * user / (double)count, 1e6 * kernel / (double)count);
    for (long room = 0; room < rooms; room++) {
        if (easies[room])
            curl_multi_remove_handle (multi, easies[room]);
        curl_easy_cleanup (easies[room]);
    }
    free (easies);
    curl_slist_free_all (headers);
    curl_multi_cleanup (multi);
    return failed ? 1 : 0;
}

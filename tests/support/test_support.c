/*  test_support.c - see test_support.h. */
#include "test_support.h"

#include "crier/frames.h"

#include <curl/curl.h>
#include <errno.h>
#include <zmq.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

//  Processes started and not yet reaped. A failing cmocka assertion jumps out of the test, past
//  its clean-up; killing the leftovers at exit keeps them from outliving the test program.
#define MAX_CHILDREN 64
static pid_t s_children[MAX_CHILDREN];

static void s_kill_children (void)
{
    for (int index = 0; index < MAX_CHILDREN; index++) {
        if (s_children[index] > 0) {
            kill (s_children[index], SIGKILL);
            waitpid (s_children[index], NULL, 0);
        }
    }
}

static void s_track (pid_t pid, pid_t replace)
{
    static bool registered = false;
    if (!registered) {
        atexit (s_kill_children);
        registered = true;
    }
    for (int index = 0; index < MAX_CHILDREN; index++) {
        if (s_children[index] == replace) {
            s_children[index] = pid;
            return;
        }
    }
}

void test_frame_init (test_frame_t *frame)
{
    msgpack_sbuffer_init (&frame->buffer);
    msgpack_packer_init (&frame->packer, &frame->buffer, msgpack_sbuffer_write);
}

void test_frame_free (test_frame_t *frame)
{
    msgpack_sbuffer_destroy (&frame->buffer);
}

void test_frame_str (test_frame_t *frame, const char *text)
{
    msgpack_pack_str (&frame->packer, strlen (text));
    msgpack_pack_str_body (&frame->packer, text, strlen (text));
}

void test_frame_pair (test_frame_t *frame, const char *key, const char *value)
{
    test_frame_str (frame, key);
    test_frame_str (frame, value);
}

int test_send_notification (zsock_t *socket, const char *to, const char *key, const char *value)
{
    test_frame_t frame;
    test_frame_init (&frame);
    msgpack_pack_map (&frame.packer, 2);
    test_frame_pair (&frame, "to", to);
    test_frame_pair (&frame, key, value);
    zframe_t *sent = zframe_new (frame.buffer.data, frame.buffer.size);
    test_frame_free (&frame);
    return zframe_send (&sent, socket, 0);
}

static long long s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  environ plus the extra entries; the strings are shared, the array is new.
static char **s_environment (const char *const *extra)
{
    size_t count = 0, extra_count = 0;
    while (environ[count])
        count++;
    while (extra && extra[extra_count])
        extra_count++;
    char **env = calloc (count + extra_count + 1, sizeof *env);
    size_t used = 0;
    for (size_t index = 0; index < extra_count; index++)
        env[used++] = (char *)extra[index];
    for (size_t index = 0; index < count; index++) {
        //  An extra entry overrides an inherited one of the same name.
        const char *equals = strchr (environ[index], '=');
        size_t name_length = equals ? (size_t)(equals - environ[index]) : strlen (environ[index]);
        bool overridden = false;
        for (size_t other = 0; other < extra_count; other++)
            overridden |= strncmp (extra[other], environ[index], name_length + 1) == 0;
        if (!overridden)
            env[used++] = environ[index];
    }
    return env;
}

static char **s_argv (const char *path, const char *const *args)
{
    size_t count = 0;
    while (args && args[count])
        count++;
    char **argv = calloc (count + 2, sizeof *argv);
    argv[0] = (char *)path;
    for (size_t index = 0; index < count; index++)
        argv[index + 1] = (char *)args[index];
    return argv;
}

//  Spawns path with stdin, stdout and stderr wired to the given descriptors (-1: /dev/null).
//  A folder of this test program's own, removed at exit: each process started gets a data
//  directory in it unless the test names one.
static char s_scratch[64];

static void s_remove_scratch (void)
{
    char command[128];
    snprintf (command, sizeof command, "rm -rf '%s'", s_scratch);
    if (system (command) != 0)
        fprintf (stderr, "could not remove %s\n", s_scratch);
}

//  env plus the defaults every crier process gets in a test: its own data directory, and the
//  acknowledged and control endpoints on free ports. Entries the test gives win (the first of a
//  name does).
static const char **s_with_defaults (const char *const *env, char *data_dir, size_t size)
{
    static unsigned counter;
    if (!s_scratch[0]) {
        snprintf (s_scratch, sizeof s_scratch, "/tmp/crier-test-XXXXXX");
        if (!mkdtemp (s_scratch))
            return NULL;
        atexit (s_remove_scratch);
    }
    snprintf (data_dir, size, "CRIER_DATA_DIR=%s/data-%u", s_scratch, ++counter);
    size_t count = 0;
    while (env && env[count])
        count++;
    const char **all = calloc (count + 4, sizeof *all);
    for (size_t index = 0; env && all && index < count; index++)
        all[index] = env[index];
    if (all) {
        all[count] = data_dir;
        all[count + 1] = "CRIER_INGEST_ACK_ENDPOINT=tcp://127.0.0.1:*";
        all[count + 2] = "CRIER_INGEST_CONTROL_ENDPOINT=tcp://127.0.0.1:*";
    }
    return all;
}

test_process_t *test_process_start_ready (const char *name, const char *const *env,
                                          const char *ready, int timeout_ms)
{
    test_process_t *process = test_process_start (name, NULL, env);
    assert_non_null (process);
    if (!test_process_wait_log (process, ready, timeout_ms, NULL, NULL, 0))
        fail_msg ("%s never logged %s", name, ready);
    return process;
}

const char *test_scratch_dir (void)
{
    char unused[256];
    free (s_with_defaults (NULL, unused, sizeof unused));
    return s_scratch;
}

static pid_t s_spawn (const char *name, const char *const *args, const char *const *env,
                      int stdin_fd, int stdout_fd, int stderr_fd)
{
    //  A bare name is one of crier's binaries; a path is taken as it is.
    char path[1024];
    if (strchr (name, '/'))
        snprintf (path, sizeof path, "%s", name);
    else
        snprintf (path, sizeof path, "%s/%s", CRIER_BIN_DIR, name);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
    for (int target = 0; target < 3; target++) {
        if (fds[target] >= 0)
            posix_spawn_file_actions_adddup2 (&actions, fds[target], target);
        else
            posix_spawn_file_actions_addopen (&actions, target, "/dev/null",
                                              target ? O_WRONLY : O_RDONLY, 0);
    }
    char **argv = s_argv (path, args);
    char data_dir[256];
    const char **all_env = s_with_defaults (env, data_dir, sizeof data_dir);
    char **envp = s_environment (all_env);
    free (all_env);
    pid_t pid;
    int rc = posix_spawn (&pid, path, &actions, NULL, argv, envp);
    posix_spawn_file_actions_destroy (&actions);
    free (argv);
    free (envp);
    if (rc != 0)
        return -1;
    s_track (pid, 0);
    return pid;
}

//  Drains a process's output into its log as it comes, so that a process writing a lot never
//  blocks on a full pipe while the test is busy elsewhere.
static void *s_drain (void *arg)
{
    test_process_t *process = arg;
    char chunk[4096];
    while (true) {
        struct pollfd item = {.fd = process->stderr_fd, .events = POLLIN};
        int ready = poll (&item, 1, 50);
        pthread_mutex_lock (&process->lock);
        bool stopping = process->stopping;
        pthread_mutex_unlock (&process->lock);
        if (ready <= 0) {
            if (stopping)
                break;
            continue;
        }
        ssize_t got = read (process->stderr_fd, chunk, sizeof chunk);
        pthread_mutex_lock (&process->lock);
        if (got <= 0) {
            process->closed = true;
            pthread_cond_broadcast (&process->grown);
            pthread_mutex_unlock (&process->lock);
            break;
        }
        if (process->log_capacity - process->log_length < (size_t)got + 1) {
            while (process->log_capacity - process->log_length < (size_t)got + 1)
                process->log_capacity *= 2;
            process->log = realloc (process->log, process->log_capacity);
        }
        memcpy (process->log + process->log_length, chunk, (size_t)got);
        process->log_length += (size_t)got;
        process->log[process->log_length] = '\0';
        pthread_cond_broadcast (&process->grown);
        pthread_mutex_unlock (&process->lock);
        //  Echo, so that ctest --output-on-failure shows what the process said.
        ssize_t echoed = write (STDERR_FILENO, chunk, (size_t)got);
        (void)echoed;
    }
    pthread_mutex_lock (&process->lock);
    process->closed = true;
    pthread_cond_broadcast (&process->grown);
    pthread_mutex_unlock (&process->lock);
    return NULL;
}

test_process_t *test_process_start (const char *name, const char *const *args,
                                    const char *const *given_env)
{
    int pipe_fds[2];
    if (pipe (pipe_fds) != 0)
        return NULL;
    fcntl (pipe_fds[0], F_SETFD, FD_CLOEXEC);
    //  Standard output goes to the same pipe: servers such as pouchdb-server log there.
    pid_t pid = s_spawn (name, args, given_env, -1, pipe_fds[1], pipe_fds[1]);
    close (pipe_fds[1]);
    if (pid < 0) {
        close (pipe_fds[0]);
        return NULL;
    }
    test_process_t *process = calloc (1, sizeof *process);
    process->pid = pid;
    process->stderr_fd = pipe_fds[0];
    process->log_capacity = 4096;
    process->log = calloc (1, process->log_capacity);
    pthread_mutex_init (&process->lock, NULL);
    pthread_cond_init (&process->grown, NULL);
    pthread_create (&process->drain, NULL, s_drain, process);
    return process;
}

bool test_process_wait_log (test_process_t *process, const char *needle, int timeout_ms,
                            size_t *from_p, char *line, size_t line_size)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    size_t from = from_p ? *from_p : 0;
    bool found_line = false;
    pthread_mutex_lock (&process->lock);
    while (true) {
        char *found = strstr (process->log + from, needle);
        char *end = found ? strchr (found, '\n') : NULL;
        if (found && end) {
            char *start = found;
            while (start > process->log && start[-1] != '\n')
                start--;
            if (line)
                snprintf (line, line_size, "%.*s", (int)(end - start), start);
            if (from_p)
                *from_p = (size_t)(end + 1 - process->log);
            found_line = true;
            break;
        }
        if (process->closed ||
            pthread_cond_timedwait (&process->grown, &process->lock, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock (&process->lock);
    return found_line;
}

int test_process_count_log (test_process_t *process, const char *needle)
{
    int count = 0;
    pthread_mutex_lock (&process->lock);
    for (const char *at = strstr (process->log, needle); at; at = strstr (at + 1, needle))
        count++;
    pthread_mutex_unlock (&process->lock);
    return count;
}

static int s_wait_exit (pid_t pid, int timeout_ms)
{
    long long deadline = s_now_ms () + timeout_ms;
    while (true) {
        int status;
        pid_t done = waitpid (pid, &status, WNOHANG);
        if (done == pid) {
            s_track (0, pid);
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        }
        if (done < 0 || s_now_ms () >= deadline)
            return -1;
        poll (NULL, 0, 10); //  polling a child's exit: there is no descriptor to wait on
    }
}

int test_process_stop (test_process_t *process, int signal, int timeout_ms)
{
    kill (process->pid, signal);
    int status = s_wait_exit (process->pid, timeout_ms);
    if (status == -1) {
        kill (process->pid, SIGKILL);
        waitpid (process->pid, NULL, 0);
        s_track (0, process->pid);
    }
    //  The drain thread reads what is left, then ends.
    pthread_mutex_lock (&process->lock);
    process->stopping = true;
    pthread_mutex_unlock (&process->lock);
    pthread_join (process->drain, NULL);
    process->joined = true;
    return status;
}

void test_process_destroy (test_process_t **process_p)
{
    test_process_t *process = *process_p;
    if (!process)
        return;
    if (!process->joined) {
        pthread_mutex_lock (&process->lock);
        process->stopping = true;
        pthread_mutex_unlock (&process->lock);
        pthread_join (process->drain, NULL);
    }
    close (process->stderr_fd);
    pthread_mutex_destroy (&process->lock);
    pthread_cond_destroy (&process->grown);
    free (process->log);
    free (process);
    *process_p = NULL;
}

//  Drains fd into a growing buffer until end of file or the deadline.
typedef struct {
    int fd;
    char *text;
    size_t length;
    size_t capacity;
    bool open;
} capture_t;

static void s_capture_read (capture_t *capture)
{
    if (capture->capacity - capture->length < 4097) {
        capture->capacity = capture->capacity ? capture->capacity * 2 : 8192;
        capture->text = realloc (capture->text, capture->capacity);
    }
    ssize_t got = read (capture->fd, capture->text + capture->length, 4096);
    if (got <= 0)
        capture->open = false;
    else
        capture->length += (size_t)got;
    capture->text[capture->length] = '\0';
}

int test_run (const char *name, const char *const *args, const char *const *env,
              const char *stdin_text, int timeout_ms, char **out_p, char **err_p)
{
    int in_fds[2], out_fds[2], err_fds[2];
    if (pipe (in_fds) || pipe (out_fds) || pipe (err_fds))
        return -1;
    for (int index = 0; index < 2; index++) {
        fcntl (in_fds[index], F_SETFD, FD_CLOEXEC);
        fcntl (out_fds[index], F_SETFD, FD_CLOEXEC);
        fcntl (err_fds[index], F_SETFD, FD_CLOEXEC);
    }
    pid_t pid = s_spawn (name, args, env, in_fds[0], out_fds[1], err_fds[1]);
    close (in_fds[0]);
    close (out_fds[1]);
    close (err_fds[1]);
    if (stdin_text) {
        //  Small inputs fit in the pipe buffer; tests keep them small.
        ssize_t written = write (in_fds[1], stdin_text, strlen (stdin_text));
        (void)written;
    }
    close (in_fds[1]);
    capture_t captures[2] = {{.fd = out_fds[0], .open = true}, {.fd = err_fds[0], .open = true}};
    s_capture_read (&captures[0]);
    s_capture_read (&captures[1]);
    long long deadline = s_now_ms () + timeout_ms;
    while ((captures[0].open || captures[1].open) && s_now_ms () < deadline) {
        struct pollfd items[2] = {{.fd = captures[0].open ? out_fds[0] : -1, .events = POLLIN},
                                  {.fd = captures[1].open ? err_fds[0] : -1, .events = POLLIN}};
        if (poll (items, 2, 100) <= 0)
            continue;
        for (int index = 0; index < 2; index++) {
            if (items[index].revents)
                s_capture_read (&captures[index]);
        }
    }
    close (out_fds[0]);
    close (err_fds[0]);
    int status = pid > 0 ? s_wait_exit (pid, (int)(deadline - s_now_ms () + 1000)) : -1;
    if (status == -1 && pid > 0) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        s_track (0, pid);
    }
    if (captures[1].length) {
        ssize_t echoed = write (STDERR_FILENO, captures[1].text, captures[1].length);
        (void)echoed;
    }
    *out_p = captures[0].text;
    *err_p = captures[1].text;
    return status;
}

bool test_log_value (const char *line, const char *key, char *value, size_t value_size)
{
    char pattern[64];
    snprintf (pattern, sizeof pattern, " %s=", key);
    const char *at = strstr (line, pattern);
    if (!at)
        return false;
    at += strlen (pattern);
    if (*at != '"') {
        size_t length = strcspn (at, " ");
        snprintf (value, value_size, "%.*s", (int)length, at);
        return true;
    }
    //  A quoted value: up to the closing quote, with \" and \\ unescaped.
    size_t used = 0;
    for (at++; *at && *at != '"' && used + 1 < value_size; at++) {
        if (*at == '\\' && (at[1] == '"' || at[1] == '\\'))
            at++;
        value[used++] = *at;
    }
    value[used] = '\0';
    return true;
}

void test_unused_endpoint (char *endpoint, size_t size)
{
    //  Below both the kernel's ephemeral ports (32768 and up) and czmq's "*" search (49152 and
    //  up): no test program binds there by accident, so nothing starts listening on the port
    //  between this check and its use (a port taken that way once made a test's frames go to
    //  another test's crier-ingest).
    static bool seeded;
    if (!seeded) {
        srandom ((unsigned)getpid ());
        seeded = true;
    }
    void *context = zmq_ctx_new ();
    endpoint[0] = '\0';
    for (int attempt = 0; attempt < 100 && !endpoint[0]; attempt++) {
        char candidate[64];
        snprintf (candidate, sizeof candidate, "tcp://127.0.0.1:%d",
                  20000 + (int)(random () % 12000));
        void *probe = zmq_socket (context, ZMQ_PULL);
        if (zmq_bind (probe, candidate) == 0)
            snprintf (endpoint, size, "%s", candidate);
        zmq_close (probe);
    }
    zmq_ctx_term (context);
}

typedef struct {
    char *text;
    size_t length;
} http_body_t;

static size_t s_http_collect (char *data, size_t size, size_t count, void *arg)
{
    http_body_t *body = arg;
    char *grown = realloc (body->text, body->length + size * count + 1);
    if (!grown)
        return 0;
    body->text = grown;
    memcpy (body->text + body->length, data, size * count);
    body->length += size * count;
    body->text[body->length] = '\0';
    return size * count;
}

long test_http_full (const char *method, const char *url, const char *const *headers,
                     const char *body, const char *userpwd, char **response_p, char **headers_p)
{
    CURL *easy = curl_easy_init ();
    http_body_t response = {calloc (1, 1), 0}, heads = {calloc (1, 1), 0};
    struct curl_slist *list = NULL;
    for (size_t index = 0; headers && headers[index]; index++)
        list = curl_slist_append (list, headers[index]);
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
    if (userpwd)
        curl_easy_setopt (easy, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_http_collect);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_http_collect);
    curl_easy_setopt (easy, CURLOPT_HEADERDATA, &heads);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, 15000L);
    if (body)
        curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform (easy) == CURLE_OK)
        curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all (list);
    curl_easy_cleanup (easy);
    if (response_p)
        *response_p = response.text;
    else
        free (response.text);
    if (headers_p)
        *headers_p = heads.text;
    else
        free (heads.text);
    return status;
}

long test_http (const char *method, const char *url, const char *body, const char *userpwd,
                char **response_p)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    return test_http_full (method, url, headers, body, userpwd, response_p, NULL);
}

static void s_push_delivery (zsock_t *push, const char *channel, const char *id, const char *target,
                             const char *subject, const char *body, const char *html,
                             uint32_t attempt)
{
    crier_notification_t *notification = crier_notification_new ();
    crier_notification_set (&notification->id, id);
    crier_notification_add_group (notification, "#admins");
    crier_notification_set (&notification->subject, subject);
    crier_notification_set (&notification->body, body);
    crier_notification_set (&notification->html, html);
    notification->received_at_ms = zclock_time ();
    crier_delivery_t *delivery = crier_delivery_new (&notification, channel, target);
    char *frame = NULL;
    size_t size = 0;
    if (delivery)
        delivery->attempt = attempt;
    if (delivery && crier_frame_encode_delivery (delivery, &frame, &size) == 0) {
        zframe_t *message = zframe_new (frame, size);
        zframe_send (&message, push, 0);
    }
    free (frame);
    crier_delivery_destroy (&delivery);
}

void test_push_delivery (zsock_t *push, const char *channel, const char *id, const char *target,
                         const char *subject, const char *body, const char *html)
{
    s_push_delivery (push, channel, id, target, subject, body, html, 1);
}

void test_push_redelivery (zsock_t *push, const char *channel, const char *id, const char *target,
                           uint32_t attempt)
{
    s_push_delivery (push, channel, id, target, "x", "y", NULL, attempt);
}

crier_reply_t test_receive_reply (zsock_t *socket)
{
    zframe_t *answer = zframe_recv (socket);
    if (!answer)
        fail_msg ("no answer from crier-ingest");
    crier_reply_t reply;
    crier_error_t error;
    if (crier_reply_decode (zframe_data (answer), zframe_size (answer), &reply, &error) != 0)
        fail_msg ("a bad answer: %s: %s", error.field, error.message);
    zframe_destroy (&answer);
    return reply;
}

crier_reply_t test_ask (const char *endpoint, const char *to, const char *body, const char *id)
{
    zsock_t *request = zsock_new (ZMQ_REQ);
    assert_non_null (request);
    zsock_set_rcvtimeo (request, 10000);
    zsock_set_linger (request, 0);
    assert_int_equal (zsock_connect (request, "%s", endpoint), 0);
    crier_notification_t *notification = crier_notification_new ();
    assert_int_equal (crier_notification_add_group (notification, to), 0);
    assert_int_equal (crier_notification_set (&notification->body, body), 0);
    if (id)
        assert_int_equal (crier_notification_set (&notification->id, id), 0);
    char *data;
    size_t size;
    assert_int_equal (crier_notification_encode (notification, &data, &size), 0);
    crier_notification_destroy (&notification);
    assert_int_equal (zmq_send (zsock_resolve (request), data, size, 0), (int)size);
    free (data);
    crier_reply_t reply = test_receive_reply (request);
    zsock_destroy (&request);
    return reply;
}

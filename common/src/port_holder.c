/*  port_holder.c - see port_holder.h. The kernel's own tables: /proc/net/tcp and tcp6 give the
    listening socket's inode, and /proc/<pid>/fd the process that holds it. */
#include "crier/port_holder.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_LISTEN 0x0A

//  The port of "tcp://host:port", or 0.
static unsigned s_port (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    const char *colon = strrchr (endpoint, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul (colon + 1, &end, 10) : 0;
    return end && *end == '\0' && port < 65536 ? (unsigned)port : 0;
}

//  The inode of a socket listening on port in one of the kernel's tables, or 0.
static unsigned long s_listener (const char *table, unsigned port)
{
    FILE *file = fopen (table, "r");
    if (!file)
        return 0;
    char line[512];
    unsigned long found = 0;
    //  "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ..."
    while (!found && fgets (line, sizeof line, file)) {
        unsigned local_port, state;
        unsigned long inode;
        if (sscanf (line, " %*s %*[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", &local_port,
                    &state, &inode) == 3 &&
            local_port == port && state == TCP_LISTEN)
            found = inode;
    }
    fclose (file);
    return found;
}

static bool s_holds (const char *pid, const char *link_text)
{
    char path[300];
    snprintf (path, sizeof path, "/proc/%s/fd", pid);
    DIR *fds = opendir (path);
    if (!fds)
        return false;
    bool holds = false;
    const struct dirent *entry;
    while (!holds && (entry = readdir (fds)) != NULL) {
        char fd_path[600], target[64];
        snprintf (fd_path, sizeof fd_path, "%s/%s", path, entry->d_name);
        ssize_t length = readlink (fd_path, target, sizeof target - 1);
        if (length > 0) {
            target[length] = '\0';
            holds = strcmp (target, link_text) == 0;
        }
    }
    closedir (fds);
    return holds;
}

//  The name of the process that holds the socket, into buffer; false when none can be seen.
static bool s_holder (unsigned long inode, char *buffer, size_t size)
{
    char link_text[48];
    snprintf (link_text, sizeof link_text, "socket:[%lu]", inode);
    DIR *proc = opendir ("/proc");
    if (!proc)
        return false;
    bool found = false;
    const struct dirent *entry;
    while (!found && (entry = readdir (proc)) != NULL) {
        if (!isdigit ((unsigned char)entry->d_name[0]) || !s_holds (entry->d_name, link_text))
            continue;
        char path[300], name[64] = "";
        snprintf (path, sizeof path, "/proc/%s/comm", entry->d_name);
        FILE *comm = fopen (path, "r");
        if (comm && fgets (name, sizeof name, comm))
            name[strcspn (name, "\n")] = '\0';
        if (comm)
            fclose (comm);
        snprintf (buffer, size, "%s (pid %s)", name[0] ? name : "?", entry->d_name);
        found = true;
    }
    closedir (proc);
    return found;
}

const char *crier_port_holder (const char *endpoint, char *buffer, size_t size)
{
    buffer[0] = '\0';
    unsigned port = s_port (endpoint);
    unsigned long inode = port ? s_listener ("/proc/net/tcp", port) : 0;
    if (port && !inode)
        inode = s_listener ("/proc/net/tcp6", port);
    if (inode && !s_holder (inode, buffer, size))
        snprintf (buffer, size,
                  "a process this one cannot see (another user's, or outside this "
                  "container)");
    return buffer;
}

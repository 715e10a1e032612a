/*  replay_main.c - runs a fuzz target over files without libFuzzer, so that the seed corpus and
    every input that once crashed a target are replayed by the ordinary test suite (and under the
    sanitizers). Usage: fuzz_<target>_replay DIR_OR_FILE...  Exits 0 when every input ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int s_replay_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    size_t capacity = 0;
    for (;;) {
        if (size == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            uint8_t *grown = realloc (data, capacity);
            if (!grown) {
                free (data);
                fclose (file);
                return -1;
            }
            data = grown;
        }
        size_t got = fread (data + size, 1, capacity - size, file);
        if (got == 0)
            break;
        size += got;
    }
    fclose (file);
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    return 0;
}

static int s_replay (const char *path, int *count)
{
    struct stat status;
    if (stat (path, &status) != 0) {
        fprintf (stderr, "replay: no such file or folder: %s\n", path);
        return -1;
    }
    if (!S_ISDIR (status.st_mode)) {
        (*count)++;
        return s_replay_file (path);
    }
    DIR *folder = opendir (path);
    if (!folder)
        return -1;
    int rc = 0;
    const struct dirent *entry;
    while (rc == 0 && (entry = readdir (folder)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf (child, sizeof child, "%s/%s", path, entry->d_name);
        rc = s_replay (child, count);
    }
    closedir (folder);
    return rc;
}

int main (int argc, char *argv[])
{
    int count = 0;
    for (int index = 1; index < argc; index++)
        if (s_replay (argv[index], &count) != 0)
            return 1;
    printf ("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}

/*  endpoint_list.c - see endpoint_list.h. */
#include "crier/endpoint_list.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int crier_endpoint_list_parse (const char *text, crier_endpoint_list_t *list)
{
    memset (list, 0, sizeof *list);
    const char *start = text;
    while (true) {
        const char *end = strchr (start, ',');
        size_t length = end ? (size_t)(end - start) : strlen (start);
        while (length && isspace ((unsigned char)*start)) {
            start++;
            length--;
        }
        while (length && isspace ((unsigned char)start[length - 1]))
            length--;
        if (length == 0 || list->count == CRIER_ENDPOINT_LIST_MAX) {
            crier_endpoint_list_free (list);
            return -1;
        }
        list->items[list->count] = strndup (start, length);
        if (!list->items[list->count]) {
            crier_endpoint_list_free (list);
            return -1;
        }
        list->count++;
        if (!end)
            return 0;
        start = end + 1;
    }
}

void crier_endpoint_list_free (crier_endpoint_list_t *list)
{
    for (size_t index = 0; index < list->count; index++)
        free (list->items[index]);
    list->count = 0;
}

bool crier_endpoint_list_is_many (const char *text)
{
    return text && strchr (text, ',') != NULL;
}

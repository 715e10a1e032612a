/*  array.c - see array.h. */
#include "crier/array.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crier_array_reserve (void *array_p, size_t *capacity_p, size_t count, size_t element_size,
                         size_t initial)
{
    if (count < *capacity_p)
        return 0;
    size_t capacity = *capacity_p ? *capacity_p * 2 : initial;
    if (capacity > SIZE_MAX / element_size)
        return -1;
    void *array;
    memcpy (&array, array_p, sizeof array);
    void *grown = realloc (array, capacity * element_size);
    if (!grown)
        return -1;
    //  memcpy, not a cast to void **, since the caller's pointer has its own type; cppcheck
    //  does not follow the pointer through memcpy.
    memcpy (array_p, &grown, sizeof grown);
    *capacity_p = capacity;
    // cppcheck-suppress memleak
    return 0;
}

void crier_array_join (char *text, size_t size, const char *const *items, size_t count)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t index = 0; index < count && used + 1 < size; index++) {
        int wrote = snprintf (text + used, size - used, "%s%s", index ? "," : "", items[index]);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
}

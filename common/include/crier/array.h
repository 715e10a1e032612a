/*  array.h - growing an array of structs by doubling; joining an array of strings. */
#ifndef CRIER_ARRAY_H_INCLUDED
#define CRIER_ARRAY_H_INCLUDED

#include <stddef.h>

//  Makes sure *array_p (of *capacity_p elements of element_size bytes, count of them used) has
//  room for one more, doubling it (from initial) when full. Returns 0, or -1 when out of memory
//  (the array is then unchanged).
int crier_array_reserve (void *array_p, size_t *capacity_p, size_t count, size_t element_size,
                         size_t initial);

//  Writes items joined with "," into text (of size bytes, cut short if need be): "#a,#b" for a
//  log line or a listing.
void crier_array_join (char *text, size_t size, const char *const *items, size_t count);

#endif

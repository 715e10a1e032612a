/*  array.h - growing an array of structs by doubling. */
#ifndef CRIER_ARRAY_H_INCLUDED
#define CRIER_ARRAY_H_INCLUDED

#include <stddef.h>

//  Makes sure *array_p (of *capacity_p elements of element_size bytes, count of them used) has
//  room for one more, doubling it (from initial) when full. Returns 0, or -1 when out of memory
//  (the array is then unchanged).
int crier_array_reserve (void *array_p, size_t *capacity_p, size_t count, size_t element_size,
                         size_t initial);

#endif

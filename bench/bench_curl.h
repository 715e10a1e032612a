/*  bench_curl.h - crier-bench curl (bench_curl.c). */
#ifndef CRIER_BENCH_CURL_H_INCLUDED
#define CRIER_BENCH_CURL_H_INCLUDED

//  Sends count PUTs to the Matrix sink at base, one room's message at a time in each of rooms
//  rooms, and prints the CPU time per request as JSON. Returns 0, or 1 when any failed.
int crier_bench_curl (const char *base, long count, long rooms);

#endif

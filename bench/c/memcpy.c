/*
 * memcpy: copy a 1 MiB buffer in 64-bit words. gcc -O2 may turn this loop into a call to libc memcpy (loop
 * distribution); that is what the native baseline then measures.
 */
#include "bench.h"

#define WORDS ((1 << 20) / 8)
u64 src[WORDS];
u64 dst[WORDS];

BENCH_ENTRY(setup) {
  for (u32 i = 0; i < WORDS; i++) src[i] = (u64)i * 0x9e3779b97f4a7c15ULL;
  return 0;
}

BENCH_ENTRY(bench) {
  for (u32 i = 0; i < WORDS; i++) dst[i] = src[i];
  return dst[WORDS - 1] ^ dst[WORDS / 3] ^ dst[7];
}

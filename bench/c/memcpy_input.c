/*
 * memcpy_input: memcpy.c on the program's input memory (r1, r2 of INPUT_LEN = 2 MiB): copy its first half to its
 * second half in 64-bit words. As in memcpy.c, gcc -O2 may turn the loop into a call to libc memcpy.
 */
#include "bench.h"

BENCH_INPUT_ENTRY(setup) {
  u64 *src = (u64 *)mem;
  for (u64 i = 0; i < len / 16; i++) src[i] = i * 0x9e3779b97f4a7c15ULL;
  return 0;
}

BENCH_INPUT_ENTRY(bench) {
  u64 words = len / 16;
  u64 *src = (u64 *)mem;
  u64 *dst = (u64 *)(mem + words * 8);
  for (u64 i = 0; i < words; i++) dst[i] = src[i];
  return dst[words - 1] ^ dst[words / 3] ^ dst[7];
}

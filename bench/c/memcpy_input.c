/*
 * memcpy_input: memcpy.c on the program's input memory (r1, r2 of INPUT_LEN = 2 MiB): copy its first half to its
 * second half in 64-bit words. As an eBPF program reads a fixed-size header of a packet, it checks once that the
 * memory holds the INPUT_LEN bytes it works on and then indexes them by a constant-bounded counter (proving the copy in
 * bounds from the length alone would need 16 * (len >> 4) <= len, a relation no kernel-style verifier keeps). As in
 * memcpy.c, gcc -O2 may turn the loop into a call to libc memcpy.
 */
#include "bench.h"

#define WORDS (INPUT_LEN / 16)

BENCH_INPUT_ENTRY(setup) {
  if (len < INPUT_LEN) return 1;
  u64 *src = (u64 *)mem;
  for (u32 i = 0; i < WORDS; i++) src[i] = i * 0x9e3779b97f4a7c15ULL;
  return 0;
}

BENCH_INPUT_ENTRY(bench) {
  if (len < INPUT_LEN) return 0;
  u64 *src = (u64 *)mem;
  u64 *dst = (u64 *)(mem + WORDS * 8);
  for (u32 i = 0; i < WORDS; i++) dst[i] = src[i];
  return dst[WORDS - 1] ^ dst[WORDS / 3] ^ dst[7];
}

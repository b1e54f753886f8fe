/*
 * strcmp_input: strcmp.c on the program's input memory (r1, r2). The strings lie one after the other in it: the
 * 128 KiB string, then (MISMATCH=0) its equal copy, or (MISMATCH=1) the 64 keys of 2 KiB. The comparison is bounded
 * by the memory's end as well as by the terminator, as a program must be to be proved in bounds.
 */
#include "bench.h"

#define LEN (128 * 1024)
#define KEYLEN 2048
#define NKEYS 64

/* bench_strcmp compares the strings at x and y, reading no byte of y at or past `end`. */
static inline s64 bench_strcmp(const u8 *x, const u8 *y, const u8 *end) {
  for (u64 i = 0; y + i < end; i++) {
    if (x[i] != y[i] || !x[i]) return (s64)x[i] - (s64)y[i];
  }
  return 0;
}

BENCH_INPUT_ENTRY(setup) {
  if (len < (LEN + 1) + NKEYS * (KEYLEN + 1)) return 1;
  u8 *a = mem;
  for (u32 i = 0; i < LEN; i++) a[i] = 'a' + i % 26;
  a[LEN] = 0;
  u8 *rest = mem + LEN + 1;
#if MISMATCH
  for (u32 k = 0; k < NKEYS; k++) {
    u8 *key = rest + k * (KEYLEN + 1);
    for (u32 i = 0; i < KEYLEN; i++) key[i] = a[i];
    key[KEYLEN] = 0;
    u32 at = KEYLEN / 2 + (k * 97) % (KEYLEN / 2); /* differs in the second half */
    key[at] = k & 1 ? 'A' : '~';
  }
#else
  for (u32 i = 0; i <= LEN; i++) rest[i] = a[i];
#endif
  return 0;
}

BENCH_INPUT_ENTRY(bench) {
  const u8 *end = mem + len;
#if MISMATCH
  u64 r = 0;
  for (u32 k = 0; k < NKEYS; k++) {
    s64 c = bench_strcmp(mem, mem + LEN + 1 + k * (KEYLEN + 1), end);
    r = r * 3 + (c < 0 ? 1 : c > 0 ? 2 : 0);
  }
  return r;
#else
  return (u64)bench_strcmp(mem, mem + LEN + 1, end);
#endif
}

/*
 * strcmp: a byte-by-byte strcmp. Built with -DMISMATCH=0: two equal 128 KiB strings compared to the end. With
 * -DMISMATCH=1: the long string against 64 strings of 2 KiB that each differ from it at a different position in
 * their second half. The comparison is bounded by the buffers' size as well as by the terminator (as in strcmp_input.c),
 * as a program must be to be proved in bounds. keys[k] is indexed by a k the compiler may not see through
 * (BENCH_OPAQUE) and masks to the array's size, as an eBPF programmer indexes an array by a counter: the address is
 * then keys + k * 2049 with k < 64, which a verifier proves, not a pointer stepping by 2049 beside k.
 */
#include "bench.h"

#define LEN (128 * 1024)
#define KEYLEN 2048
#define NKEYS 64
u8 a[LEN + 1];
u8 b[LEN + 1];
u8 keys[NKEYS][KEYLEN + 1];

/* bench_strcmp compares the strings at x and y, reading at most n >= 1 bytes of each (the size of the shorter buffer). */
static inline s64 bench_strcmp(const u8 *x, const u8 *y, u32 n) {
  u32 i = 0;
  do {
    if (x[i] != y[i] || !x[i]) return (s64)x[i] - (s64)y[i];
  } while (++i < n);
  return 0;
}

BENCH_ENTRY(setup) {
  for (u32 i = 0; i < LEN; i++) a[i] = b[i] = 'a' + i % 26;
  for (u32 k = 0; k < NKEYS; k++) {
    u32 j = k;
    BENCH_OPAQUE(j);
    j &= NKEYS - 1;
    for (u32 i = 0; i < KEYLEN; i++) keys[j][i] = a[i];
    u32 at = KEYLEN / 2 + (k * 97) % (KEYLEN / 2); /* differs in the second half */
    keys[j][at] = k & 1 ? 'A' : '~';
  }
  return 0;
}

BENCH_ENTRY(bench) {
#if MISMATCH
  u64 r = 0;
  for (u32 k = 0; k < NKEYS; k++) {
    u32 j = k;
    BENCH_OPAQUE(j);
    s64 c = bench_strcmp(a, keys[j & (NKEYS - 1)], KEYLEN + 1);
    r = r * 3 + (c < 0 ? 1 : c > 0 ? 2 : 0);
  }
  return r;
#else
  return (u64)bench_strcmp(a, b, LEN + 1);
#endif
}

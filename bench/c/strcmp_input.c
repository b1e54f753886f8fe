/*
 * strcmp_input: strcmp.c on the program's input memory (r1, r2). The strings lie one after the other in it: the
 * 128 KiB string, then (MISMATCH=0) its equal copy, or (MISMATCH=1) the 64 keys of 2 KiB. As an eBPF program reads
 * packet data, each string is checked once against the memory's end for the n bytes the comparison may read, and then
 * read through one index bounded by n (and by the terminator); key k lies at an index the compiler may not see through
 * (BENCH_OPAQUE), masked to the 64 keys.
 */
#include "bench.h"

#define LEN (128 * 1024)
#define KEYLEN 2048
#define NKEYS 64

/*
 * bench_strcmp compares the strings at x and y, reading at most n >= 1 bytes of each, none at or past `end`. x and y
 * are opaque so that the compiler keeps both checks as pointer comparisons against `end` (it would otherwise turn
 * x + n > end into len < n for x = mem, which relates no pointer to the end).
 */
static inline s64 bench_strcmp(const u8 *x, const u8 *y, u32 n, const u8 *end) {
  BENCH_OPAQUE(x);
  BENCH_OPAQUE(y);
  if (y + n > end || x + n > end) return 0;
  u32 i = 0;
  do {
    if (x[i] != y[i] || !x[i]) return (s64)x[i] - (s64)y[i];
  } while (++i < n);
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
    u32 j = k;
    BENCH_OPAQUE(j);
    u8 *key = rest + (j & (NKEYS - 1)) * (KEYLEN + 1);
    BENCH_OPAQUE(key);
    if (key + KEYLEN + 1 > mem + len) return 1;
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
    u32 j = k;
    BENCH_OPAQUE(j);
    s64 c = bench_strcmp(mem, mem + LEN + 1 + (j & (NKEYS - 1)) * (KEYLEN + 1), KEYLEN + 1, end);
    r = r * 3 + (c < 0 ? 1 : c > 0 ? 2 : 0);
  }
  return r;
#else
  return (u64)bench_strcmp(mem, mem + LEN + 1, LEN + 1, end);
#endif
}

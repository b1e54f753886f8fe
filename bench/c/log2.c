/* log2: floor(log2) of 8192 64-bit integers by bit tricks (binary search on shifts), summed. */
#include "bench.h"

#define N 8192
u64 values[N];

BENCH_ENTRY(setup) {
  u64 x = 0x9e3779b97f4a7c15ULL;
  for (u32 i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values[i] = (x >> (i & 63)) | 1; /* every magnitude, never zero */
  }
  return 0;
}

static inline u32 log2_u64(u64 v) {
  u32 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) r += 1;
  return r;
}

BENCH_ENTRY(bench) {
  u64 sum = 0;
  for (u32 i = 0; i < N; i++) sum += log2_u64(values[i]);
  return sum;
}

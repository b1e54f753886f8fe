/* switch: a 64-case switch over 64 KiB of input bytes, each case a different update of an accumulator. */
#include "bench.h"

#define LEN (64 * 1024)
u8 input[LEN];

BENCH_ENTRY(setup) {
  u32 x = 12345;
  for (u32 i = 0; i < LEN; i++) {
    x = x * 1103515245u + 12345u;
    input[i] = x >> 16;
  }
  return 0;
}

static inline u64 step(u64 acc, u32 v) {
  switch (v & 63) {
  case 0: return acc + 1;
  case 1: return acc ^ 0x5bd1e995;
  case 2: return acc * 3;
  case 3: return acc - 7;
  case 4: return acc << 1;
  case 5: return acc >> 1;
  case 6: return acc + v;
  case 7: return acc ^ (acc >> 13);
  case 8: return acc + 0x1234;
  case 9: return acc * 5 + 1;
  case 10: return acc - v;
  case 11: return acc ^ v;
  case 12: return acc | 0x100;
  case 13: return acc & 0xffffffffffffULL;
  case 14: return acc + (acc >> 3);
  case 15: return acc * 7;
  case 16: return acc + 17;
  case 17: return acc ^ 0xdeadbeef;
  case 18: return acc * 9;
  case 19: return acc - 19;
  case 20: return acc << 2;
  case 21: return acc >> 2;
  case 22: return acc + 2 * v;
  case 23: return acc ^ (acc << 7);
  case 24: return acc + 0x4321;
  case 25: return acc * 11 + 3;
  case 26: return acc - 3 * v;
  case 27: return acc ^ (v << 8);
  case 28: return acc | 0x10000;
  case 29: return acc & 0xffffffffffULL;
  case 30: return acc + (acc >> 5);
  case 31: return acc * 13;
  case 32: return acc + 33;
  case 33: return acc ^ 0xcafebabe;
  case 34: return acc * 15;
  case 35: return acc - 35;
  case 36: return acc << 3;
  case 37: return acc >> 3;
  case 38: return acc + 4 * v;
  case 39: return acc ^ (acc >> 17);
  case 40: return acc + 0x9999;
  case 41: return acc * 17 + 5;
  case 42: return acc - 5 * v;
  case 43: return acc ^ (v << 16);
  case 44: return acc | 0x1000000;
  case 45: return acc & 0xffffffffULL;
  case 46: return acc + (acc >> 7);
  case 47: return acc * 19;
  case 48: return acc + 49;
  case 49: return acc ^ 0x8badf00d;
  case 50: return acc * 21;
  case 51: return acc - 51;
  case 52: return acc << 4;
  case 53: return acc >> 4;
  case 54: return acc + 8 * v;
  case 55: return acc ^ (acc << 11);
  case 56: return acc + 0x7777;
  case 57: return acc * 23 + 7;
  case 58: return acc - 7 * v;
  case 59: return acc ^ (v << 24);
  case 60: return acc | 0x100000000ULL;
  case 61: return acc & 0xffffffffffffffULL;
  case 62: return acc + (acc >> 9);
  default: return acc * 25;
  }
}

BENCH_ENTRY(bench) {
  u64 acc = 0;
  for (u32 i = 0; i < LEN; i++) acc = step(acc, input[i]);
  return acc;
}

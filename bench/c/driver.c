/*
 * driver.c is the native side of the benchmark suite: linked with one benchmark source built by gcc -O2 (a separate
 * translation unit, so bench() is a real call that cannot be inlined or hoisted), it runs setup() once, then times
 * batches of bench() calls with clock_gettime(CLOCK_MONOTONIC) and prints one JSON line:
 *   {"r0":"<u64>","median_ns":<per call>,"best_ns":<per call>,"runs":<samples>,"batch":<calls per sample>}
 * Usage: driver <ctx as 32 hex digits> [min_runs min_ms warm_ms]; with only the ctx it runs bench() once (a check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

u64 setup(void *ctx);
u64 bench(void *ctx);

#ifdef INPUT_LEN
/* The memory of input-memory programs (bench.h, BENCH_INPUT_ENTRY). */
u8 bench_input[INPUT_LEN] __attribute__((aligned(8)));
#endif

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static void parse_ctx(const char *hex, struct bench_ctx *c) {
  unsigned char bytes[16];
  if (strlen(hex) != 32) {
    fprintf(stderr, "driver: ctx must be 32 hex digits, got \"%s\"\n", hex);
    exit(2);
  }
  for (int i = 0; i < 16; i++) sscanf(hex + 2 * i, "%2hhx", &bytes[i]);
  memcpy(c, bytes, 16); /* little-endian bytes, as the BPF build reads them */
}

#define MAX_RUNS 100000
static double samples[MAX_RUNS];

int main(int argc, char **argv) {
  if (argc != 2 && argc != 5) {
    fprintf(stderr, "usage: %s <ctx hex> [min_runs min_ms warm_ms]\n", argv[0]);
    return 2;
  }
  struct bench_ctx c;
  parse_ctx(argv[1], &c);
  setup(&c);
  volatile u64 r0 = bench(&c);
  if (argc == 2) {
    printf("{\"r0\":\"%llu\"}\n", (unsigned long long)r0);
    return 0;
  }
  int min_runs = atoi(argv[2]);
  double min_ns = atof(argv[3]) * 1e6, warm_ns = atof(argv[4]) * 1e6;
  /* Calls per sample: enough for a sample to last at least 1 ms, so the clock's cost does not count. */
  long batch = 1;
  for (;;) {
    double t = now_ns();
    for (long i = 0; i < batch; i++) r0 = bench(&c);
    if (now_ns() - t >= 1e6 || batch >= (1L << 30)) break;
    batch *= 2;
  }
  double warm_end = now_ns() + warm_ns;
  while (now_ns() < warm_end)
    for (long i = 0; i < batch; i++) r0 = bench(&c);
  int runs = 0;
  double start = now_ns();
  while (runs < MAX_RUNS && (runs < min_runs || now_ns() - start < min_ns)) {
    double t = now_ns();
    for (long i = 0; i < batch; i++) r0 = bench(&c);
    samples[runs++] = (now_ns() - t) / (double)batch;
  }
  qsort(samples, runs, sizeof samples[0], cmp_double);
  printf("{\"r0\":\"%llu\",\"median_ns\":%.3f,\"best_ns\":%.3f,\"runs\":%d,\"batch\":%ld}\n", (unsigned long long)r0,
         samples[runs / 2], samples[0], runs, batch);
  return 0;
}

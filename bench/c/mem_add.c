/* mem_add: a + b of two u64 values read from the context memory; measures the cost of one call with a memory read. */
#include "bench.h"

BENCH_ENTRY(setup) { return 0; }

BENCH_ENTRY(bench) {
  struct bench_ctx *c = ctx;
  return c->a + c->b;
}

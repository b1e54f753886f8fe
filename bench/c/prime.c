/* prime: count the primes below 20000 by trial division (32-bit remainders). */
#include "bench.h"

#define LIMIT 20000

BENCH_ENTRY(setup) { return 0; }

BENCH_ENTRY(bench) {
  struct bench_ctx *c = ctx;
  u32 limit = LIMIT + (u32)(c->a & 1); /* read from ctx so no compiler folds the count; a is even */
  u64 count = 0;
  for (u32 n = 2; n < limit; n++) {
    u32 prime = 1;
    for (u32 d = 2; d * d <= n; d++) {
      if (n % d == 0) { prime = 0; break; }
    }
    count += prime;
  }
  return count;
}

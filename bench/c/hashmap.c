/*
 * hashmap: 16384 lookup + update pairs on a hash map of 1024 u32 keys (a BPF_MAP_TYPE_HASH in the BPF build, the
 * native_map.h stand-in natively). Every run first sets all keys to zero, so runs are independent.
 */
#include "bench.h"

#define KEYS 1024
#define OPS 16384
BENCH_HASH(counts, u32, u64, KEYS);

BENCH_ENTRY(setup) { return 0; }

BENCH_ENTRY(bench) {
  u64 zero = 0;
  for (u32 k = 0; k < KEYS; k++) bpf_map_update_elem(&counts, &k, &zero, BPF_ANY);
  for (u32 i = 0; i < OPS; i++) {
    u32 k = (i * 2654435761u) >> 22; /* 0..1023 */
    u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v) {
      u64 next = *v + i;
      bpf_map_update_elem(&counts, &k, &next, BPF_ANY);
    }
  }
  u64 sum = 0;
  for (u32 k = 0; k < KEYS; k++) {
    u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v) sum = sum * 31 + *v;
  }
  return sum;
}

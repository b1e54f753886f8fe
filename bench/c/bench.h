/*
 * bench.h lets one benchmark source build twice: as a BPF object (clang -target bpf, run by bpftime-vm) and as
 * native code (gcc -O2, linked with driver.c). Each source defines two entry points with BENCH_ENTRY:
 *   setup(ctx)  fills the program's global input buffers once (not timed);
 *   bench(ctx)  the measured work; its return value is compared between the two builds.
 * ctx points to 16 bytes: two u64 values (struct bench_ctx) that the runner passes to both builds.
 * Global buffers live in .bss: in the BPF build that is a one-element array map, so no input is copied per run.
 *
 * Input-memory programs (BENCH_INPUT_ENTRY) take their data the way raw eBPF programs do (uBPF, bpftime's own
 * benchmark): a pointer to the program's memory and its length, r1 and r2. setup(mem, len) fills the memory once and
 * bench(mem, len) works on it. The runner builds both with -DINPUT_LEN=N: the BPF build gets N bytes of input memory,
 * the native build a static buffer of N bytes, passed to functions gcc may not specialise for it (noipa), so both
 * sides see an unknown pointer and length.
 */
#ifndef BENCH_H
#define BENCH_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;
typedef long long s64;

/*
 * BENCH_OPAQUE(v) hides v's value from the compiler (libbpf's barrier_var): the compiler then neither folds a bound
 * check on v that it could prove redundant nor strength-reduces an index computed from v into a pointer stepping beside
 * its counter, so each access stays as the C states it, a constant-bounded index, which a verifier can prove. Both
 * builds keep it; it costs no instruction.
 */
#define BENCH_OPAQUE(v) asm volatile("" : "=r"(v) : "0"(v))

/* bench_ctx is what ctx points to in every run of both builds. */
struct bench_ctx {
  u64 a;
  u64 b;
};

#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BENCH_ENTRY(fn) SEC("syscall") u64 fn(void *ctx __attribute__((unused)))
#define BENCH_INPUT_ENTRY(fn) SEC("input") u64 fn(u8 *mem, u64 len)
/* BENCH_HASH declares a BPF hash map; the native build uses the stand-in in native_map.h. */
#define BENCH_HASH(name, K, V, N)     \
  struct {                            \
    __uint(type, BPF_MAP_TYPE_HASH);  \
    __uint(max_entries, N);           \
    __type(key, K);                   \
    __type(value, V);                 \
  } name SEC(".maps")

char LICENSE[] SEC("license") = "GPL";
#else
#include "native_map.h"

#define BENCH_ENTRY(fn) u64 fn(void *ctx __attribute__((unused)))
#ifdef INPUT_LEN
extern u8 bench_input[INPUT_LEN];
#define BENCH_INPUT_ENTRY(fn)                                                            \
  __attribute__((noipa)) u64 fn##_mem(u8 *mem, u64 len);                                 \
  u64 fn(void *ctx __attribute__((unused))) { return fn##_mem(bench_input, INPUT_LEN); } \
  __attribute__((noipa)) u64 fn##_mem(u8 *mem, u64 len)
#endif
#endif

#endif

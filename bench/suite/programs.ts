/** The programs of the backend-versus-native suite: C sources in bench/c/, each built for BPF and natively. */

/** BenchProgram is one benchmark: a C source in bench/c/ built with `defines`, and what it measures. */
export interface BenchProgram {
  name: string;
  /** Base name of the source in bench/c/ (without `.c`). */
  source: string;
  /** -D flags given to both compilers. */
  defines: string[];
  what: string;
  /** `work`: milliseconds per call, counted in the geometric means; `call`: measures call overhead (ns per call). */
  kind: 'work' | 'call';
  /**
   * Bytes of input memory for programs that take their data as r1/r2 (bench.h BENCH_INPUT_ENTRY; `-DINPUT_LEN`);
   * absent for programs that keep it in .bss and take the 16-byte context.
   */
  input?: number;
}

/**
 * DECLARED_FACTS is what the `+facts` variants of the JIT tiers are given for every suite program, declared by hand:
 * every load and store of bench() is in bounds of its region, and bench() terminates. True of these programs (each
 * result is compared with the native build's, and the interpreter checks every access), but declared, not proved:
 * the verifier's output (issue 10) replaces this declaration once it is merged.
 */
export const DECLARED_FACTS = { allAccessesInBounds: true, terminates: true } as const;

/** SUITE_PROGRAMS lists the benchmarks in report order. */
export const SUITE_PROGRAMS: readonly BenchProgram[] = [
  { name: 'log2', source: 'log2', defines: [], what: 'floor(log2) of 8192 u64 by bit tricks', kind: 'work' },
  { name: 'prime', source: 'prime', defines: [], what: 'count primes below 20000 by trial division', kind: 'work' },
  { name: 'memcpy', source: 'memcpy', defines: [], what: 'copy 1 MiB in u64 words', kind: 'work' },
  { name: 'strcmp_match', source: 'strcmp', defines: ['MISMATCH=0'], what: 'strcmp of two equal 128 KiB strings', kind: 'work' },
  { name: 'strcmp_mismatch', source: 'strcmp', defines: ['MISMATCH=1'], what: 'strcmp against 64 strings differing at 1-2 KiB', kind: 'work' },
  { name: 'memcpy_input', source: 'memcpy_input', defines: [], what: 'copy 1 MiB in u64 words, in input memory (r1/r2)', kind: 'work', input: 2 << 20 },
  { name: 'strcmp_match_input', source: 'strcmp_input', defines: ['MISMATCH=0'], what: 'strcmp_match in input memory (r1/r2)', kind: 'work', input: 262216 },
  { name: 'strcmp_mismatch_input', source: 'strcmp_input', defines: ['MISMATCH=1'], what: 'strcmp_mismatch in input memory (r1/r2)', kind: 'work', input: 262216 },
  { name: 'switch', source: 'switch', defines: [], what: '64-case switch over 64 KiB of bytes', kind: 'work' },
  { name: 'hashmap', source: 'hashmap', defines: [], what: '16384 lookup+update on a 1024-key hash map', kind: 'work' },
  { name: 'return', source: 'return', defines: [], what: 'return immediately (call overhead)', kind: 'call' },
  { name: 'mem_add', source: 'mem_add', defines: [], what: 'a + b read from ctx memory (call overhead)', kind: 'call' },
];

/**
 * SUITE_CTX is the 16-byte context of every run on both sides: struct bench_ctx { u64 a, b } (bench/c/bench.h),
 * little-endian. `a` is even (prime.c relies on it).
 */
export const SUITE_CTX: Uint8Array = (() => {
  const bytes = new Uint8Array(16);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, 0x0123456789abcdeen, true);
  dv.setBigUint64(8, 0x1111n, true);
  return bytes;
})();

/** ctxHex is SUITE_CTX as the 32 hex digits bench/c/driver.c takes. */
export const ctxHex = (ctx: Uint8Array = SUITE_CTX): string => Buffer.from(ctx).toString('hex');

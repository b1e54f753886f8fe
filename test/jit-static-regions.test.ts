// Constant-bounds checks (src/jit-wasm/regions.ts): accesses through a pointer built from a lddw of a global are
// checked against that map's fixed region first. Every way out of the guess must still behave as on the interpreter:
// running past the region's end faults (same message), a write through a pointer into .rodata faults read-only, and a
// pointer moved into another region (.data, from a .bss base) reads that region through the slow path.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { Collection } from '../src/runtime/collection.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct args { __u64 n; __s64 delta; };
__u64 buf[64];
__u64 other = 0x1234;
const volatile __u64 ro[4] = {1, 2, 3, 4};

SEC("syscall") int fill(struct args *a) {
  __u64 n = a->n, sum = 0;
  for (__u64 i = 0; i < n && i < 1000; i++) {
    buf[i] = i * 3;
    sum += *(volatile __u64 *)&buf[i];
  }
  return sum;
}

SEC("syscall") int poke_ro(struct args *a) {
  ((volatile __u64 *)ro)[a->n & 3] = 5;
  return 0;
}

SEC("syscall") int hop(struct args *a) {
  char *p = (char *)buf;
  return *(volatile __u64 *)(p + a->delta);
}

SEC("syscall") int distance(struct args *a) {
  return (char *)&other - (char *)buf;
}
`;

function outcome(object: string, backend: string, prog: string, n: bigint, delta = 0n): string {
  const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend, verify: 'off' });
  const ctx = new Uint8Array(16);
  const dv = new DataView(ctx.buffer);
  dv.setBigUint64(0, n, true);
  dv.setBigInt64(8, delta === 0n ? BigInt.asIntN(32, c.program('distance').run({ ctx: new Uint8Array(16) }).r0) : delta, true);
  try {
    return `r0 = ${c.program(prog).run({ ctx }).r0}`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

describe.skipIf(!HAS_CLANG)(`constant-bounds checks agree with the interpreter${CLANG_SKIP}`, () => {
  let object = '';
  beforeAll(async () => {
    await prepareBackend('wasm-opt');
    object = compileC('static_regions', SOURCE);
  });

  const cases: [string, string, bigint][] = [
    ['inside the region', 'fill', 64n],
    ['one element past its end', 'fill', 65n],
    ['far past its end', 'fill', 900n],
    ['a write into .rodata', 'poke_ro', 1n],
    ['a pointer moved into .data', 'hop', 0n],
  ];
  for (const [what, prog, n] of cases) {
    it(`${what}: ${prog}(${n})`, () => {
      const expected = outcome(object, 'interp', prog, n);
      if (what.includes('past')) expect(expected).toMatch(/^out-of-bounds: /);
      if (what.includes('rodata')) expect(expected).toMatch(/^read-only: /);
      if (what.includes('.data')) expect(expected).toBe('r0 = 4660');
      for (const backend of ENGINES.filter((e) => e !== 'interp')) expect(outcome(object, backend, prog, n)).toBe(expected);
    });
  }
});

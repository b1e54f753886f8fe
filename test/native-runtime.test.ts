// The native runtime (native-hooks/src/runtime) against the interpreter on bpf_conformance programs: compiled through
// src/native (eBPF -> Wasm -> wasm2c -> cc -O2 -> .so) and run by the runtime's test runner (ASan/UBSan), they give
// the interpreter's r0. The sample (a compile costs ~0.3 s of CPU): every atomic operation at both widths (atomics
// run as real atomics natively), the bpf-to-bpf calls, and every twentieth of the other programs that call no helper
// (the uBPF test helpers are not native).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConformanceFile, programOf, type ConformanceTest } from '../conformance/reader.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { classify } from '../src/isa/index.js';
import { loadRaw } from '../src/runtime/backends.js';
import { CONFORMANCE_DIR, conformanceAvailable } from './helpers.js';
import { hex, nativeCompile, runNative } from './native-support.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const callsHelper = (t: ConformanceTest): boolean => programOf(t).some((ins) => {
  const f = classify(ins);
  return f.kind === 'call' && f.mode === 'helper';
});

function sample(): ConformanceTest[] {
  if (!conformanceAvailable()) return [];
  const all = readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.data')).sort()
    .map((f) => parseConformanceFile(f, readFileSync(join(CONFORMANCE_DIR, f), 'utf8')))
    .filter((t) => !t.skip && t.error === undefined && !callsHelper(t));
  return all.filter((t, i) => /^lock_/.test(t.name) || /call local/.test(t.asm) || i % 20 === 0);
}

/** inPairs runs `fn` over `items` two at a time (the machine has two cores; cc is the cost). */
async function inPairs<T, R>(items: readonly T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(...(await Promise.all(items.slice(i, i + 2).map(fn))));
  return out;
}

describe.skipIf(!HAS_NATIVE)(`native runtime${NATIVE_SKIP}`, () => {
  it('conformance programs give the interpreter\'s r0', async () => {
    const picked = sample();
    expect(picked.length).toBeGreaterThan(30);
    const results = await inPairs(picked, async (t) => {
      const so = await nativeCompile(t.name, programOf(t), ubpfTestHelpers());
      const out = await runNative(so.path, ['--ctx', Buffer.from(t.mem).toString('hex')]);
      return [t.name, out.runs[0]?.r0, out.status?.reason];
    });
    const expected = picked.map((t) => [t.name, hex(loadRaw(programOf(t), { helpers: ubpfTestHelpers() }).run({ input: t.mem.length ? t.mem : undefined }).r0), '']);
    expect(results).toEqual(expected);
  }, 600_000);
});

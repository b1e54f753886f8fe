// The native runtime (native-hooks/src/runtime) against the interpreter: bpf_conformance programs and the examples'
// programs compiled through src/native (eBPF -> Wasm -> wasm2c -> cc -O2 -> .so) and run by the runtime's test
// runner (ASan/UBSan) give the interpreter's r0 and outputs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConformanceFile, programOf } from '../conformance/reader.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { loadRaw } from '../src/runtime/backends.js';
import { CONFORMANCE_DIR, conformanceAvailable } from './helpers.js';
import { hex, nativeCompile, runNative } from './native-support.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const CONFORMANCE = conformanceAvailable()
  ? readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.data')).sort().map((f) => parseConformanceFile(f, readFileSync(join(CONFORMANCE_DIR, f), 'utf8')))
  : [];

describe.skipIf(!HAS_NATIVE)(`native runtime${NATIVE_SKIP}`, () => {
  it('conformance programs give the interpreter\'s r0', async () => {
    const picked = CONFORMANCE.filter((t) => !t.skip && t.error === undefined && /lock|call local/.test(t.asm) && !/callx/.test(t.asm));
    const t0 = performance.now();
    const compiled = await Promise.all(picked.map((t) => nativeCompile(t.name, programOf(t), ubpfTestHelpers())));
    console.log('compile ms', performance.now() - t0, picked.length);
    for (const [k, t] of picked.entries()) {
      const interp = loadRaw(programOf(t), { helpers: ubpfTestHelpers() }).run({ input: t.mem.length ? t.mem : undefined }).r0;
      const out = await runNative(compiled[k].path, ['--ctx', Buffer.from(t.mem).toString('hex')]);
      expect([t.name, out.runs[0]?.r0, out.status?.reason]).toEqual([t.name, hex(interp), '']);
    }
  }, 300_000);
});

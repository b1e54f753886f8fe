// `bpftime-vm compile`: exported modules describe their imports, and run outside JavaScript: a module goes through
// wasm2c and cc -O2 with a small C host (test/fixtures/wasm2c/host.c) implementing two helpers, and its r0 must equal
// the interpreter's. Without wasm2c or cc the native part skips, or fails under WASM2C_REQUIRED=1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble } from '../src/isa/index.js';
import { loadRaw } from '../src/runtime/backends.js';
import { exportModule } from '../src/runtime/export.js';
import { cli, ROOT } from './helpers.js';
import { HAS_WASM2C, scratch, WASM2C_RUNTIME, WASM2C_SKIP } from './toolchain.js';

const FIXTURES = join(ROOT, 'test/fixtures/wasm2c');
const PROGRAM = join(FIXTURES, 'prog.asm');
const INPUTS = ['0102030405060708090a', 'ff'.repeat(40), '00'];

const interp = (hex: string) => {
  const p = loadRaw(assemble(readFileSync(PROGRAM, 'utf8')), { helpers: ubpfTestHelpers() });
  return '0x' + p.run({ input: Buffer.from(hex, 'hex') }).r0.toString(16);
};

describe('bpftime-vm compile', () => {
  it('describes the imports of an object: helpers by name and id, map references by map name', () => {
    const out = join(scratch(), 'counter.wat');
    const r = cli(['compile', 'examples/counter.bpf.o', '--emit', 'wat', '-o', out, '--json']);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ program: 'count_add', emit: 'wat', entry: 'bpf_main', memory: true });
    expect(j.helpers).toContainEqual({ import: 'helper.map_lookup_elem', id: 1 });
    expect(j.lddw).toContainEqual({ import: 'bpf.lddw_9', pc: 9, source: 'map_idx', index: 0, map: 'calls' });
    expect(readFileSync(out, 'utf8')).toMatch(/^\(module[\s\S]*\(export "bpf_main"/);
  });

  for (const tier of ['fast', 'opt'] as const) {
    it(`tier ${tier}: atomicImports turn atomics into bpf.atomic calls (and only then)`, async () => {
      const insns = assemble('mov %r1, 5\nstxdw [%r10-8], %r1\nmov %r2, 3\nlock add [%r10-8], %r2\nldxdw %r0, [%r10-8]\nexit');
      const plain = await exportModule(insns, { tier, helpers: ubpfTestHelpers() });
      const atomic = await exportModule(insns, { tier, helpers: ubpfTestHelpers(), atomicImports: true });
      expect(plain.manifest.services).not.toContain('bpf.atomic');
      expect(atomic.manifest.services).toContain('bpf.atomic');
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(atomic.bytes as Uint8Array<ArrayBuffer>));
      expect(imports).toContainEqual({ module: 'bpf', name: 'atomic', kind: 'function' });
    });
  }

  it('refuses a missing -o and options that only apply to objects', () => {
    expect(cli(['compile', PROGRAM]).code).toBe(2);
    expect(cli(['compile', PROGRAM, '--prog', 'x', '-o', join(scratch(), 'x.wasm')]).code).toBe(2);
  });

  for (const tier of ['fast', 'opt']) {
    it.skipIf(!HAS_WASM2C)(`tier ${tier}: wasm2c + cc -O2 with a C host gives the interpreter's r0${WASM2C_SKIP}`, () => {
      const dir = join(scratch(), `w2c-${tier}`);
      execFileSync('mkdir', ['-p', dir]);
      const wasm = join(dir, 'prog.wasm');
      expect(cli(['compile', PROGRAM, '--tier', tier, '-o', wasm]).code).toBe(0);
      execFileSync('wasm2c', [wasm, '-o', join(dir, 'prog.c'), '-n', 'prog']);
      const exe = join(dir, 'host');
      execFileSync('cc', ['-O2', `-I${WASM2C_RUNTIME}`, `-I${dir}`, '-o', exe, join(FIXTURES, 'host.c'), join(dir, 'prog.c'), join(WASM2C_RUNTIME, 'wasm-rt-impl.c'), '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] });
      for (const input of INPUTS) expect(execFileSync(exe, [input], { encoding: 'utf8' }).trim()).toBe(interp(input));
    }, 60_000);
  }
});

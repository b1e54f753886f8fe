// Backends by name: `auto` resolves by size and expected runs, every loaded program reports the engine it runs on
// and its compile cost, and a wasm tier before binaryen is loaded, or an instruction it cannot translate, is a typed
// error rather than a quiet interpreter run.
import { beforeAll, describe, expect, it } from 'vitest';
import { NotSupportedError, UsageError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { AUTO_TIER_UP_STEPS, BACKENDS, ENGINES, loadRaw, prepareBackend, resolveBackend } from '../src/runtime/backends.js';
import { generate } from '../bench/compile.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { cli, thrownAs } from './helpers.js';

const LOOP = assemble('mov %r0, 0\nmov %r1, 100\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit');

describe('backends', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  it('lists the engines and auto', () => {
    expect(BACKENDS).toEqual(['interp', 'wasm-fast', 'wasm-opt', 'auto']);
    expect(thrownAs(UsageError, () => resolveBackend('jit', 1)).code).toBe('bad-backend');
  });

  it('auto interprets one short run and compiles for repeated runs', () => {
    expect(resolveBackend('auto', 6, 1)).toBe('interp');
    expect(resolveBackend('auto', 6, 100)).toBe('interp');
    expect(resolveBackend('auto', 500, 100)).toBe('wasm-fast');
    expect(resolveBackend('auto', 500, 5000)).toBe('wasm-fast');
    expect(resolveBackend('wasm-fast', 6, 1)).toBe('wasm-fast');
  });

  it('every engine reports itself and its compile statistics', () => {
    for (const backend of ENGINES) {
      const p = loadRaw(LOOP, { backend });
      expect(p.backend).toBe(backend);
      expect(p.compileStats.insns).toBe(6);
      expect(p.compileStats.ms).toBeGreaterThanOrEqual(0);
      expect(p.run()).toEqual({ r0: 5050n, steps: 303 });
    }
    expect(loadRaw(LOOP, { backend: 'auto', expectedRuns: 2000 }).backend).toBe('interp');
    expect(loadRaw(LOOP, { backend: 'auto', expectedRuns: 5000 }).backend).toBe('wasm-fast');
  });

  it('auto moves a program that runs long on the interpreter to wasm-fast, with the same results', () => {
    // 100,000 iterations of three instructions: 300,005 steps a run.
    const long = assemble('mov %r0, 0\nmov %r1, 100000\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit');
    const p = loadRaw(long, { backend: 'auto' });
    const want = { r0: 5000050000n, steps: 300003 };
    let runs = 0;
    while (p.backend === 'interp') {
      expect(p.run()).toEqual(want);
      runs++;
    }
    expect(runs).toBe(Math.ceil(AUTO_TIER_UP_STEPS / want.steps));
    expect(p.backend).toBe('wasm-fast');
    expect(p.compileStats.insns).toBe(6);
    expect(p.run()).toEqual(want);
    // A short program stays where the static estimate put it.
    const short = loadRaw(LOOP, { backend: 'auto' });
    for (let k = 0; k < 100; k++) short.run();
    expect(short.backend).toBe('interp');
  });

  it('both tiers compile a 10000-instruction program (binaryen, which ran out of stack on it, is off the default path)', () => {
    const big = assemble(generate(10000));
    const helpers = ubpfTestHelpers();
    const r0 = loadRaw(big, { backend: 'interp', helpers }).run().r0;
    expect(loadRaw(big, { backend: 'wasm-fast', helpers }).run().r0).toBe(r0);
    expect(loadRaw(big, { backend: 'wasm-opt', helpers }).run().r0).toBe(r0);
  }, 60_000);

  it('refuses what it cannot translate, naming the instruction', () => {
    const kfunc = assemble('call kfunc 7\nexit');
    expect(() => loadRaw(kfunc, { backend: 'wasm-fast' })).toThrow(/kfunc/);
    const e = thrownAs(NotSupportedError, () => loadRaw(assemble('lddw %r1, map_idx 0\nexit'), { backend: 'wasm-opt' }));
    expect(e.message).toMatch(/^pc 0: lddw %r1, map_idx 0: /);
  });

  it('run --json shows the backend auto picked', () => {
    const pick = (repeat: string) => JSON.parse(cli(['run', 'bench/programs/primes.asm', '--backend', 'auto', '--repeat', repeat, '--json']).stdout).backend;
    expect(pick('1')).toBe('interp');
    expect(pick('2000')).toBe('wasm-fast');
  });
});

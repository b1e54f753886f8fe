/**
 * `run --repeat N`: the figure is the median of timed batches after warm-up runs (src/cli/repeat.ts), and `--mem` is
 * placed once when the program cannot write it (RunOptions.inputUnchanged), while a program that writes its input
 * still sees the original bytes on every run.
 */
import { describe, expect, it } from 'vitest';
import { assemble, validateProgram, writesOnlyStack } from '../src/isa/index.js';
import { timeRepeats } from '../src/cli/repeat.js';
import { Interpreter } from '../src/vm/index.js';
import { cli } from './helpers.js';

const onlyStack = (text: string): boolean => {
  const v = validateProgram(assemble(text));
  return writesOnlyStack(v.forms, v.insns);
};

describe('run --repeat', () => {
  it('times the steady state: warm-up runs untimed, the median of up to 15 batches, every run made', () => {
    let runs = 0;
    expect(timeRepeats(1, () => runs++)).toBeUndefined();
    expect(timeRepeats(100, () => runs++)).toMatchObject({ warmup: 20, batches: 15, batchRuns: 5 });
    // 1 run made by the caller, 99 here: 19 warm-up, 75 in batches, 5 left over.
    expect(runs).toBe(99);
    runs = 0;
    expect(timeRepeats(3, () => runs++)).toMatchObject({ warmup: 1, batches: 2, batchRuns: 1 });
    expect(runs).toBe(2);
    const json = JSON.parse(cli(['run', 'examples/fib.asm', '--repeat', '50', '--json']).stdout);
    expect(json.ms_per_run).toBeGreaterThan(0);
    expect(json.timing).toEqual({ statistic: 'median', warmup_runs: 10, batches: 15, runs_per_batch: 2 });
    expect(cli(['run', 'examples/fib.asm', '--repeat', '50']).stdout).toMatch(/ms per run, .* M insn\/s \(median of 15 batches of 2 runs after 10 warm-up runs\)/);
  });

  it('knows which programs can write only their stack', () => {
    expect(onlyStack('ldxb %r0, [%r1]\nstxdw [%r10-8], %r0\nstw [%r10-512], 1\nexit')).toBe(true);
    expect(onlyStack('stb [%r1], 1\nexit')).toBe(false);
    expect(onlyStack('mov %r2, %r10\nstxdw [%r2-8], %r1\nexit')).toBe(false);
    expect(onlyStack('stxdw [%r10+0], %r1\nexit')).toBe(false);
    expect(onlyStack('mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 1\nexit')).toBe(false);
    expect(onlyStack('call local f\nexit\nf:\nstdw [%r10-8], 1\nexit')).toBe(true);
  });

  it('does not copy an input the caller vouches for again, and copies it otherwise', () => {
    const vm = new Interpreter();
    const p = vm.load(assemble('ldxb %r0, [%r1]\nexit'));
    const input = new Uint8Array([7, 8]);
    expect(vm.run(p, { input }).r0).toBe(7n);
    // What is in guest memory is what the run reads: poke it, and a run that vouches sees the poke (no copy).
    vm.mem.u8[vm.env.packetStart] = 9;
    expect(vm.run(p, { input, inputUnchanged: true }).r0).toBe(9n);
    expect(vm.run(p, { input }).r0).toBe(7n);
    // A different length is a different input: copied whatever the caller says.
    expect(vm.run(p, { input: new Uint8Array([5]), inputUnchanged: true }).r0).toBe(5n);
  });

  it('gives a program that writes its --mem the original bytes on every run, on every backend', () => {
    for (const backend of ['interp', 'wasm-fast', 'wasm-opt']) {
      // r0 = mem[0]; mem[0] += 1: every run returns 5 if the input is placed anew each time.
      const r = cli(['run', 'test/fixtures/inc-mem.asm', '--mem', '05', '--repeat', '4', '--backend', backend, '--json']);
      expect(JSON.parse(r.stdout).r0, backend).toBe('0x5');
    }
  });
});

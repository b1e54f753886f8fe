// Interpreter behaviour beyond single instructions: typed errors, regions, reuse across runs, helpers, tracing.
import { describe, expect, it } from 'vitest';
import { ExecError, LoadError, NotSupportedError } from '../src/errors.js';
import { HelperSet } from '../src/helpers/registry.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble, decodeProgram } from '../src/isa/index.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { Interpreter, traceRun } from '../src/vm/index.js';
import { runAsm } from './helpers.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('no error thrown');
};

describe('interpreter', () => {
  it('raises typed errors: ExecError for faults, LoadError for malformed code, NotSupportedError for kfuncs', () => {
    expect(thrown(() => runAsm('ldxb %r0, [%r1]\nexit'))).toBeInstanceOf(ExecError);
    expect(thrown(() => runAsm('ja +9\nexit'))).toBeInstanceOf(LoadError);
    expect(thrown(() => new Interpreter().load(decodeProgram(new Uint8Array(9))))).toBeInstanceOf(LoadError);
    expect(thrown(() => runAsm('call kfunc 3\nexit'))).toBeInstanceOf(NotSupportedError);
    const e = thrown(() => runAsm('mov %r1, 0\nldxw %r0, [%r1+64]\nexit')) as ExecError;
    expect(e.location).toEqual({ pc: 1, insn: 'ldxw %r0, [%r1+64]' });
    expect(e.code).toBe('null-dereference');
    expect(e.address).toBe(64);
  });

  it('rejects writes to read-only regions', () => {
    const mem = new GuestMemory();
    const ro = mem.addRegion('rodata', 16, { writable: false });
    mem.u8.set([1, 2, 3, 4], ro.start);
    const vm = new Interpreter({ memory: mem });
    const args = [BigInt(ro.start)];
    expect(runAsm('ldxw %r0, [%r1]\nexit', { args }, vm)).toBe(0x04030201n);
    const e = thrown(() => runAsm('stb [%r1+1], 9\nexit', { args }, vm)) as ExecError;
    expect(e.code).toBe('read-only');
    expect(e.region).toBe('rodata');
    expect(e.message).toBe(`pc 0: stb [%r1+1], 9: write of 1 byte at 0x${(ro.start + 1).toString(16)} writes read-only region rodata [0x${ro.start.toString(16)}, 0x${(ro.start + 16).toString(16)})`);
  });

  it('zeroes the stack and invalidates stale input between runs of one instance', () => {
    const vm = new Interpreter();
    const p = vm.load(assemble('ldxdw %r0, [%r10-8]\nstdw [%r10-8], 7\nexit'));
    expect(vm.run(p).r0).toBe(0n);
    expect(vm.run(p).r0).toBe(0n);
    const q = vm.load(assemble('mov %r0, %r1\nexit'));
    const addr = vm.run(q, { input: Uint8Array.from([1, 2]) }).r0;
    expect(() => vm.run(vm.load(assemble('ldxb %r0, [%r1]\nexit')), { args: [addr] })).toThrow(/out of bounds of region input/);
  });

  it('keeps what the program stored in the input buffer', () => {
    const vm = new Interpreter();
    vm.run(vm.load(assemble('stb [%r1+1], 0x7f\nexit')), { input: Uint8Array.from([1, 2, 3]) });
    expect([...vm.inputBytes()]).toEqual([1, 0x7f, 3]);
  });

  it('wraps exceptions thrown by helpers with the pc and the helper name', () => {
    const helpers = new HelperSet('test', [
      { id: 7, name: 'explode', doc: '', proto: { ret: 'integer', args: [] }, impl: () => { throw new Error('boom'); } },
      { id: 8, name: 'big', doc: '', proto: { ret: 'integer', args: ['scalar'] }, impl: (c) => c.arg(1) * 2n },
      { id: 9, name: 'neg', doc: '', proto: { ret: 'integer', args: [] }, impl: () => -5 },
    ]);
    const vm = new Interpreter({ helpers });
    const e = thrown(() => runAsm('call 7\nexit', {}, vm)) as ExecError;
    expect(e).toBeInstanceOf(ExecError);
    expect(e.message).toBe('pc 0: call 7: helper explode: boom');
    expect(runAsm('lddw %r1, 0x4000000000000001\ncall 8\nexit', {}, vm)).toBe(0x8000000000000002n);
    expect(runAsm('call 9\nexit', {}, vm)).toBe(2n ** 64n - 5n);
  });

  it('calls a helper by id through callx (uBPF convention)', () => {
    const vm = new Interpreter({ helpers: ubpfTestHelpers() });
    expect(runAsm('mov %r1, 49\nmov %r6, 3\ncall %r6\nexit', {}, vm)).toBe(7n);
  });

  it('resumes a program step by step with the same result as a full run', () => {
    const text = 'mov %r0, 0\nmov %r1, 10\nloop: add %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit';
    const vm = new Interpreter();
    const p = vm.load(assemble(text));
    const full = vm.run(p);
    const steps: number[] = [];
    const traced = traceRun(vm, p, {}, (s) => steps.push(s.pc));
    expect(traced).toEqual(full);
    expect(steps.length).toBe(full.steps);
    expect(steps.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('grows guest memory for large regions and keeps earlier regions valid', () => {
    const vm = new Interpreter();
    const big = new Uint8Array(3 << 20);
    big[big.length - 1] = 0x5a;
    const p = vm.load(assemble('mov %r3, %r1\nadd %r3, %r2\nsub %r3, 1\nldxb %r0, [%r3]\nstb [%r10-1], 1\nexit'));
    expect(vm.run(p, { input: big }).r0).toBe(0x5an);
  });
});

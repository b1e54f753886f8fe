// Programs that fault on the native runtime: a bad or null pointer, an exhausted budget, calls too deep, a helper
// given a bad buffer. The runtime ends the run (-EFAULT), disables the program with the interpreter's reason and pc,
// logs it once, refuses later runs (-ENOEXEC), and the process (the runner, standing in for a target) goes on and
// exits normally. Division tricks (x/0, INT_MIN/-1) are defined in eBPF and run to the interpreter's r0.
import { describe, expect, it } from 'vitest';
import { ExecError } from '../src/errors.js';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { assemble } from '../src/isa/index.js';
import { loadRaw } from '../src/runtime/backends.js';
import { hex, nativeCompile, runNative } from './native-support.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const EFAULT = -14;
const ENOEXEC = -8;

/**
 * shape is a fault message without what depends on the memory layout (addresses, the raw program's input region
 * that the runtime calls ctx), so messages of the two runtimes compare.
 */
const shape = (msg: string): string => msg.replace(/0x[0-9a-f]+/g, 'ADDR').replace(/region input/g, 'region ctx');

/** interpError returns the interpreter's error message for a program, without its instruction text. */
function interpError(asm: string, input: Uint8Array): string {
  try {
    loadRaw(assemble(asm), { helpers: kernelHelpers() }).run({ input, budget: 1_000_000 });
  } catch (e) {
    if (e instanceof ExecError) return e.message.replace(/^(pc \d+): [^:]+: /, '$1: ');
  }
  throw new Error('the interpreter did not fault');
}

const FAULTS: [string, string][] = [
  ['a wild pointer', 'mov %r1, 0x7654321\nldxdw %r0, [%r1]\nexit'],
  ['a null pointer', 'mov %r1, 0\nldxw %r0, [%r1+8]\nexit'],
  ['a write past the context', 'mov %r0, 1\nstxdw [%r1+16], %r0\nexit'],
  ['a stack pointer below the frames', 'mov %r1, %r10\nsub %r1, 8192\nldxdw %r0, [%r1]\nexit'],
];

describe.skipIf(!HAS_NATIVE)(`native runtime traps${NATIVE_SKIP}`, () => {
  const input = new Uint8Array(16).fill(7);
  for (const [what, asm] of FAULTS) {
    it(`${what}: disables the program with the interpreter's reason; the caller goes on`, async () => {
      const so = await nativeCompile('fault', assemble(asm), kernelHelpers());
      const out = await runNative(so.path, ['--ctx', Buffer.from(input).toString('hex'), '--runs', '3']);
      expect(out.runs.map((r) => r.ret)).toEqual([EFAULT, ENOEXEC, ENOEXEC]);
      expect(out.status).toMatchObject({ state: 'disabled', runs: 0 });
      expect(shape(out.status!.reason)).toBe(shape(interpError(asm, input)));
      expect(out.logs).toHaveLength(1);
      expect(out.logs[0].line).toBe(`program fault disabled: thread ${out.host!.pid}: ${out.status!.reason}`);
    }, 60_000);
  }

  it('with a session segment: trace lines and the trap go to its log ring, the trap to its program table', async () => {
    const asm = [
      'mov %r1, 0x6968', 'stxw [%r10-8], %r1', 'mov %r1, %r10', 'add %r1, -8', 'mov %r2, 4', 'call 6',
      'mov %r1, 0x7654321', 'ldxdw %r0, [%r1]', 'exit',
    ].join('\n');
    const so = await nativeCompile('seglog', assemble(asm), kernelHelpers());
    const out = await runNative(so.path, ['--seg-log', '--runs', '2']);
    const reason = 'read of 8 bytes at 0x7654321 is outside every memory region';
    expect(out.printk).toEqual([]);
    expect(out.logs).toEqual([]);
    const pid = out.host!.pid;
    expect(out.runs.map((r) => r.ret)).toEqual([EFAULT, ENOEXEC]);
    expect(out.seg!.log).toEqual([
      { kind: 1, prog: 1, tid: pid, text: 'hi' },
      { kind: 4, prog: 1, tid: pid, text: `program "runner" disabled: pc 7: ${reason}` },
    ]);
    expect(out.seg!.prog).toEqual({ enabled: 0, fault: 1, fault_pc: 7, fault_msg: reason });
  }, 60_000);

  it('a write into the key of a hash map element is refused: programs reach only the values', async () => {
    const asm = [
      'mov %r1, 0', 'stxw [%r10-4], %r1', 'mov %r2, 1', 'stxdw [%r10-16], %r2',
      'lddw %r1, map_fd 0', 'mov %r2, %r10', 'add %r2, -4', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 0', 'call 2',
      'lddw %r1, map_fd 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'jeq %r0, 0, out',
      'ldxdw %r1, [%r0]', 'add %r1, 41', 'stxdw [%r0], %r1', 'stxdw [%r0-8], %r1',
      'out:', 'exit',
    ].join('\n');
    const so = await nativeCompile('keywrite', assemble(asm), kernelHelpers());
    const out = await runNative(so.path, ['--maps', 'counts,1,4,8,4,0,']);
    expect(out.runs[0].ret).toBe(EFAULT);
    expect(out.status?.reason).toMatch(/^pc 21: write of 8 bytes at 0x[0-9a-f]+ is in the header and key of an element of map counts \[0x[0-9a-f]+, 0x[0-9a-f]+\)$/);
    // The value write before it went through: 1 + 41.
    expect(out.maps![0].entries).toEqual([['00000000', '2a00000000000000']]);
  }, 60_000);

  it('bpf_spin_lock: a second lock traps; a lock left held at the end of a run is released', async () => {
    const lookup = ['mov %r1, 0', 'stxw [%r10-4], %r1', 'lddw %r1, map_fd 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'jeq %r0, 0, out', 'mov %r6, %r0'];
    const lockTwice = [...lookup, 'mov %r1, %r6', 'call 93', 'mov %r1, %r6', 'call 93', 'out:', 'exit'].join('\n');
    const twice = await runNative((await nativeCompile('lock_twice', assemble(lockTwice), kernelHelpers())).path, ['--maps', 'g,2,4,16,1,0,']);
    expect(twice.runs[0].ret).toBe(EFAULT);
    expect(twice.status?.reason).toBe('pc 12: bpf_spin_lock while this run holds a lock already');
    // The trap released the lock it held: the word is 0 again.
    expect(twice.maps![0].entries![0][1]).toBe('00'.repeat(16));
    const keep = [...lookup, 'mov %r1, %r6', 'call 93', 'mov %r0, 1', 'out:', 'exit'].join('\n');
    const kept = await runNative((await nativeCompile('lock_keep', assemble(keep), kernelHelpers())).path, ['--maps', 'g,2,4,16,1,0,', '--runs', '3']);
    expect(kept.runs.map((r) => [r.ret, r.r0])).toEqual([[0, '0x1'], [0, '0x1'], [0, '0x1']]);
    expect(kept.maps![0].entries![0][1]).toBe('00'.repeat(16));
  }, 60_000);

  it('an endless loop exhausts the budget at its block', async () => {
    const so = await nativeCompile('spin', assemble('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit'), kernelHelpers());
    const out = await runNative(so.path, ['--budget', '100000', '--runs', '2']);
    expect(out.runs.map((r) => r.ret)).toEqual([EFAULT, ENOEXEC]);
    expect(out.status).toMatchObject({ state: 'disabled', trap_kind: 4, reason: 'pc 1: instruction budget of 100000 exhausted (in the block at pc 1)' });
  }, 60_000);

  it('recursion past eight frames is refused', async () => {
    const so = await nativeCompile('deep', assemble('call local f\nexit\nf:\ncall local f\nexit'), kernelHelpers());
    const out = await runNative(so.path);
    expect(out.runs[0].ret).toBe(EFAULT);
    expect(out.status).toMatchObject({ trap_kind: 3, reason: 'pc 2: call depth limit of 8 frames exceeded' });
  }, 60_000);

  it('a helper given a buffer outside guest memory faults in the helper, not in the process', async () => {
    // bpf_probe_read_kernel(dst = 0x20, 8, src = r10 - 8): the destination is in the null guard.
    const asm = 'mov %r1, 0x20\nmov %r2, 8\nmov %r3, %r10\nsub %r3, 8\ncall 113\nexit';
    const so = await nativeCompile('helper_fault', assemble(asm), kernelHelpers());
    const out = await runNative(so.path);
    expect(out.runs[0].ret).toBe(EFAULT);
    expect(out.status).toMatchObject({ state: 'disabled', pc: 4, reason: 'pc 4: helper argument: null pointer dereference: write of 8 bytes at 0x20' });
  }, 60_000);

  it('division by zero and INT_MIN / -1 run to the interpreter\'s r0', async () => {
    const asm = [
      'lddw %r1, 0x8000000000000000', 'mov %r2, -1', 'mov %r0, %r1', 'sdiv %r0, %r2', 'mov %r3, %r1', 'smod %r3, %r2', 'add %r0, %r3',
      'mov %r4, 0', 'mov %r5, 77', 'div %r5, %r4', 'add %r0, %r5', 'mov %r5, 77', 'mod %r5, %r4', 'add %r0, %r5',
      'mov32 %r6, 0x80000000', 'sdiv32 %r6, -1', 'add %r0, %r6', 'exit',
    ].join('\n');
    const so = await nativeCompile('divs', assemble(asm), kernelHelpers());
    const out = await runNative(so.path);
    expect(out.runs[0]).toMatchObject({ ret: 0, r0: hex(loadRaw(assemble(asm), { helpers: kernelHelpers() }).run({}).r0) });
  }, 60_000);
});

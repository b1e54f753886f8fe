// CO-RE on real compiler output: core-local.c (built against its own layouts with bpf_core_read.h) relocated against
// core-target.c (fields moved, resized, nested, renamed away, enumerators renumbered). The expected table was checked
// against libbpf 1.1; when libbpf and bpf() are usable here, the last test asks libbpf again and compares every patch.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProgram, formatInsn, type Insn } from '../src/isa/index.js';
import { BtfKind, CORE_POISON_IMM, calcCoreRelo, parseBtf, parseBtfExt, patchCoreInsn, type CoreResult } from '../src/loader/btf/index.js';
import { BtfBuilder } from './fixtures/btf/builder.js';
import { CLANG_SKIP, FIXTURES, compileFixture, hasClang, readVmlinux, scratchDir } from './fixtures/btf/toolchain.js';

const SECTION = 'raw_tracepoint/core';

/** relocate computes and applies every CO-RE relocation of core-local.o against core-target.o. */
function relocate() {
  const local = compileFixture('core-local');
  const target = compileFixture('core-target');
  const localBtf = parseBtf(local.btf);
  const targetBtf = parseBtf(target.btf);
  const relos = parseBtfExt(local.ext, localBtf).coreRelos.get(SECTION)!;
  const dir = scratchDir();
  const text = join(dir, 'core-local.text.bin');
  spawnSync('llvm-objcopy', [`--dump-section=${SECTION}=${text}`, local.object, join(dir, 'x.o')]);
  const original = decodeProgram(new Uint8Array(readFileSync(text)));
  const insns: Insn[] = original.map((i) => ({ ...i }));
  const results = relos.map((r) => ({ relo: r, result: calcCoreRelo(localBtf, r, targetBtf) }));
  const patches = results.map(({ relo, result }) => patchCoreInsn(insns, relo.insn, result));
  return { local, target, localBtf, targetBtf, relos, original, insns, results, patches };
}

const line = (insn: number, r: CoreResult): string =>
  `${insn} ${r.kindName} ${r.accessPath}: ${r.ok ? `${r.localValue} -> ${r.value}${r.localSize !== r.targetSize ? ` (size ${r.localSize} -> ${r.targetSize})` : ''}` : 'poison'}`;

describe.skipIf(!hasClang)(`CO-RE relocation of clang output${CLANG_SKIP ? ` (${CLANG_SKIP})` : ''}`, () => {
  it('computes the target offsets, sizes, existence and values libbpf computes', () => {
    const { results } = relocate();
    expect(results.map(({ relo, result }) => line(relo.insn, result))).toEqual([
      '1 byte_off struct task.arr[2]: 72 -> 152 (size 8 -> 24)',
      '2 byte_off struct task.in: 24 -> 48 (size 8 -> 24)',
      '7 byte_off struct task.comm[1]: 9 -> 9',
      '10 byte_off struct task.ptr: 88 -> 296',
      '13 byte_off struct task.ssmall: 44 -> 80 (size 2 -> 4)',
      '15 byte_off struct task.small: 42 -> 76 (size 2 -> 4)',
      '17 byte_off struct task.u_b: 32 -> 96',
      '21 byte_off struct task.tgid: 4 -> 40',
      '22 byte_off struct task.pid: 0 -> 44',
      '30 field_exists struct task.gone: 1 -> 0',
      '32 byte_off struct task.gone: poison',
      '34 byte_off struct task.flag_b: 40 -> 72',
      '37 byte_sz struct task.flag_b: 4 -> 4',
      '53 lshift_u64 struct task.flag_b: 56 -> 53',
      '54 signed struct task.flag_b: 0 -> 0',
      '56 rshift_u64 struct task.flag_b: 59 -> 55',
      '58 rshift_u64 struct task.flag_b: 59 -> 55',
      '61 byte_off struct task.sfield: 40 -> 72',
      '65 byte_sz struct task.sfield: 4 -> 4',
      '69 lshift_u64 struct task.sfield: 49 -> 43',
      '70 signed struct task.sfield: 1 -> 1',
      '72 rshift_u64 struct task.sfield: 57 -> 57',
      '74 rshift_u64 struct task.sfield: 57 -> 57',
      '98 field_exists struct task___old.old_pid: 1 -> 0',
      '100 byte_sz struct task.comm: 16 -> 32',
      '102 byte_off struct task.in.x: 24 -> 64',
      '104 type_exists struct only_local: 1 -> 0',
      '106 type_exists task_t: 1 -> 1',
      '108 type_size struct task: 96 -> 304',
      '110 local_type_id struct task: 2 -> 2',
      '113 target_type_id struct task: 2 -> 2',
      '116 enumval_exists enum state::S_GONE: 1 -> 0',
      '119 enumval_value enum state::S_SLEEP: 2 -> 20',
    ]);
    const gone = results.find(({ relo }) => relo.insn === 32)!.result;
    expect(gone).toEqual({
      ok: false,
      kind: 0,
      kindName: 'byte_off',
      accessPath: 'struct task.gone',
      reason: "no field matching struct task.gone in the target's candidate (struct task)",
    });
    const ub = results.find(({ relo }) => relo.insn === 17)!.result;
    expect(ub).toMatchObject({ ok: true, targetPath: 'struct task.u_b', targetTypeId: 2, validate: true });
  });

  it('patches the instructions as libbpf does', () => {
    const { insns, patches, original } = relocate();
    const at = (pc: number) => formatInsn(insns, pc);
    expect(at(1)).toBe('mov %r1, 152');
    expect(at(10)).toBe('ldxdw %r8, [%r7+296]');
    expect(at(15)).toBe('ldxw %r2, [%r7+76]'); // widened unsigned field: the load grows with it
    expect(at(22)).toBe('ldxw %r1, [%r7+44]');
    expect(at(53)).toBe('lsh %r8, 53');
    expect(at(119)).toBe('lddw %r1, 0x14');
    // A signed field that changed size cannot be read by a resized load; a field that is gone cannot be read at all.
    for (const pc of [13, 32]) expect(insns[pc]).toEqual({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    expect(patches.filter((p) => p.poisoned).map((p) => p.reason)).toEqual([
      'struct task.ssmall changed size from 2 to 4 bytes and is not a pointer or unsigned integer on both sides, so a resized access would read it incorrectly',
      "no field matching struct task.gone in the target's candidate (struct task)",
    ]);
    // Instructions without relocations are untouched.
    expect(insns[0]).toEqual(original[0]);
  });

  it('leaves every instruction unchanged when relocating against its own layout', () => {
    const { localBtf, relos, original } = relocate();
    const insns = original.map((i) => ({ ...i }));
    const wholeType = (kind: number) => kind >= 6 && kind <= 9;
    for (const r of relos.filter((r) => !wholeType(r.kind))) {
      const result = calcCoreRelo(localBtf, r, localBtf);
      expect(result.ok).toBe(true);
      // Bitfield loads may legitimately differ from clang's choice (libbpf does not validate them either).
      if (result.ok && result.validate) patchCoreInsn(insns, r.insn, result);
    }
    expect(insns).toEqual(original);
    // Against itself, task and task___old are both candidates for "task", and their sizes differ: libbpf refuses that.
    const size = relos.find((r) => r.kind === 9)!;
    expect(() => calcCoreRelo(localBtf, size, localBtf)).toThrow(
      'CO-RE: insn 108: type_size relocation of type 2: struct task: relocation decision ambiguity: target types 2 and 17 give 96 and 4',
    );
  });

  it('agrees with libbpf on every patch (when libbpf can run here)', (ctx) => {
    const { local, target, results, insns } = relocate();
    const oracle = join(scratchDir(), 'libbpf-oracle');
    const cc = spawnSync('cc', [join(FIXTURES, 'libbpf-oracle.c'), '-o', oracle, '-lbpf'], { encoding: 'utf8' });
    if (cc.status !== 0) return ctx.skip(`cannot build the libbpf oracle (cc or libbpf missing): ${cc.stderr ?? cc.error}`);
    const run = spawnSync(oracle, [local.object, target.object], { encoding: 'utf8' });
    const log = run.stdout ?? '';
    if (!/patched insn|substituting insn/.test(log)) return ctx.skip('libbpf did not relocate (bpf() not permitted here?)');
    const theirs = new Map<number, string>();
    for (const m of log.matchAll(/patched insn #(\d+) \(([A-Z/0-9]+)\) (?:imm|off|imm64) \d+ -> (\d+)/g)) theirs.set(Number(m[1]), m[3]);
    for (const m of log.matchAll(/patched insn #(\d+) \(LDX\/ST\/STX\) mem_sz \d+ -> (\d+)/g)) theirs.set(Number(m[1]), `${theirs.get(Number(m[1]))} size ${m[2]}`);
    for (const m of log.matchAll(/substituting insn #(\d+) w\/ invalid insn/g)) theirs.set(Number(m[1]), 'poison');
    const ours = new Map<number, string>();
    for (const { relo, result } of results) {
      const poisoned = insns[relo.insn].imm === CORE_POISON_IMM && insns[relo.insn].opcode === 0x85;
      if (poisoned || !result.ok) ours.set(relo.insn, 'poison');
      else ours.set(relo.insn, `${result.value}${result.localSize !== result.targetSize && result.localSize > 0 && /ldx|st/.test(formatInsn(insns, relo.insn)) ? ` size ${result.targetSize}` : ''}`);
    }
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });
});

const vmlinux = readVmlinux();

describe.skipIf(!vmlinux)(`CO-RE against the kernel's BTF${vmlinux ? '' : ' (skipped: /sys/kernel/btf/vmlinux not readable)'}`, () => {
  it('finds task_struct fields, sizes and enumerators', () => {
    const kernel = parseBtf(vmlinux!);
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const char = b.int('char', 1, { signed: true });
    const comm = b.array(char, int, 16);
    const task = b.struct('task_struct___mine', 24, [['pid', int, 0], ['comm', comm, 32], ['no_such_field', int, 160]]);
    const mapType = b.enum('bpf_map_type', 4, [['BPF_MAP_TYPE_RINGBUF', 99]]);
    const local = parseBtf(b.build());
    const kTask = kernel.findByName('task_struct', BtfKind.STRUCT)[0];
    const offsetOf = (name: string) => BigInt(kernel.members(kTask).find((m) => m.name === name)!.bitOffset / 8);
    const t0 = performance.now();
    expect(calcCoreRelo(local, { typeId: task, access: '0:0', kind: 0 }, kernel)).toMatchObject({ ok: true, value: offsetOf('pid'), accessPath: 'struct task_struct___mine.pid', targetPath: 'struct task_struct.pid' });
    console.log(`first CO-RE relocation against vmlinux (builds the candidate index): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(calcCoreRelo(local, { typeId: task, access: '0:1', kind: 0 }, kernel)).toMatchObject({ ok: true, value: offsetOf('comm') });
    expect(calcCoreRelo(local, { typeId: task, access: '0:1', kind: 1 }, kernel)).toMatchObject({ ok: true, value: 16n });
    expect(calcCoreRelo(local, { typeId: task, access: '0:2', kind: 2 }, kernel)).toMatchObject({ ok: true, value: 0n });
    expect(calcCoreRelo(local, { typeId: task, access: '0', kind: 9 }, kernel)).toMatchObject({ ok: true, value: BigInt(kernel.sizeOf(kTask)), localValue: 24n });
    expect(calcCoreRelo(local, { typeId: mapType, access: '0', kind: 11 }, kernel)).toMatchObject({ ok: true, value: 27n, localValue: 99n });
  });
});

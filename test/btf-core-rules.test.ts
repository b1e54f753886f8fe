// CO-RE rules on built BTF, for what compilers rarely produce: flavors and ambiguity, TYPE_MATCHES (clang 14 cannot
// emit it), ENUM64, flexible arrays, root array indexes, unreadable bitfields, malformed relocations, no target BTF,
// and every way patchCoreInsn can refuse an instruction.
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { OP_CALL, OP_LDDW, formatInsn, insn, type Insn } from '../src/isa/index.js';
import {
  CORE_POISON_IMM,
  CoreReloKind as K,
  calcCoreRelo,
  essentialName,
  parseBtf,
  patchCoreInsn,
  type Btf,
  type CoreResult,
} from '../src/loader/btf/index.js';
import { BtfBuilder } from './fixtures/btf/builder.js';
import { thrownAs } from './helpers.js';

const loadError = (f: () => unknown): LoadError => thrownAs(LoadError, f);

/** Ids of the types every world below starts with. */
const INT = 1;
const UINT = 2;
const LONG = 3;

function base(): BtfBuilder {
  const b = new BtfBuilder();
  b.int('int', 4, { signed: true });
  b.int('unsigned int', 4);
  b.int('long', 8, { signed: true });
  return b;
}

const value = (r: CoreResult): bigint | string => (r.ok ? r.value : `fail: ${r.reason}`);

describe('essential names', () => {
  it('strips the last ___flavor suffix only', () => {
    expect(essentialName('task_struct___v2')).toBe('task_struct');
    expect(essentialName('a___b___c')).toBe('a___b');
    expect(essentialName('task_struct')).toBe('task_struct');
    expect(essentialName('x____y')).toBe('x____y');
    expect(essentialName('____x')).toBe('____x');
    expect(essentialName('x___')).toBe('x___');
  });
});

describe('candidates and ambiguity', () => {
  const l = base();
  const s = l.struct('s', 8, [['a', INT, 0], ['b', INT, 32]]);
  const local = parseBtf(l.build());

  it('matches flavored target types and agrees when they agree', () => {
    const t = base();
    t.struct('s___old', 8, [['b', INT, 0], ['z', INT, 32]]);
    t.struct('s___new', 16, [['b', INT, 0], ['a', LONG, 64]]);
    const target = parseBtf(t.build());
    expect(value(calcCoreRelo(local, { typeId: s, access: '0:1', kind: K.FIELD_BYTE_OFFSET }, target))).toBe(0n);
    // Only s___new has `a`: the other candidate does not match and is ignored.
    expect(calcCoreRelo(local, { typeId: s, access: '0:0', kind: K.FIELD_BYTE_OFFSET }, target)).toMatchObject({
      ok: true,
      value: 8n,
      targetTypeId: 5,
      targetPath: 'struct s___new.a',
      localSize: 4,
      targetSize: 8,
      failMemSizeAdjust: true,
    });
  });

  it('refuses candidates that disagree', () => {
    const t = base();
    t.struct('s___x', 4, [['b', INT, 0]]);
    t.struct('s___y', 8, [['pad', INT, 0], ['b', INT, 32]]);
    const target = parseBtf(t.build());
    expect(loadError(() => calcCoreRelo(local, { typeId: s, access: '0:1', kind: K.FIELD_BYTE_OFFSET, insn: 7 }, target)).message).toBe(
      'CO-RE: insn 7: byte_off relocation of type 4: struct s.b: field offset ambiguity: target types 4 and 5 give bit offsets 0 and 32',
    );
    const e = loadError(() => calcCoreRelo(local, { typeId: s, access: '0', kind: K.TYPE_SIZE, insn: 9 }, target));
    expect(e.message).toBe('CO-RE: insn 9: type_size relocation of type 4: struct s: relocation decision ambiguity: target types 4 and 5 give 4 and 8');
    expect(e.code).toBe('core');
    expect(e.location).toEqual({ pc: 9 });
  });

  it('poisons a missing field and says why', () => {
    const t = base();
    t.struct('s', 4, [['b', INT, 0]]);
    t.struct('other', 4, [['a', INT, 0]]);
    const target = parseBtf(t.build());
    expect(calcCoreRelo(local, { typeId: s, access: '0:0', kind: K.FIELD_BYTE_OFFSET }, target)).toEqual({
      ok: false,
      kind: 0,
      kindName: 'byte_off',
      accessPath: 'struct s.a',
      reason: "no field matching struct s.a in the target's candidate (struct s)",
    });
    expect(value(calcCoreRelo(local, { typeId: s, access: '0:0', kind: K.FIELD_EXISTS }, target))).toBe(0n);
    const none = parseBtf(base().build());
    expect(calcCoreRelo(local, { typeId: s, access: '0:0', kind: K.FIELD_SIGNED }, none)).toMatchObject({
      ok: false,
      reason: 'the target has no type named s of a compatible kind',
    });
    expect(value(calcCoreRelo(local, { typeId: s, access: '0', kind: K.TYPE_EXISTS }, none))).toBe(0n);
    expect(value(calcCoreRelo(local, { typeId: s, access: '0', kind: K.TYPE_SIZE }, none))).toBe(0n);
  });

  it('does not read a field whose type changed kind', () => {
    const t = base();
    const inner = t.struct('inner', 4, [['x', INT, 0]]);
    t.struct('s', 8, [['a', inner, 0], ['b', INT, 32]]);
    const target = parseBtf(t.build());
    expect(calcCoreRelo(local, { typeId: s, access: '0:0', kind: K.FIELD_BYTE_OFFSET }, target).ok).toBe(false);
  });
});

describe('field paths', () => {
  it('follows root indexes, nested anonymous members and flexible arrays', () => {
    const l = base();
    const arr = l.array(INT, INT, 0);
    const s = l.struct('s', 8, [['n', INT, 0], ['data', arr, 32]]); // 5: flexible array last
    const local = parseBtf(l.build());
    const t = base();
    const anon = t.struct('', 8, [['n', INT, 0], ['pad', INT, 32]]);
    const tarr = t.array(INT, INT, 0);
    t.struct('s', 8, [['', anon, 0], ['data', tarr, 64]]);
    const target = parseBtf(t.build());
    expect(calcCoreRelo(local, { typeId: s, access: '0:1:5', kind: K.FIELD_BYTE_OFFSET }, target)).toMatchObject({
      ok: true,
      accessPath: 'struct s.data[5]',
      targetPath: 'struct s.data[5]',
      localValue: 24n,
      value: 28n,
    });
    expect(calcCoreRelo(local, { typeId: s, access: '2:0', kind: K.FIELD_BYTE_OFFSET }, target)).toMatchObject({
      ok: true,
      accessPath: 'struct s[2].n',
      localValue: 16n,
      value: 16n,
    });
    expect(loadError(() => calcCoreRelo(local, { typeId: s, access: '0:1:5', kind: K.FIELD_LSHIFT_U64 }, target)).message).toBe(
      'CO-RE: lshift_u64 relocation of type 5: struct s.data[5] (0:1:5): a lshift_u64 relocation cannot apply to an array element',
    );
  });

  it('computes bitfield shifts with libbpf formulas and refuses unreadable ones', () => {
    const l = base();
    const u64 = l.int('unsigned long long', 8);
    const s = l.struct('bf', 16, [['lo', UINT, 3, 5], ['wide', u64, 60, 10]]); // 5
    const local = parseBtf(l.build());
    const relo = (access: string, kind: number) => calcCoreRelo(local, { typeId: s, access, kind }, local);
    expect([K.FIELD_BYTE_OFFSET, K.FIELD_BYTE_SIZE, K.FIELD_LSHIFT_U64, K.FIELD_RSHIFT_U64, K.FIELD_SIGNED].map((k) => value(relo('0:0', k)))).toEqual([
      0n,
      4n,
      56n,
      59n,
      0n,
    ]);
    expect(relo('0:0', K.FIELD_BYTE_OFFSET)).toMatchObject({ validate: false, localSize: 0 });
    expect(loadError(() => relo('0:1', K.FIELD_BYTE_OFFSET)).message).toBe(
      'CO-RE: byte_off relocation of type 5: struct bf.wide (0:1): bitfield wide cannot be read with a 64-bit load',
    );
  });
});

describe('enum and type relocations', () => {
  it('relocates ENUM and ENUM64 values, sign-extending 32-bit ones as libbpf does', () => {
    const l = base();
    const e = l.enum('e', 4, [['NEG', -1], ['TWO', 2]], true); // 4
    const w = l.enum64('w', 8, [['BIG', 1n << 40n]]); // 5
    const local = parseBtf(l.build());
    const t = base();
    t.enum64('e___v2', 8, [['TWO', 200n], ['NEG', -5n]], true);
    t.enum('w', 4, [['BIG', 7]]);
    const target = parseBtf(t.build());
    expect(calcCoreRelo(local, { typeId: e, access: '0', kind: K.ENUMVAL_VALUE }, target)).toMatchObject({
      ok: true,
      accessPath: 'enum e::NEG',
      targetPath: 'enum e___v2::NEG',
      localValue: 0xffff_ffff_ffff_ffffn,
      value: 0xffff_ffff_ffff_fffbn,
    });
    expect(value(calcCoreRelo(local, { typeId: e, access: '1', kind: K.ENUMVAL_VALUE }, target))).toBe(200n);
    expect(calcCoreRelo(local, { typeId: w, access: '0', kind: K.ENUMVAL_VALUE }, target)).toMatchObject({ localValue: 1n << 40n, value: 7n });
    expect(value(calcCoreRelo(local, { typeId: w, access: '0', kind: K.ENUMVAL_EXISTS }, target))).toBe(1n);
    expect(loadError(() => calcCoreRelo(local, { typeId: w, access: '1', kind: K.ENUMVAL_VALUE }, target)).message).toBe(
      'CO-RE: enumval_value relocation of type 5: enum w (1): enumerator index 1 is beyond the 1 enumerators',
    );
  });

  it('decides TYPE_MATCHES as libbpf defines it', () => {
    const l = base();
    const fwd = l.fwd('t'); // 4
    const pfwd = l.ptr(fwd); // 5
    const s = l.struct('s', 16, [['a', INT, 0], ['p', pfwd, 64]]); // 6
    const e = l.enum('e', 4, [['A', 0], ['B', 1]]); // 7
    const local = parseBtf(l.build());
    const matches = (build: (t: BtfBuilder) => void, typeId: number): bigint | string => {
      const t = base();
      build(t);
      return value(calcCoreRelo(local, { typeId, access: '0', kind: K.TYPE_MATCHES }, parseBtf(t.build())));
    };
    const withT = (t: BtfBuilder, aType: number) => {
      const tt = t.struct('t', 4, [['x', INT, 0]]); // 4
      t.struct('s', 24, [['pad', LONG, 0], ['p', t.ptr(tt), 64], ['a', aType, 128]]);
    };
    expect(matches((t) => withT(t, INT), s)).toBe(1n);
    expect(matches((t) => withT(t, UINT), s)).toBe(0n); // signedness differs
    expect(matches((t) => t.struct('s', 4, [['a', INT, 0]]), s)).toBe(0n); // p missing
    expect(matches((t) => t.enum('e', 4, [['C', 5], ['B', 3], ['A', 9]]), e)).toBe(1n);
    expect(matches((t) => t.enum('e', 8, [['A', 0], ['B', 1]]), e)).toBe(0n);
    expect(matches((t) => t.enum('e', 4, [['A', 0]]), e)).toBe(0n);
    expect(matches((t) => t.struct('s', 16, [], true), s)).toBe(0n);
  });

  it('relocates type ids, existence and sizes', () => {
    const l = base();
    const td = l.typedef('u32_t', UINT); // 4
    const local = parseBtf(l.build());
    const t = base();
    t.int('char', 1);
    t.typedef('u32_t', LONG); // 5
    const target = parseBtf(t.build());
    const r = (kind: number) => calcCoreRelo(local, { typeId: td, access: '0', kind }, target);
    expect(r(K.TYPE_ID_LOCAL)).toMatchObject({ ok: true, value: 4n, validate: false });
    expect(r(K.TYPE_ID_TARGET)).toMatchObject({ ok: true, value: 5n, localValue: 4n, validate: false });
    expect(value(r(K.TYPE_EXISTS))).toBe(1n);
    expect(r(K.TYPE_SIZE)).toMatchObject({ localValue: 4n, value: 8n });
  });
});

describe('without a target BTF', () => {
  it('resolves only local type ids, as libbpf needs a target for everything else', () => {
    const l = base();
    const s = l.struct('s', 4, [['a', INT, 0]]);
    const local = parseBtf(l.build());
    expect(calcCoreRelo(local, { typeId: s, access: '0', kind: K.TYPE_ID_LOCAL }, undefined)).toMatchObject({ ok: true, value: BigInt(s) });
    for (const [access, kind] of [['0:0', K.FIELD_EXISTS], ['0', K.TYPE_EXISTS], ['0:0', K.FIELD_BYTE_OFFSET]] as const) {
      expect(calcCoreRelo(local, { typeId: s, access, kind }, undefined)).toMatchObject({
        ok: false,
        reason: 'no target BTF to relocate against (libbpf needs the kernel BTF or a custom one)',
      });
    }
  });
});

describe('malformed relocations', () => {
  const l = base();
  const anon = l.struct('', 4, [['a', INT, 0]]); // 4
  const s = l.struct('s', 4, [['a', INT, 0]]); // 5
  const fwd = l.fwd('f'); // 6
  const local = parseBtf(l.build());
  const err = (relo: { typeId: number; access: string; kind: number; insn?: number }, target: Btf | undefined = local) =>
    loadError(() => calcCoreRelo(local, relo, target)).message;

  it('reports the relocation and what is wrong with it', () => {
    expect(err({ typeId: s, access: '0:0', kind: 13, insn: 3 })).toBe('CO-RE: insn 3: kind 13 relocation of type 5: unknown relocation kind 13');
    expect(err({ typeId: 99, access: '0', kind: K.TYPE_EXISTS })).toBe('CO-RE: type_exists relocation of type 99: type 99 does not exist, the last type is 6');
    expect(err({ typeId: s, access: '0:x', kind: K.FIELD_BYTE_OFFSET })).toBe(
      'CO-RE: byte_off relocation of type 5: struct s (0:x): access string "0:x" is not indexes joined by \':\'',
    );
    expect(err({ typeId: s, access: '0:3', kind: K.FIELD_BYTE_OFFSET })).toBe(
      'CO-RE: byte_off relocation of type 5: struct s (0:3): member index 3 is beyond the 1 members of type 5',
    );
    expect(err({ typeId: s, access: '0:0:1', kind: K.FIELD_BYTE_OFFSET })).toBe(
      'CO-RE: byte_off relocation of type 5: struct s (0:0:1): step 2 reaches type 1, which is neither a struct, a union nor an array',
    );
    expect(err({ typeId: s, access: '1', kind: K.TYPE_SIZE })).toBe('CO-RE: type_size relocation of type 5: struct s (1): type relocation has access string "1", not "0"');
    expect(err({ typeId: anon, access: '0:0', kind: K.FIELD_BYTE_OFFSET })).toBe(
      'CO-RE: byte_off relocation of type 4: struct {...}.a (0:0): relocations against anonymous types are not supported',
    );
    expect(err({ typeId: fwd, access: '0:0', kind: K.FIELD_BYTE_OFFSET })).toBe(
      'CO-RE: byte_off relocation of type 6: struct f (0:0): BTF: type 6: a FWD, which has no size',
    );
    expect(err({ typeId: s, access: Array(70).fill('0').join(':'), kind: K.FIELD_BYTE_OFFSET })).toMatch(/access path is longer than 64 steps$/);
  });

  it('bounds the work of comparing types', () => {
    const b = base();
    let proto = b.funcProto(INT, []);
    // Each prototype takes three pointers to the previous one: 3^20 paths, within libbpf's depth limits.
    for (let i = 0; i < 20; i++) {
      const p = b.ptr(proto);
      proto = b.funcProto(INT, [['a', p], ['b', p], ['c', p]]);
    }
    const td = b.typedef('cb', b.ptr(proto));
    const btf = parseBtf(b.build());
    expect(loadError(() => calcCoreRelo(btf, { typeId: td, access: '0', kind: K.TYPE_MATCHES }, btf)).message).toBe(
      `CO-RE: type_matches relocation of type ${td}: cb (0): type comparison needs more than 1000000 steps`,
    );
  });
});

describe('patchCoreInsn', () => {
  const l = base();
  const u16 = l.int('unsigned short', 2); // 4
  const s16 = l.int('short', 2, { signed: true }); // 5
  l.int('unsigned __int128', 16); // 6: the target's field c has this type
  const s = l.struct('s', 8, [['a', u16, 0], ['b', s16, 16], ['c', u16, 32], ['d', INT, 48]]); // 7
  const e = l.enum64('e', 8, [['BIG', 1n << 40n]]); // 8
  const local = parseBtf(l.build());
  const t = base();
  t.int('unsigned short', 2);
  t.int('short', 2, { signed: true });
  const u128 = t.int('unsigned __int128', 16);
  t.struct('s', 80000, [['a', UINT, 64], ['b', INT, 128], ['c', u128, 256], ['d', INT, 8 * 40000]]);
  t.enum64('e', 8, [['BIG', 1n << 41n]]);
  const target = parseBtf(t.build());
  const field = (access: string, kind: number = K.FIELD_BYTE_OFFSET) => calcCoreRelo(local, { typeId: s, access, kind }, target);
  const one = (i: Insn): Insn[] => [i];
  const LDXH = 0x69;
  const LDXW = 0x61;
  const MOV64_K = 0xb7;
  const MOV64_X = 0xbf;

  it('patches offsets and widens loads of unsigned fields', () => {
    const insns = one(insn(LDXH, 1, 2, 0));
    expect(patchCoreInsn(insns, 0, field('0:0'))).toEqual({ poisoned: false });
    expect(formatInsn(insns, 0)).toBe('ldxw %r1, [%r2+8]');
    const imm = one(insn(MOV64_K, 1, 0, 0, 2));
    patchCoreInsn(imm, 0, field('0:1'));
    expect(formatInsn(imm, 0)).toBe('mov %r1, 16');
  });

  it('poisons loads of signed fields that changed size, and lddw in both slots', () => {
    const insns = one(insn(LDXH, 1, 2, 2));
    const p = patchCoreInsn(insns, 0, field('0:1'));
    expect(p.poisoned).toBe(true);
    expect(p.reason).toMatch(/^struct s\.b changed size from 2 to 4 bytes/);
    expect(insns[0]).toEqual({ opcode: OP_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    const gone: CoreResult = { ok: false, kind: 0, kindName: 'byte_off', accessPath: 'struct s.z', reason: 'gone' };
    const lddw = [insn(OP_LDDW, 1, 0, 0, 5), insn(0, 0, 0, 0, 0)];
    expect(patchCoreInsn(lddw, 0, gone)).toEqual({ poisoned: true, reason: 'gone' });
    expect(lddw.every((i) => i.opcode === OP_CALL && i.imm === CORE_POISON_IMM)).toBe(true);
  });

  it('writes 64-bit values into lddw', () => {
    const lddw = [insn(OP_LDDW, 1, 0, 0, 0), insn(0, 0, 0, 0, 0x100)];
    patchCoreInsn(lddw, 0, calcCoreRelo(local, { typeId: e, access: '0', kind: K.ENUMVAL_VALUE }, target));
    expect(formatInsn(lddw, 0)).toBe('lddw %r1, 0x20000000000');
  });

  it('refuses instructions that cannot hold the value', () => {
    const err = (insns: Insn[], r: CoreResult, pc = 0) => loadError(() => patchCoreInsn(insns, pc, r)).message;
    expect(err(one(insn(MOV64_X, 1, 2)), field('0:1'))).toBe('CO-RE: insn 0: byte_off relocation of struct s.b: mov %r1, %r2: the instruction has no immediate operand');
    expect(err(one(insn(MOV64_K, 1, 0, 0, 3)), field('0:1'))).toBe('CO-RE: insn 0: byte_off relocation of struct s.b: mov %r1, 3: immediate 3 is not the expected 2');
    expect(err(one(insn(LDXW, 1, 2, 6)), field('0:3'))).toBe('CO-RE: insn 0: byte_off relocation of struct s.d: ldxw %r1, [%r2+6]: offset 40000 does not fit 16 bits');
    expect(err(one(insn(LDXW, 1, 2, 4)), field('0:2'))).toBe(
      'CO-RE: insn 0: byte_off relocation of struct s.c: ldxw %r1, [%r2+4]: access size 4 is not the field\'s local size 2',
    );
    expect(err(one(insn(LDXH, 1, 2, 4)), field('0:2'))).toBe(
      'CO-RE: insn 0: byte_off relocation of struct s.c: ldxh %r1, [%r2+4]: the target field size 16 is not 1, 2, 4 or 8 bytes',
    );
    const big = calcCoreRelo(local, { typeId: e, access: '0', kind: K.ENUMVAL_VALUE }, target);
    if (!big.ok) throw new Error(big.reason);
    expect(err(one(insn(MOV64_K, 1, 0, 0, 0)), { ...big, localValue: 0n })).toBe(
      'CO-RE: insn 0: enumval_value relocation of enum e::BIG: mov %r1, 0: value 2199023255552 does not fit a 32-bit immediate',
    );
    const half = [insn(OP_LDDW, 1, 0, 0, 0)];
    expect(err(half, big)).toBe(`CO-RE: insn 0: enumval_value relocation of enum e::BIG: ${formatInsn(half, 0)}: not a plain 64-bit immediate load`);
    expect(err(one(insn(0x85, 0, 0, 0, 1)), field('0:1'))).toBe(
      'CO-RE: insn 0: byte_off relocation of struct s.b: call 1: only ALU immediates, load/store offsets and lddw immediates can be relocated',
    );
    expect(err([], field('0:1'), 4)).toBe('CO-RE: insn 4: byte_off relocation is beyond the 0 instructions');
  });
});

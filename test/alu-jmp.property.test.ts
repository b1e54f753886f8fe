// Every ALU/ALU64/JMP/JMP32 operation, run by the interpreter on random operands (edge values included), must
// agree with the BigInt reference model. Programs load the operands with lddw, apply one instruction, and return.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatU64, type AluOp, type JmpCond } from '../src/isa/index.js';
import { Interpreter } from '../src/vm/index.js';
import { i32, u64 } from './arbitraries.js';
import { runAsm } from './helpers.js';
import { aluRef, endRef, jmpRef, movsxRef } from './reference-model.js';

const vm = new Interpreter();
const ALU_OPS: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'smod', 'xor', 'mov', 'arsh'];
const CONDS: JmpCond[] = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'];
const RUNS = { numRuns: 3000 };

const run = (text: string) => runAsm(text, {}, vm);
const load = (reg: number, v: bigint) => `lddw %r${reg}, ${formatU64(v)}`;

describe('ALU against the BigInt model', () => {
  it('register source, 32 and 64 bits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALU_OPS), fc.constantFrom(32 as const, 64 as const), u64(), u64(), (op, bits, a, b) => {
        const name = op + (bits === 32 ? '32' : '');
        const insn = op === 'neg' ? `${name} %r1` : `${name} %r1, %r2`;
        const got = run([load(1, a), load(2, b), insn, 'mov %r0, %r1', 'exit'].join('\n'));
        expect(formatU64(got)).toBe(formatU64(aluRef(op, bits, a, op === 'neg' ? 0n : b)));
      }),
      RUNS,
    );
  });

  it('immediate source (sign-extended to 64 bits for ALU64)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALU_OPS.filter((o) => o !== 'neg')), fc.constantFrom(32 as const, 64 as const), u64(), i32(), (op, bits, a, imm) => {
        const got = run([load(1, a), `${op}${bits === 32 ? '32' : ''} %r1, ${imm}`, 'mov %r0, %r1', 'exit'].join('\n'));
        expect(formatU64(got)).toBe(formatU64(aluRef(op, bits, a, BigInt(imm))));
      }),
      RUNS,
    );
  });

  it('destination and source the same register', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALU_OPS.filter((o) => o !== 'neg')), fc.constantFrom(32 as const, 64 as const), u64(), (op, bits, a) => {
        const got = run([load(3, a), `${op}${bits === 32 ? '32' : ''} %r3, %r3`, 'mov %r0, %r3', 'exit'].join('\n'));
        expect(formatU64(got)).toBe(formatU64(aluRef(op, bits, a, a)));
      }),
      { numRuns: 1000 },
    );
  });

  it('sign-extending moves', () => {
    const forms = [[8, 32], [16, 32], [8, 64], [16, 64], [32, 64]] as const;
    fc.assert(
      fc.property(fc.constantFrom(...forms), u64(), ([from, bits], a) => {
        const got = run([load(1, a), load(2, 0xdeadbeefcafen), `movsx${from}${bits} %r2, %r1`, 'mov %r0, %r2', 'exit'].join('\n'));
        expect(formatU64(got)).toBe(formatU64(movsxRef(from, bits, a)));
      }),
      { numRuns: 1000 },
    );
  });

  it('byte order operations', () => {
    fc.assert(
      fc.property(fc.constantFrom('le' as const, 'be' as const, 'swap' as const), fc.constantFrom(16 as const, 32 as const, 64 as const), u64(), (order, bits, a) => {
        const mnemonic = `${order === 'swap' ? 'bswap' : order}${bits}`;
        const got = run([load(0, a), `${mnemonic} %r0`, 'exit'].join('\n'));
        expect(formatU64(got)).toBe(formatU64(endRef(order, bits, a)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('JMP against the BigInt model', () => {
  const program = (a: bigint, rhs: string, pre: string[]) =>
    [load(1, a), ...pre, `${rhs}`, 'mov %r0, 0', 'exit', 'mov %r0, 1', 'exit'].join('\n');

  it('register source, 32 and 64 bits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), fc.constantFrom(32 as const, 64 as const), u64(), u64(), (cond, bits, a, b) => {
        const got = run(program(a, `${cond}${bits === 32 ? '32' : ''} %r1, %r2, +2`, [load(2, b)]));
        expect(got).toBe(jmpRef(cond, bits, a, b) ? 1n : 0n);
      }),
      RUNS,
    );
  });

  it('immediate source (sign-extended to 64 bits for JMP)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), fc.constantFrom(32 as const, 64 as const), u64(), i32(), (cond, bits, a, imm) => {
        const got = run(program(a, `${cond}${bits === 32 ? '32' : ''} %r1, ${imm}, +2`, []));
        expect(got).toBe(jmpRef(cond, bits, a, BigInt(imm)) ? 1n : 0n);
      }),
      RUNS,
    );
  });

  it('equal operands take the inclusive conditions', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), fc.constantFrom(32 as const, 64 as const), u64(), (cond, bits, a) => {
        const got = run(program(a, `${cond}${bits === 32 ? '32' : ''} %r1, %r2, +2`, [load(2, a)]));
        expect(got).toBe(jmpRef(cond, bits, a, a) ? 1n : 0n);
      }),
      { numRuns: 500 },
    );
  });
});

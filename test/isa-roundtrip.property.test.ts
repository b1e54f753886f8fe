// Round trips of the ISA layer: bytes -> slots -> bytes, and slots -> assembly text -> slots, for arbitrary bytes
// (invalid slots print as .insn directives) and for programs of mostly valid instructions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assemble,
  classify,
  decodeProgram,
  disassemble,
  disassembleLines,
  encodeProgram,
  formatInsn,
  insn,
  OP_LDDW,
  type Insn,
} from '../src/isa/index.js';
import { i32 } from './arbitraries.js';

/** Opcodes that have at least one valid encoding. */
const VALID_OPCODES = Array.from({ length: 256 }, (_, op) => op).filter((op) =>
  [0, 1, 8, 16, 32, 64].some((v) =>
    [0, 1, 8, 16, 32, 64, 0x41, 0xe1, 0xf1, 0x100, 0x110].some(
      (imm) => classify(insn(op, 1, 2, v, imm)).kind !== 'invalid' || classify(insn(op, 0, 0, v, imm)).kind !== 'invalid',
    ),
  ),
);

const slot = (): fc.Arbitrary<Insn> =>
  fc
    .record({
      opcode: fc.integer({ min: 0, max: 255 }),
      dst: fc.integer({ min: 0, max: 15 }),
      src: fc.integer({ min: 0, max: 15 }),
      off: fc.integer({ min: -32768, max: 32767 }),
      imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    })
    .map((f) => insn(f.opcode, f.dst, f.src, f.off, f.imm));

/** A slot biased toward valid encodings: known opcodes, small registers, meaningful offsets and immediates. */
const validish = (): fc.Arbitrary<Insn> =>
  fc
    .record({
      opcode: fc.constantFrom(...VALID_OPCODES),
      dst: fc.integer({ min: 0, max: 10 }),
      src: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(0)),
      off: fc.oneof(fc.constantFrom(0, 0, 1, 8, 16, 32, -8, -512), fc.integer({ min: -32768, max: 32767 })),
      imm: fc.oneof(fc.constantFrom(0, 16, 32, 64, 1, 0x41, 0xe1, 0xf1, 0x100, 0x110), i32()),
    })
    .map((f) => insn(f.opcode, f.dst, f.src, f.off, f.imm));

/** Programs where every lddw is followed by a clean second slot. */
const program = (gen: () => fc.Arbitrary<Insn>) =>
  fc.array(gen(), { minLength: 1, maxLength: 40 }).chain((slots) =>
    fc.array(i32(), { minLength: slots.length, maxLength: slots.length }).map((his) =>
      slots.flatMap((s, k) => (s.opcode === OP_LDDW ? [s, insn(0, 0, 0, 0, his[k])] : [s])),
    ),
  );

const bytesOf = (insns: readonly Insn[]) => Buffer.from(encodeProgram(insns)).toString('hex');

describe('ISA round trips', () => {
  it('decode then encode returns the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 50 }).map((b) => b.subarray(0, b.length - (b.length % 8))), (bytes) => {
        expect(Buffer.from(encodeProgram(decodeProgram(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('disassembly of arbitrary slots assembles back to the same bytes', () => {
    fc.assert(
      fc.property(fc.array(slot(), { minLength: 1, maxLength: 30 }), (insns) => {
        expect(bytesOf(assemble(disassemble(insns)))).toBe(bytesOf(insns));
      }),
      { numRuns: 2000 },
    );
  });

  it('disassembly of mostly valid programs assembles back, with valid slots printed as instructions', () => {
    fc.assert(
      fc.property(program(validish), (insns) => {
        expect(bytesOf(assemble(disassemble(insns)))).toBe(bytesOf(insns));
        for (const line of disassembleLines(insns)) {
          const valid = classify(insns[line.pc]).kind !== 'invalid';
          expect(line.text.startsWith('.insn')).toBe(!valid);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('every valid single-slot instruction formats to text that assembles to it', () => {
    fc.assert(
      fc.property(validish().filter((i) => i.opcode !== OP_LDDW && classify(i).kind !== 'invalid'), (i) => {
        const text = formatInsn([i], 0);
        expect(text.startsWith('.insn')).toBe(false);
        expect(bytesOf(assemble(text))).toBe(bytesOf([i]));
      }),
      { numRuns: 5000 },
    );
  });
});

// The assembler: the conformance syntax, its extensions, and located errors for bad input.
import { describe, expect, it } from 'vitest';
import { AsmError } from '../src/errors.js';
import { assemble, assembleWithLines, disassemble, encodeProgram } from '../src/isa/index.js';

const hex = (text: string) => Buffer.from(encodeProgram(assemble(text))).toString('hex');

describe('assembler syntax', () => {
  it('encodes the conformance forms', () => {
    expect(hex('mov32 %r0, 0')).toBe('b400000000000000');
    expect(hex('add %r0, -3')).toBe('07000000fdffffff');
    expect(hex('lddw %r0, 0x1122334455667788')).toBe('1800000088776655' + '0000000044332211');
    expect(hex('ldxh %r0, [%r1+2]')).toBe('6910020000000000');
    expect(hex('stxdw [%r10-8], %r1')).toBe('7b1af8ff00000000');
    expect(hex('lock fetch add32 [%r10-4], %r1')).toBe('c31afcff01000000');
    expect(hex('lock cmpxchg [%r10-8], %r1')).toBe('db1af8fff1000000');
    expect(hex('sdiv32 %r0, %r1')).toBe('3c10010000000000');
    expect(hex('movsx1632 %r0, %r1')).toBe('bc10100000000000');
    expect(hex('movsx3264 %r0, %r1')).toBe('bf10200000000000');
    expect(hex('swap16 %r0')).toBe(hex('bswap16 %r0'));
    expect(hex('be64 %r3')).toBe('dc03000040000000');
    expect(hex('call 5')).toBe('8500000005000000');
    expect(hex('call %r2')).toBe('8d02000000000000');
    expect(hex('ja32 +3')).toBe('0600000003000000');
  });

  it('resolves labels, the implicit exit label and local calls', () => {
    const text = 'jeq %r1, 0, exit\ncall local f\nexit\nf:\nmov %r0, 1\nexit';
    expect(disassemble(assemble(text))).toBe('jeq %r1, 0, +1\ncall local +1\nexit\nmov %r0, 1\nexit\n');
    expect(disassemble(assemble('ja32 L\nexit\nL: ja32 -2'))).toBe('ja32 +1\nexit\nja32 -2\n');
  });

  it('reads a line the same in every spelling: white space, comments, labels, case', () => {
    // The usual spellings take one pattern (src/isa/asm-syntax.ts PLAIN_LINE), the others the general reading.
    const program = (lines: string[]) => {
      const { insns, lines: at } = assembleWithLines(lines.join('\n'));
      return [Buffer.from(encodeProgram(insns)).toString('hex'), at.join(',')];
    };
    const usual = ['L: mov %r1, 1', 'jgt %r1, 2, L', 'stxdw [%r10-8], %r1 # spill', 'ldxdw %r0, [%r10-8]', 'exit'];
    for (const variant of [
      ['\tL:\tmov\t%r1,\t1', '  jgt %r1 ,2 , L  ', 'stxdw [ %r10 - 8 ], %r1 // spill', 'LDXDW %R0, [%r10-8]', 'exit\r'],
      ['L:', 'mov %r1, 1 #', 'jgt\u00a0%r1, 2, L', 'stxdw [%r10-8],%r1#spill', 'ldxdw %r0,[%r10-8]', 'exit // b'],
    ]) {
      expect(program(variant)[0]).toBe(program(usual)[0]);
    }
    expect(program(['', 'L:', 'exit'])[1]).toBe('3');
  });

  it('keeps the source line of each slot', () => {
    const { lines } = assembleWithLines('# comment\nlddw %r0, 1\n\nexit\n');
    expect(lines).toEqual([2, 2, 4]);
  });

  it('accepts the extensions it prints', () => {
    for (const t of [
      'lddw %r1, map_fd 3',
      'lddw %r1, map_value 3, 16',
      'lddw %r1, func +1\nexit',
      'call kfunc 1234',
      'ldabsw 12',
      'ldindh %r3, -2',
      'ldacqdw %r0, [%r1+8]',
      'strelb [%r1-1], %r2',
      'ldxsw %r0, [%r1]',
      '.insn 0xff, 1, 2, -3, 4',
    ]) {
      expect(disassemble(assemble(t))).toBe(t.replace('call kfunc', 'call kfunc') + '\n');
    }
  });
});

describe('assembler errors', () => {
  const err = (text: string) => {
    try {
      assemble(text);
    } catch (e) {
      expect(e).toBeInstanceOf(AsmError);
      return (e as AsmError).message;
    }
    throw new Error('assembled without error');
  };

  it('names the line and the problem', () => {
    expect(err('mov %r0, 1\nfrob %r1')).toBe('line 2: unknown mnemonic "frob"');
    expect(err('mov %r16, 1')).toBe('line 1: invalid register "%r16"');
    expect(err('mov %r0')).toBe('line 1: mov takes 2 operands, got 1');
    expect(err('mov %r0, 0x1ffffffff')).toBe('line 1: immediate 0x1ffffffff does not fit in a signed 32-bit field');
    expect(err('mov %r0, 12abc')).toBe('line 1: invalid immediate "12abc"');
    expect(err('ldxw %r0, [%r1+70000]')).toBe('line 1: offset +70000 does not fit in a signed 16-bit field');
    expect(err('ldxw %r0, %r1')).toBe('line 1: invalid memory operand "%r1", expected [%rN+off]');
    expect(err('ja nowhere')).toBe('line 1: unknown label "nowhere"');
    expect(err('a:\na:\nexit')).toBe('line 2: duplicate label "a"');
    expect(err('lock nand [%r1], %r2')).toBe('line 1: invalid atomic operation "nand [%r1]"');
    expect(err('call far 3')).toBe('line 1: unknown call mode "far", expected helper, local, kfunc or runtime');
  });

  it('takes decimal immediates and offsets in their signed range only, hex also as the field\'s bit pattern (as upstream)', () => {
    const imm = (text: string) => assemble(text)[0].imm;
    expect(imm('mov %r0, 2147483647')).toBe(2147483647);
    expect(imm('mov %r0, -2147483648')).toBe(-2147483648);
    expect(imm('mov %r0, 0xffffffff')).toBe(-1);
    expect(imm('mov %r0, -0x80000000')).toBe(-2147483648);
    expect(err('mov %r0, 2147483648')).toBe('line 1: immediate 2147483648 does not fit in a signed 32-bit field (write 0x80000000 for the bit pattern)');
    expect(err('mov %r0, 4294967295')).toBe('line 1: immediate 4294967295 does not fit in a signed 32-bit field (write 0xffffffff for the bit pattern)');
    expect(err('mov %r0, -2147483649')).toBe('line 1: immediate -2147483649 does not fit in a signed 32-bit field');
    expect(err('jeq %r0, 3000000000, +1\nexit')).toBe('line 1: immediate 3000000000 does not fit in a signed 32-bit field (write 0xb2d05e00 for the bit pattern)');
    expect(assemble('ldxw %r0, [%r1+0xffff]')[0].off).toBe(-1);
    expect(err('ldxw %r0, [%r1+32768]')).toBe('line 1: offset +32768 does not fit in a signed 16-bit field (write 0x8000 for the bit pattern)');
    expect(err('ja +40000')).toBe('line 1: jump offset +40000 does not fit in a signed 16-bit field');
    expect(err('lddw %r0, 0x10000000000000000')).toBe('line 1: immediate 0x10000000000000000 is out of range -9223372036854775808..18446744073709551615');
  });

  it('carries the line in the error location', () => {
    try {
      assemble('exit\n\nbogus');
    } catch (e) {
      expect((e as AsmError).location.line).toBe(3);
    }
  });
});

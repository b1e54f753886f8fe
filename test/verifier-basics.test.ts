// The verifier on the raw programs of the repository and a few hand-written cases per rule family; the full
// case table is test/verifier-cases.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { verifyProgram } from '../src/verifier/index.js';
import { ROOT } from './helpers.js';

const verify = (text: string, opts = {}) => verifyProgram(assemble(text), opts);

describe('verifier: repository programs', () => {
  const files = [
    ...readdirSync(join(ROOT, 'bench/programs')).map((f) => join('bench/programs', f)),
    ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.asm')).map((f) => join('examples', f)),
  ];
  for (const f of files) {
    it(`${f} verifies as a raw program`, () => {
      const r = verify(readFileSync(join(ROOT, f), 'utf8'));
      expect(r.error?.message).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.facts.terminates).toBe(true);
    });
  }
});

describe('verifier: rejections name the rule, pc, instruction and registers', () => {
  it('an input read without a bounds check', () => {
    const r = verify('ldxb %r0, [%r1]\nexit');
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe('packet-bounds');
    expect(r.error!.location).toMatchObject({ pc: 0, insn: 'ldxb %r0, [%r1]' });
    expect(r.error!.regs.r1).toMatch(/^pkt\(/);
  });

  it('an infinite loop', () => {
    const r = verify('mov %r0, 0\nloop:\njeq %r2, 0, loop\nexit');
    expect(r.error?.code).toBe('infinite-loop');
  });

  it('a counter loop without a bound is too complex or unproved', () => {
    const r = verify('mov %r0, 0\nloop:\nadd %r0, 1\njgt %r2, 5, loop\nexit', { maxInsns: 5000 });
    expect(r.ok).toBe(false);
    expect(r.error!.message).toMatch(/may never end/);
  });

  it('a bounded loop verifies and reports its work', () => {
    const r = verify('mov %r0, 0\nmov %r1, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 100000, loop\nexit');
    expect(r.ok).toBe(true);
    expect(r.stats.loopsWidened).toBeGreaterThan(0);
    expect(r.stats.insnsProcessed).toBeLessThan(1000);
  });

  it('the path of branch decisions leads to the error', () => {
    const r = verify('jgt %r2, 10, +2\nmov %r0, 0\nexit\nldxb %r0, [%r1+20]\nexit');
    expect(r.error?.code).toBe('packet-bounds');
    expect(r.error!.path).toEqual(['pc 0: jumped']);
  });
});

describe('verifier: a variable index added to an input pointer proved in bounds', () => {
  // y = input + 100 is checked for 64 bytes; y + i with i <= 63 then has one byte proved (range 101 counted with its offset 100), whatever y's fixed offset.
  const fixedBase = (read: string) =>
    `mov %r3, %r1\nadd %r3, 100\nmov %r4, %r1\nadd %r4, %r2\nmov %r5, %r3\nadd %r5, 64\nmov %r0, 0\njgt %r5, %r4, out\n` +
    `mov %r6, %r2\nand %r6, 63\nadd %r3, %r6\n${read}\nout:\nexit`;
  // y = input + k with k <= 31 (a variable offset; len * 7 so that it is no length bound) is checked for 64 bytes; y + i with i <= 63 keeps one byte.
  const variableBase = (read: string) =>
    `mov %r7, %r2\nmul %r7, 7\nand %r7, 31\nmov %r3, %r1\nadd %r3, %r7\nmov %r4, %r1\nadd %r4, %r2\nmov %r5, %r3\nadd %r5, 64\nmov %r0, 0\n` +
    `jgt %r5, %r4, out\nmov %r6, %r2\nand %r6, 63\nadd %r3, %r6\n${read}\nout:\nexit`;

  const bases = [['at a fixed offset', fixedBase, 101], ['at a variable offset', variableBase, 1]] as const;
  for (const [name, build, proved] of bases) {
    it(`${name}: the last proved byte verifies, the one past it does not`, () => {
      expect(verify(build('ldxb %r0, [%r3]')).error?.message).toBeUndefined();
      const r = verify(build('ldxb %r0, [%r3+1]'));
      expect(r.error?.code).toBe('packet-bounds');
      expect(r.error!.message).toContain(`only ${proved} bytes from this pointer are proved in bounds`);
    });
  }
});

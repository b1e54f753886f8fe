// The verifier case table (test/verifier-cases/): the format's parser, the table's coverage, and our verifier's
// verdicts against the table's (which the kernel proves in verifier-kernel.test.ts). Until src/verifier/index.ts
// exists the comparison is skipped with that reason in its title; once it exists, any disagreement that is not
// listed in KNOWN-DIFFERENCES.md fails, and so does a listed difference that no longer differs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { parseBtf, type Btf } from '../src/loader/btf/parse.js';
import { dumpVerdict } from './verifier-dump.js';
import { BTF_TYPED, CASES_DIR, CaseFormatError, kernelIds, loadCases, parseCases, parseKnownDifferences, type VerifierCase } from './verifier-cases.js';

const cases = loadCases();
/** RULE_GROUPS are the case files, one per rule family of issue 10. */
const RULE_GROUPS = [
  'callbacks', 'complexity', 'context', 'helpers', 'kernel-objects', 'loops', 'map-values', 'packet', 'pointer-arithmetic', 'pointer-leaks',
  'references', 'registers', 'return-types', 'scalar-bounds', 'stack', 'structure', 'tail-calls',
];
const known = parseKnownDifferences(readFileSync(join(CASES_DIR, 'KNOWN-DIFFERENCES.md'), 'utf8'));
const knownByName = new Map(known.map((k) => [k.name, k]));

describe('the verifier case table', () => {
  it('parses, with unique names and a kernel message on every kernel-checked reject', () => {
    expect(cases.length).toBeGreaterThanOrEqual(250);
    for (const c of cases) {
      if (c.expect === 'reject' && c.noKernel === undefined) expect(c.kernel, `${c.file}:${c.line}`).toBeTruthy();
    }
  });

  it('covers every rule group of the verifier with accepts and rejects', () => {
    const groups = new Map<string, Set<string>>();
    for (const c of cases) groups.set(c.group, (groups.get(c.group) ?? new Set()).add(c.expect));
    expect([...groups.keys()].sort()).toEqual(RULE_GROUPS);
    for (const [g, verdicts] of groups) expect([...verdicts].sort(), g).toEqual(['accept', 'reject']);
  });

  it('lists only existing cases in KNOWN-DIFFERENCES.md, each disagreeing with the table', () => {
    const names = new Map(cases.map((c) => [c.name, c]));
    for (const k of known) {
      const c = names.get(k.name);
      expect(c, `KNOWN-DIFFERENCES.md:${k.line}: no case "${k.name}"`).toBeDefined();
      expect(k.ours, `KNOWN-DIFFERENCES.md:${k.line}: "${k.name}" does not differ from the table`).not.toBe(c!.expect);
    }
  });

  it('reports format errors at file:line', () => {
    const bad = (text: string): string => {
      try {
        parseCases(text, 'x.asm');
      } catch (e) {
        expect(e).toBeInstanceOf(CaseFormatError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad('## case a\n## expect accept\nmov %r0, 0\nmov %r16, 1\nexit\n')).toBe('x.asm:4: invalid register "%r16"');
    expect(bad('## case a\n## expect maybe\nexit\n')).toBe('x.asm:2: expect is accept or reject');
    expect(bad('## case a\n## expect reject\nexit\n')).toBe('x.asm:1: rejected case "a" needs "## kernel <message substring>"');
    expect(bad('## case a\n## flavour x\n')).toBe('x.asm:2: unknown header "## flavour"');
    expect(bad('mov %r0, 0\n')).toBe('x.asm:1: text before the first "## case"');
    expect(bad('## case a\n## expect accept\nexit\n## map hash:4:4:1\n')).toBe('x.asm:4: "## map" after the instructions of case "a"');
    expect(bad('## case a\n## map hash:4:4\n## expect accept\nexit\n')).toBe('x.asm:2: invalid map "hash:4:4", expected TYPE:KEY:VALUE:ENTRIES[:lock]');
    expect(bad('## case a\n## type bogus\n## expect accept\nexit\n')).toBe('x.asm:2: unknown program type "bogus"');
    expect(bad('## case a\n## expect reject\n## no-kernel\nexit\n')).toBe('x.asm:3: "## no-kernel" needs a value');
  });

  it('reads ## ours, ## no-kernel, ## priv, ## attach and ## license', () => {
    const [a, b] = parseCases(
      [
        '## case a', '## type tracepoint', '## attach tracepoint:syscalls/sys_enter_openat', '## license MIT', '## expect reject',
        '## kernel invalid', '## ours', 'exit', '## case b', '## priv bpf', '## expect reject', '## no-kernel bpftime-vm only',
        '## ours out of bounds', 'exit',
      ].join('\n'),
      'x.asm',
    );
    expect(a).toMatchObject({ type: 'tracepoint', attach: 'tracepoint:syscalls/sys_enter_openat', license: 'MIT', kernel: 'invalid', ours: '' });
    expect(a.noKernel).toBeUndefined();
    expect(b).toMatchObject({ priv: 'bpf', noKernel: 'bpftime-vm only', ours: 'out of bounds' });
    expect(b.kernel).toBeUndefined();
  });

  it('keeps the file line of every slot', () => {
    const [c] = parseCases('# group\n## case a\n## map array:4:8:1\n## expect accept\nlddw %r1, map_fd 0\n\nmov %r0, 0\nexit\n', 'g.asm');
    expect(c).toMatchObject({ name: 'a', group: 'g', line: 2, type: 'socket_filter', priv: 'full', expect: 'accept', license: 'GPL' });
    expect(c.maps).toEqual([{ text: 'array:4:8:1', type: 'array', typeId: 2, keySize: 4, valueSize: 8, maxEntries: 1, lock: false, line: 3 }]);
    expect(c.lines).toEqual([5, 5, 7, 8]);
    expect(c.insns[0]).toMatchObject({ opcode: 0x18, dst: 1, src: 1, imm: 0 });
  });
});

const VERIFIER = join(ROOT, 'src', 'verifier', 'index.ts');

/** VerifyResult is the part of verifyProgram's result the comparison reads. */
interface VerifyResult {
  ok: boolean;
  error?: { message: string };
  stats: { ms: number; insnsProcessed: number };
}

/** mapInfo turns a case's N-th `## map` into the map description a raw program's maps are declared with. */
function mapInfo(c: VerifierCase, i: number): Record<string, unknown> {
  const m = c.maps[i];
  const flags = m.type === 'lpm_trie' ? 1 : 0; // BPF_F_NO_PREALLOC, which the kernel requires (kernel-verify sets it too)
  return { name: `map${i}`, type: m.typeId, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags, spinLock: m.lock };
}

/**
 * verifierOptions is the one place that turns a case into verifyProgram's options (README.md): the kernel's program
 * type name, the maps in `lddw` order, privileged for `## priv full`, the tracepoint whose record a `tracepoint`
 * program reads, and the license.
 */
function verifierOptions(c: VerifierCase): Record<string, unknown> {
  const btfTyped = BTF_TYPED.includes(c.type) || c.kfuncs.length > 0;
  const tracepoint = c.attach?.startsWith('tracepoint:') ? c.attach.slice(c.attach.lastIndexOf('/') + 1) : btfTyped ? c.attach?.slice(c.attach.indexOf(':') + 1) : undefined;
  return {
    type: c.type,
    ...(btfTyped ? { targetBtf: vmlinux(), kfuncs: kernelIds(c, vmlinux()!).kfuncs } : {}),
    maps: c.maps.map((_, i) => mapInfo(c, i)),
    privileged: c.priv === 'full',
    ...(tracepoint ? { tracepoint } : {}),
    license: c.license,
    // The kernel's cases that reach its 1M-instruction limit reach ours (the same default) at any limit: our widening
    // and joins accept every accepted case of the table in under 3000 processed instructions (complexity.asm's
    // branches-8-precise is the largest), so a lower limit keeps the verdicts and spares CI a minute per case.
    maxInsns: CASE_INSN_LIMIT,
  };
}

const VMLINUX = '/sys/kernel/btf/vmlinux';
let kernelBtf: Btf | undefined;
/** vmlinux is the running kernel's BTF, which types the cases of BTF_TYPED types and kfuncs. */
const vmlinux = (): Btf | undefined => (kernelBtf ??= existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined);

/** CASE_INSN_LIMIT is the complexity limit the table runs with (see verifierOptions). */
const CASE_INSN_LIMIT = 30_000;

if (!existsSync(VERIFIER)) {
  describe('our verifier on the case table', () => {
    it.skip(`${cases.length} cases (skipped: verifier not built yet, src/verifier/index.ts is absent)`, () => {});
  });
} else {
  const mod = (await import(/* @vite-ignore */ pathToFileURL(VERIFIER).href)) as Record<string, unknown>;
  const verifyProgram = mod.verifyProgram as ((insns: unknown, options: Record<string, unknown>) => VerifyResult) | undefined;
  describe('our verifier on the case table', () => {
    it('src/verifier exports verifyProgram', () => {
      expect(typeof verifyProgram).toBe('function');
    });
    let agree = 0;
    let compared = 0;
    afterAll(() => {
      const rate = compared ? ((100 * agree) / compared).toFixed(1) : '0';
      console.log(`verifier vs kernel: ${agree}/${compared} cases agree (${rate}%), ${known.length} known differences (KNOWN-DIFFERENCES.md)`);
    });
    it.each(cases.map((c) => [`${c.group}: ${c.name}`, c] as const))('%s', (_, c) => {
      // Cases typed from the kernel's BTF need it (CI's kernel has it; a machine without it does not judge them).
      if ((BTF_TYPED.includes(c.type) || c.kfuncs.length > 0) && !vmlinux()) return;
      const insns = BTF_TYPED.includes(c.type) || c.kfuncs.length > 0 ? kernelIds(c, vmlinux()!).insns : c.insns;
      const r = verifyProgram!(insns, verifierOptions(c));
      dumpVerdict(`case ${c.name}`, r);
      const verdict = r.ok ? 'accept' : 'reject';
      compared++;
      if (verdict === c.expect) agree++;
      if (c.processed) expect(r.stats.insnsProcessed, `${c.file}:${c.line}: instructions processed`).toBeLessThanOrEqual(c.processed);
      const difference = knownByName.get(c.name);
      if (difference) {
        expect(verdict, `${c.file}:${c.line}: listed in KNOWN-DIFFERENCES.md:${difference.line} but agrees now; remove it`).toBe(difference.ours);
        return;
      }
      expect(verdict, `${c.file}:${c.line}: ${r.error?.message ?? ''}`).toBe(c.expect);
      if (c.ours) expect(r.error?.message ?? '', `${c.file}:${c.line}: our message`).toContain(c.ours);
    });
  });
}

/**
 * `npm run bench -- interp`: interpreter speed on loop-heavy programs in million eBPF instructions per second, with
 * the alternatives measured side by side in the same process: the same interpreter with `var` case labels (what
 * bundling produces without constant inlining), and BigInt registers instead of (lo, hi) int32 pairs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, Interpreter, runBigIntRegisters } from './entry-interp.js';
import { geomean, measure, type Sample } from './measure.js';

type Lib = typeof import('./entry-interp.js');

interface Program {
  name: string;
  what: string;
  input?: Uint8Array;
}

const MiB = 1 << 20;
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);

const PROGRAMS: Program[] = [
  { name: 'primes', what: 'count primes below 10000 by trial division' },
  { name: 'log2', what: 'floor(log2) of 8192 64-bit values by shifts' },
  { name: 'memcpy', what: 'byte-copy loop over 512 KiB', input: pattern(MiB) },
  { name: 'checksum', what: 'rotating checksum of 1 MiB as 32-bit words', input: pattern(MiB) },
];

interface Row {
  program: string;
  what: string;
  steps: number;
  r0: string;
  variants: Record<string, Sample & { mips: number }>;
}

function runVariant(lib: Lib, text: string, input: Uint8Array | undefined, bigint: boolean) {
  const vm = new lib.Interpreter();
  const p = vm.load(lib.assemble(text));
  let result = vm.run(p, { input, budget: 0 });
  const r1 = BigInt(vm.inputBytes().length ? vm.mem.regions.find((r) => r?.name === 'input')!.start : 0);
  const r2 = BigInt(input?.length ?? 0);
  const once = bigint
    ? () => {
        if (input) vm.mem.u8.set(input, Number(r1));
        result = runBigIntRegisters(p, vm.mem, r1, r2, vm.env.stackTop);
      }
    : () => {
        result = vm.run(p, { input, budget: 0 });
      };
  return { once, result: () => result };
}

/** main runs the suite; `varLib` is the same library bundled without literal case labels. */
export async function main(argv: string[], varLib: Lib, root: string): Promise<void> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const timing = quick ? { warmMs: 100, minMs: 200, minRuns: 3 } : {};
  const lib: Lib = { assemble, Interpreter, runBigIntRegisters };
  const variants: [string, Lib, boolean][] = [
    ['interp', lib, false],
    ['var-labels', varLib, false],
    ['bigint-registers', lib, true],
  ];
  const rows: Row[] = [];
  for (const prog of PROGRAMS) {
    const text = readFileSync(join(root, 'bench', 'programs', `${prog.name}.asm`), 'utf8');
    const row: Row = { program: prog.name, what: prog.what, steps: 0, r0: '', variants: {} };
    for (const [name, l, big] of variants) {
      const v = runVariant(l, text, prog.input, big);
      const sample = measure(v.once, timing);
      const { r0, steps } = v.result();
      if (row.steps && (steps !== row.steps || '0x' + r0.toString(16) !== row.r0)) {
        throw new Error(`${prog.name}: variant ${name} disagrees (r0 0x${r0.toString(16)}, ${steps} steps)`);
      }
      row.steps = steps;
      row.r0 = '0x' + r0.toString(16);
      row.variants[name] = { ...sample, mips: steps / sample.medianMs / 1000 };
      if (!json) process.stderr.write(`  ${prog.name} ${name}: ${row.variants[name].mips.toFixed(1)} M insn/s\n`);
    }
    rows.push(row);
  }
  const means = Object.fromEntries(variants.map(([n]) => [n, geomean(rows.map((r) => r.variants[n].mips))]));
  if (json) {
    process.stdout.write(JSON.stringify({ node: process.version, rows, geomean_mips: means }, null, 2) + '\n');
    return;
  }
  const names = variants.map(([n]) => n);
  const lines = [
    `| program | what | insns/run | ${names.map((n) => `${n} (M insn/s)`).join(' | ')} | interp / var-labels | interp / bigint |`,
    `|---|---|---:|${names.map(() => '---:').join('|')}|---:|---:|`,
    ...rows.map((r) => {
      const m = (n: string) => r.variants[n].mips;
      return `| ${r.program} | ${r.what} | ${r.steps} | ${names.map((n) => m(n).toFixed(1)).join(' | ')} | ${(m('interp') / m('var-labels')).toFixed(2)}x | ${(m('interp') / m('bigint-registers')).toFixed(1)}x |`;
    }),
    `| **geomean** | | | ${names.map((n) => `**${means[n].toFixed(1)}**`).join(' | ')} | ${(means.interp / means['var-labels']).toFixed(2)}x | ${(means.interp / means['bigint-registers']).toFixed(1)}x |`,
  ];
  process.stdout.write(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n\n${lines.join('\n')}\n`);
}

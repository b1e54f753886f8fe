/**
 * `npm run bench -- verify [--json] [--quick]`: what verifying a program costs. The programs: the compile benchmark's
 * generated programs (bench/compile.ts: straight-line ALU, stack traffic, forward branches, a bounded loop every ~100
 * instructions, a helper call every ~250) at about 100, 300 and 1000 instructions, and the raw benchmark programs of
 * bench/programs (loops over the input bounded by r2). Each figure is the median of repeated `verifyProgram` calls
 * after a warm-up (the library, as the CLI calls it), with the instructions processed, states explored and pruned,
 * and loop heads widened of one verification, under a 20000-instruction limit (a program needing more is reported with
 * the time its rejection took). The `bpftime-vm verify` row times the whole command on the 300-instruction program (a new Node process: start-up, reading the file, verifying, printing), median of 5.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, type Insn } from '../src/isa/index.js';
import { verifyProgram, type VerifyStats } from '../src/verifier/index.js';
import { generate } from './compile.js';
import { measure } from './measure.js';

interface Row {
  name: string;
  insns: number;
  medianMs: number;
  stats: VerifyStats;
  /** The rejection, when the program is not accepted within CAP instructions (timed once). */
  rejected?: string;
}

/** CAP is the complexity limit of the benchmark: a program that needs more is reported with the time to reject it. */
const CAP = 20_000;

function timeVerify(name: string, insns: Insn[], quick: boolean): Row {
  const first = verifyProgram(insns, { maxInsns: CAP });
  if (!first.ok) return { name, insns: insns.length, medianMs: first.stats.ms, stats: first.stats, rejected: first.error!.message };
  const s = measure(() => void verifyProgram(insns, { maxInsns: CAP }), quick ? { warmMs: 50, minMs: 200, minRuns: 3 } : { warmMs: 300, minMs: 1500, minRuns: 9 });
  return { name, insns: insns.length, medianMs: s.medianMs, stats: first.stats };
}

function timeCli(root: string, text: string, runs: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-bench-verify-'));
  try {
    const file = join(dir, 'generated-1000.asm');
    writeFileSync(file, text);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      // Exit code 1 (rejected) is a verdict, not a failure of the benchmark.
      try {
        execFileSync(process.execPath, [join(root, 'bin', 'bpftime-vm'), 'verify', file], { stdio: 'pipe' });
      } catch (e) {
        if ((e as { status?: number }).status !== 1) throw e;
      }
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** main runs the benchmark (scripts/bench.mjs passes the remaining arguments and the repository root). */
export async function main(argv: string[], _lib: unknown, root: string): Promise<void> {
  const unknown = argv.filter((a) => !['--json', '--quick'].includes(a));
  if (unknown.length) {
    process.stderr.write(`bench verify: unknown option ${unknown.join(' ')}; options: --json --quick\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const gen1000 = generate(1000);
  const programs: [string, Insn[]][] = [
    ['generated, ~100 insns, 1 loop', assemble(generate(100))],
    ['generated, ~300 insns, 3 loops', assemble(generate(300))],
    ['generated, ~1000 insns, 10 loops', assemble(gen1000)],
    ...readdirSync(join(root, 'bench', 'programs')).sort().map((f): [string, Insn[]] => [`bench/programs/${f}`, assemble(readFileSync(join(root, 'bench', 'programs', f), 'utf8'))]),
  ];
  const rows = programs.map(([name, insns]) => timeVerify(name, insns, quick));
  const cliMs = timeCli(root, generate(300), quick ? 1 : 5);
  if (json) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- verify', ...argv].join(' '), rows, cli: { program: 'generated, ~300 insns', medianMs: cliMs } }, null, 2) + '\n');
    return;
  }
  const out = [
    '| program | slots | verify (ms, median) | verdict | insns processed | states explored | pruned | loops widened |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.insns} | ${r.medianMs.toFixed(2)}${r.rejected ? ' (once)' : ''} | ${r.rejected ? `rejected: ${r.rejected.replace(/\|/g, '/')}` : 'accepted'} | ${r.stats.insnsProcessed} | ${r.stats.statesExplored} | ${r.stats.statesPruned} | ${r.stats.loopsWidened} |`),
    '',
    `\`bpftime-vm verify\` on the ~300-instruction program, whole process: ${cliMs.toFixed(0)} ms (median of ${quick ? 1 : 5})`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

/**
 * `npm run bench -- verify [--json] [--quick]`: what verifying a program costs. The programs: the compile benchmark's
 * generated programs (bench/compile.ts: straight-line ALU, stack traffic, forward branches, a bounded loop every ~100
 * instructions, a helper call every ~250) at about 100, 300 and 1000 instructions, and the raw benchmark programs of
 * bench/programs (loops over the input bounded by r2). Each figure is the median of repeated `verifyProgram` calls
 * after a warm-up (the library, as the CLI calls it), with the instructions processed, states explored and pruned,
 * and loop heads widened of one verification, under a 20000-instruction limit (a program needing more is reported with
 * the time its rejection took). CPU time (user + system of the process, every thread) is given next to wall time,
 * since the machine is shared. The `bpftime-vm verify` rows run the command on the 1000-instruction program in new
 * Node processes (median of 5): the whole process (start-up, reading the file, verifying, printing), and the
 * verification inside it as `--json` reports it (a first, cold run: V8 has not optimised the verifier yet).
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
  cpuMedianMs: number;
  stats: VerifyStats;
  /** The rejection, when the program is not accepted within CAP instructions (timed once). */
  rejected?: string;
}

/** CAP is the complexity limit of the benchmark: a program that needs more is reported with the time to reject it. */
const CAP = 20_000;

function timeVerify(name: string, insns: Insn[], quick: boolean): Row {
  const first = verifyProgram(insns, { maxInsns: CAP });
  if (!first.ok) return { name, insns: insns.length, medianMs: first.stats.ms, cpuMedianMs: NaN, stats: first.stats, rejected: first.error!.message };
  const s = measure(() => void verifyProgram(insns, { maxInsns: CAP }), quick ? { warmMs: 50, minMs: 200, minRuns: 3 } : { warmMs: 300, minMs: 1500, minRuns: 9 });
  return { name, insns: insns.length, medianMs: s.medianMs, cpuMedianMs: s.cpuMedianMs, stats: first.stats };
}

/** CliTimes are medians over new processes of `bpftime-vm verify --json`. */
interface CliTimes {
  /** The whole process, wall time. */
  processMs: number;
  /** The verification inside it, as its `--json` statistics report it (wall time, cold). */
  verifyMs: number;
}

function timeCli(root: string, text: string, runs: number): CliTimes {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-bench-verify-'));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  try {
    const file = join(dir, 'generated-1000.asm');
    writeFileSync(file, text);
    const whole: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      let out: string;
      // Exit code 1 (rejected) is a verdict, not a failure of the benchmark.
      try {
        out = execFileSync(process.execPath, [join(root, 'bin', 'bpftime-vm'), 'verify', '--json', file], { stdio: 'pipe', encoding: 'utf8' });
      } catch (e) {
        const { status, stdout, stderr } = e as { status?: number; stdout?: string; stderr?: string };
        if (status !== 1 || !stdout) throw new Error(`bpftime-vm verify exited with ${status}: ${stderr ?? ''}`, { cause: e });
        out = stdout;
      }
      whole.push(performance.now() - t);
      inside.push((JSON.parse(out) as { programs: { stats: VerifyStats }[] }).programs[0].stats.ms);
    }
    return { processMs: median(whole), verifyMs: median(inside) };
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
  const runs = quick ? 1 : 5;
  const cli = timeCli(root, gen1000, runs);
  if (json) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- verify', ...argv].join(' '), rows, cli: { program: 'generated, ~1000 insns, 10 loops', runs, ...cli } }, null, 2) + '\n');
    return;
  }
  const out = [
    '| program | slots | verify (ms, median) | cpu (ms, median) | verdict | insns processed | states explored | pruned | joined | loops widened |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.insns} | ${r.medianMs.toFixed(2)}${r.rejected ? ' (once)' : ''} | ${r.rejected ? '-' : r.cpuMedianMs.toFixed(2)} | ${r.rejected ? `rejected: ${r.rejected.replace(/\|/g, '/')}` : 'accepted'} | ${r.stats.insnsProcessed} | ${r.stats.statesExplored} | ${r.stats.statesPruned} | ${r.stats.statesJoined} | ${r.stats.loopsWidened} |`),
    '',
    `\`bpftime-vm verify --json\` on the ~1000-instruction program (median of ${runs} processes): whole process ${cli.processMs.toFixed(0)} ms, of which verifying (cold) ${cli.verifyMs.toFixed(1)} ms`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

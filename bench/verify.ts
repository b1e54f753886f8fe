/**
 * `npm run bench -- verify [--json] [--quick]`: what verifying a program costs. The programs: the compile benchmark's
 * generated programs (bench/compile.ts: straight-line ALU, stack traffic, forward branches, a bounded loop every ~100
 * instructions, a helper call every ~250) at about 100, 300 and 1000 instructions, and the raw benchmark programs of
 * bench/programs (loops over the input bounded by r2). Each figure is the median of repeated `verifyProgram` calls
 * after a warm-up (the library, as the CLI calls it), with the instructions processed, states explored and pruned,
 * and loop heads widened of one verification, under a 20000-instruction limit (a program needing more is reported with
 * the time its rejection took). CPU time (user + system of the process, every thread) is given next to wall time,
 * since the machine is shared. Then, in new Node processes, the ~1000-instruction program as a user meets it: the
 * whole `bpftime-vm verify --json` process (wall and CPU) beside `node empty.mjs` (the floor no command goes below), with
 * its V8 code cache warm and as a first run that writes it, and warm with V8's default tiering (TurboFan from the
 * start, BPFTIME_VM_DEFER_OPT=0; the command defers it: src/cli/tiering.ts), with and without NODE_EXTRA_CA_CERTS where it is set, with the verification inside it as `--json` reports it; and a
 * first `verifyProgram` call in a bare process (cold: V8 has not compiled or optimised the verifier yet), wall and CPU
 * of that call alone. `--quick` runs fewer of everything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** ProcessRow is one command run in new processes: medians over rounds of per-round medians. */
interface ProcessRow {
  name: string;
  /** `as set` or `without NODE_EXTRA_CA_CERTS`. */
  env: string;
  /** Wall time of the whole process, spawn to exit. */
  wallMs: number;
  /** CPU time of the whole process (user + system of every thread, from the parent's cutime and cstime). */
  cpuMs: number;
  /** `bpftime-vm verify --json`: the verification inside it as its statistics report it (wall, cold). */
  verifyMs?: number;
}

/** ColdRow is a first `verifyProgram` call in a new process (library from dist/), wall and CPU of that call alone. */
interface ColdRow {
  wallMs: number;
  cpuMs: number;
  /** Importing the library and assembling the program before it (wall). */
  loadMs: number;
}

/** childrenCpuMs reads the CPU time of this process's waited-for children (Linux /proc, 10 ms ticks), in ms. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) * 10;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * COLD_SCRIPT times one first verification in the process that runs it: the library as a user imports it, the program
 * assembled from the file, then `verifyProgram` with wall and CPU time around that call only.
 */
const COLD_SCRIPT = `
const t0 = performance.now();
const { assemble, verifyProgram } = await import(process.argv[1]);
const insns = assemble((await import('node:fs')).readFileSync(process.argv[2], 'utf8'));
const t1 = performance.now();
const c = process.cpuUsage();
const r = verifyProgram(insns);
const d = process.cpuUsage(c);
const t2 = performance.now();
if (!r.ok) throw new Error(r.error.message);
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, wallMs: t2 - t1, cpuMs: (d.user + d.system) / 1000 }));
`;

/**
 * timeProcesses runs, in new processes: \`node empty.mjs\` (the floor no command goes below), \`bpftime-vm verify
 * --json\` on the ~1000-instruction program with its V8 code cache written by an earlier run (what a user meets from the
 * second run on) and as a first run (an empty cache directory: compiled from the source, the cache written on exit),
 * and a first verification in a bare process (COLD_SCRIPT). Each round runs
 * every command \`runs\` times per environment, one run of each in turn; a figure is the median of the round medians.
 * Node 20 reads NODE_EXTRA_CA_CERTS at start whether or not TLS is used: where it is set, the commands run with and
 * without it.
 */
function timeProcesses(root: string, text: string, runs: number, rounds: number): { rows: ProcessRow[]; cold: ColdRow } {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-bench-verify-'));
  try {
    const file = join(dir, 'generated-1000.asm');
    writeFileSync(file, text);
    writeFileSync(join(dir, 'empty.mjs'), '');
    const { NODE_EXTRA_CA_CERTS: _ca, ...without } = process.env;
    const envs: [string, NodeJS.ProcessEnv][] = [['as set', process.env]];
    if (process.env.NODE_EXTRA_CA_CERTS) envs.push(['without NODE_EXTRA_CA_CERTS', without]);
    // The command's V8 code cache (src/cli/code-cache.ts) in directories of this run: a first run finds an empty one
    // (it compiles from the source and writes the cache on exit), a warm run the cache an earlier run wrote.
    const verifyArgs = [join(root, 'bin', 'bpftime-vm'), 'verify', '--json', file];
    const warmCache = join(dir, 'warm-cache');
    // The same with V8's default tiering (src/cli/tiering.ts), in a cache of its own: V8 keys its cache by its flags.
    const warmDefaults = join(dir, 'warm-cache-v8-defaults');
    const defaults = { BPFTIME_VM_DEFER_OPT: '0' };
    let firstRuns = 0;
    const cases: { name: string; args: string[]; verify: boolean; cache?: () => string; env?: Record<string, string> }[] = [
      { name: 'node empty.mjs (floor)', args: [join(dir, 'empty.mjs')], verify: false },
      { name: 'bpftime-vm verify --json (1000 insns), warm code cache', args: verifyArgs, verify: true, cache: () => warmCache },
      { name: 'the same, V8 optimising from the start (BPFTIME_VM_DEFER_OPT=0)', args: verifyArgs, verify: true, cache: () => warmDefaults, env: defaults },
      { name: 'bpftime-vm verify --json (1000 insns), first run (no code cache)', args: verifyArgs, verify: true, cache: () => join(dir, `first-${firstRuns++}`) },
    ];
    const { BPFTIME_VM_CACHE: _c, BPFTIME_VM_CODE_CACHE: _cc, ...cacheOn } = process.env;
    spawnSync(process.execPath, verifyArgs, { env: { ...cacheOn, XDG_CACHE_HOME: warmCache } });
    spawnSync(process.execPath, verifyArgs, { env: { ...cacheOn, ...defaults, XDG_CACHE_HOME: warmDefaults } });
    const wall = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const inside = new Map<string, number[]>();
    const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
    const cold: ColdRow[] = [];
    const lib = pathToFileURL(join(root, 'dist', 'index.js')).href;
    for (let round = 0; round < rounds; round++) {
      for (const [envName, env] of envs) {
        // Run by run, every command in turn (order reversed every other run), so that a change of the host's load
        // during the round falls on all of them alike; a round's figure per command is the median of its runs.
        const times = new Map<string, number[]>();
        const verifyTimes = new Map<string, number[]>();
        const cpuTotal = new Map<string, number>();
        for (let i = 0; i < runs; i++) {
          for (const c of (round + i) % 2 ? [...cases].reverse() : cases) {
            const cacheEnv = c.cache ? { BPFTIME_VM_CACHE: undefined, BPFTIME_VM_CODE_CACHE: undefined, XDG_CACHE_HOME: c.cache() } : {};
            const cpu0 = childrenCpuMs();
            const t = performance.now();
            const r = spawnSync(process.execPath, c.args, { env: { ...env, ...cacheEnv, ...c.env }, encoding: 'utf8' });
            push(times, c.name, performance.now() - t);
            cpuTotal.set(c.name, (cpuTotal.get(c.name) ?? 0) + childrenCpuMs() - cpu0);
            // Exit code 1 (rejected) is a verdict, not a failure of the benchmark.
            if (r.status !== 0 && !(c.verify && r.status === 1 && r.stdout)) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr}`);
            if (c.verify) push(verifyTimes, c.name, (JSON.parse(r.stdout) as { programs: { stats: VerifyStats }[] }).programs[0].stats.ms);
          }
        }
        for (const c of cases) {
          const key = `${c.name}\0${envName}`;
          push(cpu, key, cpuTotal.get(c.name)! / runs);
          push(wall, key, median(times.get(c.name)!));
          if (c.verify) push(inside, key, median(verifyTimes.get(c.name)!));
        }
      }
      for (let i = 0; i < runs; i++) {
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', COLD_SCRIPT, lib, file], { env: without, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`cold verification exited with ${r.status}: ${r.stderr}`);
        cold.push(JSON.parse(r.stdout) as ColdRow);
      }
    }
    const rows = envs.flatMap(([envName]) =>
      cases.map((c): ProcessRow => {
        const key = `${c.name}\0${envName}`;
        return { name: c.name, env: envName, wallMs: median(wall.get(key)!), cpuMs: median(cpu.get(key)!), ...(c.verify ? { verifyMs: median(inside.get(key)!) } : {}) };
      }),
    );
    return { rows, cold: { wallMs: median(cold.map((c) => c.wallMs)), cpuMs: median(cold.map((c) => c.cpuMs)), loadMs: median(cold.map((c) => c.loadMs)) } };
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
  const runs = quick ? 2 : 5;
  const rounds = quick ? 1 : 3;
  const processes = timeProcesses(root, gen1000, runs, rounds);
  if (json) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- verify', ...argv].join(' '), loadavg: loadavg(), rows, processes: { program: 'generated, ~1000 insns, 10 loops', runs, rounds, ...processes } }, null, 2) + '\n');
    return;
  }
  const out = [
    '| program | slots | verify (ms, median) | cpu (ms, median) | verdict | insns processed | states explored | pruned | joined | loops widened |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.insns} | ${r.medianMs.toFixed(2)}${r.rejected ? ' (once)' : ''} | ${r.rejected ? '-' : r.cpuMedianMs.toFixed(2)} | ${r.rejected ? `rejected: ${r.rejected.replace(/\|/g, '/')}` : 'accepted'} | ${r.stats.insnsProcessed} | ${r.stats.statesExplored} | ${r.stats.statesPruned} | ${r.stats.statesJoined} | ${r.stats.loopsWidened} |`),
    '',
    `New processes on the ~1000-instruction program (median over ${rounds} round(s) of the median of ${runs} runs; CPU = user + system, every thread):`,
    '',
    '| command | environment | wall ms | CPU ms | own cost (wall - floor) | verification inside (wall ms, cold) |',
    '|---|---|---:|---:|---:|---:|',
    ...processes.rows.map((r) => {
      const floor = processes.rows.find((f) => f.env === r.env)!.wallMs;
      return `| ${r.name} | ${r.env} | ${r.wallMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${r.verifyMs !== undefined ? (r.wallMs - floor).toFixed(1) : '-'} | ${r.verifyMs !== undefined ? r.verifyMs.toFixed(1) : '-'} |`;
    }),
    '',
    `First verifyProgram call in a new process (dist/index.js, without NODE_EXTRA_CA_CERTS): ${processes.cold.wallMs.toFixed(1)} ms wall, ${processes.cold.cpuMs.toFixed(1)} ms CPU (importing the library and assembling before it: ${processes.cold.loadMs.toFixed(1)} ms)`,
    `Load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

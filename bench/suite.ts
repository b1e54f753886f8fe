/**
 * `npm run bench -- suite [--json] [--quick] [--write] [--check] [--only P,..] [--backends B,..]`: the C programs of
 * bench/c/ built with clang -target bpf (run on every engine in ENGINES) and with gcc -O2 (the native baseline), timed
 * side by side in one run. --json prints the figures on stdout; --write updates the suite section of bench/RESULTS.md
 * and writes the ratio chart bench/suite-ratios.png. --check only compares each program's result on every backend with
 * the native one (no timing; test/bench-suite.test.ts uses it) and exits 1 on a difference. --only and --backends
 * measure a subset (for experiments; not with --write, which records the whole suite).
 */
import { join } from 'node:path';
import { SUITE_PROGRAMS, type BenchProgram } from './suite/programs.js';
import { backendNames, checkProgram, prepareBackends, runProgram, type Row } from './suite/run.js';
import { missingTools } from './suite/build.js';
import { summarize, toJson, toMarkdown, writeResults } from './suite/report.js';
import { writeChart } from './suite/chart.js';

/** main runs the suite (scripts/bench.mjs passes the remaining arguments and the repository root). */
export async function main(argv: string[], _varLib: unknown, root: string): Promise<void> {
  const { flags, only, backends } = parseArgs(argv);
  const json = flags.has('--json');
  const quick = flags.has('--quick');
  const missing = missingTools();
  if (missing) {
    process.stderr.write(`bench suite: cannot build the C programs: ${missing} (install clang, gcc and libbpf-dev)\n`);
    process.exit(1);
  }
  await prepareBackends(backends);
  if (flags.has('--check')) return check(root, json, only, backends);
  const timing = quick ? { warmMs: 100, minMs: 150, minRuns: 3 } : { warmMs: 200, minMs: 600, minRuns: 7 };
  const rounds = quick ? 1 : 3;
  const log = (line: string) => {
    if (!json) process.stderr.write(line + '\n');
  };
  log(`bench suite: backends ${backends.join(', ')} and native (gcc -O2), ${rounds} round(s)`);
  const rows: Row[] = only.map((p) => runProgram(p, { root, outDir: join(root, 'bench', 'out', 'suite'), rounds, timing, log, backends }));
  const command = ['npm run bench -- suite', ...argv].join(' ');
  const summary = summarize(rows, { command, quick, rounds, timing });
  if (json) process.stdout.write(toJson(summary) + '\n');
  else process.stdout.write(toMarkdown(summary) + '\n');
  if (flags.has('--write')) {
    const png = join(root, 'bench', 'suite-ratios.png');
    await writeChart(summary, png);
    writeResults(join(root, 'bench', 'RESULTS.md'), summary);
    log(`bench suite: wrote bench/RESULTS.md (suite section) and bench/suite-ratios.png`);
  }
}

const usage = (msg: string): never => {
  process.stderr.write(`bench suite: ${msg}; options: --json --quick --write --check --only PROGRAM,.. --backends BACKEND,..\n`);
  process.exit(2);
};

/** parseArgs reads the suite's options: the flags, and the programs and backends to measure (all by default). */
function parseArgs(argv: string[]): { flags: Set<string>; only: readonly BenchProgram[]; backends: string[] } {
  const flags = new Set<string>();
  let only = SUITE_PROGRAMS;
  let backends = backendNames();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (['--json', '--quick', '--write', '--check'].includes(a)) flags.add(a);
    else if (a === '--only' || a === '--backends') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const known = a === '--only' ? SUITE_PROGRAMS.map((p) => p.name) : backendNames();
      const bad = names.filter((n) => !known.includes(n));
      if (!names.length || bad.length) usage(`${a} takes a comma-separated list of ${known.join(', ')}${bad.length ? `, not ${bad.join(', ')}` : ''}`);
      if (a === '--only') only = SUITE_PROGRAMS.filter((p) => names.includes(p.name));
      else backends = names;
    } else usage(`unknown option ${a}`);
  }
  if (flags.has('--write') && (only !== SUITE_PROGRAMS || backends.length !== backendNames().length)) usage('--write records the whole suite: drop --only and --backends');
  return { flags, only, backends };
}

function check(root: string, json: boolean, only: readonly BenchProgram[], backends: string[]): void {
  const results = only.map((p) => checkProgram(p, { root, outDir: join(root, 'bench', 'out', 'suite-check'), backends }));
  const bad = results.filter((r) => Object.values(r.backends).some((v) => v !== r.native));
  if (json) process.stdout.write(JSON.stringify({ results, mismatches: bad.map((r) => r.program) }, null, 2) + '\n');
  else for (const r of results) process.stdout.write(`${r.program}: native ${r.native}, ${Object.entries(r.backends).map(([b, v]) => `${b} ${v}`).join(', ')}\n`);
  if (bad.length) {
    process.stderr.write(`bench suite: results differ from native: ${bad.map((r) => r.program).join(', ')}\n`);
    process.exitCode = 1;
  }
}

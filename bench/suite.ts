/**
 * `npm run bench -- suite [--json] [--quick] [--write] [--check]`: the C programs of bench/c/ built with clang -target bpf
 * (run on every engine in ENGINES) and with gcc -O2 (the native baseline), timed side by side in one run.
 * --json prints the figures on stdout; --write updates the suite section of bench/RESULTS.md and writes the ratio
 * chart bench/suite-ratios.png. --check only compares each program's result on every backend with the native one
 * (no timing; test/bench-suite.test.ts uses it) and exits 1 on a difference.
 */
import { join } from 'node:path';
import { SUITE_PROGRAMS } from './suite/programs.js';
import { backendNames, checkProgram, prepareBackends, runProgram, type Row } from './suite/run.js';
import { missingTools } from './suite/build.js';
import { summarize, toJson, toMarkdown, writeResults } from './suite/report.js';
import { writeChart } from './suite/chart.js';

/** main runs the suite (scripts/bench.mjs passes the remaining arguments and the repository root). */
export async function main(argv: string[], _varLib: unknown, root: string): Promise<void> {
  const unknown = argv.filter((a) => !['--json', '--quick', '--write', '--check'].includes(a));
  if (unknown.length) {
    process.stderr.write(`bench suite: unknown option ${unknown.join(' ')}; options: --json --quick --write --check\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const missing = missingTools();
  if (missing) {
    process.stderr.write(`bench suite: cannot build the C programs: ${missing} (install clang, gcc and libbpf-dev)\n`);
    process.exit(1);
  }
  await prepareBackends();
  if (argv.includes('--check')) return check(root, json);
  const timing = quick ? { warmMs: 100, minMs: 150, minRuns: 3 } : { warmMs: 200, minMs: 600, minRuns: 7 };
  const rounds = quick ? 1 : 3;
  const log = (line: string) => {
    if (!json) process.stderr.write(line + '\n');
  };
  log(`bench suite: backends ${backendNames().join(', ')} and native (gcc -O2), ${rounds} round(s)`);
  const rows: Row[] = SUITE_PROGRAMS.map((p) => runProgram(p, { root, outDir: join(root, 'bench', 'out', 'suite'), rounds, timing, log }));
  const command = ['npm run bench -- suite', ...argv].join(' ');
  const summary = summarize(rows, { command, quick, rounds, timing });
  if (json) process.stdout.write(toJson(summary) + '\n');
  else process.stdout.write(toMarkdown(summary) + '\n');
  if (argv.includes('--write')) {
    const png = join(root, 'bench', 'suite-ratios.png');
    await writeChart(summary, png);
    writeResults(join(root, 'bench', 'RESULTS.md'), summary);
    log(`bench suite: wrote bench/RESULTS.md (suite section) and bench/suite-ratios.png`);
  }
}

function check(root: string, json: boolean): void {
  const results = SUITE_PROGRAMS.map((p) => checkProgram(p, { root, outDir: join(root, 'bench', 'out', 'suite-check') }));
  const bad = results.filter((r) => Object.values(r.backends).some((v) => v !== r.native));
  if (json) process.stdout.write(JSON.stringify({ results, mismatches: bad.map((r) => r.program) }, null, 2) + '\n');
  else for (const r of results) process.stdout.write(`${r.program}: native ${r.native}, ${Object.entries(r.backends).map(([b, v]) => `${b} ${v}`).join(', ')}\n`);
  if (bad.length) {
    process.stderr.write(`bench suite: results differ from native: ${bad.map((r) => r.program).join(', ')}\n`);
    process.exitCode = 1;
  }
}

/**
 * `npm run bench -- verify-suite [--json] [--quick] [--only P,..]`: what verifying the backend suite's bench() costs,
 * verified as the suite's `+verified` rows verify it (bench/suite/vm.ts: `verifySpec` for the objects, the raw program
 * for the input-memory ones, under VERIFY_LIMIT). The programs are built from bench/c as the suite builds them (clang),
 * into bench/out/verify-suite. Each row: the verdict and statistics of one verification, the first call's wall time in
 * this process (the verifier not yet optimised for the program) and the median of the calls after it. The two with a
 * loop inside a 64-key loop (strcmp_mismatch, strcmp_mismatch_input) are why it exists (bench/RESULTS.md, "Nested loops").
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { verifyProgram, verifySpec, type VerifyResult } from '../src/verifier/index.js';
import { buildProgram, missingTools } from './suite/build.js';
import { SUITE_PROGRAMS, type BenchProgram } from './suite/programs.js';
import { VERIFY_LIMIT } from './suite/vm.js';
import { measure } from './measure.js';

interface Row {
  name: string;
  verdict: string;
  stats: VerifyResult['stats'];
  firstMs: number;
  medianMs: number;
  runs: number;
}

/** verifyBench verifies `p`'s bench() from its built object as the suite's `+verified` rows do. */
function verifyBench(p: BenchProgram, object: string): () => VerifyResult {
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
  const bench = spec.programs.find((x) => x.name === 'bench')!;
  if (p.input) return () => verifyProgram(bench.insns, { type: 'raw', program: 'bench', maxInsns: VERIFY_LIMIT });
  return () => verifySpec(bench, spec.maps, { maxInsns: VERIFY_LIMIT });
}

export async function main(argv: string[], _lib: unknown, root: string): Promise<void> {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1]?.split(',') : undefined;
  const unknown = argv.filter((a, i) => !['--json', '--quick', '--only'].includes(a) && !(onlyAt >= 0 && i === onlyAt + 1));
  if (unknown.length || (onlyAt >= 0 && !only)) {
    process.stderr.write(`bench verify-suite: unknown option ${unknown.join(' ')}; options: --json --quick --only P,..\n`);
    process.exit(2);
  }
  const missing = missingTools();
  if (missing) {
    process.stderr.write(`bench verify-suite: cannot build the suite's programs: ${missing}\n`);
    process.exit(2);
  }
  const quick = argv.includes('--quick');
  const programs = SUITE_PROGRAMS.filter((p) => p.kind === 'work' && (!only || only.includes(p.name)));
  const rows: Row[] = programs.map((p) => {
    const verify = verifyBench(p, buildProgram(root, p, join(root, 'bench', 'out', 'verify-suite')).bpfObject);
    const t = performance.now();
    const r = verify();
    const firstMs = performance.now() - t;
    const s = measure(() => void verify(), quick ? { warmMs: 0, minMs: 0, minRuns: 2 } : { warmMs: 0, minMs: 500, minRuns: 5 });
    return { name: p.name, verdict: r.ok ? 'accepted' : `rejected: ${r.error!.message}`, stats: r.stats, firstMs, medianMs: s.medianMs, runs: s.runs };
  });
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- verify-suite', ...argv].join(' '), loadavg: loadavg(), limit: VERIFY_LIMIT, rows }, null, 2) + '\n');
    return;
  }
  const out = [
    '| program | verdict | insns processed | states explored | pruned | peak states | loops widened | first call (ms) | median (ms) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.verdict.replace(/\|/g, '/')} | ${r.stats.insnsProcessed} | ${r.stats.statesExplored} | ${r.stats.statesPruned} | ${r.stats.peakStates} | ${r.stats.loopsWidened} | ${r.firstMs.toFixed(1)} | ${r.medianMs.toFixed(1)} (${r.runs} runs) |`),
    '',
    `Load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

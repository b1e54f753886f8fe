/**
 * `npm run bench -- native [--json] [--rounds N] [--runs N]`: what one run of a program through the native runtime
 * costs (docs/native.md, "runtime"), the part of a uprobe hit that is not the hook. Programs of
 * test/fixtures/native/native.bpf.c, compiled with clang and src/native (eBPF -> Wasm -> wasm2c -> cc -O2), run by
 * native-hooks/build/tests/runtime/runner-bench (the runtime built as the agent is, without sanitizers) over a real
 * segment, `bpftime_prog_run` with a 168-byte pt_regs context in a loop: `empty` (the call path alone) and `hit` (a
 * hash map lookup and an atomic increment, what a counting probe does). Each round times one thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: on a shared machine, time spent descheduled is not the runtime's) over --runs runs, next
 * to a loop calling an empty noinline function the same way (the baseline); the table gives the fastest and the
 * median round.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { compileCollectionProgram } from '../src/native/aot.js';
import { buildContext } from '../src/runtime/context.js';
import { mapsArg } from '../test/native-runner-args.js';

const PROGRAMS = ['empty', 'hit'] as const;

interface Row {
  program: string;
  minNs: number;
  medianNs: number;
  baselineNs: number;
}

const option = (argv: string[], name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};

export async function main(argv: string[], _lib: unknown, root: string): Promise<void> {
  const json = argv.includes('--json');
  const rounds = option(argv, '--rounds', 9);
  const runs = option(argv, '--runs', 500_000);
  const work = mkdtempSync(join(tmpdir(), 'bpftime-vm-bench-native-'));
  try {
    execFileSync('make', ['-s', '-C', join(root, 'native-hooks'), 'build/tests/runtime/runner-bench'], { stdio: 'inherit' });
    const object = join(work, 'native.bpf.o');
    const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu';
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-D__TARGET_ARCH_x86', `-I/usr/include/${multiarch}`, '-c', join(root, 'test/fixtures/native/native.bpf.c'), '-o', object]);
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
    const runner = join(root, 'native-hooks/build/tests/runtime/runner-bench');
    const rows: Row[] = [];
    for (const name of PROGRAMS) {
      const p = spec.programs.find((x) => x.name === name)!;
      const so = await compileCollectionProgram(spec, name, { cacheDir: join(work, 'cache') });
      const ctx = Buffer.from(buildContext(p, { args: [13n] }).ctx(0)).toString('hex');
      const times: number[] = [];
      const baselines: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const out = execFileSync(runner, ['--bench', '--runs', String(runs), '--ctx', ctx, '--maps', mapsArg(spec), so.path], { encoding: 'utf8' });
        const bench = out.split('\n').filter((l) => l.includes('"bench"')).map((l) => JSON.parse(l).bench)[0];
        times.push(bench.ns_per_run);
        baselines.push(bench.baseline_ns);
      }
      times.sort((a, b) => a - b);
      rows.push({ program: name, minNs: times[0], medianNs: times[times.length >> 1], baselineNs: Math.min(...baselines) });
    }
    if (json) {
      process.stdout.write(JSON.stringify({ rounds, runs, rows }, null, 2) + '\n');
      return;
    }
    console.log(`native runtime: ns per bpftime_prog_run, ${rounds} rounds of ${runs} runs (thread CPU time)\n`);
    console.log('| program | fastest round | median round | baseline call |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.program} | ${r.minNs.toFixed(1)} ns | ${r.medianNs.toFixed(1)} ns | ${r.baselineNs.toFixed(1)} ns |`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

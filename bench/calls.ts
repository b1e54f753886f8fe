/**
 * `npm run bench -- calls [--json] [--quick]`: what one call of a tiny program costs from JavaScript, on every engine,
 * side by side in one process: a raw program (`mov r0, 0; exit`) through `Interpreter.run` and through a loaded
 * program's `run` (`loadRaw`), and a uprobe program through `Program.run` with its `pt_regs` built from two arguments
 * (the same empty program, and one that reads both arguments from the context), with the context copied out (the
 * default), copied into a reused array (`ctxOut: mine`) and not (`ctxOut: false`), beside a plain JavaScript function
 * call. Each figure is ns per call: the
 * median of timed batches of calls after a warm-up, timed in CPU time of the process (`process.cpuUsage`): on a
 * shared machine wall time also counts the time other processes held the CPU. A run measures three rounds, the
 * cases in a different order each round, and reports every round's figure.
 */
import { assemble } from '../src/isa/index.js';
import { loadRaw, prepareBackend, ENGINES } from '../src/runtime/backends.js';
import { Collection } from '../src/runtime/collection.js';
import type { LoadedCollection } from '../src/loader/collection.js';
import type { ProgramSpec } from '../src/loader/spec.js';
import { Interpreter } from '../src/vm/index.js';

const EMPTY = 'mov %r0, 0\nexit';
/** Reads di and si of the pt_regs (offsets 112 and 104) and returns their sum. */
const ADD_ARGS = 'ldxdw %r0, [%r1+112]\nldxdw %r2, [%r1+104]\nadd %r0, %r2\nexit';

interface Case {
  name: string;
  engine: string;
  /** Runs the case `n` times. */
  calls(n: number): void;
}

interface Row {
  name: string;
  engine: string;
  /** ns per call, one figure per round. */
  rounds: number[];
}

/** uprobeCollection is a collection holding one uprobe program with the given code and no maps. */
function uprobeCollection(text: string, backend: string): Collection {
  const prog: ProgramSpec = {
    name: 'probe', section: 'uprobe/target:fn', type: 'uprobe', attachType: 'uprobe',
    attach: { binary: 'target', func: 'fn', attachable: true }, sleepable: false, insns: assemble(text),
    subprograms: [], mapRefs: [], funcInfo: [], lineInfo: [], coreRelocations: [], license: 'GPL',
  };
  const spec: LoadedCollection = { programs: [prog], maps: [], license: 'GPL', kernelVersion: 0 };
  return new Collection(spec, { backend });
}

/** check fails the bench when a case does not compute what it should (a broken fast path must not look fast). */
function check(what: string, got: bigint, want: bigint): void {
  if (got !== want) throw new Error(`bench calls: ${what}: r0 = ${got}, expected ${want}`);
}

/** plain is the baseline: a JavaScript function that is not inlined, returning an object as a run does. */
function plain(x: number): { r0: bigint; steps: number } {
  return { r0: 0n, steps: x };
}
let sink: unknown;

function cases(): Case[] {
  const out: Case[] = [];
  out.push({ name: 'plain JavaScript function call', engine: 'js', calls: (n) => { for (let i = 0; i < n; i++) sink = plain(i); } });
  const vm = new Interpreter();
  const prepared = vm.load(assemble(EMPTY));
  out.push({ name: 'raw `mov r0, 0; exit`: Interpreter.run', engine: 'interp', calls: (n) => { for (let i = 0; i < n; i++) vm.run(prepared); } });
  const args = [3n, 4n];
  for (const engine of ENGINES) {
    const raw = loadRaw(assemble(EMPTY), { backend: engine });
    check(`raw ${engine}`, raw.run().r0, 0n);
    out.push({ name: 'raw `mov r0, 0; exit`: LoadedProgram.run', engine, calls: (n) => { for (let i = 0; i < n; i++) raw.run(); } });
    const empty = uprobeCollection(EMPTY, engine).program('probe');
    check(`uprobe ${engine}`, empty.run({ args }).r0, 0n);
    out.push({ name: 'uprobe, empty: Program.run({ args: [3n, 4n] })', engine, calls: (n) => { for (let i = 0; i < n; i++) empty.run({ args }); } });
    const add = uprobeCollection(ADD_ARGS, engine).program('probe');
    check(`uprobe add ${engine}`, add.run({ args }).r0, 7n);
    out.push({ name: 'uprobe, r0 = di + si: Program.run({ args: [3n, 4n] })', engine, calls: (n) => { for (let i = 0; i < n; i++) add.run({ args }); } });
    const mine = new Uint8Array(168);
    out.push({ name: 'uprobe, r0 = di + si: Program.run({ args: [3n, 4n], ctxOut: mine })', engine, calls: (n) => { for (let i = 0; i < n; i++) add.run({ args, ctxOut: mine }); } });
    out.push({ name: 'uprobe, r0 = di + si: Program.run({ args: [3n, 4n], ctxOut: false })', engine, calls: (n) => { for (let i = 0; i < n; i++) add.run({ args, ctxOut: false }); } });
  }
  return out;
}

/** cpuNs is the CPU time this process has used, in nanoseconds (microsecond resolution). */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** nsPerCall times batches of `batch` calls for about `ms` after a warm-up and returns the median CPU ns per call. */
function nsPerCall(c: Case, batch: number, ms: number): number {
  const warmEnd = performance.now() + ms / 3;
  while (performance.now() < warmEnd) c.calls(batch);
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (samples.length < 7 || performance.now() < end) {
    const t = cpuNs();
    c.calls(batch);
    samples.push((cpuNs() - t) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => !['--json', '--quick'].includes(a));
  if (unknown.length) {
    process.stderr.write(`bench calls: unknown option ${unknown.join(' ')}; options: --json --quick\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  await prepareBackend('wasm-opt');
  const all = cases();
  const rows = new Map<Case, number[]>(all.map((c) => [c, []]));
  const ms = quick ? 100 : 400;
  for (let round = 0; round < 3; round++) {
    const order = round % 2 ? [...all].reverse() : all;
    for (const c of order) rows.get(c)!.push(nsPerCall(c, 10_000, ms));
  }
  const result: Row[] = all.map((c) => ({ name: c.name, engine: c.engine, rounds: rows.get(c)! }));
  if (json) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- calls', ...argv].join(' '), node: process.version, rows: result }, null, 2) + '\n');
    return;
  }
  const names = [...new Set(result.map((r) => r.name))];
  const engines = [...new Set(result.map((r) => r.engine))];
  const cell = (r: Row | undefined) => (r ? r.rounds.map((x) => x.toFixed(0)).join(' / ') : '');
  const lines = [
    `Node ${process.version}; CPU ns per call, rounds 1 / 2 / 3 (median of batches of 10,000 calls).`,
    '',
    `| case | ${engines.join(' | ')} |`,
    `|---|${engines.map(() => '---:').join('|')}|`,
    ...names.map((n) => `| ${n} | ${engines.map((e) => cell(result.find((r) => r.name === n && r.engine === e))).join(' | ')} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

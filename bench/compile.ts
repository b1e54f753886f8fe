/**
 * `npm run bench -- compile [--json] [--quick]`: what preparing a program costs on each engine. For `wasm-fast` and
 * `wasm-opt`: validation, translation, `new WebAssembly.Module` and instantiation (the runtime's `compileOn`); for
 * `interp`, for reference, its validation and pre-decoding (`Interpreter.load`). V8 compiles Wasm functions lazily, on
 * their first call (Liftoff for wasm-fast), so `wasm-fast` leaves that to the first run; the `wasm-fast (eager)` row
 * turns lazy compilation off to include it. Programs are generated
 * deterministically at about 100, 1000, 5000 and 10000 instructions: straight-line ALU, stack stores and loads, forward
 * branches, a bounded loop every ~100 instructions and a helper call (sqrti, id 3 of the default set) every ~250. Each figure is the median of several
 * compiles after a warm-up; the marginal cost is the slope from the 1000-instruction program to the largest that
 * compiled, the fixed cost that line taken at 0 instructions. A size an engine cannot compile (binaryen's Relooper
 * overflows the stack on the 10000-instruction program) is reported with its error instead of a time.
 */
import * as v8 from 'node:v8';
import { assemble, type Insn } from '../src/isa/index.js';
import { countInsns, prepareBackend } from '../src/runtime/backends.js';
import { compileOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';

const SIZES = [100, 1000, 5000, 10000] as const;
/** `wasm-fast (eager)` is wasm-fast with V8's lazy compilation off: Liftoff compiles every function up front. */
const ENGINES = ['wasm-fast', 'wasm-fast (eager)', 'wasm-opt', 'interp'] as const;
type Engine = (typeof ENGINES)[number];

/** generate writes a program of about `n` instructions (see the file comment); r6 counts loops, r10 is untouched. */
export function generate(n: number): string {
  const lines: string[] = ['mov %r0, 0', 'mov %r2, 7', 'mov %r3, 11', 'mov %r4, 13', 'mov %r5, 17'];
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const ops = ['add', 'sub', 'mul', 'xor', 'or', 'and', 'lsh', 'rsh', 'arsh', 'mov'];
  const reg = (): string => `%r${[0, 2, 3, 4, 5][rnd(5)]}`;
  let label = 0;
  let count = 5;
  const push = (...ls: string[]): void => {
    for (const l of ls) {
      lines.push(l);
      if (!l.endsWith(':')) count++;
    }
  };
  while (count < n - 1) {
    const at = count;
    if (at % 250 < 10 && at > 10) {
      push('mov %r1, 81', 'call 3', 'add %r0, 1', 'mov %r2, 7', 'mov %r3, 11', 'mov %r4, 13', 'mov %r5, 17');
      continue;
    }
    if (at % 100 < 10 && at > 10) {
      const l = `loop${label++}`;
      push('mov %r6, 4', `${l}:`, 'add %r0, %r6', `stxdw [%r10-${8 * (1 + rnd(60))}], %r0`, 'sub %r6, 1', `jne %r6, 0, ${l}`);
      continue;
    }
    switch (rnd(8)) {
      case 0: {
        const l = `skip${label++}`;
        push(`jgt ${reg()}, ${rnd(100)}, ${l}`, `add ${reg()}, ${rnd(50)}`, `xor ${reg()}, ${reg()}`, `${l}:`);
        break;
      }
      case 1: push(`stxdw [%r10-${8 * (1 + rnd(60))}], ${reg()}`); break;
      case 2: push(`ldxdw ${reg()}, [%r10-${8 * (1 + rnd(60))}]`); break;
      case 3: push(`${ops[rnd(ops.length)]}32 ${reg()}, ${rnd(31)}`); break;
      default: push(`${ops[rnd(ops.length)]} ${reg()}, ${rnd(2) ? reg() : rnd(31)}`);
    }
  }
  lines.push('exit');
  return lines.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** timeCompile prepares `insns` on `engine` `runs` times (after `warm` untimed ones) and returns the median ms. */
function timeCompile(engine: Engine, insns: readonly Insn[], runs: number, warm: number): number | string {
  try {
    return timeRuns(engine, insns, runs, warm);
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

function timeRuns(engine: Engine, insns: readonly Insn[], runs: number, warm: number): number {
  if (engine === 'wasm-fast (eager)') v8.setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return timeEach(engine, insns, runs, warm);
  } finally {
    v8.setFlagsFromString('--wasm-lazy-compilation');
  }
}

function timeEach(engine: Engine, insns: readonly Insn[], runs: number, warm: number): number {
  const times: number[] = [];
  for (let k = 0; k < warm + runs; k++) {
    const vm = new Interpreter({});
    const t0 = performance.now();
    if (engine === 'interp') vm.load(insns);
    else compileOn(vm, insns, { tier: engine === 'wasm-opt' ? 'opt' : 'fast' });
    const dt = performance.now() - t0;
    if (k >= warm) times.push(dt);
  }
  return median(times);
}

/** Row is the figures of one engine. */
interface Row {
  engine: Engine;
  /** Median ms per program size (instructions as counted), or the error compiling it. */
  ms: Record<number, number | string>;
  /** Largest program the marginal cost is measured to. */
  largest: number;
  fixedMs: number;
  perThousandMs: number;
  perThousandSmallMs: number;
}

/** main runs the suite (scripts/bench.mjs passes the remaining arguments and the repository root). */
export async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => !['--json', '--quick'].includes(a));
  if (unknown.length) {
    process.stderr.write(`bench compile: unknown option ${unknown.join(' ')}; options: --json --quick\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  await prepareBackend('wasm-opt');
  const programs = SIZES.map((n) => assemble(generate(n)));
  const counts = programs.map(countInsns);
  // Sanity: every generated program runs to its exit on the interpreter.
  for (const p of programs) {
    const vm = new Interpreter({});
    vm.run(vm.load(p), { budget: 0 });
  }
  // Warm every engine's code paths first, so that the first row measured is not also warming up the process.
  for (const engine of ENGINES) timeCompile(engine, programs[1], 1, quick ? 2 : 20);
  const rows: Row[] = ENGINES.map((engine) => {
    const ms: Record<number, number | string> = {};
    programs.forEach((p, i) => {
      const big = counts[i] > 2000;
      ms[counts[i]] = timeCompile(engine, p, quick ? 3 : big ? 21 : 31, quick ? 1 : big ? 5 : 10);
    });
    const t = (n: number): number => (typeof ms[n] === 'number' ? ms[n] : NaN);
    const [a, b] = counts;
    const c = [...counts].reverse().find((n) => typeof ms[n] === 'number' && n > b) ?? b;
    const perThousandMs = ((t(c) - t(b)) / (c - b)) * 1000;
    const perThousandSmallMs = ((t(b) - t(a)) / (b - a)) * 1000;
    return { engine, ms, largest: c, fixedMs: Math.max(0, t(b) - (perThousandMs * b) / 1000), perThousandMs, perThousandSmallMs };
  });
  if (json) {
    process.stdout.write(JSON.stringify({ command: ['npm run bench -- compile', ...argv].join(' '), sizes: counts, rows }, null, 2) + '\n');
    return;
  }
  const f = (x: number | string): string => (typeof x === 'string' ? `fails (${x.split(':')[0]})` : x >= 10 ? x.toFixed(1) : x.toFixed(3));
  const out = [
    `| engine | ${counts.map((n) => `${n} insns (ms)`).join(' | ')} | fixed (ms) | ms per 1000 insns (from ${counts[1]}) | ms per 1000 insns (${counts[0]} to ${counts[1]}) |`,
    `|---|${counts.map(() => '---:').join('|')}|---:|---:|---:|`,
    ...rows.map((r) => `| \`${r.engine}\` | ${counts.map((n) => f(r.ms[n])).join(' | ')} | ${f(r.fixedMs)} | ${f(r.perThousandMs)} (to ${r.largest}) | ${f(r.perThousandSmallMs)} |`),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

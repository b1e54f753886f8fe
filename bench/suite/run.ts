/**
 * Measuring the suite: for each program, rounds in which every engine in ENGINES and the native build are timed
 * one after the other (the order alternating between rounds), so the ratios compare figures taken side by side on a
 * shared, noisy machine. A program's figure is the median of its round medians.
 */
import { assemble } from '../../src/isa/index.js';
import { ENGINES, loadRaw, prepareBackend } from '../../src/runtime/backends.js';
import { buildProgram } from './build.js';
import { measureNative, nativeResult, type Timing } from './native.js';
import type { BenchProgram } from './programs.js';
import { engineOf, FACTS_SUFFIX, VERIFIED_SUFFIX, loadBench, measureBench, steadyCompile, type CompileStats, type LoadedBench, type VmSample } from './vm.js';

/** TierResult is one benchmark on one backend. */
export interface TierResult {
  /** Median time per call in nanoseconds. */
  ns: number;
  /** ns divided by the native ns of the same program. */
  ratio: number;
  /** eBPF instructions run per call and millions of them per second. */
  steps: number;
  mips: number;
  /** Compile statistics when the backend reports them (null when it does not). */
  compile: CompileStats | null;
  /** The backend name the program reports (the requested one when it does not say). */
  reported: string;
}

/** Row is one benchmark's figures. */
export interface Row {
  program: string;
  what: string;
  kind: BenchProgram['kind'];
  insns: number;
  r0: string;
  nativeNs: number;
  tiers: Record<string, TierResult>;
  /** Backends that could not give a time for this program, and why. */
  errors: Record<string, string>;
  /** `+verified` backends on which the verifier rejected bench() (it ran with every check), with the rejection. */
  unverified?: Record<string, string>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** SuiteOptions sets the build directory, the rounds and the timing of each measurement. */
export interface SuiteOptions {
  root: string;
  outDir: string;
  rounds: number;
  timing: Timing;
  log: (line: string) => void;
  /** Backends to measure (by default every engine). */
  backends?: readonly string[];
}

/**
 * backendNames lists the engines this build provides (not `auto`, which picks one of them), then each JIT tier given
 * the declared facts (`wasm-fast+facts`, programs.ts DECLARED_FACTS), then each JIT tier given the facts the verifier
 * proved (`wasm-fast+verified`): the suite measures all.
 */
export const backendNames = (): string[] => {
  const jits = ENGINES.filter((e) => e !== 'interp');
  return [...ENGINES, ...jits.map((e) => e + FACTS_SUFFIX), ...jits.map((e) => e + VERIFIED_SUFFIX)];
};

/**
 * prepareBackends loads what the engines need before the first program (binaryen for the Wasm tiers) and compiles a
 * small loop once on each, so compile times are steady-state ones: the first compile in a process also pays for
 * warming up binaryen and V8 (about 100 ms, docs/jit-wasm.md), which no other program would.
 */
export async function prepareBackends(backends: readonly string[] = backendNames()): Promise<void> {
  const warm = assemble('mov %r0, 0\nmov %r1, 100\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, -3\nexit');
  for (const b of new Set(backends.map(engineOf))) {
    await prepareBackend(b);
    loadRaw(warm, { backend: b }).run();
  }
}

/** tryLoad loads `object` on `backend`, turning a failure into its message (reported, never hidden). */
function tryLoad(object: string, backend: string, p: BenchProgram): LoadedBench | string {
  try {
    return loadBench(object, backend, p);
  } catch (e) {
    return `load failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * runProgram measures one benchmark. A backend that fails to load or run it, or returns another result than the
 * native build, gets an entry in `errors` instead of a time.
 */
export function runProgram(p: BenchProgram, o: SuiteOptions): Row {
  const built = buildProgram(o.root, p, o.outDir);
  const expected = nativeResult(built.nativeExe);
  const errors: Record<string, string> = {};
  const loaded = new Map<string, LoadedBench>();
  for (const b of o.backends ?? backendNames()) {
    const l = tryLoad(built.bpfObject, b, p);
    if (typeof l === 'string') errors[b] = l;
    else loaded.set(b, l);
  }
  const nativeNs: number[] = [];
  const vm = new Map<string, VmSample[]>([...loaded.keys()].map((b) => [b, []]));
  for (let r = 0; r < o.rounds; r++) {
    const order = [...loaded.keys(), 'native'];
    if (r % 2) order.reverse();
    for (const name of order) {
      if (name === 'native') nativeNs.push(measureNative(built.nativeExe, o.timing).medianNs);
      else if (!errors[name]) {
        try {
          const s = measureBench(loaded.get(name)!, o.timing);
          if (s.r0 === expected) vm.get(name)!.push(s);
          else errors[name] = `wrong result 0x${s.r0.toString(16)}, native 0x${expected.toString(16)}`;
        } catch (e) {
          errors[name] = `run failed: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    }
  }
  const nat = median(nativeNs);
  const tiers: Record<string, TierResult> = {};
  for (const [name, b] of loaded) {
    if (errors[name]) continue;
    const samples = vm.get(name)!;
    const ns = median(samples.map((x) => x.medianNs));
    const steps = samples[0].steps;
    const compile = b.compile ? steadyCompile(built.bpfObject, name, p) : null;
    tiers[name] = { ns, ratio: ns / nat, steps, mips: (steps / ns) * 1e3, compile, reported: b.backend };
    o.log(`  ${p.name} ${name}: ${fmtNs(ns)} (${(ns / nat).toFixed(1)}x native ${fmtNs(nat)}), ${((steps / ns) * 1e3).toFixed(1)} M insn/s`);
  }
  for (const [name, msg] of Object.entries(errors)) o.log(`  ${p.name} ${name}: ${msg}`);
  const unverified: Record<string, string> = {};
  for (const [name, b] of loaded) if (b.unverified) unverified[name] = b.unverified;
  for (const [name, msg] of Object.entries(unverified)) o.log(`  ${p.name} ${name}: not verified, ran with every check: ${msg}`);
  const insns = [...loaded.values()][0]?.insns ?? 0;
  return { program: p.name, what: p.what, kind: p.kind, insns, r0: `0x${expected.toString(16)}`, nativeNs: nat, tiers, errors, ...(Object.keys(unverified).length ? { unverified } : {}) };
}

/** CheckResult is one benchmark's result natively and on each backend (hex strings). */
export interface CheckResult {
  program: string;
  native: string;
  backends: Record<string, string>;
}

/** checkProgram builds `p` and runs bench() once natively and once on each backend, without timing. */
export function checkProgram(p: BenchProgram, o: Pick<SuiteOptions, 'root' | 'outDir' | 'backends'>): CheckResult {
  const built = buildProgram(o.root, p, o.outDir);
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  const backends: Record<string, string> = {};
  for (const b of o.backends ?? backendNames()) {
    const loaded = tryLoad(built.bpfObject, b, p);
    if (typeof loaded === 'string') backends[b] = loaded;
    else {
      try {
        backends[loaded.backend === engineOf(b) ? b : `${b} (ran on ${loaded.backend})`] = hex(loaded.once().r0);
      } catch (e) {
        backends[b] = `run failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  return { program: p.name, native: hex(nativeResult(built.nativeExe)), backends };
}

/** fmtNs prints a duration given in nanoseconds with a readable unit. */
export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

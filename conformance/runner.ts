/**
 * The conformance runner: grades parsed `.data` files on a backend with the official runner's rules. A test is
 * skipped when the official parser would skip it, when its instructions need a newer ISA version or a group that is
 * not enabled, or when an include/exclude pattern says so. Results compare all 64 bits of r0. One deliberate
 * difference: a test that expects an error fails if the program runs without one (the official runner would compare
 * r0 with 0 instead).
 */
import { BpfError } from '../src/errors.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import {
  DEFAULT_GROUPS,
  groupNames,
  programRequirement,
  type CpuVersion,
} from '../src/isa/index.js';
import { loadRaw } from '../src/runtime/backends.js';
import type { VerifyMode } from '../src/verifier/index.js';
import { programOf, type ConformanceTest } from './reader.js';

/** Status is the outcome of one test file. */
export type Status = 'PASS' | 'FAIL' | 'SKIP';

/** TestResult is the graded outcome of one file. */
export interface TestResult {
  name: string;
  status: Status;
  /** Why it failed or was skipped. */
  message?: string;
  expected?: string;
  actual?: string;
  /** Wall time of the run in milliseconds (loading included). */
  ms?: number;
  /** The verifier's verdict on the program (verify `warn`): `accepted`, or the rejection. */
  verifier?: string;
}

/** RunnerOptions mirrors the official runner's options. */
export interface RunnerOptions {
  backend?: string;
  cpuVersion?: CpuVersion;
  /** Enabled group bits; default DEFAULT_GROUPS. */
  groups?: number;
  include?: RegExp;
  exclude?: RegExp;
  /** Instruction budget for tests that do not set one. */
  budget?: number;
  /**
   * What the verifier does (default `warn`): the suite includes programs that are deliberately unsafe for a static
   * verifier (unchecked input reads, callx, divisions the kernel would refuse), so its verdict is recorded in
   * `verifier` without changing the grade; `strict` grades rejected programs as failures, `off` skips it.
   */
  verify?: VerifyMode;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

/** gate returns why a test must be skipped under `opts`, or undefined to run it. */
function gate(test: ConformanceTest, opts: RunnerOptions): string | undefined {
  if (test.skip) return test.skip;
  if (opts.include && !opts.include.test(test.name)) return 'not matched by the include pattern';
  if (opts.exclude && opts.exclude.test(test.name)) return 'matched by the exclude pattern';
  return undefined;
}

/** runTest grades one parsed test. */
export function runTest(test: ConformanceTest, opts: RunnerOptions = {}): TestResult {
  const name = test.name;
  const skip = gate(test, opts);
  if (skip) return { name, status: 'SKIP', message: skip };
  const started = performance.now();
  let actual: bigint;
  let verdict: string | undefined;
  try {
    const insns = programOf(test);
    if (insns.length === 0) return { name, status: 'SKIP', message: 'test file has no instructions' };
    const need = programRequirement(insns);
    const cpu = opts.cpuVersion ?? 4;
    const missing = need.groups & ~(opts.groups ?? DEFAULT_GROUPS);
    if (need.cpu > cpu) return { name, status: 'SKIP', message: `requires ISA v${need.cpu} (running v${cpu})` };
    if (missing) return { name, status: 'SKIP', message: `requires group ${groupNames(missing).join(', ')}` };
    const prog = loadRaw(insns, {
      backend: opts.backend,
      helpers: ubpfTestHelpers(),
      maxCallDepth: test.options.maxCallDepth,
      section: name,
      verify: opts.verify ?? 'warn',
      onWarning: (e) => (verdict = e.message),
    });
    if (prog.verification?.ok) verdict = 'accepted';
    actual = prog.run({ input: test.mem.length ? test.mem : undefined, budget: test.options.budget ?? opts.budget })
      .r0;
  } catch (e) {
    const ms = performance.now() - started;
    const message = e instanceof BpfError ? e.message : String(e);
    if (!(e instanceof BpfError)) return { name, status: 'FAIL', message: `internal error: ${message}`, ms };
    if (test.error === undefined) return { name, status: 'FAIL', message: `unexpected error: ${message}`, ms };
    if (test.error === message) return { name, status: 'PASS', ms, ...(verdict ? { verifier: verdict } : {}) };
    return { name, status: 'FAIL', message: 'wrong error', expected: test.error, actual: message, ms };
  }
  const ms = performance.now() - started;
  if (test.error !== undefined) {
    return { name, status: 'FAIL', message: 'expected an error', expected: test.error, actual: hex(actual), ms };
  }
  if (actual !== test.result) {
    return { name, status: 'FAIL', message: 'wrong r0', expected: hex(test.result ?? 0n), actual: hex(actual), ms, verifier: verdict };
  }
  return { name, status: 'PASS', ms, ...(verdict ? { verifier: verdict } : {}) };
}

/** Summary counts results by status. */
export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

/** summarize counts results. */
export function summarize(results: readonly TestResult[]): Summary {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return { passed: count('PASS'), failed: count('FAIL'), skipped: count('SKIP') };
}

/** summaryLine prints `N passed, M failed` with `, K skipped` when any were skipped. */
export function summaryLine(s: Summary): string {
  return `${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}`;
}

/** resultLine prints the one-line report of a result. */
export function resultLine(r: TestResult): string {
  let line = `${r.status} ${r.name}`;
  if (r.message) line += `: ${r.message}`;
  if (r.expected !== undefined) line += ` (expected ${r.expected}, got ${r.actual})`;
  return line;
}

/** Running a benchmark's native build (bench/c/driver.c), which times itself and prints one JSON line. */
import { execFileSync } from 'node:child_process';
import { ctxHex } from './programs.js';

/** NativeSample is the driver's answer: the result and the median per-call time in nanoseconds. */
export interface NativeSample {
  r0: bigint;
  medianNs: number;
  bestNs: number;
  runs: number;
  batch: number;
}

/** Timing asks for at least `minRuns` samples over `minMs` after `warmMs` of warm-up (as bench/measure.ts). */
export interface Timing {
  warmMs: number;
  minMs: number;
  minRuns: number;
}

function call(exe: string, args: string[]): Record<string, unknown> {
  const out = execFileSync(exe, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as Record<string, unknown>;
}

/** nativeResult runs the native build's bench() once and returns its result. */
export function nativeResult(exe: string, ctx?: Uint8Array): bigint {
  return BigInt(call(exe, [ctxHex(ctx)]).r0 as string);
}

/** measureNative times the native build with the driver's median-of-runs. */
export function measureNative(exe: string, t: Timing, ctx?: Uint8Array): NativeSample {
  const o = call(exe, [ctxHex(ctx), String(t.minRuns), String(t.minMs), String(t.warmMs)]);
  return { r0: BigInt(o.r0 as string), medianNs: o.median_ns as number, bestNs: o.best_ns as number, runs: o.runs as number, batch: o.batch as number };
}

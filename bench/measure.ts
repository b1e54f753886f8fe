/** Timing for benchmarks: warm up, then sample until enough time has passed; report the median. */

/** Sample is the timing of one benchmark case. */
export interface Sample {
  medianMs: number;
  bestMs: number;
  /** Median CPU time of the process per run (user + system, every thread: a loaded machine inflates it less). */
  cpuMedianMs: number;
  runs: number;
}

/** measure calls `fn` repeatedly: warm-up for `warmMs`, then at least `minRuns` timed runs and `minMs` in total. */
export function measure(fn: () => void, opts: { warmMs?: number; minMs?: number; minRuns?: number } = {}): Sample {
  const { warmMs = 300, minMs = 1000, minRuns = 7 } = opts;
  const warmEnd = performance.now() + warmMs;
  do fn();
  while (performance.now() < warmEnd);
  const times: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    times.push(performance.now() - t);
    cpu.push((d.user + d.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], bestMs: times[0], cpuMedianMs: cpu[cpu.length >> 1], runs: times.length };
}

/** geomean is the geometric mean of positive numbers. */
export function geomean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

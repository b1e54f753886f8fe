/**
 * `--repeat N` timing: what a run costs once V8 has warmed up, as a median, not a mean that includes the warm-up (the
 * first runs of a program run in V8's baseline tiers, and a JIT-compiled module's first calls tier up).
 */

/** RepeatTiming is what `--repeat N` measured. */
export interface RepeatTiming {
  /** Median milliseconds per run of the timed batches. */
  msPerRun: number;
  /** Runs left untimed to warm up (the first run included). */
  warmup: number;
  /** Timed batches, and runs in each. */
  batches: number;
  batchRuns: number;
}

/** MAX_BATCHES bounds the timed batches: a run of a short program is shorter than the clock's resolution, a batch is not. */
const MAX_BATCHES = 15;

/**
 * timeRepeats makes the runs after the first (which the caller made: it compiles, for `auto` too) up to `repeat` in
 * all: the first fifth (at least the first run) warm up untimed, the rest run in up to 15 equal batches, each timed,
 * and the figure is the median batch's time per run. Undefined for fewer than 2 runs.
 */
export function timeRepeats(repeat: number, run: () => void): RepeatTiming | undefined {
  if (repeat < 2) return undefined;
  const warmup = Math.max(1, Math.floor(repeat / 5));
  for (let k = 1; k < warmup; k++) run();
  const timed = repeat - warmup;
  const batches = Math.min(MAX_BATCHES, timed);
  const batchRuns = Math.floor(timed / batches);
  const perRun: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let k = 0; k < batchRuns; k++) run();
    perRun.push((performance.now() - t0) / batchRuns);
  }
  // The runs the equal batches leave over still run (repeat means repeat), untimed.
  for (let k = warmup + batches * batchRuns; k < repeat; k++) run();
  perRun.sort((a, b) => a - b);
  return { msPerRun: perRun[perRun.length >> 1], warmup, batches, batchRuns };
}

/** repeatText says how a `--repeat` figure was taken. */
export function repeatText(t: RepeatTiming): string {
  return `median of ${t.batches} batches of ${t.batchRuns} runs after ${t.warmup} warm-up run${t.warmup === 1 ? '' : 's'}`;
}

/** repeatJson is the same for `--json`. */
export function repeatJson(t: RepeatTiming): object {
  return { statistic: 'median', warmup_runs: t.warmup, batches: t.batches, runs_per_batch: t.batchRuns };
}

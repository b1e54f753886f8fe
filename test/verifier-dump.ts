/**
 * VERIFIER_DUMP=FILE makes the verifier tests that run whole programs (the case table, the repository's programs)
 * append one JSON line per program to FILE: its key, verdict, message and statistics (without the time). Sorting two
 * dumps and diffing them shows what a verifier change changed (bench/RESULTS.md, "Nested loops").
 */
import { appendFileSync } from 'node:fs';
const file = process.env.VERIFIER_DUMP;

/** dumpVerdict appends `key`'s verdict, message and statistics to VERIFIER_DUMP when it is set. */
export function dumpVerdict(key: string, r: { ok: boolean; error?: { message: string }; stats: { ms: number } }): void {
  if (!file) return;
  const { ms: _, ...stats } = r.stats;
  appendFileSync(file, `${JSON.stringify({ key, verdict: r.ok ? 'accept' : 'reject', message: r.error?.message ?? '', stats })}\n`);
}

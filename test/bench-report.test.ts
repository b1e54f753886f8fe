// The benchmark suite's report on made-up figures: tiers that are built, not built, failing or reporting compile
// statistics (as the JIT tiers will), the RESULTS.md section replaced between its markers only, and the chart.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSvg } from '../bench/suite/chart.js';
import { BEGIN, END, summarize, toMarkdown, writeResults } from '../bench/suite/report.js';
import type { Row, TierResult } from '../bench/suite/run.js';

const tier = (ratio: number, compile: TierResult['compile'] = null): TierResult => ({ ns: ratio * 1000, ratio, steps: 1000, mips: 1, compile, reported: '' });
const row = (program: string, kind: Row['kind'], tiers: Record<string, TierResult>, errors: Record<string, string> = {}): Row => ({
  program, what: program, kind, insns: 100, r0: '0x0', nativeNs: 1000, tiers, errors,
});
const rows: Row[] = [
  row('a', 'work', { interp: tier(50), 'wasm-fast': tier(2, { ms: 0.05, insns: 100 }) }, { 'wasm-opt': 'load failed: no' }),
  row('b', 'work', { interp: tier(200), 'wasm-fast': tier(8, { ms: 0.15, insns: 100 }) }, { 'wasm-opt': 'wrong result 0x1, native 0x0' }),
  row('c', 'call', { interp: tier(1000), 'wasm-fast': tier(100, { ms: 0.01, insns: 100 }) }, { 'wasm-opt': 'run failed' }),
];
const run = { command: 'npm run bench -- suite', quick: true, rounds: 1, timing: { warmMs: 1, minMs: 1, minRuns: 1 } };

describe('bench suite report', () => {
  const s = summarize(rows, run);
  it('takes geometric means over the work programs and over all, and compile ms per 1000 insns', () => {
    expect(s.tiers['wasm-fast'].geomeanWork).toBeCloseTo(4);
    expect(s.tiers['wasm-fast'].geomeanAll).toBeCloseTo(Math.cbrt(2 * 8 * 100));
    expect(s.tiers['wasm-fast'].compileMsPer1k).toBeCloseTo(0.7);
    expect(s.tiers['wasm-opt']).toEqual({ built: true, failed: ['a', 'b', 'c'] });
  });
  it('shows failures, goals and per-program compile times in the Markdown', () => {
    const md = toMarkdown(s);
    expect(md).toContain('| a | a | 100 | 1.0 µs | 50.0 µs (50.0x) | 2.0 µs (2.0x) | error: load failed: no |');
    expect(md).toContain('| wasm-fast | 0.700 | ≤ 4x: met; compile < 1 ms/1000: judged by `npm run bench -- compile` |');
    expect(md).toContain('n/a (without a, b, c)');
    expect(md).toContain('| b | 0.15 ms / 100 insns = 1.500 |');
  });
  it('marks tiers that are not in BACKENDS as not built', () => {
    const md = toMarkdown(summarize([row('a', 'work', { interp: tier(50) })], run));
    expect(md).toContain('| a | a | 100 | 1.0 µs | 50.0 µs (50.0x) | n/a (not measured) | n/a (not measured) |');
  });
  it('replaces only the text between the markers of RESULTS.md', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bench-report-')), 'RESULTS.md');
    writeFileSync(path, `# R\n\nbefore\n\n${BEGIN}\nold\n${END}\n\nafter\n`);
    writeResults(path, s);
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('# R\n\nbefore\n\n<!-- suite:begin -->\nMeasured ')).toBe(true);
    expect(text.endsWith(`${END}\n\nafter\n`)).toBe(true);
    expect(text).not.toContain('old');
  });
  it('draws a bar per program and tier, and says where a tier failed', () => {
    const svg = chartSvg(s);
    expect(svg.match(/<rect x="150" y="\d+" width="[\d.]+" height="12"/g)).toHaveLength(6);
    expect(svg).toContain('wasm-opt: failed (see the table)');
  });
});

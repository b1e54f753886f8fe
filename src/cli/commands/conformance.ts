/** `bpftime-vm conformance DIR...`: grade bpf_conformance .data files, one PASS/FAIL/SKIP line per file. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseConformanceFile } from '../../../conformance/reader.js';
import { resultLine, runTest, summarize, summaryLine, type TestResult } from '../../../conformance/runner.js';
import { LoadError, UsageError } from '../../errors.js';
import { prepareBackend } from '../../runtime/backends.js';
import { DEFAULT_GROUPS, GROUPS, type CpuVersion, type GroupName } from '../../isa/index.js';
import type { Command } from '../command.js';
import { EXIT } from '../output.js';

/** dataFiles lists the .data files under `dir`, in subdirectories too, sorted, as paths relative to `dir`. */
function dataFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.data') && statSync(join(dir, f)).isFile())
    .sort();
}

/** listFiles expands the command's paths into test files, each with the name its results are reported under. */
function listFiles(paths: string[]): { path: string; name: string }[] {
  const files: { path: string; name: string }[] = [];
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new LoadError('io', `cannot read ${p}: no such file or directory`, { section: p });
    if (st.isDirectory()) files.push(...dataFiles(p).map((f) => ({ path: join(p, f), name: f })));
    else files.push({ path: p, name: basename(p) });
  }
  if (files.length === 0) throw new UsageError('no-tests', `no .data files in ${paths.join(', ')}`);
  return files;
}

function groupMask(values: unknown): number {
  let mask = 0;
  for (const v of (values as string[] | undefined) ?? []) {
    for (const g of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!Object.hasOwn(GROUPS, g)) {
        throw new UsageError('bad-group', `unknown group "${g}", expected one of: ${Object.keys(GROUPS).join(', ')}`);
      }
      mask |= GROUPS[g as GroupName];
    }
  }
  return mask;
}

function regex(v: unknown, what: string): RegExp | undefined {
  if (v === undefined) return undefined;
  try {
    return new RegExp(String(v));
  } catch (e) {
    throw new UsageError('bad-regex', `${what}: ${(e as Error).message}`);
  }
}

/** runConformance implements `conformance` (declared in ../commands-list.ts). */
export const runConformance: Command['run'] = async ({ flags, positionals }, out) => {
  await prepareBackend(flags.backend as string | undefined);
  const groups = (DEFAULT_GROUPS | groupMask(flags['include-groups'])) & ~groupMask(flags['exclude-groups']);
  const cpuVersion = Number(String(flags['cpu-version'] ?? 'v4').slice(1)) as CpuVersion;
  const opts = {
    backend: flags.backend as string | undefined,
    cpuVersion,
    groups,
    include: regex(flags.include, '--include'),
    exclude: regex(flags.exclude, '--exclude'),
    budget: flags.budget as number | undefined,
  };
  const results: TestResult[] = [];
  for (const f of listFiles(positionals)) {
    const r = runTest(parseConformanceFile(f.name, readFileSync(f.path, 'utf8')), opts);
    results.push(r);
    if (!out.json && (!flags.quiet || r.status === 'FAIL')) out.text(resultLine(r));
  }
  const summary = summarize(results);
  if (out.json) {
    out.data({ backend: opts.backend ?? 'interp', cpu_version: `v${cpuVersion}`, groups, ...summary, results });
  } else out.text(summaryLine(summary));
  return summary.failed ? EXIT.failure : EXIT.ok;
};

/** `bpftime-vm conformance DIR...`: grade bpf_conformance .data files, one PASS/FAIL/SKIP line per file. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseConformanceFile } from '../../../conformance/reader.js';
import { resultLine, runTest, summarize, summaryLine, type TestResult } from '../../../conformance/runner.js';
import { UsageError } from '../../errors.js';
import { BACKENDS, prepareBackend } from '../../runtime/backends.js';
import { DEFAULT_GROUPS, GROUPS, type CpuVersion, type GroupName } from '../../isa/index.js';
import type { Command } from '../command.js';
import { EXIT } from '../output.js';

function listFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      files.push(...readdirSync(p).filter((f) => f.endsWith('.data')).sort().map((f) => join(p, f)));
    } else files.push(p);
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

export const conformanceCommand: Command = {
  spec: {
    name: 'conformance',
    summary: 'run bpf_conformance .data files and grade them like the official runner',
    args: [{ name: 'path', description: 'directories of .data files, or files', variadic: true }],
    options: [
      { name: 'cpu-version', kind: 'string', value: 'VER', choices: ['v1', 'v2', 'v3', 'v4'], description: 'ISA version: skip tests needing a newer one (default v4)' },
      { name: 'include-groups', kind: 'string', value: 'G[,G]', repeatable: true, description: 'enable groups beyond the defaults (callx, packet)' },
      { name: 'exclude-groups', kind: 'string', value: 'G[,G]', repeatable: true, description: 'disable groups (base32, base64, atomic32, atomic64, divmul32, divmul64)' },
      { name: 'include', kind: 'string', value: 'REGEX', description: 'run only files whose name matches' },
      { name: 'exclude', kind: 'string', value: 'REGEX', description: 'skip files whose name matches' },
      { name: 'backend', kind: 'string', value: 'NAME', choices: BACKENDS, description: 'execution backend (default interp)' },
      { name: 'budget', kind: 'number', value: 'N', description: 'instruction budget per test (default 100000000)' },
      { name: 'quiet', short: 'q', kind: 'boolean', description: 'print only failures and the summary' },
    ],
    notes: `Default groups: base32, base64, atomic32, atomic64, divmul32, divmul64 (as the official runner).
A comment "# bpftime-vm: budget N" or "# bpftime-vm: max-call-depth N" before the first section of a file sets
that option for the file. Exit code 1 when any test fails.`,
  },
  async run({ flags, positionals }, out) {
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
      const r = runTest(parseConformanceFile(basename(f), readFileSync(f, 'utf8')), opts);
      results.push(r);
      if (!out.json && (!flags.quiet || r.status === 'FAIL')) out.text(resultLine(r));
    }
    const summary = summarize(results);
    if (out.json) {
      out.data({ backend: opts.backend ?? 'interp', cpu_version: `v${cpuVersion}`, groups, ...summary, results });
    } else out.text(summaryLine(summary));
    return summary.failed ? EXIT.failure : EXIT.ok;
  },
};

// The benchmark suite's own correctness: every bench/c program gives the same result on each bpftime-vm backend
// (clang -target bpf) as its native gcc -O2 build. It runs the suite's bundled `--check` mode (the production build
// of the interpreter; under vitest's transform it is several times slower). Skips with the reason in the title when
// clang, gcc or libbpf's headers are missing, unless CLANG_REQUIRED=1 (CI), where that is an error.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingTools } from '../bench/suite/build.js';
import { SUITE_PROGRAMS } from '../bench/suite/programs.js';
import { backendNames, type CheckResult } from '../bench/suite/run.js';
import { ROOT } from './helpers.js';

const missing = missingTools();
if (missing && process.env.CLANG_REQUIRED === '1') throw new Error(`CLANG_REQUIRED=1 but ${missing}`);
const SKIP = missing ? ` (skipped: ${missing})` : '';

describe.skipIf(missing !== '')(`bench suite: each program gives the native result on ${backendNames().join(', ')}${SKIP}`, () => {
  let results: CheckResult[] = [];
  it('builds every program twice and runs it (npm run bench -- suite --check --json)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), 'suite', '--check', '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    results = (JSON.parse(r.stdout) as { results: CheckResult[] }).results;
    expect(results.map((x) => x.program)).toEqual(SUITE_PROGRAMS.map((p) => p.name));
    // 12 programs, each built twice and run on five backends: about 20 s alone, several times that on a loaded host.
  }, 240_000);
  for (const p of SUITE_PROGRAMS) {
    it(`${p.name}: same result as native on every backend`, () => {
      const got = results.find((x) => x.program === p.name);
      expect(got, 'the check ran').toBeDefined();
      const want = Object.fromEntries(backendNames().map((b) => [b, got!.native]));
      expect(got!.backends).toEqual(want);
    });
  }
});

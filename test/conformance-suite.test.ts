// The 313 official bpf_conformance files, one test per file and backend, graded by our runner with the options of
// the acceptance command (ISA v4, default groups plus callx). A missing suite skips here and fails in CI
// (BPF_CONFORMANCE_REQUIRED=1).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConformanceFile } from '../conformance/reader.js';
import { resultLine, runTest } from '../conformance/runner.js';
import { DEFAULT_GROUPS, GROUPS } from '../src/isa/index.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { CONFORMANCE_DIR, conformanceAvailable } from './helpers.js';

const available = conformanceAvailable();
const files = available ? readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.data')).sort() : [];

describe.skipIf(!available)(`bpf_conformance suite (${CONFORMANCE_DIR} missing: skipped)`, () => {
  it('has the 313 official files', () => {
    expect(files.length).toBe(313);
  });
  for (const backend of ENGINES) {
    describe(backend, () => {
      beforeAll(() => prepareBackend(backend));
      it.each(files)('%s', (file) => {
        const test = parseConformanceFile(file, readFileSync(join(CONFORMANCE_DIR, file), 'utf8'));
        const r = runTest(test, { backend, cpuVersion: 4, groups: DEFAULT_GROUPS | GROUPS.callx });
        expect(resultLine(r)).toBe(`PASS ${file}`);
      });
    });
  }
});

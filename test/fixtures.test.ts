// Our own fixtures (conformance/fixtures/*.data): what the official suite does not cover, graded like the suite.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConformanceFile } from '../conformance/reader.js';
import { resultLine, runTest } from '../conformance/runner.js';
import { DEFAULT_GROUPS, GROUPS } from '../src/isa/index.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { ROOT } from './helpers.js';

const dir = join(ROOT, 'conformance', 'fixtures');
const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

describe('own conformance fixtures', () => {
  it('cover LD_ABS/LD_IND, every fault kind, call depth, budget, lddw pairing and malformed bytecode', () => {
    const names = files.join(' ');
    for (const topic of ['ldabs', 'ldind', 'fault-null', 'fault-input-out-of-bounds', 'fault-unmapped', 'fault-misaligned',
      'call-depth', 'budget', 'lddw-truncated', 'lddw-second-slot', 'malformed-unknown-opcode', 'fell-off-end']) {
      expect(names).toContain(topic);
    }
  });
  beforeAll(() => prepareBackend('wasm-opt'));
  for (const backend of ENGINES) {
    it.each(files)(`${backend}: %s`, (file) => {
      const test = parseConformanceFile(file, readFileSync(join(dir, file), 'utf8'));
      const r = runTest(test, { backend, groups: DEFAULT_GROUPS | GROUPS.callx | GROUPS.packet });
      expect(resultLine(r)).toBe(`PASS ${file}`);
    });
  }
});

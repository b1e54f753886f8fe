// Our ISA-version and group requirements match the official classification of every conformance file.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConformanceFile, programOf } from '../conformance/reader.js';
import { groupNames, programRequirement } from '../src/isa/index.js';
import { CONFORMANCE_DIR, conformanceAvailable, ROOT } from './helpers.js';

const available = conformanceAvailable();
const tsvPath = join(CONFORMANCE_DIR, '..', 'test_classification.tsv');

describe.skipIf(!available)('conformance gating', () => {
  it('reproduces test_classification.tsv (minimum ISA version and groups)', () => {
    const rows = readFileSync(tsvPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    expect(rows.length).toBe(readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.data')).length);
    for (const [file, cpu, groups] of rows) {
      const test = parseConformanceFile(file, readFileSync(join(CONFORMANCE_DIR, file), 'utf8'));
      const r = programRequirement(programOf(test));
      expect(`${file} v${r.cpu} ${groupNames(r.groups).join('|')}`).toBe(`${file} ${cpu} ${groups}`);
    }
  });
  it('has the root in scope', () => expect(ROOT).toBeTruthy());
});

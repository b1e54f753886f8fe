// The folder tree is the pipeline: lower layers never import higher ones (DESIGN.md section 1, STYLE.md 1).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** Layer rank of each source folder; a module may import only its own folder or lower-ranked ones. */
const RANK: Record<string, number> = {
  'src/errors.ts': 0,
  'src/version.ts': 0,
  'src/isa': 1,
  'src/memory': 2,
  'src/loader': 2,
  'src/helpers': 3,
  'src/verifier': 3.5,
  'src/vm': 4,
  'src/jit-wasm': 4,
  'src/runtime': 5,
  'conformance': 6,
  'src/native': 6,
  'src/cli': 7,
  'src/index.ts': 8,
  // The playground is a user of the package: it imports only src/index.ts (the public API).
  'src/playground': 9,
};

function layerOf(file: string): string {
  const rel = relative(ROOT, file).replace(/\\/g, '/');
  const key = Object.keys(RANK).find((k) => rel === k || rel.startsWith(k + '/'));
  if (!key) throw new Error(`${rel} is in no layer`);
  return key;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'fixtures' ? [] : walk(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  it('imports point down the pipeline', () => {
    const violations: string[] = [];
    for (const file of [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'conformance'))]) {
      const from = layerOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
        const to = layerOf(target);
        if (to !== from && RANK[to] >= RANK[from]) violations.push(`${relative(ROOT, file)} imports ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the file system and the process out of the core layers', () => {
    for (const file of walk(join(ROOT, 'src')).filter((f) => !/src\/(cli|runtime|native)\//.test(f))) {
      expect(readFileSync(file, 'utf8'), relative(ROOT, file)).not.toMatch(/from 'node:(fs|child_process|process)'|process\.(argv|exit|stdout)/);
    }
  });
});

// The native runtime's helper ids, names and prototypes come from the one helper table: the committed
// native-hooks/include/bpftime_helpers.gen.h must be exactly what src/native/helpers-header.ts renders from it
// (BPFTIME_UPDATE_GOLDEN=1 rewrites the file), and it must compile as C.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { HELPERS_HEADER_PATH, renderHelpersHeader } from '../src/native/helpers-header.js';
import { ROOT } from './helpers.js';
import { HAS_WASM2C, scratch, WASM2C_SKIP } from './toolchain.js';

const FILE = join(ROOT, HELPERS_HEADER_PATH);

describe('bpftime_helpers.gen.h', () => {
  it('is what the helper table renders', () => {
    const text = renderHelpersHeader();
    if (process.env.BPFTIME_UPDATE_GOLDEN === '1') writeFileSync(FILE, text);
    expect(readFileSync(FILE, 'utf8')).toBe(text);
  });

  it('names every helper of the table with its kernel id and prototype', () => {
    const text = readFileSync(FILE, 'utf8');
    for (const d of kernelHelpers().list()) {
      expect(text).toContain(`#define BPFTIME_HELPER_${d.name.toUpperCase()} ${d.id}\n`);
      expect(text).toMatch(new RegExp(`\\tX\\(${d.id}, ${d.name}, ${d.proto.ret.toUpperCase()}, `));
    }
  });

  it.skipIf(!HAS_WASM2C)(`compiles as C and its X-macros expand to the table${WASM2C_SKIP}`, () => {
    const src = join(scratch(), 'helpers-header.c');
    writeFileSync(src, [
      '#include <stdio.h>',
      '#include "bpftime_helpers.gen.h"',
      '#define P(id, name, ret, a1, a2, a3, a4, a5) printf("%d %s %d %d %d\\n", id, #name, BPFTIME_RET_##ret, BPFTIME_ARG_##a1, BPFTIME_ARG_##a5);',
      'int main(void) { BPFTIME_HELPER_PROTOS(P) return 0; }',
    ].join('\n'));
    const exe = join(scratch(), 'helpers-header');
    execFileSync('cc', ['-Wall', '-Wextra', '-Werror', `-I${join(ROOT, 'native-hooks/include')}`, '-o', exe, src]);
    const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
    expect(lines).toHaveLength(kernelHelpers().list().length);
    expect(lines[0]).toBe('1 map_lookup_elem 2 9 0');
  });
});

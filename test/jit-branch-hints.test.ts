// Branch hints: every module either tier writes carries a `metadata.code.branch_hint` section, placed before the code
// section, whose every entry points at an `if` whose arm starts with the cold mark (`nop`), hinted unlikely. The
// hinted module still validates and runs the same.
import { beforeAll, describe, expect, it } from 'vitest';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble, validateProgram } from '../src/isa/index.js';
import { BRANCH_HINT_SECTION, withBranchHints } from '../src/jit-wasm/branch-hints.js';
import { compileProgram } from '../src/jit-wasm/index.js';
import { loadRaw, prepareBackend } from '../src/runtime/backends.js';
import { generate } from '../bench/compile.js';

const PROGRAM = `
  mov %r0, 0
  mov %r2, 16
  ja +0
  ldxb %r3, [%r1]
  add %r0, %r3
  stxb [%r10-8], %r3
  div %r0, %r2
  add %r1, 1
  sub %r2, 1
  jne %r2, 0, -8
  exit`;

const uleb = (b: Uint8Array, p: number): [number, number] => {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    const x = b[p++];
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [v, p];
  }
};

interface Section { id: number; name?: string; start: number; end: number }

function sections(b: Uint8Array): Section[] {
  const out: Section[] = [];
  for (let p = 8; p < b.length; ) {
    const id = b[p];
    const [size, payload] = uleb(b, p + 1);
    let name: string | undefined;
    if (id === 0) {
      const [n, q] = uleb(b, payload);
      name = new TextDecoder().decode(b.subarray(q, q + n));
    }
    out.push({ id, name, start: payload, end: payload + size });
    p = payload + size;
  }
  return out;
}

/** bodies returns the start of each function body (after its size) in the code section. */
function bodies(b: Uint8Array, code: Section): number[] {
  let [n, p] = uleb(b, code.start);
  const out: number[] = [];
  for (; n > 0; n--) {
    const [size, body] = uleb(b, p);
    out.push(body);
    p = body + size;
  }
  return out;
}

/** hints reads the branch-hint section: (function index, body offset, value) triples. */
function hints(b: Uint8Array, s: Section): [number, number, number][] {
  let [n, p] = uleb(b, s.start);
  p += n;
  const out: [number, number, number][] = [];
  let funcs: number;
  [funcs, p] = uleb(b, p);
  for (; funcs > 0; funcs--) {
    let fn: number, count: number;
    [fn, p] = uleb(b, p);
    [count, p] = uleb(b, p);
    for (; count > 0; count--) {
      let off: number, size: number;
      [off, p] = uleb(b, p);
      [size, p] = uleb(b, p);
      out.push([fn, off, b[p]]);
      p += size;
    }
  }
  return out;
}

describe('branch hints', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const tier of ['fast', 'opt'] as const) {
    it(`${tier}: hints only the cold ifs, before the code section, and the module validates`, () => {
      const { bytes } = compileProgram(validateProgram(assemble(PROGRAM)), { tier, helpers: ubpfTestHelpers() });
      expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
      const secs = sections(bytes);
      const at = secs.findIndex((s) => s.name === BRANCH_HINT_SECTION);
      expect(at).toBeGreaterThan(-1);
      expect(secs.findIndex((s) => s.id === 10)).toBe(at + 1);
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).filter((i) => i.kind === 'function').length;
      const starts = bodies(bytes, secs[at + 1]);
      const list = hints(bytes, secs[at]);
      // One budget check per block (3 blocks) and one refill per checked access (the byte load; the stack store is unchecked).
      expect(list.length).toBeGreaterThanOrEqual(4);
      for (const [fn, off, value] of list) {
        const p = starts[fn - imports] + off;
        expect(bytes[p]).toBe(0x04);
        expect(bytes[p + 2]).toBe(0x01);
        expect(value).toBe(0);
      }
    });
  }

  it('fast: the hints the direct tier records while writing are the ones the scan of its module finds', () => {
    for (const src of [PROGRAM, generate(1000)]) {
      const { bytes } = compileProgram(validateProgram(assemble(src)), { tier: 'fast', helpers: ubpfTestHelpers() });
      const at = sections(bytes).find((s) => s.name === BRANCH_HINT_SECTION)!;
      // The section's header: its id and size before the payload.
      let start = at.start - 1;
      while (bytes[start - 1] & 0x80) start--;
      start--;
      const without = new Uint8Array([...bytes.subarray(0, start), ...bytes.subarray(at.end)]);
      expect(withBranchHints(without)).toEqual(bytes);
    }
  });

  it('is the identity on a module without cold marks', () => {
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(withBranchHints(empty)).toBe(empty);
  });

  it('runs the hinted program the same on every engine', () => {
    const input = Uint8Array.from({ length: 16 }, (_, i) => i * 7 + 1);
    const r0 = (backend: 'interp' | 'wasm-fast' | 'wasm-opt') => loadRaw(assemble(PROGRAM), { backend, helpers: ubpfTestHelpers() }).run({ input }).r0;
    expect(r0('wasm-fast')).toBe(r0('interp'));
    expect(r0('wasm-opt')).toBe(r0('interp'));
  });
});

/**
 * Branch hints (the WebAssembly branch-hinting proposal's `metadata.code.branch_hint` custom section) for the cold
 * paths of a translated module: the bounds refill after a cache miss, the budget and call-depth traps. The builders
 * mark such an `if` by making `nop` the first instruction of its arm (`coldIf`, emit.ts); this pass finds those `if`s
 * in the finished binary and adds a section hinting each as unlikely taken. The binaryen tier's modules go through
 * it; the direct tier records its cold `if`s as it writes them (direct/segments.ts) and writes the same section
 * itself (`writeHintSection`), which spares decoding the module again.
 *
 * Why it pays: V8's calling convention has no callee-saved registers, so a call anywhere in a loop (the refill, the
 * trap) makes its optimising compiler keep every value live across it in a stack slot, stored at each definition,
 * on the hot path too. A hinted-cold arm becomes a deferred block, and the spills move into it. Measured on a 1 MiB
 * word-copy loop with two checked accesses: 330 us plain, 234 us with hints (bench/RESULTS.md). An engine that does
 * not know the section ignores it (custom sections never change semantics).
 */

import { ByteWriter } from './direct/bytes.js';
import { EMPTY, OP, SECTION, SECTION_CUSTOM, WASM_HEADER } from './direct/opcodes.js';

/** BRANCH_HINT_SECTION is the custom section's name. */
export const BRANCH_HINT_SECTION = 'metadata.code.branch_hint';

/** HINT_UNLIKELY is the hint value "the condition is usually false". */
const HINT_UNLIKELY = 0;

/** Reader walks a module's bytes; every method returns the position after what it read. */
class Reader {
  constructor(readonly b: Uint8Array) {}

  uleb(p: number): [number, number] {
    let v = 0;
    let shift = 0;
    for (;;) {
      const x = this.b[p++];
      v += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return [v, p];
      shift += 7;
    }
  }

  skipLeb(p: number): number {
    while (this.b[p++] & 0x80);
    return p;
  }

  /** skipBlockType skips an `if`/`block`/`loop` type: 0x40, a one-byte value type, or an s33 type index. */
  skipBlockType(p: number): number {
    const x = this.b[p];
    return x === EMPTY || (x >= 0x6f && x <= 0x7f) ? p + 1 : this.skipLeb(p);
  }
}

/** Immediate kinds by opcode (IMM): what follows the opcode byte. */
const NONE = 1;
const LEB = 2;
const LEB2 = 3;
const BLOCKTYPE = 4;
const IMM = new Uint8Array(256);
IMM.fill(NONE, 0x45, 0xc5);
for (const op of [0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b]) IMM[op] = NONE;
for (const op of [0x0c, 0x0d, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0x41, 0x42, 0xd2]) IMM[op] = LEB;
for (let op = 0x28; op <= 0x3e; op++) IMM[op] = LEB2;
IMM[0x11] = LEB2;
IMM[0x13] = LEB2;
IMM[0x02] = BLOCKTYPE;
IMM[0x03] = BLOCKTYPE;
IMM[0x04] = BLOCKTYPE;

/**
 * skipImmediates returns the position after the immediates of the instruction whose opcode is at `p - 1`, for the
 * opcodes coldIfs does not skip itself (block types and the rare ones), or -1 for an opcode this pass does not know
 * (then no hints are added: the translation never writes one).
 */
function skipImmediates(r: Reader, op: number, p: number): number {
  if (IMM[op] === BLOCKTYPE) return r.skipBlockType(p);
  if (op === 0x0e) {
    let [n, q] = r.uleb(p);
    for (; n >= 0; n--) q = r.skipLeb(q);
    return q;
  }
  if (op === 0x43) return p + 4;
  if (op === 0x44) return p + 8;
  if (op === 0x1c) {
    const [n, q] = r.uleb(p);
    return q + n;
  }
  if (op === 0xd0) return p + 1;
  if (op === 0xfc) {
    const [sub, q] = r.uleb(p);
    if (sub <= 7) return q;
    if (sub === 8) return r.skipLeb(q) + 1;
    if (sub === 10) return q + 2;
    if (sub === 11) return q + 1;
    if (sub === 12 || sub === 14) return r.skipLeb(r.skipLeb(q));
    return r.skipLeb(q);
  }
  return -1;
}

/** functionImports counts the functions a module imports (they come first in the function index space). */
function functionImports(r: Reader, start: number): number {
  let [n, p] = r.uleb(start);
  let funcs = 0;
  for (; n > 0; n--) {
    let len: number;
    [len, p] = r.uleb(p);
    p += len;
    [len, p] = r.uleb(p);
    p += len;
    const kind = r.b[p++];
    if (kind === 0) {
      funcs++;
      p = r.skipLeb(p);
    } else if (kind === 1) p = skipLimits(r, p + 1);
    else if (kind === 2) p = skipLimits(r, p);
    else p += 2;
  }
  return funcs;
}

function skipLimits(r: Reader, p: number): number {
  const flags = r.b[p];
  p = r.skipLeb(p + 1);
  return flags & 1 ? r.skipLeb(p) : p;
}

/** coldIfs lists, per function body of the code section at `start`, the body offsets of the `if`s marked cold. */
function coldIfs(r: Reader, start: number): number[][] | undefined {
  let [n, p] = r.uleb(start);
  const out: number[][] = [];
  for (; n > 0; n--) {
    const [size, body] = r.uleb(p);
    const end = body + size;
    let [groups, q] = r.uleb(body);
    for (; groups > 0; groups--) q = r.skipLeb(q) + 1;
    const hints: number[] = [];
    const b = r.b;
    while (q < end) {
      const at = q;
      const op = b[q++];
      // The common kinds inline (this loop runs once per instruction of the module); the rest in skipImmediates.
      const kind = IMM[op];
      if (kind === NONE) continue;
      if (kind === LEB) {
        while (b[q++] & 0x80);
        continue;
      }
      if (kind === LEB2) {
        while (b[q++] & 0x80);
        while (b[q++] & 0x80);
        continue;
      }
      q = skipImmediates(r, op, q);
      if (q < 0) return undefined;
      if (op === OP.if && b[q] === OP.nop) hints.push(at - body);
    }
    out.push(hints);
    p = end;
  }
  return out;
}

/**
 * withBranchHints returns the module with a branch-hint section before its code section, hinting every cold-marked
 * `if` as unlikely; the module itself when it has none (or holds an instruction this pass does not decode).
 */
export function withBranchHints(bytes: Uint8Array): Uint8Array {
  const r = new Reader(bytes);
  let p = WASM_HEADER.length;
  let imports = 0;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, payload] = r.uleb(p + 1);
    if (id === SECTION.import) imports = functionImports(r, payload);
    if (id === SECTION.code) return insertHints(bytes, p, coldIfs(r, payload), imports);
    p = payload + size;
  }
  return bytes;
}

function insertHints(bytes: Uint8Array, codeAt: number, hints: number[][] | undefined, imports: number): Uint8Array {
  if (!hints || hints.every((h) => h.length === 0)) return bytes;
  const out = new ByteWriter(bytes.length + 16 * hints.length + 64);
  out.bytes(bytes.subarray(0, codeAt));
  writeHintSection(out, hints, imports);
  out.bytes(bytes.subarray(codeAt));
  return out.finish();
}

/**
 * writeHintSection appends the branch-hint section hinting unlikely the `if`s at the given body offsets, per defined
 * function (`hints[i]` for the function of index `imports + i`); nothing when there are none. It must stand before
 * the code section. The direct tier calls it with the offsets it recorded while writing the code.
 */
export function writeHintSection(out: ByteWriter, hints: readonly (readonly number[])[], imports: number): void {
  let funcs = 0;
  for (const h of hints) if (h.length) funcs++;
  if (funcs === 0) return;
  const body = new ByteWriter(16 + 4 * hints.reduce((n, h) => n + h.length, 0));
  body.name(BRANCH_HINT_SECTION);
  body.u32(funcs);
  hints.forEach((h, i) => {
    if (!h.length) return;
    body.u32(imports + i);
    body.u32(h.length);
    for (const off of h) {
      body.u32(off);
      body.u8(1);
      body.u8(HINT_UNLIKELY);
    }
  });
  out.u8(SECTION_CUSTOM);
  out.sized(body);
}

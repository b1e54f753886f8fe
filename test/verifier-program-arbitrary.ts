/**
 * Random raw programs for the verifier's soundness test, built to be accepted most of the time while making the
 * verifier prove things: values from the input that it knows only as ranges, branches that refine them (64- and
 * 32-bit), input accesses at fixed, masked, compared and loop-induced offsets, pointers spilled and filled, stack
 * reads after writes, atomics, helper calls with memory arguments, a bpf-to-bpf call. About one input access in thirty is a
 * near miss (an access one byte past what its check proves, a 32-bit check of a 64-bit value) that a sound verifier
 * must refuse: if it accepted one, an input at the boundary (the inputs are biased there) would fault.
 *
 * Registers: r9 the input, r7 its length, r8 a loop counter, r4 a pointer temporary; r0-r3, r5, r6 hold scalars.
 * The stack from fp-64 to fp-1 is written by the prologue, r9 is spilled at fp-72.
 */
import fc from 'fast-check';
import { formatU64 } from '../src/isa/index.js';
import { i32, u64 } from './arbitraries.js';

/** GUARDS are the input lengths a program's prologue requires (shorter inputs return at once). */
const GUARDS = [0, 1, 8, 14, 20, 32, 64] as const;
const SCALARS = [0, 1, 2, 3, 5, 6];
const SUB_SCALARS = [0, 1, 2, 3, 4, 5];
const ALU_OPS = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'smod', 'xor', 'mov', 'arsh'] as const;
const CONDS = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const;
const SIZES = [1, 2, 4, 8] as const;
const SUFFIX = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' } as const;
const r = (n: number) => `%r${n}`;

/** Item is a piece of a body: lines, a forward branch over the next items, or a loop. */
type Item = { lines: readonly string[] } | { branch: string; skip: number } | { loop: number; body: Item[] };

/** Frame says what a body may use: its scalar registers, the input (guard length; -1 in a subprogram). */
interface Frame {
  regs: readonly number[];
  guard: number;
}

const NEAR_MISS = 30;
/** nearMiss is 1 in one case of NEAR_MISS (the access one byte too far), 0 otherwise. */
const nearMiss = fc.integer({ min: 1, max: NEAR_MISS }).map((k) => (k === 1 ? 1 : 0));

function scalarItems(f: Frame): fc.Arbitrary<Item>[] {
  const reg = fc.constantFrom(...f.regs);
  const alu = fc.tuple(fc.constantFrom(...ALU_OPS), fc.boolean(), fc.boolean(), reg, reg, i32(), fc.integer({ min: 0, max: 63 })).map(([op, is32, useReg, d, s, imm, sh]) => {
    const name = op + (is32 ? '32' : '');
    if (op === 'neg') return { lines: [`${name} ${r(d)}`] };
    // Immediate shifts beyond the width are invalid instructions; a register shift amount is masked at run time.
    const value = useReg ? r(s) : ['lsh', 'rsh', 'arsh'].includes(op) ? sh % (is32 ? 32 : 64) : imm;
    return { lines: [`${name} ${r(d)}, ${value}`] };
  });
  const movsx = fc.tuple(fc.constantFrom('movsx864', 'movsx1664', 'movsx3264', 'movsx832', 'movsx1632'), reg, reg).map(([op, d, s]) => ({ lines: [`${op} ${r(d)}, ${r(s)}`] }));
  const end = fc.tuple(fc.constantFrom('le', 'be', 'bswap'), fc.constantFrom(16, 32, 64), reg).map(([o, bits, d]) => ({ lines: [`${o}${bits} ${r(d)}`] }));
  const lddw = fc.tuple(reg, u64()).map(([d, v]) => ({ lines: [`lddw ${r(d)}, ${formatU64(v)}`] }));
  const stackOff = (size: number) => fc.integer({ min: 1, max: 64 / size }).map((k) => -k * size);
  const stack = fc.tuple(fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 2 }), fc.boolean(), reg, reg, i32()).chain(([size, kind, signed, d, s, v]) =>
    stackOff(size).map((off) => ({
      lines: [kind === 0 ? `ldx${signed && size < 8 ? 's' : ''}${SUFFIX[size]} ${r(d)}, [%r10${off}]` : kind === 1 ? `stx${SUFFIX[size]} [%r10${off}], ${r(s)}` : `st${SUFFIX[size]} [%r10${off}], ${v}`],
    })));
  const atomic = fc.tuple(fc.constantFrom('add', 'or', 'and', 'xor', 'fetch add', 'fetch or', 'fetch and', 'fetch xor', 'xchg'), fc.constantFrom(4, 8), reg).chain(([op, size, s]) =>
    stackOff(size).map((off) => ({ lines: [`lock ${op}${size === 4 ? '32' : ''} [%r10${off}], ${r(s)}`] })));
  const branch = fc.tuple(fc.constantFrom(...CONDS), fc.boolean(), fc.boolean(), reg, reg, i32(), fc.integer({ min: 1, max: 4 }))
    .map(([c, is32, useReg, d, s, imm, skip]) => ({ branch: `${c}${is32 ? '32' : ''} ${r(d)}, ${useReg ? r(s) : imm}`, skip }));
  return [alu, alu, alu, alu, movsx, end, lddw, stack, stack, atomic, branch, branch];
}

/** inputItems access the input in ways the verifier must prove in bounds (or, for near misses, refuse). */
function inputItems(f: Frame): fc.Arbitrary<Item>[] {
  const g = f.guard;
  const reg = fc.constantFrom(...f.regs);
  const fits = SIZES.filter((s) => s <= g);
  if (!fits.length) return [lengthChecked(f)];
  const size = fc.constantFrom(...fits);
  const fixed = fc.tuple(size, fc.integer({ min: 0, max: 2 }), fc.boolean(), reg, i32(), nearMiss).chain(([sz, kind, signed, d, v, miss]) =>
    fc.integer({ min: 0, max: g - sz }).map((off) => {
      const at = `[%r9+${off + (off === g - sz ? miss : 0)}]`;
      return { lines: [kind === 0 ? `ldx${signed && sz < 8 ? 's' : ''}${SUFFIX[sz]} ${r(d)}, ${at}` : kind === 1 ? `stx${SUFFIX[sz]} ${at}, ${r(d)}` : `st${SUFFIX[sz]} ${at}, ${v}`] };
    }));
  // A masked offset: r4 = r9 + (rS & (2^k - 1)), then an access at r4 + c with 2^k - 1 + c + size <= guard.
  const masked = fc.tuple(size, reg, reg, nearMiss).chain(([sz, s, d, miss]) => {
    const maxMask = g - sz;
    const k = Math.floor(Math.log2(maxMask + 1));
    return fc.integer({ min: 0, max: k }).chain((bits) => {
      const mask = (1 << bits) - 1;
      return fc.integer({ min: 0, max: maxMask - mask }).map((c) => ({
        lines: [`mov %r4, ${r(s)}`, `and %r4, ${mask}`, 'add %r4, %r9', `ldx${SUFFIX[sz]} ${r(d)}, [%r4+${c + (c === maxMask - mask ? miss : 0)}]`],
      }));
    });
  });
  // A compared offset: if rS <= K (unsigned; a 32-bit compare only after a byte load fixed its upper bits) then read r9[rS].
  const compared = fc.tuple(reg, reg, fc.boolean(), nearMiss, fc.integer({ min: 0, max: g - 1 })).map(([s, d, is32, miss, src]) => {
    const k = g - 1;
    // The near miss of a 32-bit compare: no byte load before it, so rS's upper 32 bits are unknown.
    const load = is32 && miss ? [] : is32 ? [`ldxb ${r(s)}, [%r9+${src}]`] : [];
    return { lines: [...load, `jgt${is32 ? '32' : ''} ${r(s)}, ${is32 ? k : k + miss}, +3`, 'mov %r4, %r9', `add %r4, ${r(s)}`, `ldxb ${r(d)}, [%r4+0]`] };
  });
  // A pointer spilled in the prologue, filled and used.
  const filled = fc.tuple(size, reg).chain(([sz, d]) => fc.integer({ min: 0, max: g - sz }).map((off) => ({ lines: ['ldxdw %r4, [%r10-72]', `ldx${SUFFIX[sz]} ${r(d)}, [%r4+${off}]`] })));
  // A constant pointer step, then a negative offset back.
  const stepped = fc.tuple(size, reg).chain(([sz, d]) => fc.integer({ min: 0, max: g - sz }).map((off) => ({ lines: ['mov %r4, %r9', `add %r4, ${g}`, `ldx${SUFFIX[sz]} ${r(d)}, [%r4${off - g}]`] })));
  return [fixed, fixed, masked, masked, compared, compared, filled, stepped, lengthChecked(f)];
}

/** lengthChecked reads r9[rS .. rS + size) after checking rS <= len - size (the near miss checks rS < len only). */
function lengthChecked(f: Frame): fc.Arbitrary<Item> {
  return fc.tuple(fc.constantFrom(...SIZES), fc.constantFrom(...f.regs), fc.constantFrom(...f.regs), nearMiss).map(([sz, s, d, miss]) => ({
    lines: miss
      ? [`jge ${r(s)}, %r7, +3`, 'mov %r4, %r9', `add %r4, ${r(s)}`, `ldx${SUFFIX[sz === 1 ? 2 : sz]} ${r(d)}, [%r4+0]`]
      : ['mov %r4, %r7', `sub %r4, ${sz}`, `jgt ${r(s)}, %r4, +3`, 'mov %r4, %r9', `add %r4, ${r(s)}`, `ldx${SUFFIX[sz]} ${r(d)}, [%r4+0]`],
  }));
}

/** inputLoop walks the input with r8 from 0 while r8 < len and r8 < limit, reading or writing each byte. */
const inputLoop = (f: Frame): fc.Arbitrary<Item> =>
  fc.tuple(fc.integer({ min: 1, max: 24 }), fc.boolean(), fc.constantFrom(...f.regs)).map(([limit, write, d]) => ({
    lines: ['mov %r8, 0', `walk${labels}:`, 'jge %r8, %r7, +5', 'mov %r4, %r9', 'add %r4, %r8', write ? `stxb [%r4+0], ${r(d)}` : `ldxb ${r(d)}, [%r4+0]`, 'add %r8, 1', `jlt %r8, ${limit}, walk${labels++}`],
  }));

/** call is a helper call with valid arguments, every caller-saved register set again after it. */
const call = (f: Frame): fc.Arbitrary<Item> =>
  fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.array(i32(), { minLength: 6, maxLength: 6 })).map(([id, vals]) => {
    const args = id === 1 ? ['mov %r1, %r10', 'add %r1, -32', 'mov %r2, 16'] : id === 3 ? ['mov %r1, 1000'] : id === 0 ? ['mov %r4, 4'] : [];
    const regs = f.regs.filter((n) => n <= 5 || n === 0);
    return { lines: [...args, `call ${id}`, ...regs.map((n, k) => `mov ${r(n)}, ${vals[k]}`)] };
  });

let labels = 0;

/**
 * body is straight-line items with forward branches and, at depth 1, at most one loop (a counted loop or a walk over
 * the input) between them: loops are what makes verification cost, and one per body keeps a case a few milliseconds.
 */
function body(f: Frame, depth: number): fc.Arbitrary<Item[]> {
  const simple = fc.oneof(...scalarItems(f), ...(f.guard >= 0 ? inputItems(f) : []), call(f));
  const run = (max: number) => fc.array(simple, { minLength: 1, maxLength: max });
  if (depth === 0) return run(5);
  const loops: fc.Arbitrary<Item>[] = [fc.tuple(fc.integer({ min: 1, max: 4 }), body(f, 0)).map(([loop, b]) => ({ loop, body: b }))];
  if (f.guard >= 0) loops.push(inputLoop(f));
  return fc.tuple(run(10), fc.option(fc.oneof(...loops), { nil: undefined, freq: 2 }), run(6)).map(([a, loop, b]) => [...a, ...(loop ? [loop] : []), ...b]);
}

function flatten(items: readonly Item[]): string[] {
  const parts = items.map((it) => ('lines' in it ? it.lines : 'loop' in it ? loopLines(it.loop, it.body) : [it.branch]));
  const out: string[] = [];
  items.forEach((it, k) => {
    if ('branch' in it) out.push(`${it.branch}, +${parts.slice(k + 1, k + 1 + it.skip).reduce((n, p) => n + slots(p), 0)}`);
    else out.push(...parts[k]);
  });
  return out;
}

const slots = (lines: readonly string[]) => lines.reduce((n, l) => n + (l.startsWith('lddw') ? 2 : l.endsWith(':') ? 0 : 1), 0);

function loopLines(count: number, items: readonly Item[]): string[] {
  const label = `loop${labels++}`;
  return [`mov %r8, ${count}`, `${label}:`, ...flatten(items), 'sub %r8, 1', `jne %r8, 0, ${label}`];
}

/** prologue sets r9, r7, the guard, the scalars (constants or input bytes), the stack and the spilled r9. */
function prologue(g: number, inits: readonly { fromInput: boolean; v: bigint; size: number; off: number }[]): string[] {
  const lines = ['mov %r9, %r1', 'mov %r7, %r2'];
  if (g > 0) lines.push(`jge %r7, ${g}, +2`, 'mov %r0, 0', 'exit');
  SCALARS.forEach((n, k) => {
    const i = inits[k];
    const size = Math.min(i.size, g >= 8 ? 8 : g >= 4 ? 4 : g >= 2 ? 2 : 1);
    lines.push(i.fromInput && g > 0 ? `ldx${SUFFIX[size as 1 | 2 | 4 | 8]} ${r(n)}, [%r9+${i.off % (g - size + 1)}]` : `lddw ${r(n)}, ${formatU64(i.v)}`);
  });
  for (let off = -8; off >= -64; off -= 8) lines.push(`stxdw [%r10${off}], ${r(SCALARS[(-off / 8) % SCALARS.length])}`);
  lines.push('stxdw [%r10-72], %r9');
  return lines;
}

/** SoundnessProgram is a generated program, the guard length its prologue checks, and inputs biased to boundaries. */
export interface SoundnessProgram {
  text: string;
  guard: number;
  inputs: Uint8Array[];
}

/** soundnessProgram generates a program with `runs` inputs of lengths and bytes around its bounds. */
export const soundnessProgram = (runs: number): fc.Arbitrary<SoundnessProgram> =>
  fc.constantFrom(...GUARDS).chain((guard) => {
    const f: Frame = { regs: SCALARS, guard };
    const sub: Frame = { regs: SUB_SCALARS, guard: -1 };
    const init = fc.record({ fromInput: fc.boolean(), v: u64(), size: fc.constantFrom(...SIZES), off: fc.nat(64) });
    const byte = fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, guard - 1, guard, guard + 1, 63, 64).map((b) => b & 0xff), fc.integer({ min: 0, max: 255 }));
    const length = fc.oneof(fc.constantFrom(guard, guard + 1, guard + 7, guard + 8, 64, 80), fc.integer({ min: 0, max: 96 }));
    const input = length.chain((n) => fc.array(byte, { minLength: n, maxLength: n }).map((b) => Uint8Array.from(b)));
    return fc.record({
      inits: fc.array(init, { minLength: SCALARS.length, maxLength: SCALARS.length }),
      main: body(f, 1),
      sub: fc.option(fc.tuple(body(sub, 0), fc.array(i32(), { minLength: 5, maxLength: 5 })), { nil: undefined, freq: 3 }),
      after: body(f, 1),
      inputs: fc.array(input, { minLength: runs, maxLength: runs }),
    }).map(({ inits, main, sub: callee, after, inputs }) => {
      const lines = [...prologue(guard, inits), ...flatten(main)];
      if (callee) lines.push('call local sub', ...SUB_SCALARS.filter((n) => n <= 5).map((n, k) => `mov ${r(n)}, ${callee[1][k % 5]}`));
      lines.push(...flatten(after), 'exit');
      if (callee) {
        const own = [-8, -16, -24, -32].map((off, k) => `stdw [%r10${off}], ${callee[1][k]}`);
        lines.push('sub:', 'mov %r0, %r1', 'mov %r4, 0', ...own, ...flatten(callee[0]).map((l) => l.replace(/\[%r10-(\d+)\]/g, (m, o) => (Number(o) > 32 ? `[%r10-${((Number(o) - 1) % 32) + 1}]` : m))), 'exit');
      }
      return { text: lines.join('\n'), guard, inputs };
    });
  });

/** CTX_SIZE is the size of the uprobe context, x86-64 `struct pt_regs`. */
export const CTX_SIZE = 168;
const CTX_SCALARS = [0, 2, 3, 4, 5, 7];

/** reinit sets r0-r5 again after a call (r1-r5 are clobbered; r0 may hold a pointer). */
const reinit = (vals: readonly number[]) => [0, 1, 2, 3, 4, 5].map((n, k) => `mov ${r(n)}, ${vals[k % vals.length]}`);

/** ctxItems read the context and use maps the way a uprobe does, with near misses the verifier must refuse. */
function ctxItems(): fc.Arbitrary<Item>[] {
  const reg = fc.constantFrom(...CTX_SCALARS);
  const vals = fc.array(i32(), { minLength: 6, maxLength: 6 });
  const ctxRead = fc.tuple(fc.constantFrom(...SIZES), reg, nearMiss).chain(([sz, d, miss]) =>
    fc.integer({ min: 0, max: CTX_SIZE / sz - 1 }).map((k) => ({ lines: [`ldx${SUFFIX[sz]} ${r(d)}, [%r6+${(miss ? CTX_SIZE / sz : k) * sz}]`] })));
  // A lookup in map 0 (hash), 1 (array of 16) or 2 (per-CPU array), then accesses to its 8-byte value with r7 (the
  // call clobbered r1-r5; r0 holds the value pointer).
  const valueOp = fc.tuple(fc.integer({ min: 0, max: 3 }), nearMiss).map(([kind, miss]) =>
    [`ldxdw %r7, [%r0+${miss * 8}]`, 'stxdw [%r0+0], %r7', 'lock add [%r0+0], %r7', `ldxw %r7, [%r0+${4 + miss * 4}]`][kind]);
  const lookup = fc.tuple(fc.constantFrom(0, 1, 2), reg, fc.array(valueOp, { minLength: 1, maxLength: 3 }), nearMiss, vals).map(([map, k, ops, miss, v]) => ({
    lines: [`mov %r1, ${r(k)}`, 'and %r1, 15', 'stxw [%r10-72], %r1', 'mov %r2, %r10', 'add %r2, -72', `lddw %r1, map_idx ${map}`, 'call 1', ...(miss ? [] : [`jeq %r0, 0, +${ops.length}`]), ...ops, ...reinit(v)],
  }));
  const update = fc.tuple(reg, reg, vals).map(([k, s, v]) => ({
    lines: [`stxdw [%r10-80], ${r(s)}`, `mov %r1, ${r(k)}`, 'and %r1, 15', 'stxw [%r10-72], %r1', 'lddw %r1, map_idx 0', 'mov %r2, %r10', 'add %r2, -72', 'mov %r3, %r10', 'add %r3, -80', 'mov %r4, 0', 'call 2', ...reinit(v)],
  }));
  const helper = fc.tuple(fc.constantFrom(5, 7, 14), vals).map(([id, v]) => ({ lines: [`call ${id}`, `mov ${r(7)}, %r0`, ...reinit(v)] }));
  return [ctxRead, ctxRead, lookup, lookup, update, helper];
}

/** ctxBody is like body for uprobe programs: scalar items, context reads and map use, at most one counted loop. */
function ctxBody(depth: number): fc.Arbitrary<Item[]> {
  const f: Frame = { regs: CTX_SCALARS, guard: -1 };
  const simple = fc.oneof(...scalarItems(f), ...ctxItems());
  const run = (max: number) => fc.array(simple, { minLength: 1, maxLength: max });
  if (depth === 0) return run(4);
  const loop = fc.tuple(fc.integer({ min: 1, max: 4 }), ctxBody(0)).map(([n, b]): Item => ({ loop: n, body: b }));
  return fc.tuple(run(8), fc.option(loop, { nil: undefined, freq: 3 }), run(6)).map(([a, l, b]) => [...a, ...(l ? [l] : []), ...b]);
}

/** CtxProgram is a generated uprobe program (maps: those of examples/counter.bpf.o) and contexts to run it with. */
export interface CtxProgram {
  text: string;
  contexts: Uint8Array[];
}

/** ctxProgram generates a uprobe program over a pt_regs context and the counter object's maps, with `runs` random contexts. */
export const ctxProgram = (runs: number): fc.Arbitrary<CtxProgram> =>
  fc.record({
    inits: fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...SIZES), fc.nat(CTX_SIZE - 1), i32()), { minLength: CTX_SCALARS.length, maxLength: CTX_SCALARS.length }),
    main: ctxBody(1),
    contexts: fc.array(fc.uint8Array({ minLength: CTX_SIZE, maxLength: CTX_SIZE }), { minLength: runs, maxLength: runs }),
  }).map(({ inits, main, contexts }) => {
    const lines = ['mov %r6, %r1'];
    CTX_SCALARS.forEach((n, k) => {
      const [fromCtx, sz, off, v] = inits[k];
      lines.push(fromCtx ? `ldx${SUFFIX[sz]} ${r(n)}, [%r6+${off - (off % sz)}]` : `mov ${r(n)}, ${v}`);
    });
    for (let off = -8; off >= -64; off -= 8) lines.push(`stxdw [%r10${off}], ${r(CTX_SCALARS[(-off / 8) % CTX_SCALARS.length])}`);
    lines.push(...flatten(main), 'exit');
    return { text: lines.join('\n'), contexts };
  });

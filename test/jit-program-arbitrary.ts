/**
 * Random valid programs for the differential test: every ALU operation (32/64, immediate and register, division and
 * modulo included), movsx, byte swaps, forward branches, bounded loops, stack and input loads and stores of every
 * size (sign-extending too), atomics, packet loads (LD_ABS/LD_IND), helper calls and a bpf-to-bpf call. Register use follows the verifier's rules
 * the JIT relies on: r9 holds the input pointer, r8 counts loops (which do not nest), and r1..r5 are set again after a local call.
 * A few accesses may fall outside the input, so faults are compared too.
 */
import fc from 'fast-check';
import { formatU64, type AluOp, type JmpCond } from '../src/isa/index.js';
import { i32, u64 } from './arbitraries.js';

/** INPUT_SIZE is the size of the input buffer the programs read and write through r9. */
export const INPUT_SIZE = 64;

const ALU_OPS: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'smod', 'xor', 'mov', 'arsh'];
const CONDS: JmpCond[] = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'];
const SIZES = [1, 2, 4, 8] as const;
const SUFFIX = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' } as const;
const r = (n: number) => `%r${n}`;
const data = fc.integer({ min: 0, max: 7 });

/** Item is a piece of a body: lines, a forward branch over the next items, or a loop. */
type Item = { lines: readonly string[] } | { branch: string; skip: number } | { loop: number; body: Item[] };

const alu = fc.tuple(fc.constantFrom(...ALU_OPS), fc.boolean(), fc.boolean(), data, data, i32()).map(([op, is32, useReg, d, s, imm]) => {
  const name = op + (is32 ? '32' : '');
  return { lines: [op === 'neg' ? `${name} ${r(d)}` : `${name} ${r(d)}, ${useReg ? r(s) : imm}`] };
});
const movsx = fc.tuple(fc.constantFrom('movsx864', 'movsx1664', 'movsx3264', 'movsx832', 'movsx1632'), data, data)
  .map(([op, d, s]) => ({ lines: [`${op} ${r(d)}, ${r(s)}`] }));
const end = fc.tuple(fc.constantFrom('le', 'be', 'bswap'), fc.constantFrom(16, 32, 64), data).map(([o, bits, d]) => ({ lines: [`${o}${bits} ${r(d)}`] }));
const stackOff = (size: number, aligned: boolean) =>
  fc.integer({ min: -512 / size, max: -1 }).chain((k) => (aligned ? fc.constant(k * size) : fc.integer({ min: -512, max: -size })));
const where = (size: number, aligned = false) =>
  fc.oneof(
    { weight: 6, arbitrary: stackOff(size, aligned).map((off) => `[%r10${off}]`) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: (INPUT_SIZE - size) / (aligned ? size : 1) }).map((k) => `[%r9+${aligned ? k * size : k}]`) },
    { weight: 1, arbitrary: fc.integer({ min: INPUT_SIZE - 12, max: INPUT_SIZE + 8 }).map((k) => `[%r9+${k}]`) },
  );
const load = fc.tuple(fc.constantFrom(...SIZES), fc.boolean(), data).chain(([size, signed, d]) =>
  where(size).map((m) => ({ lines: [`ldx${signed && size < 8 ? 's' : ''}${SUFFIX[size]} ${r(d)}, ${m}`] })));
const store = fc.tuple(fc.constantFrom(...SIZES), fc.boolean(), data, i32()).chain(([size, imm, s, v]) =>
  where(size).map((m) => ({ lines: [imm ? `st${SUFFIX[size]} ${m}, ${v}` : `stx${SUFFIX[size]} ${m}, ${r(s)}`] })));
const atomic = fc.tuple(fc.constantFrom('add', 'or', 'and', 'xor', 'fetch add', 'fetch or', 'fetch and', 'fetch xor', 'xchg', 'cmpxchg'), fc.constantFrom(4, 8), data)
  .chain(([op, size, s]) => where(size, true).map((m) => ({ lines: [`lock ${op}${size === 4 ? '32' : ''} ${m}, ${r(s)}`] })));
const branch = fc.tuple(fc.constantFrom(...CONDS), fc.boolean(), fc.boolean(), data, data, i32(), fc.integer({ min: 1, max: 4 }))
  .map(([c, is32, useReg, d, s, imm, skip]) => ({ branch: `${c}${is32 ? '32' : ''} ${r(d)}, ${useReg ? r(s) : imm}`, skip }));
const helper = fc.oneof(
  fc.constant({ lines: ['call 0'] }),
  fc.constant({ lines: ['call 2'] }),
  fc.constant({ lines: ['call 3'] }),
  fc.constant({ lines: ['mov %r1, 1', 'call 5'] }),
);
const packet = fc.tuple(fc.constantFrom('b', 'h', 'w'), fc.boolean(), data, fc.integer({ min: 0, max: INPUT_SIZE + 4 }), fc.integer({ min: -4, max: 8 }))
  .map(([size, ind, s, base, imm]) => ({ lines: ind ? [`mov ${r(s)}, ${base}`, `ldind${size} ${r(s)}, ${imm}`] : [`ldabs${size} ${base}`] }));
const lddw = fc.tuple(data, u64()).map(([d, v]) => ({ lines: [`lddw ${r(d)}, ${formatU64(v)}`] }));

const simple: fc.Arbitrary<Item> = fc.oneof(
  { weight: 10, arbitrary: alu },
  { weight: 2, arbitrary: movsx },
  { weight: 2, arbitrary: end },
  { weight: 4, arbitrary: load },
  { weight: 4, arbitrary: store },
  { weight: 2, arbitrary: atomic },
  { weight: 3, arbitrary: branch },
  { weight: 1, arbitrary: helper },
  { weight: 1, arbitrary: lddw },
  { weight: 1, arbitrary: packet },
);
const body = (depth: number): fc.Arbitrary<Item[]> =>
  fc.array(
    depth > 0
      ? fc.oneof({ weight: 12, arbitrary: simple }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 6 }), body(0)).map(([loop, b]) => ({ loop, body: b })) })
      : simple,
    { minLength: 1, maxLength: depth > 0 ? 25 : 8 },
  );

let labels = 0;

/** flatten turns items into assembly lines, resolving branch skips to slot offsets within the same body. */
function flatten(items: readonly Item[]): string[] {
  const parts = items.map((it) => ('lines' in it ? it.lines : 'loop' in it ? loopLines(it.loop, it.body) : [it.branch]));
  const out: string[] = [];
  items.forEach((it, k) => {
    if ('branch' in it) {
      const over = parts.slice(k + 1, k + 1 + it.skip).reduce((n, p) => n + slots(p), 0);
      out.push(`${it.branch}, +${over}`);
    } else out.push(...parts[k]);
  });
  return out;
}

const slots = (lines: readonly string[]) => lines.reduce((n, l) => n + (l.startsWith('lddw') ? 2 : l.endsWith(':') ? 0 : 1), 0);

function loopLines(count: number, items: readonly Item[]): string[] {
  const label = `loop${labels++}`;
  return [`mov %r8, ${count}`, `${label}:`, ...flatten(items), 'sub %r8, 1', `jne %r8, 0, ${label}`];
}

/** DiffProgram is a generated program and its input. */
export interface DiffProgram {
  text: string;
  input: Uint8Array;
}

/** diffProgram generates a program: a prologue setting every register, a body, maybe a call of a second function. */
export const diffProgram = (): fc.Arbitrary<DiffProgram> =>
  fc.record({
    init: fc.array(u64(), { minLength: 8, maxLength: 8 }),
    main: body(1),
    after: body(1),
    sub: fc.option(body(1), { nil: undefined }),
    input: fc.uint8Array({ minLength: INPUT_SIZE, maxLength: INPUT_SIZE }),
    reinit: fc.array(i32(), { minLength: 5, maxLength: 5 }),
  }).map(({ init, main, after, sub, input, reinit }) => {
    const lines = ['mov %r9, %r1', ...init.map((v, k) => `lddw ${r(k)}, ${formatU64(v)}`), ...flatten(main)];
    if (sub) lines.push('call local sub', ...reinit.map((v, k) => `mov ${r(k + 1)}, ${v}`));
    lines.push(...flatten(after), 'exit');
    if (sub) lines.push('sub:', ...flatten(sub), 'exit');
    return { text: lines.join('\n'), input };
  });

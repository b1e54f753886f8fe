// The direct emitter's expression builder (src/jit-wasm/direct/tree.ts): code comes out in operand order whatever the
// order the builders call it in, and an expression used twice is copied, not linked twice.
import { afterEach, describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/jit-wasm/direct/bytes.js';
import { OP } from '../src/jit-wasm/direct/opcodes.js';
import { Tree, TREE_TYPES } from '../src/jit-wasm/direct/tree.js';

const L = TREE_TYPES.i64;
let trees: Tree[] = [];
const tree = (): Tree => {
  const t = Tree.acquire({ func: () => 7, global: () => 3 });
  trees.push(t);
  return t;
};
const code = (t: Tree, e: number, cold: number[] = []): number[] => {
  const w = new ByteWriter();
  t.writeCode(e, w, cold);
  expect(t.size(e)).toBe(w.len);
  return [...w.view()];
};
const get = (k: number) => [OP.local_get, k];

describe('direct emitter tree', () => {
  afterEach(() => {
    for (const t of trees) t.dispose();
    trees = [];
  });

  it('writes operands built in order as one range', () => {
    const t = tree();
    const e = t.local.set(2, t.i64.add(t.local.get(0, L), t.local.get(1, L)));
    expect(code(t, e)).toEqual([...get(0), ...get(1), OP.i64_add, OP.local_set, 2]);
  });

  it('puts operands built out of order in operand order', () => {
    const t = tree();
    const b = t.local.get(1, L);
    const a = t.local.get(0, L);
    const then = t.call('f', [t.i32.const(5)], TREE_TYPES.none);
    const cond = t.i64.lt_u(a, b);
    const e = t.block(null, [t.if(cond, then), t.unreachable()], TREE_TYPES.unreachable);
    expect(code(t, e)).toEqual([...get(0), ...get(1), OP.i64_lt_u, OP.if, 0x40, OP.i32_const, 5, OP.call, 7, OP.end, OP.unreachable]);
  });

  it('copies an expression used twice', () => {
    const t = tree();
    const a = t.i64.eqz(t.local.get(4, L));
    const twice = t.i32.and(a, a);
    const thrice = t.i32.or(twice, a);
    const one = [...get(4), OP.i64_eqz];
    expect(code(t, twice)).toEqual([...one, ...one, OP.i32_and]);
    expect(code(t, thrice)).toEqual([...one, ...one, OP.i32_and, ...one, OP.i32_or]);
    expect(code(t, a)).toEqual(one);
  });

  it('copies linked code used twice', () => {
    const t = tree();
    const b = t.local.get(1, L);
    const a = t.local.get(0, L);
    const diff = t.i64.sub(a, b);
    const sub = [...get(0), ...get(1), OP.i64_sub];
    const twice = t.i64.add(diff, diff);
    expect(code(t, twice)).toEqual([...sub, ...sub, OP.i64_add]);
    expect(code(t, t.i64.mul(twice, diff))).toEqual([...sub, ...sub, OP.i64_add, ...sub, OP.i64_mul]);
    expect(code(t, diff)).toEqual(sub);
  });

  it('reports where its cold ifs land, also in code linked out of order and copied', () => {
    const t = tree();
    const b = t.local.get(1, L);
    const a = t.local.get(0, L);
    const body = t.block(null, [t.nop(), t.unreachable()], TREE_TYPES.none);
    const cold = t.if(t.i64.lt_u(a, b), body);
    const warm = t.if(t.i64.eqz(a), t.block(null, [t.unreachable()], TREE_TYPES.none));
    const cond = [...get(0), ...get(1), OP.i64_lt_u];
    const coldCode = [...cond, OP.if, 0x40, OP.nop, OP.unreachable, OP.end];
    const marks: number[] = [];
    const both = code(t, t.block(null, [warm, cold, cold], TREE_TYPES.none), marks);
    const warmLen = both.length - 2 * coldCode.length;
    expect(both.slice(warmLen)).toEqual([...coldCode, ...coldCode]);
    // Each use of the cold if, linked the first time and copied the second, is reported at its `if` opcode.
    expect(marks).toEqual([warmLen + cond.length, warmLen + coldCode.length + cond.length]);
    expect(marks.map((m) => both[m])).toEqual([OP.if, OP.if]);
  });

  it('reuses its storage after dispose without mixing programs', () => {
    const first = tree();
    const x = first.local.get(9, L);
    expect(code(first, x)).toEqual(get(9));
    first.dispose();
    trees = [];
    const second = tree();
    expect(second).toBe(first);
    const y = second.i64.const(-1);
    expect(code(second, y)).toEqual([OP.i64_const, 0x7f]);
    expect(code(second, second.i64.const(0xffffffff))).toEqual([OP.i64_const, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
});

// Inline hash map lookups and updates (src/jit-wasm/inline-map.ts): on both JIT tiers a hit or a miss through a key
// on the stack, and an update of an existing key, run without calling the helper; every other case (long probes,
// deletes' backward shifts, a full map, other flags, bad or unusual key and value pointers, a wrong handle guess,
// read-only maps, large values) gives the interpreter's r0, steps, errors and map contents.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fmix32, MIX } from '../src/helpers/maps/key-index.js';
import { CreateFlag, UpdateFlag } from '../src/helpers/maps/index.js';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { assemble, validateProgram } from '../src/isa/index.js';
import { compileProgram, type InlineMap } from '../src/jit-wasm/index.js';
import type { MapSpec } from '../src/loader/spec.js';
import { prepareBackend, type BackendName } from '../src/runtime/backends.js';
import { Driver, type Op } from './jit-inline-map-support.js';

const JITS: BackendName[] = ['wasm-fast', 'wasm-opt'];
const { ANY, NOEXIST, EXIST, LOCK } = UpdateFlag;

/** outcomes runs the operations on a backend: each run's outcome, then the map's contents. */
function outcomes(backend: BackendName, map: Partial<MapSpec>, ops: readonly Op[]): string[] {
  const d = new Driver(backend, map);
  return [...ops.map((o) => `${o.op} ${o.key}: ${d.run(o)}`), ...d.contents()];
}

/** sameHome lists `n` four-byte keys sharing one home position in a table of `positions`. */
function sameHome(n: number, positions: number): number[] {
  const keys: number[] = [];
  for (let k = 0; keys.length < n; k++) if ((fmix32(k) & (positions - 1)) === (fmix32(0) & (positions - 1))) keys.push(k);
  return keys;
}

const lookup = (key: number | bigint): Op => ({ op: 'lookup', key });
const update = (key: number | bigint, value: bigint, flags: bigint | number = ANY): Op => ({ op: 'update', key, value, flags: BigInt(flags) });
const del = (key: number | bigint): Op => ({ op: 'delete', key });
const range = (n: number): number[] => [...Array(n).keys()];

// maxEntries 12: a table of 32 positions, where ten keys sharing a home make probes longer than the inline eight.
const [absent, ...run10] = sameHome(11, 32).reverse();
// Two 8-byte keys with one hash (imul(hi, MIX) ^ lo is equal), so only comparing the keys tells them apart.
const twin = (1n << 32n) | BigInt((1 ^ MIX) >>> 0);
const long = 0x0807_0605_0403_0201n;
const CASES: [string, Partial<MapSpec>, Op[]][] = [
  ['hits, misses and updates in place', {}, [...range(5).map((k) => update(k, BigInt(k))), ...range(8).map(lookup), update(3, 33n), update(4, 44n, EXIST), lookup(3)]],
  ['a probe run longer than the inline probes, deletes shifting it back', { maxEntries: 12 }, [
    ...run10.map((k, i) => update(k, BigInt(i))),
    ...run10.map(lookup),
    lookup(absent),
    del(run10[1]),
    ...run10.map(lookup),
    lookup(absent),
    update(run10[6], 66n),
    del(run10[0]),
    del(run10[4]),
    ...run10.map(lookup),
    ...run10.map((k) => update(k, 7n, EXIST)),
  ]],
  ['a full map', { maxEntries: 3 }, [...range(5).map((k) => update(k, 1n)), ...range(5).map(lookup), update(1, 2n), del(0), update(4, 4n), lookup(4)]],
  ['every flag', {}, [
    update(1, 1n, NOEXIST), update(1, 2n, NOEXIST), update(2, 2n, EXIST), update(1, 3n, EXIST), update(1, 4n, ANY | LOCK),
    update(1, 5n, EXIST | LOCK), update(1, 6n, 3), update(1, 7n, 8), update(1, 8n, 1n << 32n), update(1, 9n, (1n << 32n) | 2n), lookup(1),
  ]],
  ['key pointers outside the stack frame', {}, [
    update(5, 5n),
    ...[0n, 8n, 0xffff_ffffn, 1n << 40n, -1n, 0x7fff_0000n].map((key2): Op => ({ op: 'rawKey', key: 0, key2 })),
    { op: 'ctxKey', key: 5 }, { op: 'ctxKey', key: 6 },
  ]],
  ['values copied from the map itself', {}, [
    update(1, 11n), update(2, 22n),
    { op: 'copy', key: 1, key2: 2n, flags: 0n }, { op: 'copy', key: 2, key2: 2n, flags: 0n }, { op: 'copy', key: 1, key2: 3n, flags: 0n },
    { op: 'copy', key: 9, key2: 1n, flags: 0n }, lookup(2), lookup(3),
  ]],
  // Slots are handed out in order, so key 2's value starts inside a source 8 bytes into key 1's: the copy overlaps it.
  ['overlapping values copied from the map itself', {}, [
    update(0, 1n), update(1, 2n), update(2, 3n), { op: 'copy', key: 1, key2: 2n, flags: 0n, shift: 8 },
    { op: 'copy', key: 1, key2: 0n, flags: 0n, shift: 4 }, lookup(0), lookup(2),
  ]],
  ['a handle the translation guessed wrong', {}, [update(1, 1n), { op: 'otherMap', key: 1 }, { op: 'otherMap', key: 2 }]],
  ['one-byte keys', { keySize: 1 }, [...range(4).map((k) => update(k * 0x41, BigInt(k))), ...range(6).map((k) => lookup(k * 0x41)), lookup(0x100)]],
  ['two-byte keys', { keySize: 2 }, [update(0x1234, 1n), lookup(0x1234), lookup(0x34), lookup(0x12_1234), update(0x1234, 2n), lookup(0x1234)]],
  ['three-byte keys', { keySize: 3 }, [update(0x123456, 1n), lookup(0x123456), lookup(0x3456), lookup(0x77123456), update(0x123456, 9n)]],
  ['values of 4, 12, 16 and 72 bytes', {}, []],
  ['eight-byte keys sharing a hash', { keySize: 8 }, [
    update(1, 1n), lookup(twin), update(twin, 2n), lookup(1), lookup(twin), del(1), lookup(twin), update(twin, 3n, EXIST), update(1, 4n, EXIST), lookup(1n << 40n),
  ]],
  ...[5, 6, 7].map((keySize): [string, Partial<MapSpec>, Op[]] => [`${keySize}-byte keys`, { keySize }, [
    update(long, 1n), lookup(long), lookup(long & 0xffff_ffffn), lookup(long | (0xffn << 56n)), update(long ^ (1n << BigInt(8 * keySize - 1)), 2n), lookup(long), update(long, 3n), lookup(long),
  ]]),
  ['a map programs may only read', { flags: CreateFlag.RDONLY_PROG }, [update(1, 1n), lookup(1)]],
];

describe('inline hash map operations', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const [what, map, ops] of CASES) {
    const sizes = what.startsWith('values') ? [4, 12, 16, 72] : what.startsWith('overlapping') ? [16, 24] : what.includes('copied') ? [8, 16] : [undefined];
    for (const valueSize of sizes) {
      const spec = valueSize === undefined ? map : { ...map, valueSize };
      const list = valueSize === undefined || what.includes('copied') ? ops : [...range(3).map((k) => update(k, BigInt(k) - 2n)), update(1, 5n), lookup(1), lookup(2), { op: 'copy', key: 1, key2: 0n, flags: 0n } as Op];
      it(`agree with the interpreter: ${what}${valueSize ? ` (${valueSize})` : ''}`, () => {
        const expected = outcomes('interp', spec, list);
        for (const backend of JITS) expect(outcomes(backend, spec, list)).toEqual(expected);
      });
    }
  }

  it('report a bad key pointer as the interpreter does', () => {
    const op: Op = { op: 'rawKey', key: 0, key2: 1n << 40n };
    const expected = new Driver('interp', {}).run(op);
    expect(expected).toMatch(/^unmapped: program "op": pc \d+: call 1: /);
    for (const backend of JITS) expect(new Driver(backend, {}).run(op)).toBe(expected);
  });

  it('call no helper for hits, misses and updates of existing keys on the JIT tiers', () => {
    for (const [backend, keySize] of JITS.flatMap((b) => [[b, 4], [b, 8]] as const)) {
      const d = new Driver(backend, { keySize });
      for (const k of range(10)) d.run(update(k, BigInt(k)));
      const lookups = vi.spyOn(d.map, 'lookupElem');
      const updates = vi.spyOn(d.map, 'updateElem');
      for (const k of range(20)) expect(d.run(lookup(k))).toMatch(k < 10 ? /^r0 = 0x[1-9a-f]/ : /^r0 = 0x0,/);
      for (const k of range(10)) expect(d.run(update(k, 100n, k % 2 ? EXIST : ANY))).toMatch(/^r0 = 0x0,/);
      expect([lookups.mock.calls.length, updates.mock.calls.length], `${backend}, ${keySize}-byte keys`).toEqual([0, 0]);
      // A new key is the helper's to insert.
      d.run(update(10, 1n));
      expect(updates.mock.calls.length).toBe(1);
    }
  });

  it('leave modules exported for other hosts (lddwImports) calling the helper', () => {
    const valid = validateProgram(assemble('lddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -8\nstw [%r10-8], 1\ncall 1\nexit'));
    const map: InlineMap = { handle: 1, table: 0x10000, mask: 15, keySize: 4, keys: 0x20000, keyStride: 8, values: 0x30000, valueStride: 8, valueSize: 8, writable: true };
    for (const tier of ['fast', 'opt'] as const) {
      const opts = { tier, helpers: kernelHelpers(), lddwImports: true };
      expect(compileProgram(valid, { ...opts, mapOf: () => map }).bytes).toEqual(compileProgram(valid, opts).bytes);
      // The same options without lddwImports do inline (a resolved handle), which is what makes the comparison mean something.
      const resolved = { tier, helpers: kernelHelpers(), resolveLddw: () => 1n };
      expect(compileProgram(valid, { ...resolved, mapOf: () => map }).bytes.length).toBeGreaterThan(compileProgram(valid, resolved).bytes.length);
    }
  });
});

// The shared-memory maps against the TypeScript maps (src/helpers/maps, the kernel's semantics): the same random
// sequence of user-side operations gives the same results and errno values on both, for every element map type,
// and the same records, positions and EAGAINs for ring buffers. Differences that are the kernel's and not the
// TypeScript maps' are left out and said where: BPF_F_LOCK on a map without a bpf_spin_lock (EINVAL natively, as in
// the kernel), LRU eviction order (the kernel's second-chance approximation natively, exact in TypeScript: here the
// LRU maps have room for every key), and hash iteration order (compared as sets).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BpfMap } from '../src/helpers/maps/index.js';
import { RingBufMap } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import type { NativeMap } from '../src/native/map.js';
import { errnoOf, hex, Machine, spec } from './maps-support.js';
import { NativeSession } from '../src/native/session.js';
import { newSession, sessionName } from './native-shm-support.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const RUNS = Number(process.env.NATIVE_SHM_RUNS ?? 60);

type Op =
  | { op: 'update'; key: number; value: number[]; flags: number }
  | { op: 'delete'; key: number }
  | { op: 'lookup'; key: number }
  | { op: 'next'; key: number | undefined }
  | { op: 'walk' };

interface Shape {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Keys are drawn from 0..keys-1. */
  keys: number;
}

const SHAPES: Record<string, Shape> = {
  hash: { type: MapType.hash, keySize: 4, valueSize: 8, maxEntries: 6, keys: 10 },
  'hash (6-byte keys, 3-byte values)': { type: MapType.hash, keySize: 6, valueSize: 3, maxEntries: 16, keys: 24 },
  percpu_hash: { type: MapType.percpu_hash, keySize: 4, valueSize: 4, maxEntries: 5, keys: 8 },
  lru_hash: { type: MapType.lru_hash, keySize: 8, valueSize: 8, maxEntries: 12, keys: 12 },
  lru_percpu_hash: { type: MapType.lru_percpu_hash, keySize: 4, valueSize: 12, maxEntries: 8, keys: 8 },
  array: { type: MapType.array, keySize: 4, valueSize: 12, maxEntries: 6, keys: 9 },
  percpu_array: { type: MapType.percpu_array, keySize: 4, valueSize: 8, maxEntries: 4, keys: 6 },
};

function keyBytes(shape: Shape, k: number): Uint8Array {
  const b = new Uint8Array(shape.keySize);
  new DataView(b.buffer).setUint32(0, k, true);
  if (shape.keySize > 4) b[shape.keySize - 1] = k & 0xff;
  return b;
}

function ops(shape: Shape, userValueSize: number): fc.Arbitrary<Op[]> {
  const key = fc.nat({ max: shape.keys - 1 });
  const sizes = userValueSize === shape.valueSize ? [shape.valueSize] : [shape.valueSize, userValueSize];
  const value = fc.constantFrom(...sizes).chain((n) => fc.array(fc.nat({ max: 255 }), { minLength: n, maxLength: n }));
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('update' as const), key, value, flags: fc.constantFrom(0, 0, 1, 2, 3, 8) }),
      fc.record({ op: fc.constant('delete' as const), key }),
      fc.record({ op: fc.constant('lookup' as const), key }),
      fc.record({ op: fc.constant('next' as const), key: fc.option(key, { nil: undefined }) }),
      fc.constant({ op: 'walk' as const }),
    ),
    { maxLength: 40 },
  );
}

/** walk collects the keys of a map by following nextKey from the start, sorted (iteration orders differ). */
function walk(m: Pick<BpfMap, 'nextKey'>, limit: number): string[] {
  const keys: string[] = [];
  for (let k = m.nextKey(undefined); k !== undefined && keys.length <= limit; k = m.nextKey(k)) keys.push(hex(k) as string);
  return keys.sort();
}

/** apply runs one operation on a map and describes its outcome. */
function apply(m: BpfMap | NativeMap, shape: Shape, o: Op, ordered: boolean): unknown {
  switch (o.op) {
    case 'update':
      return ['update', errnoOf(() => m.update(keyBytes(shape, o.key), Uint8Array.from(o.value), o.flags))];
    case 'delete':
      return ['delete', errnoOf(() => m.delete(keyBytes(shape, o.key)))];
    case 'lookup': {
      let value: Uint8Array | undefined;
      const errno = errnoOf(() => (value = m.lookup(keyBytes(shape, o.key))));
      return ['lookup', errno, hex(value)];
    }
    case 'next': {
      const key = o.key === undefined ? undefined : keyBytes(shape, o.key);
      let next: Uint8Array | undefined;
      const errno = errnoOf(() => (next = m.nextKey(key)));
      if (ordered) return ['next', errno, hex(next)];
      // Hash orders differ: from an absent key (or none) both restart at their first key, if the map has one; the
      // key after a present one is order-dependent, and checked to be another key of the map.
      const present = key !== undefined && m.lookup(key) !== undefined;
      if (!present) return ['next', errno, next !== undefined];
      return ['next', errno, next === undefined || (m.lookup(next) !== undefined && hex(next) !== hex(key))];
    }
    case 'walk':
      return ['walk', walk(m, shape.maxEntries)];
  }
}

/** inSession runs one property case in a session of its own, ended at once (the map table holds 256 maps). */
function inSession(f: (s: NativeSession) => void): void {
  const s = NativeSession.create(sessionName('case'), { size: 4 << 20 });
  try {
    f(s);
  } finally {
    s.end();
    s.close();
  }
}

const entries = (m: BpfMap | NativeMap): string[] => m.entries().map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();

describe.skipIf(!HAS_NATIVE)(`shared-memory maps behave as the TypeScript maps${NATIVE_SKIP}`, () => {
  for (const [label, shape] of Object.entries(SHAPES)) {
    it(`${label}: same results and errno for random operation sequences`, () => {
      const ncpus = newSession('cpus').info().ncpus;
      const ordered: boolean = shape.type === MapType.array || shape.type === MapType.percpu_array;
      const percpu = [MapType.percpu_hash, MapType.lru_percpu_hash, MapType.percpu_array].includes(shape.type as 5);
      const userValueSize = percpu ? Math.ceil(shape.valueSize / 8) * 8 * ncpus : shape.valueSize;
      fc.assert(
        fc.property(ops(shape, userValueSize), (seq) =>
          inSession((s) => {
            const sp = spec({ name: 'm', ...shape });
            const ts = new Machine(ncpus).create(sp);
            const native = s.createMap(sp);
            for (const o of seq) {
              expect(apply(native, shape, o, ordered), JSON.stringify(o)).toEqual(apply(ts, shape, o, ordered));
            }
            expect(entries(native)).toEqual(entries(ts));
            if (!ordered) expect(native.size).toBe(ts.entries().length);
          }),
        ),
        { numRuns: RUNS },
      );
    });
  }

  it('ring buffer: same records, positions and EAGAINs for random output and consume sequences', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('output' as const), size: fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 3000 })), flags: fc.constantFrom(0, 1, 2, 4) }),
      fc.record({ op: fc.constant('consume' as const), max: fc.nat({ max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (seq) => inSession((s) => {
        const sp = spec({ name: 'r', type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 8192 });
        const m = new Machine();
        const ts = m.create<RingBufMap>(sp);
        const consumer = ts.consumer();
        const native = s.createMap(sp);
        let serial = 0;
        for (const o of seq) {
          if (o.op === 'output') {
            const data = Uint8Array.from({ length: o.size }, (_, i) => (serial + i) & 0xff);
            serial++;
            const want = Math.abs(ts.output(m.put(data), o.size, o.flags));
            expect(errnoOf(() => native.output(data, o.flags)), JSON.stringify(o)).toBe(want);
          } else {
            const want: string[] = [];
            for (let i = 0; i < (o.max || Infinity); i++) {
              const r = consumer.next();
              if (r === undefined) break;
              want.push(hex(r) as string);
            }
            expect(native.consume(o.max).map((r) => hex(r))).toEqual(want);
          }
          for (const q of [0, 1, 2, 3]) expect(native.query(q)).toBe(ts.query(q));
        }
      })),
      { numRuns: RUNS },
    );
  });
});

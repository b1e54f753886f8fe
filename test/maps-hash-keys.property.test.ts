// The hash map's key index for every key size (one-word, two-word and byte-compared keys): a model under random
// program and user operations, keys that share a table position, delete and reinsert, a full map, flags, and value
// addresses that stay put while their element lives. Also GuestMemory.copy, which updates use for values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, UpdateFlag } from '../src/helpers/maps/index.js';
import { fmix32, hashKey } from '../src/helpers/maps/key-index.js';
import { MapType } from '../src/loader/spec.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { errnoOf, hex, Machine, readU64, spec, u64 } from './maps-support.js';

const { ANY, NOEXIST, EXIST } = UpdateFlag;

/** keyOf builds a `size`-byte key from a small number spread over its first and last bytes. */
function keyOf(size: number, n: number): Uint8Array {
  const k = new Uint8Array(size);
  k[0] = n & 0xff;
  k[size - 1] ^= (n >> 4) * 0x11;
  return k;
}

describe('hash map keys of every size', () => {
  it('matches a model (values, errnos, value addresses, iteration) under random operations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.record({
            op: fc.constantFrom('update', 'progUpdate', 'delete', 'progDelete', 'lookup', 'progLookup'),
            key: fc.integer({ min: 0, max: 40 }),
            flags: fc.constantFrom(ANY, ANY, NOEXIST, EXIST, 3),
            value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          }),
          { maxLength: 120 },
        ),
        (keySize, max, ops) => {
          const m = new Machine();
          const map = m.create(spec({ type: MapType.hash, keySize, maxEntries: max }));
          const model = new Map<string, { value: bigint; addr: number }>();
          for (const o of ops) {
            const key = keyOf(keySize, o.key);
            const id = hex(key)!;
            const had = model.get(id);
            if (o.op === 'update' || o.op === 'progUpdate') {
              let expected = 0;
              if (o.flags === 3) expected = Errno.EINVAL;
              else if (had && o.flags === NOEXIST) expected = Errno.EEXIST;
              else if (!had && o.flags === EXIST) expected = Errno.ENOENT;
              else if (!had && model.size === max) expected = Errno.E2BIG;
              const got =
                o.op === 'update'
                  ? errnoOf(() => map.update(key, u64(o.value), o.flags))
                  : -map.updateElem(m.put(key), m.put(u64(o.value)), o.flags) || 0;
              expect(got).toBe(expected);
              if (expected === 0) {
                const addr = map.lookupElem(m.put(key));
                if (had) expect(addr).toBe(had.addr);
                model.set(id, { value: o.value, addr });
              }
            } else if (o.op === 'delete' || o.op === 'progDelete') {
              const got = o.op === 'delete' ? errnoOf(() => map.delete(key)) : -map.deleteElem(m.put(key)) || 0;
              expect(got).toBe(had ? 0 : Errno.ENOENT);
              model.delete(id);
            } else if (o.op === 'lookup') {
              const v = map.lookup(key);
              expect(v === undefined ? undefined : readU64(v)).toBe(had?.value);
            } else {
              const addr = map.lookupElem(m.put(key));
              expect(addr).toBe(had?.addr ?? 0);
              if (had) expect(readU64(m.read(addr, 8))).toBe(had.value);
            }
          }
          // nextKey visits every key once, in the order entries() and forEachElem report.
          const walked: string[] = [];
          for (let k = map.nextKey(undefined); k !== undefined; k = map.nextKey(k)) walked.push(hex(k)!);
          expect(walked).toEqual(map.entries().map(([k]) => hex(k)));
          const visited: string[] = [];
          map.forEachElem((keyAddr) => (visited.push(hex(m.read(keyAddr, keySize))!), true));
          expect(visited).toEqual(walked);
          expect(new Map(map.entries().map(([k, v]) => [hex(k)!, readU64(v)]))).toEqual(
            new Map([...model].map(([k, e]) => [k, e.value])),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart keys that share a table position, through delete and reinsert', () => {
    // Keys whose hashes agree in the low bits land on the same position; the index sizes its table to 2 x 16 = 32.
    const sizes = [4, 8, 16];
    for (const keySize of sizes) {
      const hashOf = (k: Uint8Array): number => {
        const dv = new DataView(k.buffer);
        if (keySize === 4) return fmix32(dv.getInt32(0, true));
        if (keySize === 8) return fmix32(Math.imul(dv.getInt32(4, true), 0xcc9e2d51 | 0) ^ dv.getInt32(0, true));
        const mem = new GuestMemory();
        const r = mem.addRegion('k', 64);
        mem.u8.set(k, r.start);
        return hashKey(mem.dv, r.start, keySize);
      };
      const colliding: Uint8Array[] = [];
      for (let n = 0; colliding.length < 6; n++) {
        const k = new Uint8Array(keySize);
        new DataView(k.buffer).setUint32(0, n, true);
        if ((hashOf(k) & 31) === 7) colliding.push(k);
      }
      const m = new Machine();
      const map = m.create(spec({ type: MapType.hash, keySize, maxEntries: 16 }));
      colliding.forEach((k, i) => map.update(k, u64(i)));
      colliding.forEach((k, i) => expect(readU64(map.lookup(k)!)).toBe(BigInt(i)));
      // Deleting from the middle of the probe run must keep the later keys reachable (backward shift).
      map.delete(colliding[1]);
      map.delete(colliding[3]);
      expect(map.lookup(colliding[1])).toBeUndefined();
      for (const i of [0, 2, 4, 5]) expect(readU64(map.lookup(colliding[i])!)).toBe(BigInt(i));
      map.update(colliding[3], u64(33), NOEXIST);
      expect(readU64(map.lookup(colliding[3])!)).toBe(33n);
      expect(errnoOf(() => map.update(colliding[3], u64(0), NOEXIST))).toBe(Errno.EEXIST);
      expect(errnoOf(() => map.update(colliding[1], u64(0), EXIST))).toBe(Errno.ENOENT);
    }
  });

  it('refuses a new key in a full map with E2BIG but still updates existing ones, for every key size', () => {
    for (let keySize = 1; keySize <= 64; keySize++) {
      const m = new Machine();
      const max = 5;
      const map = m.create(spec({ type: MapType.hash, keySize, maxEntries: max }));
      for (let i = 0; i < max; i++) expect(map.updateElem(m.put(keyOf(keySize, i)), m.put(u64(i)), ANY)).toBe(0);
      expect(map.updateElem(m.put(keyOf(keySize, max)), m.put(u64(0)), ANY)).toBe(-Errno.E2BIG);
      expect(map.updateElem(m.put(keyOf(keySize, 2)), m.put(u64(99)), EXIST)).toBe(0);
      expect(map.updateElem(m.put(keyOf(keySize, 2)), m.put(u64(0)), 3)).toBe(-Errno.EINVAL);
      expect(map.deleteElem(m.put(keyOf(keySize, 0)))).toBe(0);
      expect(map.updateElem(m.put(keyOf(keySize, max)), m.put(u64(7)), NOEXIST)).toBe(0);
      expect(readU64(map.lookup(keyOf(keySize, 2))!)).toBe(99n);
      expect(readU64(map.lookup(keyOf(keySize, max))!)).toBe(7n);
      expect(map.lookup(keyOf(keySize, 0))).toBeUndefined();
    }
  });

  it('reads keys at unaligned guest addresses', () => {
    for (const keySize of [2, 4, 6, 8, 12]) {
      const m = new Machine();
      const map = m.create(spec({ type: MapType.hash, keySize, maxEntries: 8 }));
      const key = keyOf(keySize, 9);
      const at = m.alloc(keySize + 8) + 3;
      m.mem.u8.set(key, at);
      expect(map.updateElem(at, m.put(u64(5)), ANY)).toBe(0);
      expect(readU64(map.lookup(key)!)).toBe(5n);
      expect(map.lookupElem(at)).toBe(map.lookupElem(m.put(key)));
    }
  });
});

describe('GuestMemory.copy', () => {
  it('copies like copyWithin for every size and overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 90 }), (d, s, n) => {
        const mem = new GuestMemory();
        const r = mem.addRegion('r', 256);
        for (let i = 0; i < 256; i++) mem.u8[r.start + i] = (i * 7 + 1) & 0xff;
        const expected = mem.u8.slice(r.start, r.start + 256);
        expected.copyWithin(d, s, s + n);
        mem.copy(r.start + d, r.start + s, n);
        expect(mem.u8.slice(r.start, r.start + 256)).toEqual(expected);
      }),
    );
  });
});

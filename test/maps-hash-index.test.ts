// A plain hash map's key index lives in guest memory (KeyIndex `place`), where the JIT probes it: the table must
// follow the documented IndexLayout contract (read here by an independent prober) through inserts, backward-shift
// deletes and memory growth, stay read-only for programs, and exist only for the maps whose lookups may run inline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HashMap } from '../src/helpers/maps/index.js';
import type { HashLayout } from '../src/helpers/maps/hash-map.js';
import { ENTRY_BYTES, fmix32, MIX } from '../src/helpers/maps/key-index.js';
import { MapType } from '../src/loader/spec.js';
import type { GuestMemory } from '../src/memory/guest-memory.js';
import { Machine, spec, u64 } from './maps-support.js';

/** word reads bytes [from, to) of a key as a little-endian word, the missing high bytes zero. */
function word(key: Uint8Array, from: number, to: number): number {
  let w = 0;
  for (let i = Math.min(to, key.length) - 1; i >= from; i--) w = (w << 8) | key[i];
  return w;
}

/** probe finds a key's value address as the contract says (what the inline code does), or 0. */
function probe(mem: GuestMemory, l: HashLayout, key: Uint8Array): number {
  const long = l.keySize > 4;
  const h = long ? fmix32(Math.imul(word(key, 4, 8), MIX) ^ word(key, 0, 4)) : fmix32(word(key, 0, 4));
  const same = (slot: number) => !long || Buffer.from(mem.u8.subarray(l.keys + slot * l.keyStride, l.keys + slot * l.keyStride + l.keySize)).equals(key);
  for (let i = h & l.mask; ; i = (i + 1) & l.mask) {
    const at = l.table + i * ENTRY_BYTES;
    const entry = mem.dv.getInt32(at, true);
    if (entry === 0) return 0;
    if (mem.dv.getInt32(at + 4, true) === h && same(entry - 1)) return l.values + (entry - 1) * l.valueStride;
  }
}

describe('hash map index in guest memory', () => {
  it('follows the IndexLayout contract through updates, deletes and memory growth', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.record({ op: fc.constantFrom('update', 'delete', 'grow'), key: fc.integer({ min: 0, max: 60 }) }), { maxLength: 80 }),
        (keySize, maxEntries, ops) => {
          const m = new Machine();
          const map = m.create<HashMap>(spec({ type: MapType.hash, keySize, maxEntries }));
          const layout = map.inlineLayout()!;
          // Keys differ in their first and their last byte, so two-word keys differ in both words.
          const keyOf = (n: number) => u64(BigInt(n) * 0x0101_0101_0101_0101n).subarray(0, keySize);
          for (const o of ops) {
            const key = keyOf(o.key);
            if (o.op === 'update') map.updateElem(m.put(key), m.put(u64(o.key)), 0);
            else if (o.op === 'delete') map.deleteElem(m.put(key));
            // A new region past the end of memory grows it, which detaches every typed array over the old buffer.
            else m.mem.addRegion('grow', 1 << 16);
            for (let k = 0; k <= 60; k++) expect(probe(m.mem, layout, keyOf(k))).toBe(map.lookupElem(m.put(keyOf(k))));
          }
        },
      ),
    );
  });

  it('is a read-only region for programs, of the map and its size', () => {
    const m = new Machine();
    const map = m.create<HashMap>(spec({ type: MapType.hash, name: 'counts', maxEntries: 1024 }));
    const { table, mask } = map.inlineLayout()!;
    expect(mask + 1).toBe(2048);
    expect(m.mem.regionAt(table)).toMatchObject({ name: 'map:counts:index', start: table, writable: false });
    expect(m.mem.ok(table, (mask + 1) * ENTRY_BYTES, false)).toBe(true);
    expect(m.mem.ok(table, 4, true)).toBe(false);
  });

  it('exists only for plain hash maps with keys of one to eight bytes', () => {
    const m = new Machine(2);
    const layout = (type: number, keySize = 4, flags = 0) => m.create<HashMap>(spec({ type, keySize, flags })).inlineLayout();
    expect(layout(MapType.hash, 4)).toMatchObject({ keySize: 4, valueSize: 8, valueStride: 8, writable: true });
    expect(layout(MapType.hash, 8)).toMatchObject({ keySize: 8, keyStride: 8 });
    expect(layout(MapType.hash, 5)).toMatchObject({ keySize: 5, keyStride: 8 });
    expect(layout(MapType.hash, 9)).toBeUndefined();
    expect(layout(MapType.hash, 16)).toBeUndefined();
    expect(layout(MapType.percpu_hash)).toBeUndefined();
    expect(layout(MapType.lru_hash)).toBeUndefined();
    expect(layout(MapType.lru_percpu_hash)).toBeUndefined();
  });
});

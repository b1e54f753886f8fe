// LPM trie maps: longest-prefix match against a brute-force model, exact-prefix updates and deletes, error codes and
// the kernel's post-order iteration.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, UpdateFlag } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, hex, Machine, spec, u32 } from './maps-support.js';

const NO_PREALLOC = 1;

/** lpmKey builds prefixlen (host order) + data bytes. */
function lpmKey(prefixlen: number, data: number[]): Uint8Array {
  return Uint8Array.from([...u32(prefixlen), ...data]);
}
/** ip turns dotted text into bytes. */
const ip = (s: string): number[] => s.split('.').map(Number);

/** bitsMatch tells whether the first n bits of a and b agree. */
function bitsMatch(a: number[], b: number[], n: number): boolean {
  for (let i = 0; i < n; i++) {
    const bit = (x: number[]) => (x[i >> 3] >> (7 - (i & 7))) & 1;
    if (bit(a) !== bit(b)) return false;
  }
  return true;
}

describe('LPM trie map', () => {
  it('finds the longest matching prefix, from programs and from user space', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.lpm_trie, keySize: 8, valueSize: 4, maxEntries: 8, flags: NO_PREALLOC }));
    map.update(lpmKey(8, ip('10.0.0.0')), u32(8));
    map.update(lpmKey(16, ip('10.1.0.0')), u32(16));
    map.update(lpmKey(24, ip('10.1.2.0')), u32(24));
    map.update(lpmKey(0, ip('0.0.0.0')), u32(0));
    const val = (key: Uint8Array) => {
      const a = map.lookupElem(m.put(key));
      return a === 0 ? undefined : m.mem.dv.getUint32(a, true);
    };
    expect(val(lpmKey(32, ip('10.1.2.3')))).toBe(24);
    expect(val(lpmKey(32, ip('10.1.3.3')))).toBe(16);
    expect(val(lpmKey(32, ip('10.2.3.3')))).toBe(8);
    expect(val(lpmKey(32, ip('11.2.3.3')))).toBe(0);
    // The key's prefix length bounds the match.
    expect(val(lpmKey(20, ip('10.1.2.3')))).toBe(16);
    expect(val(lpmKey(99, ip('10.1.2.3')))).toBe(24);
    expect(new DataView(map.lookup(lpmKey(32, ip('10.1.9.9')))!.buffer).getUint32(0, true)).toBe(16);
    // Writes through the returned address are seen by lookup.
    m.mem.dv.setUint32(map.lookupElem(m.put(lpmKey(32, ip('10.1.2.3')))), 2424, true);
    expect(hex(map.lookup(lpmKey(24, ip('10.1.2.0'))))).toBe(hex(u32(2424)));
  });

  it('updates and deletes exact prefixes with the kernel error codes', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.lpm_trie, keySize: 8, valueSize: 4, maxEntries: 2, flags: NO_PREALLOC }));
    expect(errnoOf(() => map.update(lpmKey(33, ip('1.2.3.4')), u32(1)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.update(lpmKey(8, ip('1.2.3.4')), u32(1), 4))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.update(lpmKey(8, ip('1.0.0.0')), u32(1), UpdateFlag.EXIST))).toBe(Errno.ENOENT);
    map.update(lpmKey(8, ip('1.0.0.0')), u32(1));
    expect(errnoOf(() => map.update(lpmKey(8, ip('1.9.9.9')), u32(1), UpdateFlag.NOEXIST))).toBe(Errno.EEXIST);
    map.update(lpmKey(16, ip('1.2.0.0')), u32(2));
    expect(errnoOf(() => map.update(lpmKey(24, ip('1.2.3.0')), u32(3)))).toBe(Errno.ENOSPC);
    map.update(lpmKey(16, ip('1.2.0.0')), u32(5)); // replacing in a full map is fine
    expect(map.deleteElem(m.put(lpmKey(12, ip('1.0.0.0'))))).toBe(-Errno.ENOENT);
    expect(map.deleteElem(m.put(lpmKey(40, ip('1.0.0.0'))))).toBe(-Errno.EINVAL);
    expect(map.deleteElem(m.put(lpmKey(8, ip('1.0.0.0'))))).toBe(0);
    expect(errnoOf(() => map.delete(lpmKey(8, ip('1.0.0.0'))))).toBe(Errno.ENOENT);
    expect(map.updateElem(m.put(lpmKey(24, ip('1.2.3.0'))), m.put(u32(3)), 0)).toBe(0);
    expect(map.forEachElem(() => true)).toBe(-Errno.EINVAL);
  });

  it('iterates in post-order, as the kernel documents', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.lpm_trie, keySize: 8, valueSize: 4, maxEntries: 8, flags: NO_PREALLOC }));
    for (const [p, a] of [
      [16, '192.168.0.0'],
      [24, '192.168.0.0'],
      [24, '192.168.128.0'],
      [24, '192.168.1.0'],
    ] as const) {
      map.update(lpmKey(p, ip(a)), u32(p));
    }
    const order: string[] = [];
    for (let k = map.nextKey(undefined); k !== undefined; k = map.nextKey(k)) order.push(`${[...k.slice(4)].join('.')}/${k[0]}`);
    expect(order).toEqual(['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
    expect(map.entries().map(([k]) => hex(k))).toEqual(order.map((s) => hex(lpmKey(+s.split('/')[1], ip(s.split('/')[0])))));
    expect(hex(map.nextKey(lpmKey(8, ip('9.9.9.9'))))).toBe(hex(lpmKey(24, ip('192.168.0.0'))));
  });

  it('matches a brute-force model', () => {
    const prefix = fc.record({
      len: fc.integer({ min: 0, max: 16 }),
      data: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom('update', 'delete', 'lookup'), p: prefix, v: fc.nat(1000) }), {
          maxLength: 80,
        }),
        (ops) => {
          const m = new Machine();
          const max = 10;
          const map = m.create(spec({ type: MapType.lpm_trie, keySize: 6, valueSize: 4, maxEntries: max, flags: NO_PREALLOC }));
          const model: { len: number; data: number[]; v: number }[] = [];
          const findExact = (len: number, data: number[]) => model.findIndex((e) => e.len === len && bitsMatch(e.data, data, len));
          for (const { op, p, v } of ops) {
            const data = [...p.data];
            const key = lpmKey(p.len, data);
            const at = findExact(p.len, data);
            if (op === 'update') {
              const full = at < 0 && model.length === max;
              expect(errnoOf(() => map.update(key, u32(v)))).toBe(full ? Errno.ENOSPC : 0);
              if (!full && at >= 0) model[at].v = v;
              else if (!full) model.push({ len: p.len, data, v });
            } else if (op === 'delete') {
              expect(map.deleteElem(m.put(key))).toBe(at >= 0 ? 0 : -Errno.ENOENT);
              if (at >= 0) model.splice(at, 1);
            } else {
              const best = model
                .filter((e) => e.len <= p.len && bitsMatch(e.data, data, e.len))
                .sort((a, b) => b.len - a.len)[0];
              const a = map.lookupElem(m.put(key));
              expect(a === 0 ? undefined : m.mem.dv.getUint32(a, true)).toBe(best?.v);
            }
          }
          expect(map.entries().length).toBe(model.length);
          let n = 0;
          for (let k = map.nextKey(undefined); k !== undefined; k = map.nextKey(k)) n++;
          expect(n).toBe(model.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

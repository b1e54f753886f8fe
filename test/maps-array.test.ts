// Array maps (array, percpu_array) and global data: always-present elements, kernel error codes, per-CPU values,
// iteration, direct value addresses, read-only data and initial contents.
import { describe, expect, it } from 'vitest';
import { ArrayMap, Errno, UpdateFlag } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, hex, Machine, readU64, spec, u32, u64 } from './maps-support.js';

describe('array map', () => {
  it('has every index zeroed, refuses deletes and NOEXIST, and -E2BIG out of range', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.array, maxEntries: 4 }));
    expect(hex(map.lookup(u32(3)))).toBe('0000000000000000');
    expect(map.lookup(u32(4))).toBeUndefined();
    expect(map.lookupElem(m.put(u32(4)))).toBe(0);
    expect(map.lookupElem(m.put(u32(0xffffffff)))).toBe(0);
    const v = m.put(u64(9));
    expect(map.updateElem(m.put(u32(2)), v, UpdateFlag.NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.updateElem(m.put(u32(2)), v, UpdateFlag.EXIST)).toBe(0);
    expect(map.updateElem(m.put(u32(4)), v, UpdateFlag.ANY)).toBe(-Errno.E2BIG);
    expect(map.updateElem(m.put(u32(2)), v, 3)).toBe(-Errno.EINVAL);
    expect(map.deleteElem(m.put(u32(2)))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => map.delete(u32(2)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.update(u32(1), u64(1), UpdateFlag.NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => map.update(u32(4), u64(1)))).toBe(Errno.E2BIG);
    expect(readU64(map.lookup(u32(2))!)).toBe(9n);
  });

  it('returns value addresses programs write through', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.array, valueSize: 12, maxEntries: 3 }));
    const a1 = map.lookupElem(m.put(u32(1)));
    const a2 = map.lookupElem(m.put(u32(2)));
    expect(a2 - a1).toBe(16); // values are 8-byte aligned
    m.mem.u8.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], a1);
    expect([...map.lookup(u32(1))!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('iterates indexes in order; an index out of range restarts at 0', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.array, maxEntries: 3 }));
    expect(hex(map.nextKey(undefined))).toBe(hex(u32(0)));
    expect(hex(map.nextKey(u32(1)))).toBe(hex(u32(2)));
    expect(map.nextKey(u32(2))).toBeUndefined();
    expect(hex(map.nextKey(u32(7)))).toBe(hex(u32(0)));
    expect(map.entries().map(([k]) => hex(k))).toEqual([0, 1, 2].map((i) => hex(u32(i))));
    const seen: number[] = [];
    expect(
      map.forEachElem((ka, va) => {
        seen.push(m.mem.dv.getUint32(ka, true));
        expect(va).toBe(map.lookupElem(ka));
        return seen.length < 2;
      }),
    ).toBe(2);
    expect(seen).toEqual([0, 1]);
  });

  it('keeps per-CPU copies', () => {
    const m = new Machine(2);
    const map = m.create(spec({ type: MapType.percpu_array, valueSize: 4, maxEntries: 2 }));
    m.cpu = 1;
    expect(map.updateElem(m.put(u32(0)), m.put(u32(77)), UpdateFlag.ANY)).toBe(0);
    expect(hex(map.lookup(u32(0)))).toBe('0000000000000000' + '4d00000000000000');
    expect(m.mem.dv.getUint32(map.lookupElem(m.put(u32(0))), true)).toBe(77);
    expect(m.mem.dv.getUint32(map.lookupPercpuElem(m.put(u32(0)), 0), true)).toBe(0);
    expect(map.lookupPercpuElem(m.put(u32(0)), 2)).toBe(0);
    map.update(u32(1), Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
    m.cpu = 0;
    expect(m.mem.dv.getUint32(map.lookupElem(m.put(u32(1))), true)).toBe(1);
  });

  it('serves global data: initial contents, direct value address, read-only .rodata', () => {
    const m = new Machine();
    const init = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const rodata = m.create<ArrayMap>(
      spec({
        type: MapType.array,
        name: '.rodata',
        valueSize: 6,
        maxEntries: 1,
        readOnly: true,
        flags: 1 << 7,
        contents: [{ key: u32(0), value: init }],
        origin: 'data',
      }),
    );
    const addr = rodata.directValueAddr(2);
    expect(m.mem.u8[addr]).toBe(3);
    expect(m.mem.ok(addr, 1, false)).toBe(true);
    expect(m.mem.ok(addr, 1, true)).toBe(false);
    expect(rodata.updateElem(m.put(u32(0)), m.put(u64(0)), 0)).toBe(-Errno.EPERM);
    expect(() => rodata.directValueAddr(6)).toThrow(/outside/);
    // Until frozen, user space may still write (as libbpf does before BPF_MAP_FREEZE).
    rodata.update(u32(0), Uint8Array.from([9, 9, 9, 9, 9, 9]));
    rodata.freeze();
    expect(errnoOf(() => rodata.update(u32(0), init))).toBe(Errno.EPERM);
    const big = m.create<ArrayMap>(spec({ type: MapType.array, maxEntries: 2 }));
    expect(() => big.directValueAddr()).toThrow(/one element/);
  });
});

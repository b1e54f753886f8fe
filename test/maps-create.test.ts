// The factory and handles: kernel validation of specs with errno and messages naming the map, MapTable handles,
// program arrays and maps of maps.
import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '../src/errors.js';
import { mapArg } from '../src/helpers/kernel/common.js';
import type { HelperCall } from '../src/helpers/registry.js';
import {
  ArrayOfMapsMap,
  Errno,
  HashOfMapsMap,
  MAP_HANDLE_BASE,
  MapError,
  MapTable,
  ProgArrayMap,
  UpdateFlag,
  type BpfMap,
} from '../src/helpers/maps/index.js';
import { MapType, type MapSpec } from '../src/loader/spec.js';
import { errnoOf, hex, Machine, spec, u32, u64 } from './maps-support.js';

const NO_PREALLOC = 1;

describe('createMap validation', () => {
  const cases: [string, Partial<MapSpec> & { type: number }, number, RegExp?][] = [
    ['hash value size 0', { type: MapType.hash, name: 'counts', valueSize: 0 }, Errno.EINVAL, /^map "counts": value size 0 is invalid for a hash map$/],
    ['hash key size 0', { type: MapType.hash, keySize: 0 }, Errno.EINVAL],
    ['hash max_entries 0', { type: MapType.hash, maxEntries: 0 }, Errno.EINVAL],
    ['hash key too big', { type: MapType.hash, keySize: 513 }, Errno.E2BIG],
    ['hash bad flags', { type: MapType.hash, flags: 1 << 10 }, Errno.EINVAL],
    ['hash with no-common-lru', { type: MapType.hash, flags: 2 }, Errno.EINVAL],
    ['lru without prealloc', { type: MapType.lru_hash, flags: NO_PREALLOC }, Errno.ENOTSUPP],
    ['rdonly and wronly', { type: MapType.hash, flags: (1 << 3) | (1 << 4) }, Errno.EINVAL],
    ['percpu value too big', { type: MapType.percpu_array, valueSize: 40000 }, Errno.E2BIG],
    ['array key size 8', { type: MapType.array, keySize: 8 }, Errno.EINVAL, /an array map/],
    ['array no-prealloc', { type: MapType.array, flags: NO_PREALLOC }, Errno.EINVAL],
    ['percpu array mmapable', { type: MapType.percpu_array, flags: 1 << 10 }, Errno.EINVAL],
    ['prog array value 8', { type: MapType.prog_array, valueSize: 8 }, Errno.EINVAL],
    ['queue with key', { type: MapType.queue, keySize: 4 }, Errno.EINVAL],
    ['stack value 0', { type: MapType.stack, keySize: 0, valueSize: 0 }, Errno.EINVAL],
    ['bloom with key', { type: MapType.bloom_filter, keySize: 4 }, Errno.EINVAL],
    ['bloom map_extra', { type: MapType.bloom_filter, keySize: 0, mapExtra: 16n }, Errno.EINVAL],
    ['lpm without no-prealloc', { type: MapType.lpm_trie, keySize: 8 }, Errno.EINVAL, /BPF_F_NO_PREALLOC/],
    ['lpm key 4', { type: MapType.lpm_trie, keySize: 4, flags: NO_PREALLOC }, Errno.EINVAL],
    ['lpm key 261', { type: MapType.lpm_trie, keySize: 261, flags: NO_PREALLOC }, Errno.EINVAL],
    ['ringbuf not a power of two', { type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 12288 }, Errno.EINVAL],
    ['ringbuf not a page multiple', { type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1024 }, Errno.EINVAL],
    ['ringbuf with key', { type: MapType.ringbuf, keySize: 4, valueSize: 0, maxEntries: 4096 }, Errno.EINVAL],
    ['map-in-map without template', { type: MapType.array_of_maps, valueSize: 4 }, Errno.EINVAL, /inner map/],
  ];
  for (const [name, over, errno, message] of cases) {
    it(`rejects ${name}`, () => {
      const m = new Machine();
      let err: unknown;
      try {
        m.create(spec(over));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MapError);
      expect((err as MapError).errno).toBe(errno);
      expect((err as MapError).message).toMatch(message ?? /^map "/);
    });
  }

  it('accepts what the kernel accepts, filling libbpf perf event array defaults', () => {
    const m = new Machine(4);
    m.create(spec({ type: MapType.lpm_trie, keySize: 5, flags: NO_PREALLOC }));
    m.create(spec({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 8192 }));
    m.create(spec({ type: MapType.queue, keySize: 0 }));
    const perf = m.create(spec({ type: MapType.perf_event_array, keySize: 0, valueSize: 0, maxEntries: 0 }));
    expect([perf.spec.keySize, perf.spec.valueSize, perf.spec.maxEntries]).toEqual([4, 4, 4]);
  });

  it('names unsupported map types with NotSupportedError', () => {
    expect(() => new Machine().create(spec({ type: 33, name: 'ar' }))).toThrow(NotSupportedError);
    expect(() => new Machine().create(spec({ type: 33, name: 'ar' }))).toThrow('map "ar": map type arena is not supported');
  });
});

describe('MapTable', () => {
  it('hands out ids from 1 and handles far above guest memory, and finds maps by either', () => {
    const m = new Machine();
    const a = m.create(spec({ type: MapType.hash, name: 'a' }));
    const b = m.create(spec({ type: MapType.array, name: 'b' }));
    expect(a.handle).toBe(MAP_HANDLE_BASE + 256);
    expect(b.handle).toBe(MAP_HANDLE_BASE + 512);
    expect(a.handle).toBeGreaterThan(2 ** 32);
    expect(b.handle).toBeLessThan(2 ** 53);
    expect(m.table.byHandle(a.handle)).toBe(a);
    expect(m.table.byHandle(BigInt(b.handle))).toBe(b);
    expect(m.table.byHandle(a.handle + 8)).toBeUndefined();
    expect(m.table.byHandle(0x4000)).toBeUndefined();
    // By 32-bit halves, as helpers get their map argument: the same answers, also for values that are no handle.
    const halves = (h: number): [number, number] => [h % 2 ** 32, Math.floor(h / 2 ** 32)];
    expect(m.table.byHalves(...halves(a.handle))).toBe(a);
    expect(m.table.byHalves(...halves(b.handle))).toBe(b);
    expect(m.table.byHalves(...halves(a.handle + 8))).toBeUndefined();
    expect(m.table.byHalves(...halves(MAP_HANDLE_BASE))).toBeUndefined();
    expect(m.table.byHalves(256, 0)).toBeUndefined();
    expect(m.table.byHalves(256, 0xffffffff)).toBeUndefined();
    expect(m.table.byId(2)).toBe(b);
    expect(m.table.byName('a')).toBe(a);
    expect(MapTable.idOf(b.handle)).toBe(2);
    m.table.remove(a);
    expect(m.table.byHandle(a.handle)).toBeUndefined();
    expect(m.table.all()).toEqual([b]);
  });
});

describe('mapArg', () => {
  it('finds the map a helper argument names, or throws bad-map naming the register', () => {
    const m = new Machine();
    const a = m.create(spec({ type: MapType.hash, name: 'a' }));
    const callWith = (v: bigint) =>
      ({
        env: { maps: m.table },
        arg: () => v,
        argU32: () => Number(v & 0xffffffffn),
        argHi: () => Number(v >> 32n),
      }) as unknown as HelperCall;
    expect(mapArg(callWith(BigInt(a.handle)))).toBe(a);
    for (const bad of [0n, 1n << 63n, BigInt(a.handle) + 1n, BigInt(a.handle) + (1n << 60n)]) {
      const message = `argument r1 = 0x${bad.toString(16)} is not a map`;
      expect(() => mapArg(callWith(bad))).toThrow(expect.objectContaining({ code: 'bad-map', message }));
    }
  });
});

describe('program array', () => {
  it('is set from user space, read by tail calls, and refuses program updates', () => {
    const m = new Machine();
    const progs = m.create<ProgArrayMap<string>>(spec({ type: MapType.prog_array, valueSize: 4, maxEntries: 4 }));
    progs.setProgram(1, 'handler', 17);
    expect(progs.program(1)).toBe('handler');
    expect(progs.program(0)).toBeUndefined();
    expect(progs.program(99)).toBeUndefined();
    expect(hex(progs.lookup(u32(1)))).toBe(hex(u32(17)));
    expect(progs.lookup(u32(0))).toBeUndefined();
    expect(progs.entries().map(([k, v]) => [hex(k), hex(v)])).toEqual([[hex(u32(1)), hex(u32(17))]]);
    expect(() => progs.setProgram(4, 'x')).toThrow(MapError);
    expect(progs.updateElem(m.put(u32(0)), m.put(u32(17)), 0)).toBe(-Errno.EINVAL);
    expect(progs.deleteElem(m.put(u32(1)))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => progs.update(u32(0), u32(5)))).toBe(Errno.EINVAL);
    progs.resolveProgram = (id) => (id === 5 ? 'five' : undefined);
    progs.update(u32(0), u32(5));
    expect(progs.program(0)).toBe('five');
    expect(errnoOf(() => progs.update(u32(0), u32(5), UpdateFlag.NOEXIST))).toBe(Errno.EINVAL);
    expect(errnoOf(() => progs.update(u32(9), u32(5)))).toBe(Errno.E2BIG);
    progs.delete(u32(0));
    expect(errnoOf(() => progs.delete(u32(0)))).toBe(Errno.ENOENT);
    expect(hex(progs.nextKey(u32(2)))).toBe(hex(u32(3)));
  });
});

describe('maps of maps', () => {
  const inner = (over: Partial<MapSpec> = {}) => spec({ type: MapType.hash, name: 'inner', maxEntries: 8, ...over });

  it('array_of_maps: stores compatible inner maps and returns their handles to programs', () => {
    const m = new Machine();
    const outer = m.create<ArrayOfMapsMap>(
      spec({ type: MapType.array_of_maps, name: 'outer', valueSize: 4, maxEntries: 2, innerMap: inner() }),
    );
    const i1 = m.create(inner());
    expect(outer.lookupElem(m.put(u32(0)))).toBe(0);
    outer.setInner(u32(0), i1);
    expect(outer.lookupElem(m.put(u32(0)))).toBe(i1.handle);
    expect(m.table.byHandle(outer.lookupElem(m.put(u32(0))))).toBe(i1);
    expect(hex(outer.lookup(u32(0)))).toBe(hex(u32(2)));
    expect(outer.inner(u32(0))).toBe(i1);
    const wrong = m.create(inner({ valueSize: 16, name: 'wrong' }));
    expect(() => outer.setInner(u32(1), wrong)).toThrow(
      'map "outer": inner map "wrong": inner map value size 16 differs from the template\'s 8',
    );
    expect(errnoOf(() => outer.setInner(u32(1), m.create(inner({ maxEntries: 9 }))))).toBe(Errno.EINVAL);
    expect(errnoOf(() => outer.setInner(u32(2), i1))).toBe(Errno.E2BIG);
    outer.update(u32(1), u32(2)); // by map id, as the syscall takes an fd
    expect(outer.lookupElem(m.put(u32(1)))).toBe(i1.handle);
    expect(errnoOf(() => outer.update(u32(1), u32(99)))).toBe(Errno.EINVAL);
    expect(outer.updateElem(m.put(u32(1)), m.put(u32(2)), 0)).toBe(-Errno.EINVAL);
    outer.delete(u32(1));
    expect(outer.lookupElem(m.put(u32(1)))).toBe(0);
  });

  it('array_of_maps with BPF_F_INNER_MAP accepts inner maps of any size', () => {
    const m = new Machine();
    const outer = m.create<ArrayOfMapsMap>(
      spec({ type: MapType.array_of_maps, valueSize: 4, innerMap: inner({ flags: 1 << 12, type: MapType.array }) }),
    );
    outer.setInner(u32(3), m.create(spec({ type: MapType.array, flags: 1 << 12, maxEntries: 1000 })));
    expect(outer.lookupElem(m.put(u32(3)))).not.toBe(0);
  });

  it('hash_of_maps: hash semantics for keys, handles for values', () => {
    const m = new Machine();
    const outer = m.create<HashOfMapsMap>(
      spec({ type: MapType.hash_of_maps, keySize: 8, valueSize: 4, maxEntries: 2, innerMap: inner() }),
    );
    const maps: BpfMap[] = [m.create(inner()), m.create(inner()), m.create(inner())];
    outer.setInner(u64(10), maps[0]);
    outer.setInner(u64(11), maps[1], UpdateFlag.NOEXIST);
    expect(errnoOf(() => outer.setInner(u64(12), maps[2]))).toBe(Errno.E2BIG);
    expect(errnoOf(() => outer.setInner(u64(10), maps[2], UpdateFlag.NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => outer.setInner(u64(13), maps[2], UpdateFlag.EXIST))).toBe(Errno.ENOENT);
    expect(outer.lookupElem(m.put(u64(11)))).toBe(maps[1].handle);
    expect(outer.lookupElem(m.put(u64(12)))).toBe(0);
    outer.update(u64(10), u32(MapTable.idOf(maps[2].handle)));
    expect(outer.lookupElem(m.put(u64(10)))).toBe(maps[2].handle);
    expect(outer.entries().map(([k, v]) => [hex(k), hex(v)])).toEqual([
      [hex(u64(10)), hex(u32(MapTable.idOf(maps[2].handle)))],
      [hex(u64(11)), hex(u32(MapTable.idOf(maps[1].handle)))],
    ]);
    outer.delete(u64(10));
    expect(errnoOf(() => outer.delete(u64(10)))).toBe(Errno.ENOENT);
    expect(outer.deleteElem(m.put(u64(11)))).toBe(-Errno.EINVAL);
    expect(hex(outer.nextKey(undefined))).toBe(hex(u64(11)));
  });
});

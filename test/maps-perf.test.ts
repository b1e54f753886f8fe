// Perf event arrays: bpf_perf_event_output's index flags and error codes, per-CPU buffers, bounded capacity with lost
// counts, and the reader's {cpu, data} records.
import { describe, expect, it } from 'vitest';
import { BPF_F_CURRENT_CPU, Errno, PerfEventArrayMap } from '../src/helpers/maps/index.js';
import { perfRecordSize } from '../src/helpers/maps/perf-event-array.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, Machine, spec, u32 } from './maps-support.js';

function perf(ncpus: number, maxEntries = ncpus): { m: Machine; map: PerfEventArrayMap } {
  const m = new Machine(ncpus);
  return { m, map: m.create<PerfEventArrayMap>(spec({ type: MapType.perf_event_array, valueSize: 4, maxEntries })) };
}

describe('perf event array map', () => {
  it('has no buffers until a reader opens them', () => {
    const { m, map } = perf(2);
    expect(map.output(m.put([1]), 1, BigInt(BPF_F_CURRENT_CPU))).toBe(-Errno.ENOENT);
  });

  it('writes to the running CPU, or to an index that must be that CPU', () => {
    const { m, map } = perf(2, 4);
    const reader = map.openReader();
    const data = m.put([1, 2, 3]);
    m.cpu = 1;
    expect(map.output(data, 3, BigInt(BPF_F_CURRENT_CPU))).toBe(0);
    expect(map.output(data, 2, 1)).toBe(0);
    expect(map.output(data, 3, 0n)).toBe(-Errno.EOPNOTSUPP);
    expect(map.output(data, 3, 2n)).toBe(-Errno.ENOENT); // index 2 has no buffer (2 CPUs)
    expect(map.output(data, 3, 4n)).toBe(-Errno.E2BIG);
    expect(map.output(data, 3, 1n << 32n)).toBe(-Errno.EINVAL);
    m.cpu = 0;
    expect(map.output(m.put([9]), 1, 0n)).toBe(0);
    expect(reader.pending).toBe(3);
    expect(reader.read().map((s) => ({ cpu: s.cpu, data: [...s.data] }))).toEqual([
      { cpu: 1, data: [1, 2, 3] },
      { cpu: 1, data: [1, 2] },
      { cpu: 0, data: [9] },
    ]);
    expect(reader.read()).toEqual([]);
  });

  it('loses samples that do not fit and counts them per CPU', () => {
    const { m, map } = perf(1);
    const reader = map.openReader({ pageCount: 1 });
    const size = 500;
    const fit = Math.floor(4096 / perfRecordSize(size));
    const data = m.alloc(size);
    for (let i = 0; i < fit; i++) expect(map.output(data, size, BigInt(BPF_F_CURRENT_CPU))).toBe(0);
    expect(map.output(data, size, BigInt(BPF_F_CURRENT_CPU))).toBe(-Errno.ENOSPC);
    expect(map.output(data, size, BigInt(BPF_F_CURRENT_CPU))).toBe(-Errno.ENOSPC);
    expect(reader.lost()).toBe(2);
    expect(reader.lost(0)).toBe(2);
    expect(reader.read().length).toBe(fit);
    // Reading frees the space.
    expect(map.output(data, size, BigInt(BPF_F_CURRENT_CPU))).toBe(0);
    expect(reader.lost()).toBe(2);
  });

  it('rejects a page count that is not a power of two, and closes', () => {
    const { m, map } = perf(1);
    expect(errnoOf(() => map.openReader({ pageCount: 3 }))).toBe(Errno.EINVAL);
    map.openReader();
    map.delete(u32(0));
    expect(errnoOf(() => map.delete(u32(0)))).toBe(Errno.ENOENT);
    expect(map.output(m.put([1]), 1, 0n)).toBe(-Errno.ENOENT);
    map.openReader();
    map.closeReader();
    expect(map.output(m.put([1]), 1, 0n)).toBe(-Errno.ENOENT);
    expect(errnoOf(() => map.lookup(u32(0)))).toBe(Errno.EOPNOTSUPP);
  });
});

/**
 * Perf event arrays (bpf_perf_event_output into per-CPU perf buffers). Index i of the array holds the buffer of CPU i
 * once a reader is opened (libbpf's perf_buffer__new); before that, and for indexes without a buffer, output is
 * -ENOENT, as for an empty slot in the kernel. A buffer holds `pageCount` pages; each sample costs a perf record
 * header, a u32 size and the data rounded up to 8 bytes, and a sample that does not fit is lost: counted, and
 * -ENOSPC to the program. Samples are copies held in JS: programs never address perf buffers.
 */
import type { MapSpec } from '../../loader/spec.js';
import { PAGE_SIZE } from '../../memory/guest-memory.js';
import { BaseMap, roundUp8 } from './base-map.js';
import { BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, PERF_EVENT_HEADER_SIZE, PERF_RAW_SIZE_FIELD } from './constants.js';
import { readU32Key } from './keys.js';
import { Errno, type MapContext } from './types.js';

/** DEFAULT_PERF_PAGES is the per-CPU buffer size when a reader does not choose one. */
export const DEFAULT_PERF_PAGES = 64;

/** PerfSample is one record read from a perf buffer. */
export interface PerfSample {
  cpu: number;
  data: Uint8Array;
}

interface PerfBuffer {
  readonly cpu: number;
  readonly capacity: number;
  used: number;
  lost: number;
  samples: { seq: number; data: Uint8Array }[];
}

/** PerfReaderOptions sizes a reader's buffers: `pageCount` pages per CPU (a power of two, as perf requires). */
export interface PerfReaderOptions {
  pageCount?: number;
}

/**
 * PerfCounter is a counting perf event user space put at a slot (a hardware or software counter opened with
 * perf_event_open): what bpf_perf_event_read and bpf_perf_event_read_value read. `value` may be a function, read on
 * each call; `cpu` is the CPU a per-CPU event counts on (reading it from another is -EINVAL, as in the kernel).
 */
export interface PerfCounter {
  value: bigint | (() => bigint);
  enabled?: bigint;
  running?: bigint;
  cpu?: number;
}

/** CounterReading is a counter's value with its enabled and running times, or a negated errno. */
export type CounterReading = { counter: bigint; enabled: bigint; running: bigint } | number;

/** PerfEventArrayMap is a perf_event_array map. */
export class PerfEventArrayMap extends BaseMap {
  private readonly buffers: (PerfBuffer | undefined)[];
  private readonly counters: (PerfCounter | undefined)[];
  private seq = 0;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.buffers = new Array<PerfBuffer | undefined>(spec.maxEntries).fill(undefined);
    this.counters = new Array<PerfCounter | undefined>(spec.maxEntries).fill(undefined);
  }

  /** setCounter puts a counting event at `index` (undefined removes it). Throws MapError E2BIG out of range. */
  setCounter(index: number, counter: PerfCounter | undefined): void {
    if (!(Number.isInteger(index) && index >= 0 && index < this.spec.maxEntries)) throw this.error(Errno.E2BIG, `index ${index} is out of range`);
    this.counters[index] = counter;
  }

  /**
   * readCounter is the kernel's get_map_perf_counter + perf_event_read_local: flags' low 32 bits select the index
   * (BPF_F_CURRENT_CPU: the running CPU) and other bits are -EINVAL; out of range -E2BIG, an empty slot -ENOENT, an
   * event of another CPU -EINVAL. A slot holding an output buffer (a BPF output event) counts nothing: 0.
   */
  readCounter(flags: bigint): CounterReading {
    if (flags < 0n || flags > BigInt(BPF_F_INDEX_MASK)) return -Errno.EINVAL;
    const cpu = this.ctx.currentCpu();
    const index = Number(flags) === BPF_F_CURRENT_CPU ? cpu : Number(flags);
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    const c = this.counters[index];
    if (c) {
      if (c.cpu !== undefined && c.cpu !== cpu) return -Errno.EINVAL;
      return { counter: typeof c.value === 'function' ? c.value() : c.value, enabled: c.enabled ?? 0n, running: c.running ?? 0n };
    }
    const buf = this.buffers[index];
    if (!buf) return -Errno.ENOENT;
    return buf.cpu === cpu ? { counter: 0n, enabled: 0n, running: 0n } : -Errno.EINVAL;
  }

  /**
   * output is bpf_perf_event_output: flags' low 32 bits select the index (BPF_F_CURRENT_CPU: the running CPU), other
   * bits are -EINVAL; an index out of range is -E2BIG, one without a buffer -ENOENT, another CPU's buffer
   * -EOPNOTSUPP, a full buffer -ENOSPC.
   */
  output(dataAddr: number, size: number, flags: bigint | number): number {
    const f = typeof flags === 'bigint' ? flags : BigInt(flags);
    if (f < 0n || f > BigInt(BPF_F_INDEX_MASK)) return -Errno.EINVAL;
    const cpu = this.ctx.currentCpu();
    const index = Number(f) === BPF_F_CURRENT_CPU ? cpu : Number(f);
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    const buf = this.buffers[index];
    if (buf === undefined) return -Errno.ENOENT;
    if (buf.cpu !== cpu) return -Errno.EOPNOTSUPP;
    this.ctx.mem.check(dataAddr, size, false);
    const cost = perfRecordSize(size);
    if (buf.used + cost > buf.capacity) {
      buf.lost++;
      return -Errno.ENOSPC;
    }
    buf.used += cost;
    buf.samples.push({ seq: this.seq++, data: this.ctx.mem.u8.slice(dataAddr, dataAddr + size) });
    return 0;
  }

  /** openReader gives CPUs 0..min(ncpus, max_entries)-1 fresh buffers and returns their reader. */
  openReader(opts: PerfReaderOptions = {}): PerfReader {
    const pages = opts.pageCount ?? DEFAULT_PERF_PAGES;
    if (!(Number.isInteger(pages) && pages > 0 && (pages & (pages - 1)) === 0)) {
      throw this.error(Errno.EINVAL, `perf buffer page count ${pages} is not a power of two`);
    }
    const cpus = Math.min(this.ctx.ncpus, this.spec.maxEntries);
    const bufs: PerfBuffer[] = [];
    for (let cpu = 0; cpu < cpus; cpu++) {
      const buf: PerfBuffer = { cpu, capacity: pages * PAGE_SIZE, used: 0, lost: 0, samples: [] };
      this.buffers[cpu] = buf;
      bufs.push(buf);
    }
    return new PerfReader(bufs);
  }

  /** closeReader removes every buffer; output is -ENOENT again. */
  closeReader(): void {
    this.buffers.fill(undefined);
  }

  /** delete empties a slot (BPF_MAP_DELETE_ELEM); -ENOENT when it has no buffer. */
  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const index = readU32Key(key);
    if (index >= this.spec.maxEntries) throw this.error(Errno.E2BIG, `delete: index ${index} is out of range`);
    if (this.buffers[index] === undefined && this.counters[index] === undefined) throw this.error(Errno.ENOENT, 'delete: no such element');
    this.buffers[index] = undefined;
    this.counters[index] = undefined;
  }

  /** Slots hold perf events, which user space cannot read back. */
  protected override unsupportedErrno(): number {
    return Errno.EOPNOTSUPP;
  }
}

/** perfRecordSize is the ring space of one sample: perf_event_header, u32 size, data, padded to 8 bytes. */
export function perfRecordSize(size: number): number {
  return PERF_EVENT_HEADER_SIZE + roundUp8(PERF_RAW_SIZE_FIELD + size);
}

/** PerfReader reads the samples of every CPU's buffer in the order they were written. */
export class PerfReader {
  constructor(private readonly buffers: readonly PerfBuffer[]) {}

  /** read consumes and returns every sample, oldest first, freeing their buffer space. */
  read(): PerfSample[] {
    const all: { seq: number; cpu: number; data: Uint8Array }[] = [];
    for (const b of this.buffers) {
      for (const s of b.samples) all.push({ seq: s.seq, cpu: b.cpu, data: s.data });
      b.samples = [];
      b.used = 0;
    }
    return all.sort((a, b) => a.seq - b.seq).map(({ cpu, data }) => ({ cpu, data }));
  }

  /** lost is the number of samples dropped for lack of space, on one CPU or on all. */
  lost(cpu?: number): number {
    return this.buffers.reduce((n, b) => n + (cpu === undefined || b.cpu === cpu ? b.lost : 0), 0);
  }

  /** pending is the number of samples waiting to be read. */
  get pending(): number {
    return this.buffers.reduce((n, b) => n + b.samples.length, 0);
  }
}

// Shared fixtures for the map tests: specs, a fresh guest memory per test, scratch buffers and errno capture.
import { createMap, MapError, MapTable, type BpfMap, type MapContext } from '../src/helpers/maps/index.js';
import type { MapSpec } from '../src/loader/spec.js';
import { GuestMemory } from '../src/memory/guest-memory.js';

/** spec builds a MapSpec with defaults for everything not given. */
export function spec(over: Partial<MapSpec> & Pick<MapSpec, 'type'>): MapSpec {
  return {
    name: 'm',
    keySize: 4,
    valueSize: 8,
    maxEntries: 16,
    flags: 0,
    pinning: 0,
    numaNode: 0,
    mapExtra: 0n,
    contents: [],
    origin: 'maps',
    section: '.maps',
    readOnly: false,
    ...over,
  };
}

/** Machine is a fresh guest memory, map context (with a settable current CPU) and table, plus scratch helpers. */
export class Machine {
  readonly mem = new GuestMemory();
  readonly table = new MapTable();
  cpu = 0;
  readonly ctx: MapContext;
  private readonly scratch;
  private next = 0;

  constructor(readonly ncpus = 1) {
    const self = this;
    this.ctx = { mem: this.mem, ncpus, currentCpu: () => self.cpu };
    this.scratch = this.mem.addRegion('scratch', 1 << 20);
  }

  /** create builds a map from a spec. */
  create<M extends BpfMap = BpfMap>(s: MapSpec): M {
    return createMap(s, this.ctx, this.table) as M;
  }

  /** put copies bytes into scratch guest memory (8-byte aligned) and returns their address. */
  put(bytes: Uint8Array | number[]): number {
    const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const at = this.scratch.start + this.next;
    this.next += Math.max(8, Math.ceil(b.length / 8) * 8);
    if (this.next > this.scratch.capacity) this.next = 0;
    this.mem.u8.set(b, at);
    return at;
  }

  /** alloc reserves zeroed scratch bytes. */
  alloc(n: number): number {
    return this.put(new Uint8Array(n));
  }

  /** read copies guest bytes out. */
  read(addr: number, n: number): Uint8Array {
    return this.mem.u8.slice(addr, addr + n);
  }
}

/** u32 encodes a little-endian u32. */
export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** u64 encodes a little-endian u64. */
export const u64 = (n: bigint | number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

/** readU64 decodes a little-endian u64 at an offset. */
export const readU64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

/** errnoOf runs `f` and returns the errno of the MapError it throws (0 when it does not throw). */
export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof MapError) return e.errno;
    throw e;
  }
  return 0;
}

/** hex renders bytes for readable model comparisons. */
export const hex = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('hex');

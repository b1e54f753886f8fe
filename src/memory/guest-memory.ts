/**
 * The guest address space shared by every TypeScript backend (DESIGN.md section 2): one `WebAssembly.Memory`, laid
 * out in named regions (stack, context, packet, map values, global data...). Address 0's page is never mapped, so
 * null dereferences fault. Each 4 KiB page belongs to at most one region, found through a page table, so checking an
 * access costs one table load and two compares. The interpreter checks every access; helpers go through the checked
 * readers and writers here.
 */
import { ExecError } from '../errors.js';

/** PAGE_SIZE is the granule of region placement and of the page table. */
export const PAGE_SIZE = 4096;
/** NULL_GUARD_END is the first address that can be mapped: the page at address 0 never is. */
export const NULL_GUARD_END = PAGE_SIZE;
/** TEXT_BASE is the guest address of slot 0 for code pointers (pseudo-func lddw, callx); it maps no memory. */
export const TEXT_BASE = 0x100_0000_0000n;
const WASM_PAGE = 65536;
const MAX_BYTES = 2 ** 32 - WASM_PAGE;
/** Copies up to this many bytes go word by word (see `copy`). */
const SMALL_COPY = 64;

/** Region is a named, contiguous range [start, end) of guest memory. */
export interface Region {
  readonly id: number;
  readonly name: string;
  readonly start: number;
  /** One past the last valid byte; may be lowered and raised up to `start + capacity`. */
  end: number;
  readonly capacity: number;
  readonly writable: boolean;
  /** Whether `setLength` may change `end` (input buffers); the JIT takes the others' bounds as constants. */
  readonly resizable: boolean;
}

/** MemoryFault describes a rejected access; the interpreter adds pc and instruction to it. */
export interface MemoryFault {
  code: 'null-dereference' | 'out-of-bounds' | 'read-only' | 'unmapped' | 'misaligned';
  message: string;
  region?: string;
}

const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** GuestMemory owns the linear memory, its regions and the page table. */
export class GuestMemory {
  /**
   * The WebAssembly memory that JIT modules import. @internal: left out of the package's declarations, which must
   * type-check in projects without the DOM lib (where the WebAssembly namespace is declared); read bytes via `u8`.
   */
  readonly memory: WebAssembly.Memory;
  /** Byte view of the memory; replaced when the memory grows (see `generation`). */
  u8: Uint8Array;
  /** DataView of the memory; replaced when the memory grows. */
  dv: DataView;
  /** The memory as 64-bit words: an aligned u64 stored from a BigInt without splitting it (replaced when it grows). */
  u64: BigUint64Array;
  /** Incremented whenever the views are replaced, so cached views can be refreshed. */
  generation = 0;
  /** Region id of each page (0: none). */
  pageRegion: Uint16Array;
  /** End address of each region id, for the fast check. */
  regionEnd: Float64Array;
  /** 1 where the region of that id is writable. */
  regionWritable: Uint8Array;
  /**
   * Set to 1 for a region when a write refills the cache with it (`refill`, and the JIT's refill import): a backend
   * that resets the write cache before a run learns from it whether the run's checked stores wrote the region. Only
   * the backends read and clear it (the stack is zeroed before a run only when something may have written it).
   */
  regionDirty: Uint8Array;
  readonly regions: (Region | undefined)[] = [undefined];
  /**
   * Bounds [start, end) of the region the last checked read hit, and of the last writable region a write hit: the
   * interpreter's fast path checks an access against these two numbers and calls `refill` only on a miss. Any change
   * to regions resets them.
   */
  readonly readCache = new Float64Array(2);
  readonly writeCache = new Float64Array(2);
  /**
   * Incremented whenever a region is added or changes length: bounds cached elsewhere (the JIT's, across a helper
   * call) are stale when it moved.
   */
  layout = 0;
  // A guard page after the null page keeps deep stack underflows from reading as null dereferences.
  private top = NULL_GUARD_END + PAGE_SIZE;

  constructor(initialBytes = 4 * WASM_PAGE) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / WASM_PAGE) });
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.u64 = new BigUint64Array(this.memory.buffer);
    this.pageRegion = new Uint16Array(this.u8.length / PAGE_SIZE);
    this.regionEnd = new Float64Array(16);
    this.regionWritable = new Uint8Array(16);
    this.regionDirty = new Uint8Array(16);
  }

  /** size is the current byte length of the memory. */
  get size(): number {
    return this.u8.length;
  }

  /**
   * addRegion reserves `capacity` bytes (page-aligned, zeroed) and maps the first `length` of them; only a `resizable`
   * region's length may change later.
   */
  addRegion(name: string, capacity: number, opts: { writable?: boolean; length?: number; resizable?: boolean } = {}): Region {
    const start = this.top;
    const pages = Math.max(1, Math.ceil(capacity / PAGE_SIZE));
    const end = start + pages * PAGE_SIZE;
    if (end > MAX_BYTES) throw new ExecError('out-of-memory', `cannot map region ${name}: guest memory is full`);
    this.ensure(end + PAGE_SIZE);
    const id = this.regions.length;
    if (id > 0xffff) throw new ExecError('out-of-memory', `cannot map region ${name}: too many regions`);
    if (id >= this.regionEnd.length) this.growRegionTables(id * 2);
    const region: Region = {
      id,
      name,
      start,
      end: start + (opts.length ?? capacity),
      capacity: pages * PAGE_SIZE,
      writable: opts.writable ?? true,
      resizable: opts.resizable ?? false,
    };
    this.regions.push(region);
    this.pageRegion.fill(id, start / PAGE_SIZE, end / PAGE_SIZE);
    this.regionEnd[id] = region.end;
    this.regionWritable[id] = region.writable ? 1 : 0;
    this.resetCaches();
    // One unmapped guard page between regions catches small overruns as faults.
    this.top = end + PAGE_SIZE;
    return region;
  }

  /** setLength changes how much of a region is valid (up to its capacity), e.g. for a new input buffer. */
  setLength(region: Region, length: number): void {
    if (!region.resizable) throw new ExecError('internal', `region ${region.name} is not resizable: its bounds may be compiled into JIT code`);
    if (length > region.capacity) {
      throw new ExecError('out-of-memory', `region ${region.name} holds ${region.capacity} bytes, ${length} requested`);
    }
    region.end = region.start + length;
    this.regionEnd[region.id] = region.end;
    this.resetCaches();
  }

  private resetCaches(): void {
    this.layout++;
    this.readCache.fill(0);
    this.writeCache.fill(0);
  }

  /**
   * refill validates an access that missed the cache for its direction: it throws `fault` when the access is invalid,
   * and otherwise points the cache at the region that holds it.
   */
  refill(addr: number, size: number, write: boolean, fault: unknown): void {
    if (!this.ok(addr, size, write)) throw fault;
    const r = this.pageRegion[addr >>> 12];
    const cache = write ? this.writeCache : this.readCache;
    if (write) this.regionDirty[r] = 1;
    cache[0] = this.regions[r]!.start;
    cache[1] = this.regionEnd[r];
  }

  private growRegionTables(n: number): void {
    const end = new Float64Array(n);
    end.set(this.regionEnd);
    const w = new Uint8Array(n);
    w.set(this.regionWritable);
    const dirty = new Uint8Array(n);
    dirty.set(this.regionDirty);
    this.regionEnd = end;
    this.regionWritable = w;
    this.regionDirty = dirty;
  }

  private ensure(bytes: number): void {
    if (bytes <= this.u8.length) return;
    this.memory.grow(Math.ceil((bytes - this.u8.length) / WASM_PAGE));
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.u64 = new BigUint64Array(this.memory.buffer);
    const table = new Uint16Array(this.u8.length / PAGE_SIZE);
    table.set(this.pageRegion);
    this.pageRegion = table;
    this.generation++;
  }

  /** ok reports whether `size` bytes at `addr` lie inside one region (writable, when `write`). */
  ok(addr: number, size: number, write: boolean): boolean {
    if (!(addr >= 0 && addr + size <= this.u8.length)) return false;
    const r = this.pageRegion[addr >>> 12];
    return r !== 0 && addr + size <= this.regionEnd[r] && (!write || this.regionWritable[r] === 1);
  }

  /** regionAt returns the region mapping `addr`, if any. */
  regionAt(addr: number): Region | undefined {
    if (!(addr >= 0 && addr < this.u8.length)) return undefined;
    return this.regions[this.pageRegion[Math.floor(addr / PAGE_SIZE)]];
  }

  /** describeFault explains why an access at a full 64-bit address was rejected. */
  describeFault(addr: bigint, size: number, write: boolean): MemoryFault {
    const what = `${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at ${hex(addr)}`;
    if (addr < BigInt(NULL_GUARD_END)) return { code: 'null-dereference', message: `null pointer dereference: ${what}` };
    const region = addr < BigInt(this.u8.length) ? this.regionAt(Number(addr)) : undefined;
    if (!region) return { code: 'unmapped', message: `${what} is outside every memory region${this.nearest(addr)}` };
    const bounds = `${region.name} [${hex(region.start)}, ${hex(region.end)})`;
    if (addr + BigInt(size) > BigInt(region.end)) {
      return { code: 'out-of-bounds', region: region.name, message: `${what} is out of bounds of region ${bounds}` };
    }
    return { code: 'read-only', region: region.name, message: `${what} writes read-only region ${bounds}` };
  }

  /** nearest names the region closest to an unmapped address when it is within a page, as a hint. */
  private nearest(addr: bigint): string {
    let best = '';
    let bestDistance = BigInt(PAGE_SIZE);
    for (const r of this.regions) {
      if (!r || r.end === r.start) continue;
      const bounds = `${r.name} [${hex(r.start)}, ${hex(r.end)})`;
      if (addr < BigInt(r.start) && BigInt(r.start) - addr <= bestDistance) {
        bestDistance = BigInt(r.start) - addr;
        best = ` (${bestDistance} bytes below region ${bounds})`;
      } else if (addr >= BigInt(r.end) && addr - BigInt(r.end) < bestDistance) {
        bestDistance = addr - BigInt(r.end);
        best = ` (${bestDistance} bytes past the end of region ${bounds})`;
      }
    }
    return best;
  }

  /** check throws an ExecError unless the access is valid. */
  check(addr: number, size: number, write: boolean): void {
    if (!this.ok(addr, size, write)) {
      const f = this.describeFault(BigInt(Math.trunc(addr)), size, write);
      const err = new ExecError(f.code, f.message);
      err.address = addr;
      if (f.region !== undefined) err.region = f.region;
      throw err;
    }
  }

  /**
   * copy moves `size` bytes from `src` to `dst` without checking them (the caller has), correct for overlapping
   * ranges. Small copies go four bytes at a time through the DataView: V8 runs an 8-byte `copyWithin` about five
   * times slower (its per-call setup dominates), and map updates copy a small value on every call.
   */
  copy(dst: number, src: number, size: number): void {
    if (size > SMALL_COPY || (dst > src && dst < src + size)) {
      this.u8.copyWithin(dst, src, src + size);
      return;
    }
    const dv = this.dv;
    let i = 0;
    for (; i + 4 <= size; i += 4) dv.setInt32(dst + i, dv.getInt32(src + i, true), true);
    const u8 = this.u8;
    for (; i < size; i++) u8[dst + i] = u8[src + i];
  }

  /** bytes returns a checked view of guest memory (not a copy). */
  bytes(addr: number, size: number, write = false): Uint8Array {
    this.check(addr, size, write);
    return this.u8.subarray(addr, addr + size);
  }

  /** cString reads a NUL-terminated string of at most `max` bytes, checked byte by byte. */
  cString(addr: number, max = 4096): string {
    let end = addr;
    while (end - addr < max) {
      this.check(end, 1, false);
      if (this.u8[end] === 0) break;
      end++;
    }
    return new TextDecoder().decode(this.u8.subarray(addr, end));
  }
}

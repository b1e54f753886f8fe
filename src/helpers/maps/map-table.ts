/**
 * Map handles: the opaque 64-bit values programs hold for maps (what `lddw map_idx` loads and what map-in-map
 * lookups return). A handle is a JS number below 2^53, far above any guest address (guest memory ends below 2^32), so
 * a handle can never be mistaken for a pointer and a pointer never finds a map. Ids start at 1, as the kernel's do.
 */
import type { BpfMap } from './types.js';

/** MAP_HANDLE_BASE is the handle of id 0 (never used); handles grow by MAP_HANDLE_STRIDE per id. */
export const MAP_HANDLE_BASE = 0x4000_0000_0000;
/** MAP_HANDLE_STRIDE spaces handles so that a handle plus a small offset is not another map's handle. */
export const MAP_HANDLE_STRIDE = 256;
const TWO32 = 2 ** 32;
/** The high half of the handles of ids below 2^24 (MAP_HANDLE_BASE's low half is zero). */
const HANDLE_HI = MAP_HANDLE_BASE / TWO32;

/** MapTable assigns ids and handles to maps and finds maps by either. */
export class MapTable {
  private readonly maps: (BpfMap | undefined)[] = [undefined];

  /** add builds a map with the next id and its handle, and registers it. */
  add<M extends BpfMap>(make: (handle: number, id: number) => M): M {
    const id = this.maps.length;
    const map = make(MapTable.handleOf(id), id);
    this.maps.push(map);
    return map;
  }

  /** handleOf is the handle of map id `id`. */
  static handleOf(id: number): number {
    return MAP_HANDLE_BASE + id * MAP_HANDLE_STRIDE;
  }

  /** idOf is the id behind a handle (not necessarily of a registered map), or 0 when it is not a handle. */
  static idOf(handle: number | bigint): number {
    const h = typeof handle === 'bigint' ? Number(handle) : handle;
    const id = (h - MAP_HANDLE_BASE) / MAP_HANDLE_STRIDE;
    return Number.isInteger(id) && id > 0 ? id : 0;
  }

  /** byHandle finds the map a program's handle stands for (a helper's map argument). */
  byHandle(handle: number | bigint): BpfMap | undefined {
    return this.maps[MapTable.idOf(handle)];
  }

  /**
   * byHalves is byHandle for a handle given as its 32-bit halves (a helper's map argument): a handle of an id below
   * 2^24 is found with integer operations only, which saves a map helper call several nanoseconds.
   */
  byHalves(lo: number, hi: number): BpfMap | undefined {
    if (hi === HANDLE_HI && lo % MAP_HANDLE_STRIDE === 0) return this.maps[lo / MAP_HANDLE_STRIDE];
    return this.byHandle(hi * TWO32 + lo);
  }

  /** byId finds a map by id. */
  byId(id: number): BpfMap | undefined {
    return Number.isInteger(id) && id > 0 ? this.maps[id] : undefined;
  }

  /** byName finds the first map with that name. */
  byName(name: string): BpfMap | undefined {
    return this.maps.find((m) => m?.spec.name === name);
  }

  /** remove unregisters a map; its id is not reused, so a stale handle finds nothing. */
  remove(map: BpfMap): void {
    const id = MapTable.idOf(map.handle);
    if (this.maps[id] === map) this.maps[id] = undefined;
  }

  /** all lists the registered maps in id order. */
  all(): BpfMap[] {
    return this.maps.filter((m): m is BpfMap => m !== undefined);
  }
}

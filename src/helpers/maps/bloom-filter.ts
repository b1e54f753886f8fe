/**
 * Bloom filter maps (bloom_filter.c): push adds a value, peek answers 0 ("possibly present") or -ENOENT ("definitely
 * absent"); there are no false negatives and no way to delete or enumerate. The bit array is sized as the kernel sizes
 * it (max_entries * hashes * 7/5 bits, rounded up to a power of two, at least 64, at most 2^32) and each of the
 * map_extra & 0xf hash functions (default 5) is one seeded hash of the value's bytes.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap } from './base-map.js';
import { BLOOM_DEFAULT_HASHES, BLOOM_HASHES_MASK, U32_MAX } from './constants.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';

/** Bit array bounds from bloom_filter.c: at least BITS_PER_LONG bits, at most 2^32 (mask U32_MAX). */
const MIN_BITS = 64;
const MAX_POW2_BITS = 2 ** 31;
/** 7/5 approximates 1/ln 2, the optimal bits per (entry * hash) ratio. */
const BITS_NUM = 7;
const BITS_DEN = 5;
const WORD_BITS = 32;
const WORD_SHIFT = 5;

/** bloomHashes is the number of hash functions a bloom filter spec asks for. */
export function bloomHashes(spec: MapSpec): number {
  return Number(spec.mapExtra & BigInt(BLOOM_HASHES_MASK)) || BLOOM_DEFAULT_HASHES;
}

/** bloomBits is the size of the bit array the kernel gives a bloom filter. */
export function bloomBits(maxEntries: number, hashes: number): number {
  const wanted = Math.floor((maxEntries * hashes) / BITS_DEN) * BITS_NUM;
  if (wanted > MAX_POW2_BITS) return U32_MAX + 1;
  if (wanted <= MIN_BITS) return MIN_BITS;
  return 2 ** Math.ceil(Math.log2(wanted));
}

/** BloomFilterMap is a bloom_filter map; `add` and `has` are its syscall side. */
export class BloomFilterMap extends BaseMap {
  readonly hashes: number;
  readonly bits: number;
  private readonly words: Uint32Array;
  private readonly mask: number;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.hashes = bloomHashes(spec);
    this.bits = bloomBits(spec.maxEntries, this.hashes);
    this.mask = this.bits - 1;
    this.words = new Uint32Array(this.bits / WORD_BITS);
  }

  override pushElem(valueAddr: number, flags: number): number {
    if (flags !== UpdateFlag.ANY) return -Errno.EINVAL;
    this.ctx.mem.check(valueAddr, this.spec.valueSize, false);
    this.set(this.ctx.mem.u8, valueAddr);
    return 0;
  }

  override peekElem(valueAddr: number): number {
    this.ctx.mem.check(valueAddr, this.spec.valueSize, false);
    return this.test(this.ctx.mem.u8, valueAddr) ? 0 : -Errno.ENOENT;
  }

  override popElem(_valueAddr: number): number {
    return -Errno.EOPNOTSUPP;
  }

  /** add inserts a value (the syscall's BPF_MAP_UPDATE_ELEM with no key). */
  add(value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkValue(value);
    if (flags !== UpdateFlag.ANY) throw this.error(Errno.EINVAL, 'add: flags must be BPF_ANY');
    this.set(value, 0);
  }

  /** has is false when the value was definitely never added, true when it possibly was. */
  has(value: Uint8Array): boolean {
    this.checkUserRead();
    this.checkValue(value);
    return this.test(value, 0);
  }

  /** update adds the value; the key is ignored, as the syscall passes none. */
  override update(_key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.add(value, flags);
  }

  /** lookup cannot answer for a value it is not given: use `has`. */
  override lookup(_key: Uint8Array): Uint8Array | undefined {
    throw this.error(Errno.EINVAL, 'lookup: a bloom filter has no keys; use has(value)');
  }

  private set(bytes: Uint8Array, at: number): void {
    for (let i = 0; i < this.hashes; i++) {
      const bit = hashBytes(bytes, at, this.spec.valueSize, i) & this.mask;
      this.words[bit >>> WORD_SHIFT] |= 1 << (bit & (WORD_BITS - 1));
    }
  }

  private test(bytes: Uint8Array, at: number): boolean {
    for (let i = 0; i < this.hashes; i++) {
      const bit = hashBytes(bytes, at, this.spec.valueSize, i) & this.mask;
      if ((this.words[bit >>> WORD_SHIFT] & (1 << (bit & (WORD_BITS - 1)))) === 0) return false;
    }
    return true;
  }
}

/** Mixing constants of the 32-bit multiply-rotate hash below (MurmurHash3's). */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const M5 = 0xe6546b64;
const F1 = 0x85ebca6b;
const F2 = 0xc2b2ae35;

/** hashBytes is a seeded 32-bit hash of `len` bytes at `at`, unsigned; the seed selects one of the k functions. */
export function hashBytes(u8: Uint8Array, at: number, len: number, seed: number): number {
  let h = seed | 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    let k = u8[at + i] | (u8[at + i + 1] << 8) | (u8[at + i + 2] << 16) | (u8[at + i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + M5) | 0;
  }
  let k = 0;
  for (let shift = 0; i < len; i++, shift += 8) k |= u8[at + i] << shift;
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, F1);
  h ^= h >>> 13;
  h = Math.imul(h, F2);
  h ^= h >>> 16;
  return h >>> 0;
}

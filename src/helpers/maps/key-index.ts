/**
 * The key index of keyed maps: an open-addressing hash table (linear probing, backward-shift deletion) in typed
 * arrays, mapping key bytes to slots. Keys are hashed and compared where they lie in guest memory (user-side keys
 * are first copied to a scratch slot), so a lookup allocates nothing whatever the key size.
 *
 * Each table position holds a slot and its key's hash side by side, so a probe reads one cache line. How a probe
 * confirms a match depends on the key size: a key of 1 to 4 bytes is one 32-bit word and its hash is a bijection of
 * that word, so equal hashes mean equal keys; a 5- to 8-byte key also compares its two words, kept here per slot;
 * longer keys compare their bytes in the store's key region. Measured on 1024 u32 keys: a find takes about 7 ns, where
 * `Map.get` alone on the key as a number (the index this one replaced for 4- and 8-byte keys) took about 14 ns.
 *
 * The table of an index of keys up to 8 bytes may live in a guest-memory region (`place`), so that the Wasm JIT can
 * probe it without calling out (src/jit-wasm/inline-map.ts); its layout is then a contract, `IndexLayout`.
 */
import type { GuestMemory, Region } from '../../memory/guest-memory.js';

/** MIX multiplies each word in the per-word mixing step (MurmurHash3's c1); exported as fmix32's constants are. */
export const MIX = 0xcc9e2d51 | 0;
/** FMIX_MULTIPLIERS are fmix32's two multipliers, in order (exported for code that hashes as `fmix32` does). */
export const FMIX_MULTIPLIERS = [0x85ebca6b | 0, 0xc2b2ae35 | 0] as const;
/** FMIX_SHIFTS are fmix32's three xorshift amounts, in order. */
export const FMIX_SHIFTS = [16, 13, 16] as const;
const [FINAL1, FINAL2] = FMIX_MULTIPLIERS;
/** ENTRY_BYTES is the size of one table position: two int32s, slot + 1 (0: empty), then the key's hash. */
export const ENTRY_BYTES = 8;
/** Whether typed arrays are little-endian, as Wasm memory is: a table in guest memory is read by both. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** The table is kept at most half full so probe sequences stay short. */
const LOAD_FACTOR_INVERSE = 2;
const MIN_TABLE = 8;
const WORD = 4;
const DWORD = 8;

/** How a probe confirms a match (see the file comment): keys of one word, of two words, or longer. */
const ONE_WORD = 0;
const TWO_WORDS = 1;
const BYTES = 2;

/** fmix32 is MurmurHash3's finaliser: a bijection of 32-bit integers in which every input bit moves every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> FMIX_SHIFTS[0];
  h = Math.imul(h, FINAL1);
  h ^= h >>> FMIX_SHIFTS[1];
  h = Math.imul(h, FINAL2);
  return h ^ (h >>> FMIX_SHIFTS[2]);
}

/** readWord reads `n` (1..4) bytes at `at` as a little-endian 32-bit integer, the missing high bytes zero. */
function readWord(mem: GuestMemory, at: number, n: number): number {
  if (n === WORD) return mem.dv.getInt32(at, true);
  const u8 = mem.u8;
  let w = 0;
  for (let i = n - 1; i >= 0; i--) w = (w << 8) | u8[at + i];
  return w;
}

/** hashKey is a 32-bit hash of the `len` key bytes at guest address `at`: multiply-xorshift per word, then fmix32. */
export function hashKey(dv: DataView, at: number, len: number): number {
  let h = len;
  let i = 0;
  for (; i + WORD <= len; i += WORD) {
    h = Math.imul(h ^ dv.getInt32(at + i, true), MIX);
    h ^= h >>> 15;
  }
  for (; i < len; i++) {
    h = Math.imul(h ^ dv.getUint8(at + i), MIX);
    h ^= h >>> 15;
  }
  return fmix32(h);
}

/** hashWords is the hash of a 5- to 8-byte key from its words; a zero high word hashes as the low word alone would. */
const hashWords = (lo: number, hi: number): number => fmix32(Math.imul(hi, MIX) ^ lo);

/**
 * IndexLayout is where a key index's table lies in guest memory: `mask + 1` positions of ENTRY_BYTES from `table`,
 * each the slot + 1 (0: empty) and then the key's hash as little-endian int32s. A key's words are its bytes read as
 * little-endian 32-bit words, the missing high bytes zero. The hash of a key of 1 to 4 bytes is `fmix32` of its word
 * (a bijection: equal hashes are equal keys); of a key of 5 to 8 bytes, `fmix32(imul(hi, MIX) ^ lo)` of its low and
 * high words, and a match also compares the key with the slot's, at `keys + slot * keyStride`. A key's home position
 * is `hash & mask`, and a probe goes on to the next position (wrapping) until it finds the slot or an empty position.
 * Only the index writes the table.
 */
export interface IndexLayout {
  readonly table: number;
  readonly mask: number;
  readonly keySize: number;
  /** Guest address of slot 0's key, and the distance between slots' keys. */
  readonly keys: number;
  readonly keyStride: number;
}

/** KeyIndex finds the slot holding a key; the keys themselves stay in the store's key region. */
export class KeyIndex {
  /**
   * Two entries per position: slot + 1 (0 is empty), then the hash of that slot's key. A view of guest memory when
   * the table was placed there, remade when the memory grows (see `view`).
   */
  private table: Int32Array;
  /** Guest address of a placed table (undefined: the table is this object's own). */
  private readonly at: number | undefined;
  /** The memory generation `table` was made in. */
  private generation: number;
  private readonly mask: number;
  /** Hash of the key in each slot, to find a slot's position when it is removed. */
  private readonly hashes: Int32Array;
  /** Low and high words of each slot's key (two-word keys only). */
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly kind: number;

  constructor(
    private readonly mem: GuestMemory,
    capacity: number,
    private readonly keySize: number,
    private readonly keyBase: number,
    private readonly keyStride: number,
    /**
     * Maps a region of the given size for the table, to place it in guest memory; only indexes of keys up to 8 bytes
     * are placed (longer keys are compared byte by byte), and only where typed arrays are little-endian.
     */
    place?: (bytes: number) => Region,
  ) {
    let size = MIN_TABLE;
    while (size < capacity * LOAD_FACTOR_INVERSE) size *= 2;
    this.mask = size - 1;
    this.kind = keySize <= WORD ? ONE_WORD : keySize <= DWORD ? TWO_WORDS : BYTES;
    this.at = place && this.kind !== BYTES && LITTLE_ENDIAN ? place(size * ENTRY_BYTES).start : undefined;
    this.generation = mem.generation;
    this.table = this.at === undefined ? new Int32Array(size * 2) : new Int32Array(mem.memory.buffer, this.at, size * 2);
    this.hashes = new Int32Array(capacity);
    const words = this.kind === TWO_WORDS ? capacity : 0;
    this.lo = new Int32Array(words);
    this.hi = new Int32Array(words);
  }

  /** layout is where the table lies in guest memory, or undefined when it is not placed there. */
  layout(): IndexLayout | undefined {
    if (this.at === undefined) return undefined;
    return { table: this.at, mask: this.mask, keySize: this.keySize, keys: this.keyBase, keyStride: this.keyStride };
  }

  /** find returns the slot whose key equals the key at guest address `at`, or -1; the caller has checked the access. */
  find(at: number): number {
    if (this.kind === ONE_WORD) return this.findOneWord(fmix32(readWord(this.mem, at, this.keySize)));
    if (this.kind === TWO_WORDS) {
      const lo = this.mem.dv.getInt32(at, true);
      const hi = readWord(this.mem, at + WORD, this.keySize - WORD);
      return this.findTwoWords(lo, hi, hashWords(lo, hi));
    }
    return this.findBytes(at, hashKey(this.mem.dv, at, this.keySize));
  }

  /** insert indexes `slot`, whose key (at guest address `at`) is not yet indexed. */
  insert(slot: number, at: number): void {
    let h: number;
    if (this.kind === ONE_WORD) h = fmix32(readWord(this.mem, at, this.keySize));
    else if (this.kind === TWO_WORDS) {
      const lo = this.mem.dv.getInt32(at, true);
      const hi = readWord(this.mem, at + WORD, this.keySize - WORD);
      this.lo[slot] = lo;
      this.hi[slot] = hi;
      h = hashWords(lo, hi);
    } else h = hashKey(this.mem.dv, at, this.keySize);
    const table = this.view();
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i] !== 0) i = (i + 1) & mask;
    table[2 * i] = slot + 1;
    table[2 * i + 1] = h;
    this.hashes[slot] = h;
  }

  /** remove unindexes a slot, shifting later entries of its probe run back so no tombstones are needed. */
  remove(slot: number): void {
    const table = this.view();
    const mask = this.mask;
    let i = this.hashes[slot] & mask;
    while (table[2 * i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[2 * j] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j + 1] & mask;
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        table[2 * i] = table[2 * j];
        table[2 * i + 1] = table[2 * j + 1];
        i = j;
      }
    }
    table[2 * i] = 0;
  }

  private findOneWord(h: number): number {
    const table = this.view();
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[2 * i];
      if (entry === 0) return -1;
      if (table[2 * i + 1] === h) return entry - 1;
    }
  }

  private findTwoWords(lo: number, hi: number, h: number): number {
    const table = this.view();
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[2 * i];
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (table[2 * i + 1] === h && this.lo[slot] === lo && this.hi[slot] === hi) return slot;
    }
  }

  private findBytes(at: number, h: number): number {
    const table = this.view();
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[2 * i];
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (table[2 * i + 1] === h && this.equal(slot, at)) return slot;
    }
  }

  /** view is the table, remade over the new buffer when guest memory has grown (which detaches the old one). */
  private view(): Int32Array {
    const mem = this.mem;
    if (this.generation !== mem.generation) {
      this.generation = mem.generation;
      // Not `table.length`: a detached view's length is 0.
      if (this.at !== undefined) this.table = new Int32Array(mem.memory.buffer, this.at, (this.mask + 1) * 2);
    }
    return this.table;
  }

  private equal(slot: number, at: number): boolean {
    const dv = this.mem.dv;
    const k = this.keyBase + slot * this.keyStride;
    const n = this.keySize;
    let i = 0;
    for (; i + WORD <= n; i += WORD) if (dv.getInt32(k + i, true) !== dv.getInt32(at + i, true)) return false;
    for (; i < n; i++) if (dv.getUint8(k + i) !== dv.getUint8(at + i)) return false;
    return true;
  }
}

/**
 * Tristate numbers (the kernel's `tnum`): a 64-bit value whose bits are each known 0, known 1 or unknown, held as
 * `value` (the known ones) and `mask` (the unknown bits; `value & mask` is always 0). Values are unsigned BigInts below
 * 2^64; every operation masks its result, so callers never see a negative or oversized number.
 */

/** Tnum is a tristate number. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** U64 is 2^64 - 1, the all-ones 64-bit mask. */
export const U64 = (1n << 64n) - 1n;
/** U32 is 2^32 - 1. */
export const U32 = (1n << 32n) - 1n;

/** tconst is the tnum of one known value (masked only when out of range: a BigInt operation allocates). */
export const tconst = (v: bigint): Tnum => ({ value: v >= 0n && v <= U64 ? v : v & U64, mask: 0n });
/** TUNKNOWN is the tnum with every bit unknown. */
export const TUNKNOWN: Tnum = { value: 0n, mask: U64 };

/** bitLength is the number of significant bits of a value below 2^64 (without formatting it as a string). */
function bitLength(x: bigint): number {
  if (x >= 0n && x <= U32) return 32 - Math.clz32(Number(x));
  const hi = Number(x >> 32n);
  return hi ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(x));
}

/** LOW_BITS[n] is 2^n - 1 (n <= 64), made once rather than per call. */
const LOW_BITS: readonly bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);
/** HIGH_BITS[n] is U64 without its low n bits (`~LOW_BITS[n] & U64`). */
const HIGH_BITS: readonly bigint[] = LOW_BITS.map((low) => ~low & U64);

/** trange is the tightest tnum holding every value of [min, max] (unsigned). */
export function trange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  if (chi === 0n) return tconst(min);
  const bits = bitLength(chi);
  if (bits > 63) return TUNKNOWN;
  return { value: min & HIGH_BITS[bits], mask: LOW_BITS[bits] };
}

/** tadd adds two tnums (modulo 2^64). */
export function tadd(a: Tnum, b: Tnum): Tnum {
  // An unknown operand makes every bit unknown (the carries reach every bit): what the steps below give.
  if (a.mask === U64 || b.mask === U64) return TUNKNOWN;
  const sm = (a.mask + b.mask) & U64;
  const sv = (a.value + b.value) & U64;
  const sigma = (sm + sv) & U64;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu & U64 };
}

/** tsub subtracts two tnums (modulo 2^64). */
export function tsub(a: Tnum, b: Tnum): Tnum {
  if (a.mask === U64 || b.mask === U64) return TUNKNOWN;
  const dv = (a.value - b.value) & U64;
  const alpha = (dv + a.mask) & U64;
  const beta = (dv - b.mask) & U64;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu & U64 };
}

/** tand is bitwise and. */
export function tand(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

/** tor is bitwise or. */
export function tor(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

/** txor is bitwise xor. */
export function txor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** tmul multiplies (the kernel's shift-and-add over the known and unknown parts). */
export function tmul(a: Tnum, b: Tnum): Tnum {
  const accV = (a.value * b.value) & U64;
  let accM: Tnum = tconst(0n);
  let av = a.value;
  let am = a.mask;
  let bt: Tnum = b;
  while (av !== 0n || am !== 0n) {
    if (av & 1n) accM = tadd(accM, { value: 0n, mask: bt.mask });
    else if (am & 1n) accM = tadd(accM, { value: 0n, mask: (bt.value | bt.mask) & U64 });
    av >>= 1n;
    am >>= 1n;
    bt = tlsh(bt, 1);
  }
  return tadd(tconst(accV), accM);
}

/** tlsh shifts left by a known amount below 64. */
export const tlsh = (a: Tnum, k: number): Tnum => ({ value: (a.value << BigInt(k)) & U64, mask: (a.mask << BigInt(k)) & U64 });
/** trsh shifts right (logically) by a known amount below 64. */
export const trsh = (a: Tnum, k: number): Tnum => ({ value: a.value >> BigInt(k), mask: a.mask >> BigInt(k) });

/** tarsh shifts right arithmetically within `bits` (32 or 64) by a known amount. */
export function tarsh(a: Tnum, k: number, bits: 32 | 64): Tnum {
  const w = BigInt(bits);
  const m = (1n << w) - 1n;
  const sx = (x: bigint) => BigInt.asUintN(bits, BigInt.asIntN(bits, x) >> BigInt(k)) & m;
  return { value: sx(a.value), mask: sx(a.mask) };
}

/** tcast keeps the low `bytes` bytes (zero extension of a narrower value). */
export function tcast(a: Tnum, bytes: number): Tnum {
  const m = bytes >= 8 ? U64 : (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** tintersect combines two facts about the same value. */
export function tintersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** tunion is the tightest tnum holding both (a join). */
export function tunion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mu & U64, mask: mu & U64 };
}

/** tin reports whether every value of `b` is a value of `a`. */
export function tin(a: Tnum, b: Tnum): boolean {
  // The two commonest cases without a BigInt made: `a` a constant, or `a` unknown (b's bits are below 2^64).
  if (a.mask === 0n) return b.mask === 0n && b.value === a.value;
  if (a.mask === U64) return a.value === 0n;
  const known = ~a.mask;
  if (b.mask & known) return false;
  return (b.value & known) === a.value;
}

/** tisConst reports whether every bit is known. */
export const tisConst = (a: Tnum): boolean => a.mask === 0n;

/** tbswap reverses the low `bytes` bytes, exactly (unknown bits move with their bytes). */
export function tbswap(a: Tnum, bytes: number): Tnum {
  const sw = (x: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  return { value: sw(a.value), mask: sw(a.mask) };
}

/** tmaxBelow returns the largest value <= `max` that `t` allows, or -1n when none does. */
export function tmaxBelow(t: Tnum, max: bigint): bigint {
  const clash = (max ^ t.value) & ~t.mask & U64;
  if (clash === 0n) return max;
  // Leave max's prefix at the lowest bit i where max has 1 and t allows 0; below it every unknown bit is 1.
  for (let i = 0n; i < 64n; i++) {
    const bit = 1n << i;
    if (!(max & bit) || (t.value & bit)) continue;
    if (clash >> (i + 1n)) continue;
    const low = bit - 1n;
    return (max & ~((bit << 1n) - 1n) & U64) | (t.value & low) | (t.mask & low);
  }
  return -1n;
}

/** tminAbove returns the smallest value >= `min` that `t` allows, or -1n when none does. */
export function tminAbove(t: Tnum, min: bigint): bigint {
  // By symmetry on complements: the smallest x >= min equals ~(largest y <= ~min) over the complemented tnum.
  const comp: Tnum = { value: ~(t.value | t.mask) & U64, mask: t.mask };
  const y = tmaxBelow(comp, ~min & U64);
  return y < 0n ? -1n : ~y & U64;
}

/** tformat prints a tnum as the kernel's log does: `(0x0; 0xff)`. */
export const tformat = (t: Tnum): string => `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`;

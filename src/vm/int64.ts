/**
 * All 64-bit (and the non-trivial 32-bit) integer semantics of eBPF, on the representation the interpreter uses:
 * a 64-bit value is a pair of int32 words (lo, hi) stored at `P[i]`, `P[i + 1]` of an Int32Array. Operations write
 * their result into the pair in place, so the hot path allocates nothing. Signedness is in the names. Slow cases
 * (64-bit division with a high word) fall back to BigInt. `test/int64.test.ts` holds every function against a BigInt
 * model; `bench/RESULTS.md` records why this representation was chosen over BigInt registers.
 */

const TWO32 = 4294967296;

/** SMALL_U64 holds the BigInts 0..255: the common results (0, small counts, verdicts) then allocate nothing. */
const SMALL_U64: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** u64 is the unsigned BigInt of the 64-bit value with words (lo, hi), built with as few BigInt operations as it can. */
export function u64(lo: number, hi: number): bigint {
  if (hi === 0) {
    const u = lo >>> 0;
    return u < 256 ? SMALL_U64[u] : BigInt(u);
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** toU64 reads the pair at `i` as an unsigned BigInt. */
export function toU64(P: Int32Array, i: number): bigint {
  return u64(P[i], P[i + 1]);
}

/** toS64 reads the pair at `i` as a signed BigInt. */
export function toS64(P: Int32Array, i: number): bigint {
  return BigInt.asIntN(64, toU64(P, i));
}

/** setU64 stores a BigInt (taken modulo 2^64) into the pair at `i`. */
export function setU64(P: Int32Array, i: number, v: bigint): void {
  // Addresses and small values (most arguments) take one conversion instead of two BigInt operations.
  if (v >= 0n && v <= 0x7fffffffn) {
    P[i] = Number(v);
    P[i + 1] = 0;
    return;
  }
  P[i] = Number(BigInt.asIntN(32, v));
  P[i + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** setNumber stores a safe integer (negative values sign-extend) into the pair at `i`. */
export function setNumber(P: Int32Array, i: number, v: number): void {
  P[i] = v | 0;
  P[i + 1] = Math.floor(v / TWO32) | 0;
}

/** add64 sets P[i] += (bl, bh). */
export function add64(P: Int32Array, i: number, bl: number, bh: number): void {
  const al = P[i];
  const lo = (al + bl) | 0;
  P[i + 1] = (P[i + 1] + bh + ((lo >>> 0) < (al >>> 0) ? 1 : 0)) | 0;
  P[i] = lo;
}

/** sub64 sets P[i] -= (bl, bh). */
export function sub64(P: Int32Array, i: number, bl: number, bh: number): void {
  const al = P[i];
  P[i + 1] = (P[i + 1] - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
  P[i] = (al - bl) | 0;
}

/**
 * mulHiU32 returns the high 32 bits of the 64-bit product of two unsigned 32-bit words. The double product is off by
 * at most 2^11; subtracting the exact low word (Math.imul) leaves a multiple of 2^32 plus that error, so rounding the
 * quotient by 2^32 recovers the high word exactly.
 */
export function mulHiU32(a: number, b: number): number {
  return Math.round(((a >>> 0) * (b >>> 0) - (Math.imul(a, b) >>> 0)) * 2.3283064365386963e-10) | 0;
}

/** mul64 sets P[i] *= (bl, bh), modulo 2^64. */
export function mul64(P: Int32Array, i: number, bl: number, bh: number): void {
  const al = P[i];
  const ah = P[i + 1];
  P[i + 1] = (mulHiU32(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  P[i] = Math.imul(al, bl);
}

/** divU64 sets P[i] /= (bl, bh) unsigned; division by zero gives 0. */
export function divU64(P: Int32Array, i: number, bl: number, bh: number): void {
  if (P[i + 1] === 0 && bh === 0) {
    P[i] = bl === 0 ? 0 : Math.floor((P[i] >>> 0) / (bl >>> 0)) | 0;
    return;
  }
  const b = (BigInt(bh >>> 0) << 32n) | BigInt(bl >>> 0);
  setU64(P, i, b === 0n ? 0n : toU64(P, i) / b);
}

/** modU64 sets P[i] %= (bl, bh) unsigned; modulo by zero leaves the dividend unchanged. */
export function modU64(P: Int32Array, i: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) return;
  if (P[i + 1] === 0 && bh === 0) {
    P[i] = (P[i] >>> 0) % (bl >>> 0) | 0;
    return;
  }
  const b = (BigInt(bh >>> 0) << 32n) | BigInt(bl >>> 0);
  setU64(P, i, toU64(P, i) % b);
}

/** fitsS32 reports whether the pair (lo, hi) is the sign extension of lo. */
const fitsS32 = (lo: number, hi: number): boolean => hi === lo >> 31;

/** sdiv64 sets P[i] /= (bl, bh) signed, truncating; x/0 = 0 and INT64_MIN/-1 = INT64_MIN. */
export function sdiv64(P: Int32Array, i: number, bl: number, bh: number): void {
  const al = P[i];
  if (fitsS32(al, P[i + 1]) && fitsS32(bl, bh)) {
    setNumber(P, i, bl === 0 ? 0 : Math.trunc(al / bl));
    return;
  }
  const b = BigInt.asIntN(64, (BigInt(bh) << 32n) | BigInt(bl >>> 0));
  setU64(P, i, b === 0n ? 0n : toS64(P, i) / b);
}

/** smod64 sets P[i] %= (bl, bh) signed (the result takes the dividend's sign); x%0 = x and INT64_MIN%-1 = 0. */
export function smod64(P: Int32Array, i: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) return;
  const al = P[i];
  if (fitsS32(al, P[i + 1]) && fitsS32(bl, bh)) {
    setNumber(P, i, al % bl);
    return;
  }
  const b = BigInt.asIntN(64, (BigInt(bh) << 32n) | BigInt(bl >>> 0));
  setU64(P, i, toS64(P, i) % b);
}

/** lsh64 shifts the pair left by n & 63. */
export function lsh64(P: Int32Array, i: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const lo = P[i];
  if (n < 32) {
    P[i + 1] = (P[i + 1] << n) | (lo >>> (32 - n));
    P[i] = lo << n;
  } else {
    P[i + 1] = lo << (n - 32);
    P[i] = 0;
  }
}

/** rsh64 shifts the pair right, unsigned, by n & 63. */
export function rsh64(P: Int32Array, i: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const hi = P[i + 1];
  if (n < 32) {
    P[i] = (P[i] >>> n) | (hi << (32 - n));
    P[i + 1] = hi >>> n;
  } else {
    P[i] = hi >>> (n - 32);
    P[i + 1] = 0;
  }
}

/** ashr64 shifts the pair right, arithmetic (sign-filling), by n & 63. */
export function ashr64(P: Int32Array, i: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const hi = P[i + 1];
  if (n < 32) {
    P[i] = (P[i] >>> n) | (hi << (32 - n));
    P[i + 1] = hi >> n;
  } else {
    P[i] = hi >> (n - 32);
    P[i + 1] = hi >> 31;
  }
}

/** neg64 negates the pair (two's complement). */
export function neg64(P: Int32Array, i: number): void {
  const lo = P[i];
  P[i] = -lo | 0;
  P[i + 1] = (~P[i + 1] + (lo === 0 ? 1 : 0)) | 0;
}

/** divU32 divides unsigned 32-bit words; x/0 = 0. */
export const divU32 = (a: number, b: number): number => (b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0);

/** modU32 is the unsigned 32-bit remainder; x%0 = x. */
export const modU32 = (a: number, b: number): number => (b === 0 ? a : (a >>> 0) % (b >>> 0) | 0);

/** sdiv32 is signed 32-bit division, truncating; x/0 = 0 and INT32_MIN/-1 = INT32_MIN. */
export const sdiv32 = (a: number, b: number): number => (b === 0 ? 0 : Math.trunc(a / b) | 0);

/** smod32 is the signed 32-bit remainder with the dividend's sign; x%0 = x and INT32_MIN%-1 = 0. */
export const smod32 = (a: number, b: number): number => (b === 0 ? a : a % b | 0);

/** bswap16 reverses the two low bytes of a word (result zero-extended). */
export const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

/** bswap32 reverses the four bytes of a word. */
export const bswap32 = (x: number): number =>
  ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

/** bswap64 reverses the eight bytes of the pair. */
export function bswap64(P: Int32Array, i: number): void {
  const lo = P[i];
  P[i] = bswap32(P[i + 1]);
  P[i + 1] = bswap32(lo);
}

/** sext8 sign-extends the low 8 bits of a word. */
export const sext8 = (x: number): number => (x << 24) >> 24;
/** sext16 sign-extends the low 16 bits of a word. */
export const sext16 = (x: number): number => (x << 16) >> 16;

/** ltU64 reports (al, ah) < (bl, bh) unsigned. */
export const ltU64 = (al: number, ah: number, bl: number, bh: number): boolean =>
  ah >>> 0 < bh >>> 0 || (ah === bh && al >>> 0 < bl >>> 0);

/** ltS64 reports (al, ah) < (bl, bh) signed. */
export const ltS64 = (al: number, ah: number, bl: number, bh: number): boolean =>
  ah < bh || (ah === bh && al >>> 0 < bl >>> 0);

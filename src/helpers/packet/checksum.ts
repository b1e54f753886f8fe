/**
 * The Internet checksum arithmetic of the kernel's packet helpers (include/net/checksum.h and x86-64's csum_partial),
 * on 32-bit one's complement sums held as unsigned JS numbers. Packet bytes are summed as the host (little-endian)
 * reads them, as the kernel does: a one's complement sum is byte-order neutral, so a checksum field read, updated and
 * written back in host order holds the right bytes. The exact representation of zero (0 or 0xffff) follows the
 * kernel's operations one for one, which is why each one is here rather than one generic fold.
 */

/** csumAdd is csum_add: a 32-bit add with end-around carry. */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s > 0xffffffff ? (s - 0xffffffff) >>> 0 : s;
}

/** csumSub is csum_sub: adding the one's complement. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csumFold is csum_fold: folds a 32-bit sum to 16 bits and complements it (the value a checksum field holds). */
export function csumFold(sum: number): number {
  let s = sum >>> 0;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csumFrom32to16 folds a 32-bit sum to 16 bits without complementing (what bpf_csum_diff returns since 6.13). */
export function csumFrom32to16(sum: number): number {
  const s = sum >>> 0;
  const rotated = ((s >>> 16) | (s << 16)) >>> 0;
  return ((s + rotated) >>> 16) & 0xffff;
}

/**
 * csumPartial is x86-64's csum_partial: the one's complement sum of `bytes` as little-endian 32-bit words (a tail of
 * one to three bytes is a zero-extended word), added to `seed`.
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let sum = seed >>> 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let k = 0;
  for (; k + 4 <= bytes.length; k += 4) sum = csumAdd(sum, dv.getUint32(k, true));
  if (k < bytes.length) {
    let tail = 0;
    for (let j = bytes.length - 1; j >= k; j--) tail = tail * 256 + bytes[j];
    sum = csumAdd(sum, tail);
  }
  return sum;
}

/** csum16Add is csum16_add: a 16-bit add with end-around carry. */
function csum16Add(csum: number, addend: number): number {
  const res = (csum + addend) & 0xffff;
  return (res + (res < (addend & 0xffff) ? 1 : 0)) & 0xffff;
}

/** csumReplace2 is csum_replace2: the checksum field `sum` after a 16-bit word changed from `from` to `to`. */
export function csumReplace2(sum: number, from: number, to: number): number {
  const sub = csum16Add(~sum & 0xffff, ~from & 0xffff);
  return ~csum16Add(sub, to & 0xffff) & 0xffff;
}

/** csumReplace4 is csum_replace4: the checksum field `sum` after a 32-bit word changed from `from` to `to`. */
export function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~sum >>> 0, from >>> 0);
  return csumFold(csumAdd(tmp, to >>> 0));
}

/** csumReplaceByDiff is csum_replace_by_diff: the checksum field `sum` after a change whose sum of differences is `diff`. */
export function csumReplaceByDiff(sum: number, diff: number): number {
  return csumFold(csumAdd(diff >>> 0, ~sum >>> 0));
}

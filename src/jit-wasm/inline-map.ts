/**
 * Inline hash map lookups and updates. A `bpf_map_lookup_elem` or `bpf_map_update_elem` call whose r1 is believed,
 * from a lddw in the same block, to hold the handle of a plain hash map with keys of up to 8 bytes (`HashLayout`)
 * probes the map's key index where it lies in guest memory (KeyIndex's `IndexLayout`) instead of calling out: hash
 * the key as the index does, probe linearly (comparing keys of more than one word with the slot's), and on a hit return the value's address (lookup) or copy the new value over it
 * (update of an existing key with BPF_ANY or BPF_EXIST), r0 = 0. A helper call crosses into JavaScript (~14 ns) and
 * does 15-35 ns of map work there; the probe is a few loads.
 *
 * Whatever the inline code does not settle calls the helper as before (on a cold path where it is rare): r1 not being
 * that handle (the guess is checked at run time), a key or value not provably readable without a refill (the helper
 * then reports its own fault), a probe longer than PROBES positions, a missing key on update (the helper allocates
 * its slot), other flags, a value source overlapping the destination from below. So r0, guest memory and errors are
 * the helper's in every case. The helper keeps being imported.
 */
import type { HashLayout } from '../helpers/maps/hash-map.js';
import { ENTRY_BYTES, FMIX_MULTIPLIERS, FMIX_SHIFTS, MIX } from '../helpers/maps/key-index.js';
import { UpdateFlag } from '../helpers/maps/types.js';
import type { HelperDef } from '../helpers/registry.js';
import { STACK_FRAME } from './abi.js';
import type { Expr } from './builder.js';
import { coldIf, getReg, i32c, i64c, local, L_FP, L_I1, L_I2, L_RHI, L_RLO, L_T1, L_T2, seq, setReg, type Ctx } from './emit.js';

/** InlineMap is a map whose lookups and updates can run inline: a plain hash map with keys of up to 8 bytes. */
export type InlineMap = HashLayout;

/** MapLookup finds the inline-able map whose handle is `value` (a lddw's value), if it is one. */
export type MapLookup = (value: bigint) => InlineMap | undefined;

/**
 * PROBES is how many table positions the inline code probes (unrolled: the builders have no loops) before leaving the
 * key to the helper. The table is at most half full; at that load, for the keys 0..1023 in 2048 positions, 74% of
 * the keys are found at their home position and 1 in 1024 needs more than 8 probes (3% more than 4), while 5% of
 * absent keys need more than 8 (17% more than 4).
 */
const PROBES = 8;
/** COPY_MAX is the largest value an inline update copies (unrolled, eight bytes at a time); larger ones call out. */
const COPY_MAX = 64;
/** UPDATE_FLAGS_INLINE are the update flag bits the inline path accepts: BPF_ANY or BPF_EXIST, with BPF_F_LOCK. */
const UPDATE_FLAGS_INLINE = UpdateFlag.EXIST | UpdateFlag.LOCK;
const ALIGN = 1;
const HALF = 32;
/** Widths of the value copy's pieces, largest first. */
const PIECES = [8, 4, 2, 1] as const;
const BYTE_BITS = 8;
/** WORD is the size of a key word; keys longer than one word hash and compare two (IndexLayout). */
const WORD = 4;

/** makeInlineMapCall is the inline form of a map helper call through r1's map, or undefined when there is none. */
export function makeInlineMapCall(c: Ctx, def: HelperDef, call: () => Expr): Expr | undefined {
  const map = c.mapGuess[1];
  if (map === undefined) return undefined;
  if (def.name === 'map_lookup_elem') return withFallback(c, lookupGuard(c, map), probes(c, map, lookupArms(c, map)), call);
  if (def.name === 'map_update_elem' && map.writable && map.valueSize <= COPY_MAX) {
    return withFallback(c, updateGuard(c, map), probes(c, map, updateArms(c, map)), call);
  }
  return undefined;
}

/**
 * FALLBACK in L_I2 (a table offset, then a value address: both multiples of 8 otherwise) says the inline code left
 * the call to the helper; one call per site keeps the module small.
 */
const FALLBACK = -1;

const fallback = (c: Ctx): Expr => c.m.local.set(L_I2, i32c(c, FALLBACK));

/** withFallback is the inline code when `guard` is false, then the helper call when it or the inline code gave up. */
function withFallback(c: Ctx, guard: Expr, inline: Expr, call: () => Expr): Expr {
  const { m } = c;
  return seq(c, [
    coldElse(c, guard, [fallback(c)], inline),
    coldIf(c, m.i32.eq(m.local.get(L_I2, c.b.i32), i32c(c, FALLBACK)), [call()]),
  ]);
}

/** lookupGuard: the lookup cannot run inline (the handle is not the map's, or the key is not known readable). */
function lookupGuard(c: Ctx, map: InlineMap): Expr {
  return c.m.i32.or(notHandle(c, map), c.m.i32.eqz(readable(c, 2, map.keySize)));
}

/** updateGuard: as lookupGuard, or the value is not known readable, or the flags are not ones handled inline. */
function updateGuard(c: Ctx, map: InlineMap): Expr {
  const { m } = c;
  const flags = m.i32.and(m.i32.wrap(getReg(c, 4)), i32c(c, ~UPDATE_FLAGS_INLINE));
  return m.i32.or(lookupGuard(c, map), m.i32.or(m.i32.eqz(readable(c, 3, map.valueSize)), flags));
}

/** Arms are what a probe does on a hit and on an empty position (the key is absent). */
interface Arms {
  hit: () => Expr;
  empty: () => Expr;
}

/** lookupArms: r0 = the value's address on a hit, 0 when the key is absent. */
function lookupArms(c: Ctx, map: InlineMap): Arms {
  return { hit: () => setReg(c, 0, c.m.i64.extend_u(valueAddr(c, map))), empty: () => setReg(c, 0, i64c(c, 0)) };
}

/** updateArms: on a hit, copy the value over the slot's and r0 = 0; an absent key is the helper's to insert. */
function updateArms(c: Ctx, map: InlineMap): Arms {
  const { m } = c;
  // The copy goes forwards, which a source below the destination and overlapping it would see half overwritten.
  const overlap = (): Expr => m.i32.lt_u(m.i32.sub(m.local.get(L_I2, c.b.i32), m.i32.wrap(getReg(c, 3))), i32c(c, map.valueSize));
  const hit = (): Expr => seq(c, [
    m.local.set(L_I2, valueAddr(c, map)),
    coldElse(c, overlap(), [fallback(c)], seq(c, [...copyValue(c, map.valueSize), setReg(c, 0, i64c(c, 0))])),
  ]);
  return { hit, empty: () => fallback(c) };
}

/**
 * probes hashes the key and probes up to PROBES positions from its home (unrolled), leaving the position where the
 * probe stopped in L_T2, then runs the arm for a hit (its slot is not 0) or an empty position; a longer probe falls
 * back. The arms are written once, after the probes, so that each probe is only a load, a test and a step.
 */
function probes(c: Ctx, map: InlineMap, arms: Arms): Expr {
  const { m } = c;
  const probe = (k: number): Expr =>
    seq(c, [loadEntry(c, map), k + 1 < PROBES ? m.if(more(c, map), seq(c, [next(c, map), probe(k + 1)])) : coldIf(c, more(c, map), [fallback(c)])]);
  const settled = m.i32.ne(m.local.get(L_I2, c.b.i32), i32c(c, FALLBACK));
  return seq(c, [...home(c, map), probe(0), m.if(settled, m.if(entrySlot(c), arms.hit(), arms.empty()))]);
}

/** coldElse is `if (cond) { cold } else { hot }` with the cold arm marked as coldIf marks it (emit.ts). */
function coldElse(c: Ctx, cond: Expr, cold: readonly Expr[], hot: Expr): Expr {
  return c.m.if(cond, c.m.block(null, [c.m.nop(), ...cold], c.b.none), hot);
}

/** notHandle: r1 is not the map's handle (the translation's guess was wrong). */
function notHandle(c: Ctx, map: InlineMap): Expr {
  return c.m.i64.ne(getReg(c, 1), i64c(c, map.handle));
}

/**
 * readable: `size` bytes at reg(r) are known valid to read without asking the host: inside the current stack frame
 * (r10 is always the top of a valid one), inside the region of the last checked read (memory-ops.ts's cached
 * bounds), or inside the fixed region the register is believed to point into (regions.ts).
 */
function readable(c: Ctx, r: number, size: number): Expr {
  const { m } = c;
  const a = (): Expr => getReg(c, r);
  const frame = m.i64.sub(local(c, L_FP), i64c(c, STACK_FRAME));
  let ok = m.i32.or(
    m.i64.le_u(m.i64.sub(a(), frame), i64c(c, STACK_FRAME - size)),
    m.i32.and(m.i64.ge_u(a(), local(c, L_RLO)), m.i64.le_u(a(), m.i64.sub(local(c, L_RHI), i64c(c, size)))),
  );
  const known = c.guess[r];
  const span = known ? known.end - known.start - size : -1;
  if (span >= 0) ok = m.i32.or(ok, m.i64.le_u(m.i64.sub(a(), i64c(c, known!.start)), i64c(c, span)));
  return ok;
}

/** word reads `n` (1..4) bytes at `p` as a little-endian i32, the missing high bytes zero, as the index does. */
function word(c: Ctx, p: () => Expr, n: number): Expr {
  const { m } = c;
  if (n === 4) return m.i32.load(0, ALIGN, p());
  if (n === 2) return m.i32.load16_u(0, ALIGN, p());
  if (n === 1) return m.i32.load8_u(0, ALIGN, p());
  return m.i32.or(m.i32.load16_u(0, ALIGN, p()), m.i32.shl(m.i32.load8_u(0, ALIGN, m.i32.add(p(), i32c(c, 2))), i32c(c, 2 * BYTE_BITS)));
}

/** twoWords reads a key of 5 to 8 bytes at `p` as an i64: its low word, and its high word above it. */
function twoWords(c: Ctx, p: () => Expr, size: number): Expr {
  const { m } = c;
  if (size === 2 * WORD) return m.i64.load(0, ALIGN, p());
  const hi = word(c, () => m.i32.add(p(), i32c(c, WORD)), size - WORD);
  return m.i64.or(m.i64.load32_u(0, ALIGN, p()), m.i64.shl(m.i64.extend_u(hi), i64c(c, HALF)));
}

const keyPtr = (c: Ctx) => (): Expr => c.m.i32.wrap(getReg(c, 2));

/**
 * home hashes the key into L_I1 and sets L_I2 to its home position's byte offset: `fmix32` of a one-word key's word,
 * or of `imul(hi, MIX) ^ lo` for a longer key, whose words stay in L_T1 for the comparisons.
 */
function home(c: Ctx, map: InlineMap): Expr[] {
  const { m } = c;
  const h = (): Expr => m.local.get(L_I1, c.b.i32);
  const xorshift = (n: number): Expr => m.local.set(L_I1, m.i32.xor(h(), m.i32.shr_u(h(), i32c(c, n))));
  const mul = (k: number): Expr => m.local.set(L_I1, m.i32.mul(h(), i32c(c, k)));
  const key = (): Expr => local(c, L_T1);
  const mixed = (): Expr => m.i32.xor(m.i32.mul(m.i32.wrap(m.i64.shr_u(key(), i64c(c, HALF))), i32c(c, MIX)), m.i32.wrap(key()));
  const load = map.keySize <= WORD
    ? [m.local.set(L_I1, word(c, keyPtr(c), map.keySize))]
    : [m.local.set(L_T1, twoWords(c, keyPtr(c), map.keySize)), m.local.set(L_I1, mixed())];
  return [
    ...load,
    xorshift(FMIX_SHIFTS[0]),
    mul(FMIX_MULTIPLIERS[0]),
    xorshift(FMIX_SHIFTS[1]),
    mul(FMIX_MULTIPLIERS[1]),
    xorshift(FMIX_SHIFTS[2]),
    m.local.set(L_I2, m.i32.and(m.i32.mul(h(), i32c(c, ENTRY_BYTES)), i32c(c, map.mask * ENTRY_BYTES))),
  ];
}

/** loadEntry loads the position at offset L_I2 into L_T2: slot + 1 in the low half, the hash in the high half. */
function loadEntry(c: Ctx, map: InlineMap): Expr {
  const { m } = c;
  return m.local.set(L_T2, m.i64.load(0, ALIGN, m.i32.add(m.local.get(L_I2, c.b.i32), i32c(c, map.table))));
}

/** next moves L_I2 to the next position, wrapping at the table's end. */
function next(c: Ctx, map: InlineMap): Expr {
  const { m } = c;
  return m.local.set(L_I2, m.i32.and(m.i32.add(m.local.get(L_I2, c.b.i32), i32c(c, ENTRY_BYTES)), i32c(c, map.mask * ENTRY_BYTES)));
}

const entrySlot = (c: Ctx): Expr => c.m.i32.wrap(local(c, L_T2));

/**
 * more: the loaded position holds a slot of another key, so the probe goes on. It stops at a hit (a slot whose key
 * has the key's hash, which for one-word keys is the key itself, and for longer keys is then compared) or at an
 * empty position (the key is absent).
 */
function more(c: Ctx, map: InlineMap): Expr {
  const { m } = c;
  const hash = m.i32.wrap(m.i64.shr_u(local(c, L_T2), i64c(c, HALF)));
  let other = m.i32.ne(hash, m.local.get(L_I1, c.b.i32));
  if (map.keySize > WORD) {
    // Slot 0's key at an empty position (slot + 1 = 0), which then decides nothing, so only keys are read.
    const slot = (): Expr => m.i32.sub(entrySlot(c), m.i32.ne(entrySlot(c), i32c(c, 0)));
    const stored = (): Expr => m.i32.add(i32c(c, map.keys), m.i32.mul(slot(), i32c(c, map.keyStride)));
    other = m.i32.or(other, m.i64.ne(twoWords(c, stored, map.keySize), local(c, L_T1)));
  }
  return m.i32.and(other, m.i32.ne(entrySlot(c), i32c(c, 0)));
}

/** valueAddr is the i32 address of the loaded slot's value (the entry holds slot + 1). */
function valueAddr(c: Ctx, map: InlineMap): Expr {
  const { m } = c;
  return m.i32.add(i32c(c, map.values - map.valueStride), m.i32.mul(entrySlot(c), i32c(c, map.valueStride)));
}

/** copyValue copies `size` bytes from the address in r3 to the one in L_I2, largest pieces first. */
function copyValue(c: Ctx, size: number): Expr[] {
  const { m } = c;
  const at = (base: Expr, off: number): Expr => (off === 0 ? base : m.i32.add(base, i32c(c, off)));
  const src = (off: number): Expr => at(m.i32.wrap(getReg(c, 3)), off);
  const dst = (off: number): Expr => at(m.local.get(L_I2, c.b.i32), off);
  const out: Expr[] = [];
  let off = 0;
  for (const n of PIECES) {
    for (; off + n <= size; off += n) {
      const v = n === 8 ? m.i64.load(0, ALIGN, src(off)) : n === 4 ? m.i64.load32_u(0, ALIGN, src(off)) : n === 2 ? m.i64.load16_u(0, ALIGN, src(off)) : m.i64.load8_u(0, ALIGN, src(off));
      out.push(n === 8 ? m.i64.store(0, ALIGN, dst(off), v) : n === 4 ? m.i64.store32(0, ALIGN, dst(off), v) : n === 2 ? m.i64.store16(0, ALIGN, dst(off), v) : m.i64.store8(0, ALIGN, dst(off), v));
    }
  }
  return out;
}

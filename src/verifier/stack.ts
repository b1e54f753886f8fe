/**
 * Stack slots: spills and fills of whole registers, byte types for narrower stores (zero, unknown, never written),
 * and the rule that a read sees only initialised bytes. Offsets are negative, relative to the frame's r10.
 */
import { known, sync, unknown, urange, type Scalar } from './scalar.js';
import { scalarAlu } from './scalar-alu.js';
import { INVALID, MISC, SPILL, ZERO, isPointer, ownStack, scalarReg, type Frame, type Reg, type Slot, type SlotByte } from './state.js';

const slotOf = (off: number): number => (-off - 1) >> 3;
const byteOf = (off: number): number => off + 8 * (slotOf(off) + 1);

/** byteAt returns the type of the stack byte at `off` (negative) of a frame. */
export function byteAt(f: Frame, off: number): SlotByte {
  const s = f.stack[slotOf(off)];
  return s ? s.bytes[byteOf(off)] : INVALID;
}

function setSlot(f: Frame, i: number, slot: Slot | undefined): void {
  ownStack(f)[i] = slot;
}

/** writeBytes marks `size` bytes from `off` as `type`; a spill they overlap becomes unknown bytes. */
export function writeBytes(f: Frame, off: number, size: number, type: SlotByte): void {
  for (let o = off; o < off + size; ) {
    const i = slotOf(o);
    const old = f.stack[i];
    const lo = byteOf(o);
    let hi = lo;
    for (; o < off + size && slotOf(o) === i; o++) hi++;
    const hits = old ? old.bytes.some((b, k) => b === SPILL && k >= lo && k < hi) : false;
    const zeroSpill = old?.spill && old.spill.kind === 'scalar' && old.spill.v.t.mask === 0n && old.spill.v.t.value === 0n;
    const bytes: SlotByte[] = old ? old.bytes.map((b) => (b === SPILL && hits ? (zeroSpill ? ZERO : MISC) : b)) : Array<SlotByte>(8).fill(INVALID);
    for (let k = lo; k < hi; k++) bytes[k] = type;
    setSlot(f, i, { bytes, spill: hits ? undefined : old?.spill });
  }
}

/** spill stores a whole register into the aligned 8-byte slot at `off`. */
export function spill(f: Frame, off: number, r: Reg): void {
  setSlot(f, slotOf(off), { bytes: Array<SlotByte>(8).fill(SPILL), spill: r });
}

/** truncate keeps the low `size` bytes of a scalar (what a narrow store writes and a narrow load reads back). */
function truncate(r: Reg, size: number): Reg {
  const bits = BigInt(size * 8);
  if (r.v.umax < 1n << bits) return r;
  return scalarReg(scalarAlu('and', r.v, known((1n << bits) - 1n), true));
}

/**
 * spillNarrow keeps a scalar stored by an aligned store of 1, 2 or 4 bytes, so a counter kept in a u32 on the stack
 * (its address passed to a helper) stays known; zero is kept as zero bytes, pointers as unknown bytes.
 */
export function spillNarrow(f: Frame, off: number, size: number, r: Reg): void {
  if (r.kind !== 'scalar' || (r.v.t.mask === 0n && r.v.t.value === 0n)) {
    writeBytes(f, off, size, r.kind === 'scalar' ? ZERO : MISC);
    return;
  }
  const i = slotOf(off);
  const old = f.stack[i];
  const lo = byteOf(off);
  const bytes: SlotByte[] = old ? old.bytes.map((b) => (b === SPILL ? MISC : b)) : Array<SlotByte>(8).fill(INVALID);
  for (let k = lo; k < lo + size; k++) bytes[k] = SPILL;
  setSlot(f, i, { bytes, spill: truncate(r, size) });
}

/** spillExtent returns the first byte and size of a slot's spill. */
export function spillExtent(s: Slot): [number, number] {
  const first = s.bytes.indexOf(SPILL);
  return [first, s.bytes.lastIndexOf(SPILL) - first + 1];
}

/** FillResult is what a stack read produces, or which byte was not initialised. */
export type FillResult = { reg: Reg } | { uninit: number };

/** fill reads `size` bytes at fixed `off`; `signed` sign-extends a narrow load. */
export function fill(f: Frame, off: number, size: number, signed: boolean): FillResult {
  const i = slotOf(off);
  const slot = f.stack[i];
  if (slot?.spill) {
    const [first, n] = spillExtent(slot);
    if (first === byteOf(off) && n === size) {
      const r = slot.spill;
      if (!signed || size === 8 || r.v.umax < 1n << BigInt(size * 8 - 1)) return { reg: r };
      return { reg: scalarReg(loadedRange(size, true)) };
    }
    // The low bytes of a spilled scalar (little-endian: the slot's start) read back as its truncation.
    if (n === 8 && byteOf(off) === 0 && slot.spill.kind === 'scalar' && !signed) return { reg: truncate(slot.spill, size) };
  }
  let allZero = true;
  for (let o = off; o < off + size; o++) {
    const b = byteAt(f, o);
    if (b === INVALID) return { uninit: o };
    if (b !== ZERO) allZero = false;
  }
  if (allZero) return { reg: scalarReg(known(0n)) };
  return { reg: scalarReg(loadedRange(size, signed)) };
}

/** loadedRange is the value of an unknown load of `size` bytes, zero- or sign-extended. */
export function loadedRange(size: number, signed: boolean): Scalar {
  if (size === 8) return unknown();
  const bits = BigInt(size * 8);
  if (!signed) return urange(0n, (1n << bits) - 1n);
  const s = unknown();
  s.smin = -(1n << (bits - 1n));
  s.smax = (1n << (bits - 1n)) - 1n;
  s.s32min = s.smin;
  s.s32max = s.smax;
  return sync(s);
}

/** firstUninit returns the first byte in [off, off + size) never written, if any. */
export function firstUninit(f: Frame, off: number, size: number): number | undefined {
  for (let o = off; o < off + size; o++) if (byteAt(f, o) === INVALID) return o;
  return undefined;
}

/** spilledPointerAt returns a spilled pointer overlapping [off, off + size), if any. */
export function spilledPointerAt(f: Frame, off: number, size: number): Reg | undefined {
  for (let o = off; o < off + size; o++) {
    const s = f.stack[slotOf(o)];
    if (s?.spill && isPointer(s.spill) && s.bytes[byteOf(o)] === SPILL) return s.spill;
  }
  return undefined;
}

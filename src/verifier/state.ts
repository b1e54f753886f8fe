/**
 * The abstract state of one path: per call frame the eleven registers and the 512-byte stack (8-byte slots with a
 * type per byte, spilled registers kept whole), the references the path holds (ring buffer records), the spin lock it
 * holds, and the branch decisions that led here. States are copied on write: a branch copies the frames it changes.
 */
import { known, unknown, type Scalar } from './scalar.js';
import type { BtfPtrType } from './btf-ptr.js';

/** RegKind is the type of a register's value, after the kernel's `bpf_reg_type`. */
export type RegKind =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'stack'
  | 'map_value'
  | 'map_key'
  | 'map_ptr'
  | 'packet'
  | 'packet_meta'
  | 'packet_end'
  | 'mem'
  | 'func'
  /** A socket (`struct bpf_sock`, read-only) from a socket lookup; `sock_common` has only the fields of any socket state. */
  | 'sock'
  | 'sock_common'
  /** The low 32 bits of a packet pointer (`w8 = w2`): opaque, good only for the length `data_end - data` in 32 bits. */
  | 'pkt_lo32'
  /** A BTF-typed kernel pointer (the kernel's PTR_TO_BTF_ID): `btf` says to what (btf-ptr.ts). */
  | 'btf_ptr';

/** Sym tags a value with where it came from at a widened loop head: "the value of slot `slot` there, plus `k`". */
export interface Sym {
  /** Id of the widened loop state. */
  loop: number;
  /** Register (0..10) or stack slot (11 + frame * 64 + slot) at the loop head. */
  slot: number;
  k: bigint;
  /** 32 when only the low 32 bits follow the rule (the value went through 32-bit arithmetic). */
  w: 32 | 64;
  /** The same value's tag at the widened head of an enclosing loop, when it has one (nested loops). */
  outer?: Sym;
  /**
   * The tag survived a join with a path that had another (loops.ts, joinStates `own`): it holds, but the value may
   * have grown with the join, so it does not make the value a counter to widen again by.
   */
  joined?: boolean;
}

/** Reg is an abstract register. */
export interface Reg {
  kind: RegKind;
  /** The scalar's value, or a pointer's variable offset (known 0 when the offset is fixed). */
  v: Scalar;
  /** A pointer's fixed offset. */
  off: number;
  /** The pointer may be NULL (map_value_or_null, mem_or_null) until a comparison with 0 decides. */
  nullable: boolean;
  /** Copies share an id: a null check or a packet range learnt on one applies to all. 0 = none. */
  id: number;
  /** packet: bytes known readable from the pointer's fixed offset (from a comparison with packet end). */
  range: number;
  /** Map index (map_value, map_key, map_ptr). */
  map: number;
  /** Size in bytes of a `mem` or `map_key` region. */
  size: number;
  /** Reference id of an acquired object (ringbuf_reserve records, sockets from lookups), 0 for none. */
  ref: number;
  /** Call frame a stack pointer points into. */
  frame: number;
  /** Entry pc of a function pointer. */
  fn: number;
  /** The pointed-to memory may not be written (read-only maps, rodata). */
  rdonly: boolean;
  /**
   * Raw programs: a scalar with `len >= 0` is at most the input length minus `len` (r2 is the length, `len` 0); -1 for
   * none. It lets a loop bounded by r2 prove its input accesses in bounds.
   */
  len: number;
  sym?: Sym;
  /** pkt_lo32: the kind of the packet pointer whose low half this is (`packet`, `packet_end` or `packet_meta`). */
  of?: RegKind;
  /** btf_ptr: the struct pointed to and the pointer's flavour (interned: equal types are the same object). */
  btf?: BtfPtrType;
}

/**
 * BASE has every field of a register, the optional ones too (undefined), in one order, and registers are built only as
 * object literals of these fields (scalarReg, copyReg), so that all share one object shape. Node 20's object spread
 * (`{ ...r, sym }`) makes objects of another shape (most fields out of line), and code reading registers of several
 * shapes is slower and what TurboFan takes longest to compile (a cold verification runs while it does).
 */
const BASE: AllFields<Reg> = {
  kind: 'not_init', v: known(0n), off: 0, nullable: false, id: 0, range: 0, map: -1, size: 0, ref: 0, frame: 0, fn: -1, rdonly: false, len: -1,
  sym: undefined, of: undefined, btf: undefined,
};

/** AllFields makes every optional field required (possibly undefined): a field added to Reg must be listed here. */
type AllFields<T> = { [K in keyof Required<T>]: T[K] };

/** NOT_INIT is the uninitialised register (not frozen: a frozen object has a shape of its own; none is mutated). */
export const NOT_INIT: Reg = copyReg(BASE);

/** scalarReg returns a scalar register holding `v` (BASE's fields spelled out: it is built for every ALU result). */
export const scalarReg = (v: Scalar = unknown(), len = -1): AllFields<Reg> => ({
  kind: 'scalar', v, off: 0, nullable: false, id: 0, range: 0, map: -1, size: 0, ref: 0, frame: 0, fn: -1, rdonly: false, len,
  sym: undefined, of: undefined, btf: undefined,
});

/** copyReg copies a register (an object literal of every field: see BASE). */
export function copyReg(r: Reg): AllFields<Reg> {
  return {
    kind: r.kind, v: r.v, off: r.off, nullable: r.nullable, id: r.id, range: r.range, map: r.map, size: r.size, ref: r.ref, frame: r.frame,
    fn: r.fn, rdonly: r.rdonly, len: r.len, sym: r.sym, of: r.of, btf: r.btf,
  };
}

/** regWith copies a register with the given fields changed (what `{ ...r, ...changes }` means, in BASE's shape). */
export const regWith = (r: Reg, changes: Partial<Reg>): Reg => Object.assign(copyReg(r), changes);

/** ptrReg returns a pointer register of `kind` with the given fields (fixed offset 0 by default). */
export const ptrReg = (kind: RegKind, fields: Partial<Reg> = {}): Reg => {
  const r = copyReg(BASE);
  r.kind = kind;
  return Object.assign(r, fields);
};

/** isPointer reports whether a register holds a pointer (anything but scalar and uninitialised). */
export const isPointer = (r: Reg): boolean => r.kind !== 'scalar' && r.kind !== 'not_init';

/** SlotByte is what one stack byte holds. */
export type SlotByte = 0 | 1 | 2 | 3;
/** Byte types of a stack slot: never written, written with an unknown value, written with zero, part of a spill. */
export const INVALID = 0, MISC = 1, ZERO = 2, SPILL = 3;

/** Slot is one 8-byte stack slot. */
export interface Slot {
  /** Type of each byte, from the lowest address. */
  bytes: readonly SlotByte[];
  /**
   * The register spilled by an 8-byte store (bytes all `Spill`), or a scalar spilled by a narrower aligned store;
   * always present (undefined for none), so that every slot has one object shape.
   */
  spill: Reg | undefined;
}

/** STACK_SLOTS is the number of 8-byte slots of one frame. */
export const STACK_SLOTS = 64;

/** Frame is one call frame. */
export interface Frame {
  regs: Reg[];
  /** Slot i covers bytes [r10 - 8(i+1), r10 - 8i); the array is as long as the deepest slot written. */
  stack: (Slot | undefined)[];
  /** Entry pc of the function running in this frame. */
  entry: number;
  /** pc of the call that created the frame (-1 for the main program). */
  callsite: number;
  /** A callback frame returns into a helper call (bpf_loop, for_each_map_elem) rather than after a call. */
  callback: boolean;
  /** Callback frames: the caller's frame before the first invocation, joined with the one after it on return. */
  pre?: Frame;
  /**
   * The stack array is shared with a copy of the frame (copy on write): a write goes through ownStack, which copies it
   * first. Most states are copied at prune points and branches and then write a slot or two, if any.
   */
  shared: boolean;
}

/** PathNode is one branch decision on the way to a state (a persistent list, newest first). */
export interface PathNode {
  pc: number;
  taken: boolean;
  prev: PathNode | null;
}

/** CheckNode records a loop-exit comparison made since a widened loop head (for the termination proof). */
export interface CheckNode {
  loop: number;
  /** Slot of the induction variable compared. */
  slot: number;
  /** Slot whose head value the bound was (-1: a constant on this path). */
  bound: number;
  /** The condition that holds on this side continues only while the variable has not crossed the bound. */
  ok: boolean;
  prev: CheckNode | null;
}

/** VState is the state of one path. */
export interface VState {
  frames: Frame[];
  /** References held (ids), each to be released before exit. */
  refs: number[];
  /** The pc where each held reference was acquired (for messages). */
  refPcs: number[];
  /** A held bpf_spin_lock: map index, offset, and the id of the pointer it was taken through. */
  lock: { map: number; off: number; id: number } | null;
  path: PathNode | null;
  checks: CheckNode | null;
  /** Instructions processed on this path since the program start (for the log). */
  depth: number;
  /** Widenings this path went through: an exact repeat proves an infinite loop only within one widening epoch. */
  epoch: number;
}

/** newFrame builds a frame with every register uninitialised except r10. */
export function newFrame(index: number, entry: number, callsite: number, callback = false): Frame {
  const regs = Array.from({ length: 11 }, () => NOT_INIT);
  regs[10] = ptrReg('stack', { frame: index });
  // The stack grows as slots are written: most programs touch a few, and states are copied often.
  return { regs, stack: [], entry, callsite, callback, pre: undefined, shared: false };
}

/**
 * cloneFrame copies a frame shallowly (an object literal: copying states is the hottest allocation there is); the
 * stack array is shared by both until one of them writes a slot (ownStack).
 */
const cloneFrame = (f: Frame): AllFields<Frame> => {
  f.shared = true;
  return { regs: f.regs.slice(), stack: f.stack, entry: f.entry, callsite: f.callsite, callback: f.callback, pre: f.pre, shared: true };
};

/** ownStack returns a frame's stack array for writing, copying it first if a copy of the frame shares it. */
export function ownStack(f: Frame): (Slot | undefined)[] {
  if (f.shared) {
    f.stack = f.stack.slice();
    f.shared = false;
  }
  return f.stack;
}

/** cloneState copies a state; frames are copied shallowly (registers and slots are never mutated in place). */
export function cloneState(s: VState): VState {
  const frames = new Array<Frame>(s.frames.length);
  for (let i = 0; i < frames.length; i++) frames[i] = cloneFrame(s.frames[i]);
  return {
    frames,
    refs: s.refs.slice(),
    refPcs: s.refPcs.slice(),
    lock: s.lock,
    path: s.path,
    checks: s.checks,
    depth: s.depth,
    epoch: s.epoch,
  };
}

/** cur returns the running frame. */
export const cur = (s: VState): Frame => s.frames[s.frames.length - 1];

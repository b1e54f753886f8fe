/**
 * The import/export ABI of a translated module (docs/jit-wasm.md describes it for hosts other than this runtime).
 * Every function of the eBPF program becomes a Wasm function `(r1, r2, r3, r4, r5, r10: i64) -> i64` returning r0;
 * `bpf_main` is the entry. Control state the host reads or sets lives in exported mutable globals. Helpers are
 * imported as `(r1.lo, r1.hi, ..., r5.lo, r5.hi: i32) -> r0.lo: i32` with r0's high half in the `ret_hi` global, so
 * that a JavaScript host converts no BigInt per call.
 */

/** ENV_MODULE is the import module of the guest memory (`env.memory`). */
export const ENV_MODULE = 'env';
/** MEMORY_IMPORT is the name of the imported guest memory. */
export const MEMORY_IMPORT = 'memory';
/** HELPER_MODULE is the import module of helpers, each imported by its helper-table name. */
export const HELPER_MODULE = 'helper';
/** REFILL_PROBE as `bpf.refill`'s `write` argument asks for a PROBE_MEM read: return 0 for a bad address instead of trapping. */
export const REFILL_PROBE = 2;

/** BPF_MODULE is the import module of the runtime services (refill, trap, tail call, callx). */
export const BPF_MODULE = 'bpf';
/** ENTRY_EXPORT is the exported entry function. */
export const ENTRY_EXPORT = 'bpf_main';

/** functionExport names the export of the BPF function at slot `pc` (callbacks reach functions through these). */
export const functionExport = (pc: number): string => `bpf_fn_${pc}`;

/** GLOBALS are the exported mutable globals: name and type. */
export const GLOBALS = {
  /** pc of the helper call in progress (for located helper errors). */
  pc: 'i32',
  /** r10 of the frame calling a helper (callbacks and tail calls run relative to it). */
  fp: 'i64',
  /** Set by the host during a helper call: CTL_EXIT, CTL_TAIL_CALL or CTL_REGIONS; 0 otherwise. */
  ctl: 'i32',
  /** Instructions left; decremented per basic block. */
  budget: 'i64',
  /** Lowest r10 a call may create (r10 of the deepest allowed frame). */
  stack_limit: 'i64',
  /** Guest address and length of the packet LD_ABS/LD_IND read. */
  pkt_start: 'i32',
  pkt_len: 'i32',
  /** High half of a helper's r0, set by the host before the helper import returns the low half. */
  ret_hi: 'i32',
  /**
   * Bounds [entry_lo, entry_hi) of the region r1 points into, which a host may set before calling an entry (the
   * trampoline does): a function starts with them as its cached read bounds and sets `entry_lo` back to -1 (no
   * bounds), so that the first read of the context or input costs no `bpf.refill`. -1 (the initial value) for none.
   */
  entry_lo: 'i64',
  entry_hi: 'i64',
} as const;

/** GLOBAL_INIT holds the initial values of the globals that do not start at 0. */
export const GLOBAL_INIT: Partial<Record<keyof typeof GLOBALS, number>> = { entry_lo: -1 };

/** GlobalName is one of the exported globals. */
export type GlobalName = keyof typeof GLOBALS;

/** CTL_EXIT asks the program to end now with r0 = the helper's result (uBPF's unwind, LD_ABS out of bounds). */
export const CTL_EXIT = 1;
/** CTL_TAIL_CALL asks the program to run the tail-call target the host chose (import `bpf.tail_call`). */
export const CTL_TAIL_CALL = 2;
/**
 * CTL_REGIONS tells the program that the helper changed guest memory's regions: it forgets its cached region bounds
 * and goes on. Without it the bounds survive helper calls, so a map value read after a lookup costs no refill.
 */
export const CTL_REGIONS = 3;

/** TRAP_MISALIGNED is the `bpf.trap(kind, pc, value)` kind of a misaligned atomic (value: the address). */
export const TRAP_MISALIGNED = 1;
/** TRAP_FELL_OFF: execution ran past the last instruction. */
export const TRAP_FELL_OFF = 2;
/** TRAP_CALL_DEPTH: a call would exceed the call depth limit. */
export const TRAP_CALL_DEPTH = 3;
/** TRAP_BUDGET: `pc` is the first slot of the basic block, `value` the instructions that were left before it. */
export const TRAP_BUDGET = 4;
/** TRAP_POISON: the instruction was poisoned by a failed CO-RE relocation. */
export const TRAP_POISON = 5;

/**
 * ATOMIC_OPS code the operation of a `bpf.atomic(kind, addr, value, expected) -> old` import call (modules compiled
 * with `atomicImports`, for hosts that run a program on many threads at once): kind = op | size << 8, addr the
 * checked, aligned guest address; the host performs the read-modify-write atomically and returns the old value
 * (zero-extended for 4-byte operations); `expected` is cmpxchg's comparand.
 */
export const ATOMIC_OPS = { add: 0, or: 1, and: 2, xor: 3, xchg: 4, cmpxchg: 5 } as const;

/** STACK_FRAME is the size of one call frame's stack, as in the interpreter. */
export const STACK_FRAME = 512;

/** WasmType is a value type of an import signature. */
export type WasmType = 'i32' | 'i64';

/** Signature is the parameter and result types of a function import. */
export interface Signature {
  readonly params: readonly WasmType[];
  readonly results: readonly WasmType[];
}

const I64X = (n: number): WasmType[] => Array<WasmType>(n).fill('i64');

/** HELPER_PARAMS is the arity of a helper import: r1..r5 as (low, high) i32 pairs (`calls.ts` makeCallHelper). */
export const HELPER_PARAMS = 10;

/**
 * IMPORT_SIGNATURES are the types of the `bpf.*` services and of every `helper.*` import (`helper`), written once for
 * both tiers' module assembly; `calls.ts` and `memory-ops.ts` emit the calls.
 */
export const IMPORT_SIGNATURES = {
  trap: { params: ['i32', 'i32', 'i64'], results: [] },
  refill: { params: ['i64', 'i32', 'i32', 'i32'], results: ['i64'] },
  tail_call: { params: I64X(6), results: ['i64'] },
  callx: { params: ['i32', ...I64X(6)], results: ['i64'] },
  atomic: { params: ['i32', 'i32', 'i64', 'i64'], results: ['i64'] },
  helper: { params: Array<WasmType>(HELPER_PARAMS).fill('i32'), results: ['i32'] },
} as const satisfies Record<string, Signature>;

/** FUNCTION_SIGNATURE is the type of the Wasm function of a BPF function: r0..r10 in, r0 out. */
export const FUNCTION_SIGNATURE: Signature = { params: I64X(11), results: ['i64'] };
/** EXPORT_SIGNATURE is the type of an exported entry: r1..r5 and r10 in, r0 out. */
export const EXPORT_SIGNATURE: Signature = { params: I64X(6), results: ['i64'] };

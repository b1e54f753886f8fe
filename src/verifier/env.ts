/**
 * The inputs, options, statistics and results of one verification, shared by the rule modules.
 */
import type { HelperSet } from '../helpers/registry.js';
import type { LineInfo, MapEntry } from '../loader/spec.js';
import type { Cfg } from './cfg.js';
import { known, type Scalar } from './scalar.js';
import { scalarReg, type Reg, type VState } from './state.js';
import type { ProgramTypeInfo } from './program-types.js';
import type { Btf } from '../loader/btf/parse.js';
import type { BtfPtrType, BtfTypes } from './btf-ptr.js';

/** MapInfo is what the verifier needs of a map: the kernel's map attributes and, for global data, its contents. */
export interface MapInfo {
  name: string;
  /** Kernel BPF_MAP_TYPE_* id. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Programs may not write it (.rodata, .kconfig, BPF_F_RDONLY_PROG). */
  readOnly?: boolean;
  /** Initial contents, to check constant strings in read-only data. */
  contents?: readonly MapEntry[];
  /** Inner map template of a map of maps. */
  inner?: MapInfo;
  /** The value holds a `struct bpf_spin_lock` (known from BTF in objects, declared for raw programs). */
  spinLock?: boolean;
  /** Offset of that lock in the value (default 0). */
  spinLockOffset?: number;
}

/** VerifyOptions configures one verification. */
export interface VerifyOptions {
  /** Program type: a kernel name (`xdp`, `kprobe`...) or a libbpf section name; absent or `raw` for typeless bytecode. */
  type?: string;
  /** Tracepoint name, for the record layout of `tracepoint` programs; the attach target of BTF-typed tracing programs. */
  tracepoint?: string;
  /**
   * The target kernel's BTF (vmlinux): types the arguments of tp_btf/fentry/fexit/fmod_ret/lsm programs, the task of
   * bpf_get_current_task_btf and kfunc prototypes (btf-ptr.ts, kfunc.ts). Without it those are not typed.
   */
  targetBtf?: Btf;
  /** The kfunc calls of the program (pc and name; the call's immediate is the target BTF id), as the loader resolved them. */
  kfuncs?: readonly { pc: number; name: string }[];
  /** Maps referenced by `lddw` (map_fd / map_idx N is the N-th). */
  maps?: readonly MapInfo[];
  /** The helper table; default: the kernel's for typed programs, the uBPF test helpers for raw ones. */
  helpers?: HelperSet;
  /**
   * Privileged mode (the kernel's CAP_BPF + CAP_PERFMON): pointers may be stored into maps, compared, subtracted and
   * returned. Default false: a program may not leak an address. Tracing programs (kprobe, tracepoint, perf_event,
   * raw_tracepoint, fentry...) are always verified privileged: the kernel loads them only with CAP_PERFMON.
   */
  privileged?: boolean;
  /** The program's license: helpers the kernel marks GPL-only need a GPL-compatible one (default GPL). */
  license?: string;
  /** Why each poisoned instruction was poisoned (a failed CO-RE relocation, by pc), to say so when it is reachable. */
  poisoned?: ReadonlyMap<number, string>;
  /** C source lines (BTF line_info) to name in errors. */
  lineInfo?: readonly LineInfo[];
  /** Section or file name for error locations. */
  section?: string;
  /** Program name for error locations. */
  program?: string;
  /** Complexity limit: instructions processed over all paths (default 1,000,000, the kernel's). */
  maxInsns?: number;
  /**
   * onProgress is called every `progressEvery` instructions processed (default 100,000) with the statistics so far:
   * a long verification can show progress, or its host change how it runs (the CLI turns V8's optimising compiler on).
   */
  onProgress?: (stats: Readonly<VerifyStats>) => void;
  progressEvery?: number;
  /** Collect the per-instruction state log (`-v`). */
  log?: boolean;
  /** Loop iterations explored exactly before a loop head is widened (default 8). */
  unroll?: number;
}

/** VerifyStats counts the work of one verification. */
export interface VerifyStats {
  insnsProcessed: number;
  statesExplored: number;
  statesPruned: number;
  /** Paths merged into an explored state at a join point (bounds chains of branches). */
  statesJoined: number;
  /** Loop heads widened to a fixpoint instead of being unrolled. */
  loopsWidened: number;
  /** Largest number of states kept at one instruction. */
  peakStates: number;
  /** Stack bytes used by the deepest call chain. */
  stackDepth: number;
  ms: number;
}

/** AccessFact says which kinds of memory an access instruction reached on the verified paths. */
export type RegionKind = 'stack' | 'ctx' | 'map_value' | 'packet' | 'mem' | 'map_key'
  /** Kernel objects through BTF pointers and sockets: recorded so that a pc reaching them is never vouched for. */
  | 'btf' | 'sock';

/** Facts is what the verifier proved, for the JIT (DESIGN.md section 6). */
export interface Facts {
  /** Every memory access of the program is in bounds (true only for an accepted program). */
  safe: boolean;
  /** Every path ends: no instruction budget is needed. */
  terminates: boolean;
  /** For each pc that accesses memory: the regions it was proved to reach, in bounds. */
  access: Map<number, Set<RegionKind>>;
}

/** LoopRecord is a widened loop head and what its termination proof has established so far (loops.ts). */
export interface LoopRecord {
  id: number;
  head: number;
  /** Induction variables: tag slot -> step per iteration (signed). */
  ivs: Map<number, bigint>;
  /** Induction variables that every closed cycle advanced by their step. */
  stable: Set<number>;
  /** For each closed cycle, the variables it checked against a bound. */
  closures: Set<number>[];
  /** The widened head's value of each scalar induction variable. */
  values: Map<number, Scalar>;
  /** The widened state. */
  state: VState;
}

/** Env holds one verification's inputs and accumulators. */
export interface Env {
  cfg: Cfg;
  prog: ProgramTypeInfo;
  maps: readonly MapInfo[];
  /** Index in `maps` of the inner map template of each map of maps (by the outer map's index). */
  innerOf: ReadonlyMap<number, number>;
  helpers: HelperSet;
  privileged: boolean;
  /** VerifyOptions.poisoned. */
  poisoned?: ReadonlyMap<number, string>;
  /**
   * The kernel's rules against speculative out-of-bounds access for programs loaded with CAP_BPF only: no variable
   * stack offsets, no map value pointers outside the value, no overwriting part of a spilled pointer. Off in
   * privileged mode and for tracing programs (which the kernel loads only with CAP_PERFMON).
   */
  spectre: boolean;
  /** The license is GPL-compatible. */
  gpl: boolean;
  stats: VerifyStats;
  log: string[] | undefined;
  facts: Facts;
  /** Deepest stack offset touched per subprogram (bytes below r10). */
  stackUse: Int32Array;
  /** Constants seen in comparisons: widening stops at them. */
  thresholds: Set<bigint>;
  /** The jumps (by pc) whose immediate is in `thresholds` already: adding it again would change nothing. */
  thresholdsFrom: Uint8Array;
  /** The scalar register of each instruction's immediate operand (by pc), made on first use (see immReg). */
  imms: (Reg | undefined)[];
  /** Id of the raw input's start pointer (r1 at entry). */
  inputId: number;
  /** Explore exactly: no loop is widened and paths holding different constants are never joined (the retry). */
  exact: boolean;
  /** approximate records that the exploration widened a loop or joined paths of different constants. */
  approximate: () => void;
  /** Loop heads the exploration must not widen (their termination proof failed once). */
  noWiden: Set<number>;
  /** Widened loops by record id. */
  loops: Map<number, LoopRecord>;
  /** Ids for pointers (null checks, packet ranges) and references. */
  ids: { next: number };
  /** BTF pointer types of the target BTF (VerifyOptions.targetBtf). */
  btf?: BtfTypes;
  /** BTF-typed tracing programs: each context slot's pointer type, or null for a scalar (btf-ptr.ts). */
  btfArgs?: readonly (BtfPtrType | null)[];
  /** Kfunc names by the pc of their call. */
  kfuncs: ReadonlyMap<number, string>;
}

/** freshId returns a new id. */
export const freshId = (env: Env): number => ++env.ids.next;

/**
 * immReg returns the register of the immediate operand of the instruction at `pc` (`imm`, zero-extended from 32 bits
 * when `zext`), made once per verification: registers are never changed in place, so every state may share it, and a
 * first verification runs in V8's interpreter, where making it at every visit costs a BigInt and two objects.
 */
export function immReg(env: Env, pc: number, imm: number, zext: boolean): Reg {
  return (env.imms[pc] ??= scalarReg(known(BigInt(zext ? imm >>> 0 : imm))));
}

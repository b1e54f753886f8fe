/**
 * The helper table (DESIGN.md section 4): one entry per helper with its id, name, prototype (what the verifier needs)
 * and a TypeScript implementation written once against guest memory, whichever backend calls it. A `HelperSet` is a
 * named table: the kernel's helpers for clang objects, or the uBPF test helpers that conformance-style programs call.
 */
import type { GuestMemory } from '../memory/guest-memory.js';
import { BpfError, ExecError } from '../errors.js';
import type { HelperEnv } from './env.js';

/** MAX_TAIL_CALLS is the kernel's MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALLS = 33;

/** ARG_KINDS are the kinds of helper arguments, named after the kernel's `bpf_arg_type` (the native header's enum too). */
export const ARG_KINDS = [
  'anything',
  'scalar',
  'ptr_to_mem',
  'ptr_to_uninit_mem',
  'const_size',
  'const_size_or_zero',
  'ptr_to_ctx',
  'ptr_to_cstring',
  'const_map_ptr',
  'ptr_to_map_key',
  'ptr_to_map_value',
  'ptr_to_func',
  /** A pointer to a kernel object of the BTF type named in `HelperProto.argBtf` (trusted, as kfuncs take them). */
  'ptr_to_btf_id',
  /** Memory or NULL (with a size that may then be 0): bpf_redirect_neigh's next hop. */
  'ptr_to_mem_or_null',
  /** A socket of any state (`struct bpf_sock_common`): what socket lookups return and bpf_sk_release takes. */
  'ptr_to_sock_common',
  /** Memory from ringbuf_reserve (offset 0), whose reference the call releases (submit, discard). */
  'ptr_to_ringbuf_mem',
  /** A known constant size that sizes the memory the helper returns (ringbuf_reserve). */
  'const_alloc_size',
  /** A map value holding a `struct bpf_spin_lock` at a constant offset. */
  'ptr_to_spin_lock',
  /** A stack pointer passed through to a callback, or NULL (bpf_loop, for_each_map_elem). */
  'ptr_to_stack_or_null',
] as const;

/** ArgKind is the kind of a helper argument. */
export type ArgKind = (typeof ARG_KINDS)[number];

/**
 * RET_KINDS are the kinds of helper return values; `ptr_to_btf_id(_or_null)` point to a kernel object of the BTF type
 * named in `HelperProto.retBtf` (never NULL, or possibly NULL).
 */
export const RET_KINDS = [
  'integer',
  'void',
  'ptr_to_map_value_or_null',
  'ptr_to_mem_or_null',
  'noreturn_on_success',
  'ptr_to_btf_id_or_null',
  'ptr_to_btf_id',
  /** A socket (`struct bpf_sock`) or NULL; with `acquire`, a reference the program must release (bpf_sk_release). */
  'ptr_to_socket_or_null',
  /** A ring buffer record of `const_alloc_size` bytes, or NULL: a reference the program must release. */
  'ptr_to_ringbuf_mem_or_null',
  /** A socket of any state (`struct bpf_sock_common`: full, request or time-wait) or NULL; with `acquire`, a reference. */
  'ptr_to_sock_common_or_null',
] as const;

/** RetKind is the kind of a helper's return value. */
export type RetKind = (typeof RET_KINDS)[number];

/** HelperProto is a helper's signature as the verifier sees it. */
export interface HelperProto {
  ret: RetKind;
  args: ArgKind[];
  /** The `ptr_to_func` argument is a callback called with these arguments (bpf_loop: index, ctx; for_each: map, key, value, ctx). */
  callback?: 'loop' | 'for_each_map_elem';
  /** For `ptr_to_btf_id` arguments (by index): the struct the pointer must point to, e.g. `task_struct`. */
  argBtf?: readonly (string | undefined)[];
  /** For `ptr_to_btf_id*` returns: the struct returned. */
  retBtf?: string;
  /** The return value is a reference the program must release (KF_ACQUIRE). */
  acquire?: boolean;
  /** The argument at this index (0-based) is a reference this call releases (KF_RELEASE). */
  release?: number;
  /** Must be called inside bpf_rcu_read_lock() (KF_RCU_PROTECTED), or starts/ends such a section. */
  rcu?: 'protected' | 'lock' | 'unlock';
}

/** HelperCall is what an implementation sees of one call: its arguments, guest memory and control requests. */
export interface HelperCall {
  readonly mem: GuestMemory;
  /** arg returns argument n (1..5) as an unsigned 64-bit BigInt. */
  arg(n: number): bigint;
  /** argNum returns argument n as a non-negative JS number; it throws when the value does not fit in 53 bits. */
  argNum(n: number): number;
  /** argU32 returns the low 32 bits of argument n, unsigned. */
  argU32(n: number): number;
  /** argHi returns the high 32 bits of argument n, unsigned. */
  argHi(n: number): number;
  /** exit ends the program after this helper returns, with r0 = `r0` (uBPF's unwind). */
  exit(r0: bigint): void;
  /** The host and program environment; undefined when a backend runs raw code without a runtime. */
  readonly env: HelperEnv | undefined;
  /**
   * callFunction runs the BPF function at code address `fn` (a pseudo-func value, as clang passes callbacks) with
   * r1..r5 = `args`, in a new call frame, and returns its r0 (bpf_loop, bpf_for_each_map_elem).
   */
  callFunction(fn: bigint, args: readonly bigint[]): bigint;
  /**
   * tailCall replaces the running program with `target` once this helper returns (bpf_tail_call). It returns false
   * when the tail-call limit is reached, in which case the program continues.
   */
  tailCall(target: unknown): boolean;
}

/** HelperImpl computes r0 from a call; `undefined` leaves r0 = 0. */
export type HelperImpl = (call: HelperCall) => bigint | number | undefined;

/** HelperDef is one row of a helper table: a helper (by kernel id) or a kfunc (by name; its id is the target BTF's). */
export interface HelperDef {
  /** The kernel helper id; 0 for kfuncs, whose ids come from the target kernel's BTF. */
  id: number;
  /** Helpers: the name without `bpf_`; kfuncs: the kernel function's full name (`bpf_task_from_pid`). */
  name: string;
  /** 'kfunc' for kernel functions called through BTF (BPF_PSEUDO_KFUNC_CALL); helpers leave it unset. */
  kind?: 'kfunc';
  proto: HelperProto;
  impl: HelperImpl;
  /** One line on semantics, shown by listings and docs. */
  doc: string;
}

/** HelperSet is a named table of helpers indexed by id. */
export class HelperSet {
  private readonly byId = new Map<number, HelperDef>();
  private readonly byName = new Map<string, HelperDef>();

  constructor(
    readonly name: string,
    defs: readonly HelperDef[] = [],
    /** Names of every id the set's ABI defines (index = id), implemented or not, for error messages. */
    private readonly abiNames: readonly string[] = [],
  ) {
    for (const d of defs) this.add(d);
  }

  private readonly kfuncsByName = new Map<string, HelperDef>();
  /** Target BTF ids bound to kfunc names (bindKfunc), and the name of every id bound, implemented or not. */
  private readonly kfuncsById = new Map<number, HelperDef>();
  private readonly kfuncIdNames = new Map<number, string>();

  /** add registers a helper (ids and names unique within the set) or a kfunc (names unique). */
  add(def: HelperDef): this {
    if (def.kind === 'kfunc') {
      if (this.kfuncsByName.has(def.name)) throw new Error(`helper set ${this.name}: duplicate kfunc ${def.name}`);
      this.kfuncsByName.set(def.name, def);
      return this;
    }
    if (this.byId.has(def.id)) throw new Error(`helper set ${this.name}: duplicate helper id ${def.id}`);
    if (this.byName.has(def.name)) throw new Error(`helper set ${this.name}: duplicate helper name ${def.name}`);
    this.byId.set(def.id, def);
    this.byName.set(def.name, def);
    return this;
  }

  /** get returns the helper with id `id`, if the set has it. */
  get(id: number): HelperDef | undefined {
    return this.byId.get(id);
  }

  /** abiName returns the name the set's ABI gives to `id` (e.g. a kernel helper bpftime-vm does not implement). */
  abiName(id: number): string | undefined {
    return id > 0 ? this.abiNames[id] : undefined;
  }

  /** list returns the helpers in id order. */
  list(): HelperDef[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** kfunc returns the kfunc named `name` (`bpf_task_from_pid`), if the set implements it. */
  kfunc(name: string): HelperDef | undefined {
    return this.kfuncsByName.get(name);
  }

  /** kfuncs returns the implemented kfuncs in name order. */
  kfuncs(): HelperDef[] {
    return [...this.kfuncsByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * bindKfunc records that the target BTF id `btfId` names the kfunc `name`, so kfunc calls (whose immediate is that
   * id) find their implementation. Binding a kfunc the set lacks is allowed: calling it is then reported by name.
   */
  bindKfunc(btfId: number, name: string): void {
    this.kfuncIdNames.set(btfId, name);
    const def = this.kfuncsByName.get(name);
    if (def) this.kfuncsById.set(btfId, def);
  }

  /** kfuncAt returns the kfunc bound to a target BTF id, and the name bound to it (implemented or not). */
  kfuncAt(btfId: number): { def?: HelperDef; name?: string } {
    return { def: this.kfuncsById.get(btfId), name: this.kfuncIdNames.get(btfId) };
  }
}

/** helperError wraps anything a helper throws into an ExecError naming the helper, keeping code, address and cause. */
export function helperError(def: HelperDef, e: unknown): ExecError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = e instanceof BpfError ? e.code : 'helper-failed';
  const err = new ExecError(code, `helper ${def.name}: ${msg}`, {}, { cause: e });
  if (e instanceof ExecError) {
    if (e.address !== undefined) err.address = e.address;
    if (e.region !== undefined) err.region = e.region;
  }
  return err;
}

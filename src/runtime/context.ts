/**
 * Building the bytes of a program's context from simple inputs, by the layout its type fixes (src/loader/contexts.ts):
 * function arguments go to the x86-64 argument registers of a pt_regs or to the u64 argument array, syscall
 * tracepoints get their number and arguments, and packet contexts point data/data_end at the packet. Raw context bytes
 * from the caller are used as they are, with packet pointers filled in.
 */
import { UsageError } from '../errors.js';
import { contextFor, type ContextLayout, type CtxField } from '../loader/contexts.js';
import type { ProgramSpec } from '../loader/spec.js';

/** ContextInput is what a caller may give for one run. */
export interface ContextInput {
  /** Raw context bytes (overrides what the other fields would build). */
  ctx?: Uint8Array;
  /** Packet or input memory: the packet of xdp/socket/tc programs, what LD_ABS reads. */
  data?: Uint8Array;
  /** Arguments of the probed function (pt_regs registers or u64 array) or of the syscall (tracepoints). */
  args?: readonly bigint[];
  /** Return value of the probed function (uretprobe, fexit) or of the syscall (sys_exit tracepoints). */
  ret?: bigint;
  /** Syscall number for syscall tracepoints. */
  syscall?: bigint;
  /** Instruction pointer of the probe (pt_regs ip, bpf_get_func_ip). */
  funcIp?: bigint;
  /** Attach cookie (bpf_get_attach_cookie). */
  cookie?: bigint;
  /**
   * Context fields by name (tracepoint record fields, `struct bpf_sock_ops` fields...): integers, or for arrays and
   * `__data_loc` fields, strings (NUL-terminated) or bytes.
   */
  fields?: Record<string, bigint | string | Uint8Array>;
  /** The pid written to a tracepoint record's common_pid (the current task's). */
  commonPid?: number;
  /** Cookie of the context's socket (bpf_get_socket_cookie); default: one socket per collection, with its own cookie. */
  socketCookie?: bigint;
}

/** BuiltContext is a context ready to place, once the packet's address is known. */
export interface BuiltContext {
  layout: ContextLayout;
  kind: 'pt_regs' | 'args' | 'other';
  argCount: number;
  data: Uint8Array | undefined;
  /** ctx returns the context bytes for a packet placed at `packet` (possibly the caller's own array: read it, do not keep or change it). */
  ctx(packet: number): Uint8Array;
}

function field(layout: ContextLayout, name: string): CtxField {
  const f = layout.fields.find((x) => x.name === name);
  if (!f) throw new UsageError('bad-context', `${layout.name} has no field ${name} (fields: ${layout.fields.map((x) => x.name).join(', ')})`);
  return f;
}

function put(dv: DataView, at: number, size: number, v: bigint): void {
  if (size === 8) dv.setBigUint64(at, BigInt.asUintN(64, v), true);
  else if (size === 4) dv.setUint32(at, Number(BigInt.asUintN(32, v)), true);
  else if (size === 2) dv.setUint16(at, Number(BigInt.asUintN(16, v)), true);
  else dv.setUint8(at, Number(BigInt.asUintN(8, v)));
}

const encoder = new TextEncoder();
const asBytes = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? encoder.encode(v + '\0') : v);

/** dataLocBytes is the variable part of a tracepoint record: the bytes of its `__data_loc` fields given as input. */
function dataLocBytes(layout: ContextLayout, input: ContextInput): number {
  let n = 0;
  for (const f of layout.fields) {
    const v = f.kind === 'data_loc' ? input.fields?.[f.name] : undefined;
    if (v !== undefined && typeof v !== 'bigint') n += asBytes(v).length;
  }
  return n;
}

/** argCountOf is how many function arguments a context holds (BTF-typed layouts know; otherwise those given). */
function argCountOf(layout: ContextLayout, args: readonly bigint[]): number {
  if (layout.kind !== 'args' || layout.size === 0) return args.length;
  return layout.fields.filter((f) => f.name !== 'ret').length;
}

/**
 * setField writes one named field: an integer into a scalar (or an array's first element), bytes or a string into an
 * array (zero-padded, truncated to fit), or bytes after the record for a `__data_loc` field (whose u32 then holds
 * length << 16 | offset). Returns where the next variable data goes.
 */
function setField(layout: ContextLayout, bytes: Uint8Array, name: string, v: bigint | string | Uint8Array, tail: number): number {
  const f = field(layout, name);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (f.kind === 'data_loc' && typeof v !== 'bigint') {
    const data = asBytes(v);
    bytes.set(data, tail);
    put(dv, f.offset, 4, BigInt((data.length << 16) | tail));
    return tail + data.length;
  }
  if (f.kind === 'array' && typeof v !== 'bigint') {
    const n = f.size * (f.length ?? 1);
    const data = asBytes(v).subarray(0, n);
    bytes.fill(0, f.offset, f.offset + n);
    bytes.set(data, f.offset);
    return tail;
  }
  if (typeof v !== 'bigint') throw new UsageError('bad-context', `${layout.name}: field ${name} takes an integer, not a string`);
  put(dv, f.offset, f.size, v);
  return tail;
}

/**
 * zeroWords zeroes `n` u64 words from word `w`, eight stores per loop turn: for a 168-byte pt_regs 10 ns, where a
 * store per turn (DataView or typed array) or `fill` (a builtin call) measured 17-22 ns in V8 11.
 */
function zeroWords(u64: BigUint64Array, w: number, n: number): void {
  const end = w + n;
  for (; w + 8 <= end; w += 8) {
    u64[w] = 0n; u64[w + 1] = 0n; u64[w + 2] = 0n; u64[w + 3] = 0n; u64[w + 4] = 0n; u64[w + 5] = 0n; u64[w + 6] = 0n; u64[w + 7] = 0n;
  }
  for (; w < end; w++) u64[w] = 0n;
}

/**
 * PtRegsWriter writes a pt_regs context's inputs (arguments, return value, ip) with the fields found once, not by name
 * on every run: `Collection.runProgram` writes uprobe contexts straight into guest memory with it.
 */
export class PtRegsWriter {
  private readonly args: readonly CtxField[];
  private readonly ret: CtxField;
  private readonly ip: CtxField;

  /** For each argument, its u64 word in the context when it is an aligned 8-byte field, else -1 (rewrite's fast path). */
  private readonly argWords: Int32Array;

  constructor(readonly layout: ContextLayout) {
    this.args = layout.args!.map((n) => field(layout, n));
    this.argWords = Int32Array.from(this.args, (f) => (f.size === 8 && (f.offset & 7) === 0 ? f.offset >>> 3 : -1));
    this.ret = field(layout, layout.ret!);
    this.ip = field(layout, 'ip');
  }

  /**
   * write puts the inputs into the context at `at` of `to` (its bytes as a DataView and as u64 words), zeroing the
   * rest.
   */
  write(to: { readonly dv: DataView; readonly u64: BigUint64Array }, at: number, input: ContextInput): void {
    const dv = to.dv;
    const size = this.layout.size;
    let k = 0;
    if ((at & 7) === 0) {
      zeroWords(to.u64, at >>> 3, size >>> 3);
      k = size & ~7;
    }
    for (; k + 8 <= size; k += 8) dv.setFloat64(at + k, 0);
    for (; k < size; k++) dv.setUint8(at + k, 0);
    const args = input.args;
    if (args) {
      if (args.length > this.args.length) throw new UsageError('bad-context', `${this.layout.name} passes at most ${this.args.length} arguments`);
      for (let i = 0; i < args.length; i++) this.put(to, at + this.args[i].offset, this.args[i].size, args[i]);
    }
    if (input.ret !== undefined) this.put(to, at + this.ret.offset, this.ret.size, input.ret);
    if (input.funcIp !== undefined) this.put(to, at + this.ip.offset, this.ip.size, input.funcIp);
  }

  /**
   * rewrite is `write` for a context at `at` that still holds what a write from an input shaped as `last` left there
   * (its argument count, whether it had a return value and an ip): the fields the last input set and this one does not
   * are zeroed, then this input's fields are written, which leaves the bytes `write` would (Collection's fixed
   * contexts, fixed-context.ts). A uprobe run then stores its arguments, not all 168 bytes.
   */
  rewrite(to: { readonly dv: DataView; readonly u64: BigUint64Array }, at: number, input: ContextInput, last: { args: number; ret: boolean; ip: boolean }): void {
    const args = input.args;
    const n = args === undefined ? 0 : args.length;
    if (n > this.args.length) throw new UsageError('bad-context', `${this.layout.name} passes at most ${this.args.length} arguments`);
    for (let i = n; i < last.args; i++) this.put(to, at + this.args[i].offset, this.args[i].size, 0n);
    if (last.ret && input.ret === undefined) this.put(to, at + this.ret.offset, this.ret.size, 0n);
    if (last.ip && input.funcIp === undefined) this.put(to, at + this.ip.offset, this.ip.size, 0n);
    const words = this.argWords;
    const u64 = to.u64;
    const base = (at & 7) === 0 ? at >>> 3 : -1;
    for (let i = 0; i < n; i++) {
      const w = words[i];
      if (w >= 0 && base >= 0) u64[base + w] = args![i];
      else this.put(to, at + this.args[i].offset, this.args[i].size, args![i]);
    }
    if (input.ret !== undefined) this.put(to, at + this.ret.offset, this.ret.size, input.ret);
    if (input.funcIp !== undefined) this.put(to, at + this.ip.offset, this.ip.size, input.funcIp);
  }

  /** put stores one field: an aligned u64 as one word (no BigInt.asUintN, no split; 1-2 ns against 12), else `put`. */
  private put(to: { readonly dv: DataView; readonly u64: BigUint64Array }, at: number, size: number, v: bigint): void {
    if (size === 8 && (at & 7) === 0) to.u64[at >>> 3] = v;
    else put(to.dv, at, size, v);
  }
}

/** Bytes of each shared buffer of a CopyPool, and the largest copy it hands out of one (larger ones get their own). */
const POOL_BYTES = 16384;
const POOLED_MAX = 4096;

/**
 * CopyPool hands out copies of guest memory ranges (the context after a run, `RunOutput.ctx`) as views into shared
 * 16 KiB buffers, as Node hands out small Buffers from its pool: V8 gives a typed array of more than 64 bytes its own
 * backing store outside the JavaScript heap, which measured 350-500 ns for a 168-byte pt_regs (`slice`), more than
 * the rest of a run; copying into a pool and making a view measured 50-80 ns (bench/RESULTS.md "Per-call cost"). A
 * copy is still the caller's alone: nothing writes the range of a pool once it is handed out. Its `buffer` is the
 * pool (other copies live there too): read it through `byteOffset`/`byteLength`, or `slice()` it for a buffer of its
 * own. Copies start 8-byte aligned in the pool.
 */
export class CopyPool {
  private pool = new Uint8Array(0);
  private at = 0;
  /** The last source range as a view (making one per copy costs about what the copy does). */
  private src: Uint8Array = new Uint8Array(0);

  /** copy returns a copy of `size` bytes of `from` at `start`. */
  copy(from: Uint8Array, start: number, size: number): Uint8Array {
    if (size > POOLED_MAX) return from.slice(start, start + size);
    const src = this.source(from, start, size);
    if (this.at + size > this.pool.length) {
      this.pool = new Uint8Array(POOL_BYTES);
      this.at = 0;
    }
    const at = this.at;
    this.pool.set(src, at);
    this.at = (at + size + 7) & ~7;
    return this.pool.subarray(at, at + size);
  }

  /** copyInto copies `size` bytes of `from` at `start` to the start of `to` (at most its length) and returns `to`. */
  copyInto(to: Uint8Array, from: Uint8Array, start: number, size: number): Uint8Array {
    to.set(this.source(from, start, Math.min(size, to.length)));
    return to;
  }

  /** source is `from[start, start + size)` as a view, the last one made when it is the same range. */
  private source(from: Uint8Array, start: number, size: number): Uint8Array {
    const src = this.src;
    if (src.buffer === from.buffer && src.byteOffset === from.byteOffset + start && src.length === size) return src;
    return (this.src = from.subarray(start, start + size));
  }
}

const ptRegsWriters = new WeakMap<ContextLayout, PtRegsWriter>();

/** ptRegsWriter returns the (cached) writer of a pt_regs layout. */
export function ptRegsWriter(layout: ContextLayout): PtRegsWriter {
  let w = ptRegsWriters.get(layout);
  if (!w) ptRegsWriters.set(layout, (w = new PtRegsWriter(layout)));
  return w;
}

/** buildContext prepares the context of `spec` for `input`, by `layout` when the runtime resolved one (BTF, tracefs). */
export function buildContext(spec: ProgramSpec, input: ContextInput, resolved?: ContextLayout): BuiltContext {
  const layout = resolved ?? contextFor(spec.type, spec.attach.name);
  const args = input.args ?? [];
  const kind = layout.kind === 'pt_regs' ? 'pt_regs' : layout.kind === 'args' ? 'args' : 'other';
  const argCount = argCountOf(layout, args);
  if (layout.kind === 'args' && layout.size > 0 && args.length > argCount) {
    throw new UsageError('bad-context', `${layout.name} takes ${argCount} arguments, got ${args.length}`);
  }
  const build = (packet: number): Uint8Array => {
    const argBytes = layout.kind === 'args' ? 8 * (argCount + (input.ret !== undefined ? 1 : 0)) : 0;
    const fillsPacket = layout.packet !== undefined && input.data !== undefined;
    const fixed = Math.max(layout.size, argBytes);
    // Caller's bytes are used as they are unless packet pointers must be written into them (a copy then): a copy and
    // a DataView per run were most of a short program's run cost.
    const bytes = input.ctx ? (fillsPacket ? input.ctx.slice() : input.ctx) : new Uint8Array(fixed + dataLocBytes(layout, input));
    if (input.ctx && !fillsPacket) return bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const set = (name: string, v: bigint) => {
      const f = field(layout, name);
      if (f.offset + f.size <= bytes.length) put(dv, f.offset, f.size, v);
    };
    if (input.ctx === undefined) {
      if (layout.kind === 'pt_regs') {
        ptRegsWriter(layout).write({ dv, u64: new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3) }, 0, input);
      } else if (layout.kind === 'args') {
        args.forEach((v, i) => put(dv, 8 * i, 8, v));
        if (input.ret !== undefined) put(dv, 8 * argCount, 8, input.ret);
      } else if (layout.inputs) {
        if (args.length > layout.inputs.length) {
          throw new UsageError('bad-context', `${layout.name} takes at most ${layout.inputs.length} arguments (${layout.inputs.join(', ')}), got ${args.length}`);
        }
        args.forEach((v, i) => setField(layout, bytes, layout.inputs![i], v, fixed));
      } else if (layout.fields.some((f) => f.name === 'id')) {
        // The records of syscall tracepoints: the number, then the arguments or the return value.
        set('id', input.syscall ?? 0n);
        args.forEach((v, i) => set(`args[${i}]`, v));
        if (input.ret !== undefined) set('ret', input.ret);
      } else if (args.length && layout.kind !== 'packet') {
        throw new UsageError('bad-context', `programs of type ${spec.type} take no arguments; give the context bytes instead`);
      }
      if (input.commonPid !== undefined && layout.fields.some((f) => f.name === 'common_pid')) set('common_pid', BigInt(input.commonPid));
      let tail = fixed;
      for (const [name, v] of Object.entries(input.fields ?? {})) tail = setField(layout, bytes, name, v, tail);
    }
    if (layout.packet && input.data) {
      const { data, dataEnd, width } = layout.packet;
      put(dv, data, width, BigInt(packet));
      put(dv, dataEnd, width, BigInt(packet + input.data.length));
      if (layout.fields.some((f) => f.name === 'len')) set('len', BigInt(input.data.length));
    }
    return bytes;
  };
  return { layout, kind, argCount, data: input.data, ctx: build };
}

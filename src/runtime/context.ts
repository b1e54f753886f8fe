/**
 * Building the bytes of a program's context from simple inputs, by the layout its type fixes (src/loader/contexts.ts):
 * function arguments go to the x86-64 argument registers of a pt_regs or to the u64 argument array, syscall
 * tracepoints get their number and arguments, and packet contexts point data/data_end at the packet. Raw context bytes
 * from the caller are used as they are, with packet pointers filled in.
 */
import { UsageError } from '../errors.js';
import { contextFor, type ContextLayout } from '../loader/contexts.js';
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

function field(layout: ContextLayout, name: string): { offset: number; size: number } {
  const f = layout.fields.find((x) => x.name === name);
  if (!f) throw new UsageError('bad-context', `${layout.name} has no field ${name}`);
  return f;
}

function put(dv: DataView, at: number, size: number, v: bigint): void {
  if (size === 8) dv.setBigUint64(at, BigInt.asUintN(64, v), true);
  else if (size === 4) dv.setUint32(at, Number(BigInt.asUintN(32, v)), true);
  else if (size === 2) dv.setUint16(at, Number(BigInt.asUintN(16, v)), true);
  else dv.setUint8(at, Number(BigInt.asUintN(8, v)));
}

/** buildContext prepares the context of `spec` for `input`. */
export function buildContext(spec: ProgramSpec, input: ContextInput): BuiltContext {
  const layout = contextFor(spec.type, spec.attach.name);
  const args = input.args ?? [];
  const kind = layout.kind === 'pt_regs' ? 'pt_regs' : layout.kind === 'args' ? 'args' : 'other';
  const build = (packet: number): Uint8Array => {
    const argBytes = layout.kind === 'args' ? 8 * (args.length + (input.ret !== undefined ? 1 : 0)) : 0;
    const fillsPacket = layout.packet !== undefined && input.data !== undefined;
    // Caller's bytes are used as they are unless packet pointers must be written into them (a copy then): a copy and
    // a DataView per run were most of a short program's run cost.
    const bytes = input.ctx ? (fillsPacket ? input.ctx.slice() : input.ctx) : new Uint8Array(Math.max(layout.size, argBytes));
    if (input.ctx && !fillsPacket) return bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const set = (name: string, v: bigint) => {
      const f = field(layout, name);
      if (f.offset + f.size <= bytes.length) put(dv, f.offset, f.size, v);
    };
    if (input.ctx === undefined) {
      if (layout.kind === 'pt_regs') {
        if (args.length > layout.args!.length) throw new UsageError('bad-context', `${layout.name} passes at most ${layout.args!.length} arguments`);
        args.forEach((v, i) => set(layout.args![i], v));
        if (input.ret !== undefined) set(layout.ret!, input.ret);
        if (input.funcIp !== undefined) set('ip', input.funcIp);
      } else if (layout.kind === 'args') {
        args.forEach((v, i) => put(dv, 8 * i, 8, v));
        if (input.ret !== undefined) put(dv, 8 * args.length, 8, input.ret);
      } else if (layout.fields.some((f) => f.name === 'id')) {
        set('id', input.syscall ?? 0n);
        args.forEach((v, i) => set(`args[${i}]`, v));
        if (input.ret !== undefined) set('ret', input.ret);
      } else if (args.length && layout.kind !== 'packet') {
        throw new UsageError('bad-context', `programs of type ${spec.type} take no arguments; give the context bytes instead`);
      }
    }
    if (layout.packet && input.data) {
      const { data, dataEnd, width } = layout.packet;
      put(dv, data, width, BigInt(packet));
      put(dv, dataEnd, width, BigInt(packet + input.data.length));
      if (layout.fields.some((f) => f.name === 'len')) set('len', BigInt(input.data.length));
    }
    return bytes;
  };
  return { layout, kind, argCount: args.length, data: input.data, ctx: build };
}

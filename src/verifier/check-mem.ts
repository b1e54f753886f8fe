/**
 * Memory access rules: which pointer kinds may be dereferenced, for which bytes, reading or writing. Stack accesses
 * are aligned, inside the frame and read initialised bytes only; context accesses follow the program type's layout;
 * map values, ring buffer records and packets stay inside their proved size or range; pointers are not stored where
 * they could leak unless the mode is privileged.
 */
import { known, type Scalar } from './scalar.js';
import { cur, isPointer, ptrReg, scalarReg, type Frame, type Reg, type VState } from './state.js';
import { packetField, socketField } from './program-types.js';
import { reject } from './reject.js';
import { fill, firstUninit, loadedRange, spill, spillNarrow, spilledPointerAt, writeBytes } from './stack.js';
import { MISC } from './state.js';
import { fmtReg } from './format.js';
import { freshId, type Env, type RegionKind } from './env.js';
import { btfAccess, btfCtxAccess } from './btf-ptr.js';

/** MAX_PACKET_OFF bounds variable packet offsets (the kernel's MAX_PACKET_OFF, 0xffff). */
export const MAX_PACKET_OFF = 0xffff;
/**
 * MAX_INPUT is the largest input memory of a raw program the verifier assumes (r2 <= MAX_INPUT, 256 MiB), so offsets
 * into it stay below the pointer offset limit; the runtime refuses larger inputs for verified programs.
 */
export const MAX_INPUT = 1n << 28n;

/** AccessKind is what an instruction does to memory. */
export type AccessKind = 'read' | 'write' | 'atomic';

/** Access describes one memory operand. */
export interface Access {
  pc: number;
  regno: number;
  off: number;
  size: number;
  kind: AccessKind;
  /** For a load: sign-extend (ldxs). */
  signed?: boolean;
  /** For a store: the stored value (register or immediate). */
  value?: Reg;
  /** Register number of the stored value (for messages), -1 for an immediate. */
  valueReg?: number;
}

const verb = (a: Access): string => (a.kind === 'write' ? 'write' : a.kind === 'atomic' ? 'atomic access' : 'read');

function record(env: Env, pc: number, region: RegionKind): void {
  let s = env.facts.access.get(pc);
  if (!s) env.facts.access.set(pc, (s = new Set()));
  s.add(region);
}

/** varRange returns the [min, max] of a pointer's variable offset, rejecting a negative or unbounded one. */
function varRange(a: Access, r: Reg, what: string, limit: bigint): [number, number] {
  const v = r.v;
  if (v.smin < 0n) reject('bounds', `r${a.regno} has a variable offset that may be negative (${what}): bound it with an unsigned check first`, [a.regno]);
  if (v.umax > limit) reject('bounds', `r${a.regno} has an unbounded variable offset (${what}): bound it with 'if (x < N)' or 'x &= N' first`, [a.regno]);
  return [Number(v.umin), Number(v.umax)];
}

function checkRange(a: Access, r: Reg, what: string, size: number, limit = BigInt(size)): [number, number] {
  const [vmin, vmax] = varRange(a, r, what, limit);
  const lo = r.off + a.off + vmin;
  const hi = r.off + a.off + vmax + a.size;
  if (lo < 0 || hi > size) {
    const span = vmin === vmax ? `offset ${lo}` : `offsets ${lo}..${r.off + a.off + vmax}`;
    reject('bounds', `${verb(a)} of ${a.size} bytes at ${span} is outside the ${what} (${size} bytes)`, [a.regno]);
  }
  return [lo, hi];
}

/**
 * atomicAligned rejects an atomic access whose address is not proved aligned to its size (the kernel's verifier checks
 * atomics with strict alignment on every architecture). An accepted atomic is thus aligned as well as in bounds, and
 * the JIT drops its misalignment trap with its bounds check (facts.ts); the regions start 8-byte aligned.
 */
function atomicAligned(a: Access, r: Reg, what: string): void {
  if (a.kind !== 'atomic') return;
  const m = BigInt(a.size - 1);
  const t = r.v.t;
  if ((t.mask & m) === 0n && ((t.value + BigInt(r.off + a.off)) & m) === 0n) return;
  const at = t.mask === 0n ? `offset ${BigInt.asIntN(64, t.value) + BigInt(r.off + a.off)}` : `a variable offset (${fmtReg(r)}) + ${r.off + a.off}`;
  reject('alignment', `misaligned atomic access: ${a.size} bytes at ${at} of the ${what} (atomics must be aligned to their size)`, [a.regno]);
}

function noLeak(env: Env, a: Access, where: string): void {
  if (a.value && isPointer(a.value) && !env.privileged) {
    reject('pointer-leak', `r${a.valueReg} is a pointer (${a.value.kind}): storing it into ${where} would leak an address`, [a.valueReg!]);
  }
}

function stackAccess(env: Env, st: VState, a: Access, r: Reg): Reg | undefined {
  const f: Frame = st.frames[r.frame];
  const fixed = r.v.t.mask === 0n;
  const base = r.off + a.off + (fixed ? Number(BigInt.asIntN(64, r.v.t.value)) : 0);
  const vmin = fixed ? 0 : Number(r.v.smin < -512n ? -513n : r.v.smin);
  const vmax = fixed ? 0 : Number(r.v.smax > 512n ? 513n : r.v.smax);
  const lo = base + vmin;
  const hi = base + vmax + a.size;
  if (lo < -512 || hi > 0) reject('bounds', `${verb(a)} of ${a.size} bytes at stack offset ${lo} is outside the 512-byte frame`, [a.regno]);
  if (fixed && base % a.size !== 0) reject('alignment', `misaligned stack access: ${a.size} bytes at offset ${base}`, [a.regno]);
  if (!fixed) atomicAligned(a, r, 'stack frame');
  if (!fixed && env.spectre) reject('bounds', `variable-offset stack access through r${a.regno} is allowed in privileged mode (and for tracing programs) only`, [a.regno]);
  if (a.kind !== 'read' && env.spectre && fixed && spilledPointerAt(f, lo, hi - lo) && !(a.size === 8 && base % 8 === 0)) {
    reject('pointer-leak', `a ${a.size}-byte store at stack offset ${base} would corrupt a spilled pointer`, [a.regno]);
  }
  const sub = env.cfg.subprogOf[f.entry];
  env.stackUse[sub] = Math.max(env.stackUse[sub], -lo);
  if (a.kind !== 'write') {
    const bad = firstUninit(f, lo, hi - lo);
    if (bad !== undefined) reject('uninit-stack', `${verb(a)} of uninitialised stack byte at offset ${bad} (only bytes written earlier may be read)`, [a.regno]);
  }
  if (a.kind === 'atomic') {
    if (spilledPointerAt(f, lo, hi - lo)) reject('pointer-arith', `atomic operation on a spilled pointer at stack offset ${lo}`, [a.regno]);
    writeBytes(f, lo, hi - lo, MISC);
    return undefined;
  }
  if (a.kind === 'write') {
    if (!fixed) {
      noLeak(env, a, 'the stack at a variable offset');
      writeBytes(f, lo, hi - lo, MISC);
    } else if (a.size === 8) spill(f, base, a.value!);
    else {
      if (a.value && isPointer(a.value) && !env.privileged) {
        reject('pointer-leak', `partial store of a pointer (r${a.valueReg}) to the stack would leak an address`, [a.valueReg!]);
      }
      spillNarrow(f, base, a.size, a.value!);
    }
    return undefined;
  }
  if (!fixed) {
    return scalarReg(loadedRange(a.size, a.signed === true));
  }
  const res = fill(f, base, a.size, a.signed === true);
  if ('uninit' in res) reject('uninit-stack', `read of uninitialised stack byte at offset ${res.uninit}`, [a.regno]);
  const ptr = spilledPointerAt(f, base, a.size);
  if (ptr && (a.size !== 8 || res.reg !== ptr)) reject('bad-fill', `a ${a.size}-byte read at stack offset ${base} of a spilled pointer: pointers are filled back whole (8 bytes)`, [a.regno]);
  return res.reg;
}

function ctxAccess(env: Env, a: Access, r: Reg): Reg | undefined {
  const p = env.prog;
  if (r.off !== 0 || r.v.t.mask !== 0n || r.v.t.value !== 0n) reject('ctx-access', `r${a.regno} is a modified context pointer: context fields are read through the context pointer itself`, [a.regno]);
  if (env.btfArgs) {
    record(env, a.pc, 'ctx');
    return btfCtxAccess(env.btfArgs, a, p.name);
  }
  const off = a.off;
  const what = `${p.ctx.name} of ${p.name} programs`;
  if (a.kind === 'atomic') reject('ctx-access', `atomic operations on the context are not allowed`, [a.regno]);
  if (off < p.ctxMin || off + a.size > p.ctxSize || (p.ctxSize === 0 && !p.raw)) {
    reject('ctx-access', `${verb(a)} of ${a.size} bytes at offset ${off} is outside the context (${what}: bytes ${p.ctxMin}..${p.ctxSize})`, [a.regno]);
  }
  if (off % a.size !== 0) reject('ctx-access', `misaligned context access: ${a.size} bytes at offset ${off}`, [a.regno]);
  const field = p.ctx.fields.find((f) => off >= f.offset && off + a.size <= f.offset + f.size);
  if (p.fieldsOnly && !field) reject('ctx-access', `invalid context access: no field of ${p.ctx.name} at offset ${off} with size ${a.size}`, [a.regno]);
  if (field && p.unreadable.has(field.name)) reject('ctx-access', `${p.name} programs may not access ${p.ctx.name} field ${field.name}`, [a.regno]);
  const pkt = packetField(p, off);
  const isPktField = field && ['data', 'data_end', 'data_meta'].includes(field.name);
  if (isPktField && !pkt) reject('ctx-access', `${p.name} programs may not read ${p.ctx.name} field ${field!.name} (no direct packet access)`, [a.regno]);
  if (a.kind === 'write') {
    if (!p.writable.has('*') && (!field || !p.writable.has(field.name))) reject('ctx-access', `write to the context is not allowed here (${what}${field ? `, field ${field.name}` : ''} is read-only)`, [a.regno]);
    noLeak(env, a, 'the context');
    record(env, a.pc, 'ctx');
    return undefined;
  }
  record(env, a.pc, 'ctx');
  if (pkt) {
    if (a.size !== field!.size) reject('ctx-access', `${field!.name} must be read with a ${field!.size}-byte load`, [a.regno]);
    return ptrReg(pkt);
  }
  const sock = field && socketField(p, field.name);
  if (sock) {
    if (a.size !== 8) reject('ctx-access', `${p.ctx.name} field ${field!.name} is a socket pointer: read it with an 8-byte load`, [a.regno]);
    return ptrReg(sock.kind, sock.nullable ? { nullable: true, id: freshId(env) } : {});
  }
  return scalarReg(loadedRange(a.size, a.signed === true));
}

/** rodataValue reads a known constant from frozen read-only data, as the kernel does for `.rodata`. */
function rodataValue(env: Env, r: Reg, a: Access): Scalar | undefined {
  const m = env.maps[r.map];
  if (!m?.readOnly || r.v.t.mask !== 0n || a.kind !== 'read' || a.signed) return undefined;
  const value = m.contents?.[0]?.value;
  if (!(value instanceof Uint8Array)) return undefined;
  const at = r.off + a.off + Number(r.v.t.value);
  if (at + a.size > value.length) return undefined;
  let v = 0n;
  for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[at + i]);
  return known(v);
}

function regionAccess(env: Env, a: Access, r: Reg, region: RegionKind, what: string, size: number, writable: boolean): Reg | undefined {
  atomicAligned(a, r, what); // before the range, as the kernel checks alignment first
  checkRange(a, r, what, size, BigInt(Math.max(size, 0)));
  if (a.kind !== 'read' && !writable) reject('readonly', `${verb(a)} into read-only memory (${what})`, [a.regno]);
  record(env, a.pc, region);
  if (a.kind === 'write') {
    noLeak(env, a, what);
    return undefined;
  }
  if (a.kind === 'atomic') return undefined;
  if (region === 'map_value') {
    const v = rodataValue(env, r, a);
    if (v) return scalarReg(v);
  }
  return scalarReg(loadedRange(a.size, a.signed === true));
}

function packetAccess(env: Env, a: Access, r: Reg): Reg | undefined {
  const p = env.prog;
  if (a.kind !== 'read' && p.packet !== 'write' && !p.raw) reject('readonly', `${p.name} programs may not write into the packet`, [a.regno]);
  if (a.kind === 'atomic') reject('packet-access', 'atomic operations on packet data are not allowed', [a.regno]);
  const limit = p.raw ? MAX_INPUT : BigInt(MAX_PACKET_OFF);
  const [vmin] = varRange(a, r, 'packet', limit);
  const lo = r.off + a.off;
  const hi = lo + a.size;
  // The range counts from the variable part (shared by the pointers of one id), so a negative fixed offset reads
  // before a proved byte: in bounds when the variable part is at least as large (`y - 131073` after `y < end`).
  if (lo + vmin < 0 || hi > r.range) {
    const known = r.range > 0 ? `only ${r.range} bytes from this pointer are proved in bounds` : 'no comparison with the packet end proved any byte in bounds';
    reject('packet-bounds', `${verb(a)} of ${a.size} bytes at packet offset ${lo} may be beyond the packet end: ${known}`, [a.regno]);
  }
  record(env, a.pc, 'packet');
  if (a.kind === 'write') {
    noLeak(env, a, 'the packet');
    return undefined;
  }
  return scalarReg(loadedRange(a.size, a.signed === true));
}

/** SOCK_SIZE is sizeof(struct bpf_sock). */
const SOCK_SIZE = 80;
/** Fields of struct bpf_sock that may be read 1, 2 or 4 bytes at a time (addresses); dst_port takes 2 or 4. */
const SOCK_NARROW: readonly [number, number][] = [[24, 4], [28, 16], [52, 4], [56, 16]];
const SOCK_DST_PORT = 48;
/** type, protocol, mark and priority: what a full socket has and a request or time-wait socket has not. */
const SOCK_FULL_ONLY: [number, number] = [8, 24];

/** sockAccess reads a field of a socket a lookup returned (bpf_sock_is_valid_access, bpf_sock_common_is_valid_access). */
function sockAccess(a: Access, r: Reg): Reg {
  const what = r.kind === 'sock' ? 'struct bpf_sock' : 'struct bpf_sock_common';
  if (a.kind !== 'read') reject('readonly', `r${a.regno} points to a socket (${what}), which programs may only read`, [a.regno]);
  if (r.off !== 0 || r.v.t.mask !== 0n || r.v.t.value !== 0n) reject('bad-access', `r${a.regno} is a socket pointer with an offset: read its fields through the pointer itself`, [a.regno]);
  const off = a.off;
  if (off < 0 || off + a.size > SOCK_SIZE) reject('bounds', `read of ${a.size} bytes at offset ${off} is outside ${what} (${SOCK_SIZE} bytes)`, [a.regno]);
  if (off % a.size !== 0) reject('alignment', `misaligned socket access: ${a.size} bytes at offset ${off}`, [a.regno]);
  if (r.kind === 'sock_common' && off < SOCK_FULL_ONLY[1] && off + a.size > SOCK_FULL_ONLY[0]) {
    reject('bad-access', `offset ${off} of ${what} (type, protocol, mark, priority) exists in full sockets only: bpf_skc_lookup_tcp may return a request or time-wait socket`, [a.regno]);
  }
  const narrow = SOCK_NARROW.some(([lo, len]) => off >= lo && off + a.size <= lo + len && a.size <= 4);
  const port = off >= SOCK_DST_PORT && off + a.size <= SOCK_DST_PORT + (a.size === 4 ? 4 : 2);
  if (!narrow && !port && a.size !== 4) reject('bad-access', `invalid ${what} access: ${a.size} bytes at offset ${off} (fields are read as 4-byte words)`, [a.regno]);
  return scalarReg(loadedRange(a.size, a.signed === true));
}

/** checkAccess checks one memory access of a path and returns the loaded value for a read. */
export function checkAccess(env: Env, st: VState, r: Reg, a: Access): Reg | undefined {
  if (r.kind === 'not_init') reject('uninit-reg', `r${a.regno} is used before it is initialised`, [a.regno]);
  if (r.kind === 'scalar') reject('not-a-pointer', `r${a.regno} is a scalar (${fmtReg(r)}), not a pointer: memory access through it is not allowed`, [a.regno]);
  if (r.nullable) reject('null-deref', `r${a.regno} may be NULL (${fmtReg(r)}): compare it with 0 before the access`, [a.regno]);
  if (a.value && a.value.kind === 'not_init') reject('uninit-reg', `r${a.valueReg} is stored before it is initialised`, [a.valueReg!]);
  switch (r.kind) {
    case 'stack': {
      const out = stackAccess(env, st, a, r);
      record(env, a.pc, 'stack');
      return out;
    }
    case 'ctx':
      return ctxAccess(env, a, r);
    case 'map_value': {
      const m = env.maps[r.map];
      const lock = m.spinLockOffset ?? 0;
      if (m.spinLock && r.off + a.off + Number(r.v.smin < 0n ? 0n : r.v.smin) < lock + 4 && r.off + a.off + a.size + Number(r.v.umax > 1n << 20n ? 1n << 20n : r.v.umax) > lock) {
        reject('lock', `the bpf_spin_lock at offset ${lock} of the value of map "${m.name}" may only be used through bpf_spin_lock/unlock, not read or written directly`, [a.regno]);
      }
      return regionAccess(env, a, r, 'map_value', `value of map "${m.name}"`, m.valueSize, !m.readOnly && !r.rdonly);
    }
    case 'map_key':
      return regionAccess(env, a, r, 'map_key', `key of map "${env.maps[r.map].name}"`, r.size, false);
    case 'mem':
      return regionAccess(env, a, r, 'mem', `memory of ${r.size} bytes`, r.size, !r.rdonly);
    case 'packet':
      return packetAccess(env, a, r);
    case 'packet_meta':
      if (r.range <= 0) reject('packet-bounds', `access through the packet metadata pointer r${a.regno} before a comparison with the packet start`, [a.regno]);
      return packetAccess(env, a, r);
    case 'btf_ptr':
      // Recorded as a region the facts never vouch for: these loads are PROBE_MEM loads in the runtime (btf-ptr.ts),
      // and the same instruction may reach a map value on another path.
      record(env, a.pc, 'btf');
      return btfAccess(env.btf!, a, r);
    case 'sock':
    case 'sock_common':
      // Recorded as a region the facts never vouch for: the runtime lays the sockets out in a region of its own, whose checks stay.
      record(env, a.pc, 'sock');
      return sockAccess(a, r);
    default:
      return reject('bad-access', `r${a.regno} is a ${r.kind} pointer, which cannot be dereferenced`, [a.regno]);
  }
}

/**
 * doAtomic checks an atomic read-modify-write: the source initialised and not a pointer (unless privileged), r0 for
 * cmpxchg, the access itself; the fetched value (r0 for cmpxchg, else the source register) becomes unknown.
 */
export function doAtomic(env: Env, st: VState, f: { size: 4 | 8; op: string; fetch: boolean }, pc: number): void {
  const ins = env.cfg.insns[pc];
  const regs = cur(st).regs;
  const src = regs[ins.src];
  if (src.kind === 'not_init') reject('uninit-reg', `r${ins.src} is used before it is initialised`, [ins.src]);
  if (isPointer(src) && !env.privileged) reject('pointer-leak', `r${ins.src} is a pointer (${fmtReg(src)}): an atomic operation would store it to memory`, [ins.src]);
  if (f.op === 'cmpxchg' && regs[0].kind === 'not_init') reject('uninit-reg', 'r0 (the value cmpxchg compares with) is not initialised', [0]);
  checkAccess(env, st, regs[ins.dst], { pc, regno: ins.dst, off: ins.off, size: f.size, kind: 'atomic', value: src, valueReg: ins.src });
  const loaded = scalarReg(loadedRange(f.size, false));
  if (f.op === 'cmpxchg') regs[0] = loaded;
  else if (f.fetch) regs[ins.src] = loaded;
}

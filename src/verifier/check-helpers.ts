/**
 * Helper calls against their prototypes in the helper table (src/helpers/registry.ts): each argument must have the
 * kind the prototype names (a map pointer from a lddw, memory of the map's key or value size, memory plus a bounded
 * size, the context, a constant string in read-only data, a callback), map types must suit the helper, references
 * are acquired and released, and r0 gets the kind the prototype returns. r1-r5 are clobbered.
 */
import type { ArgKind, HelperDef } from '../helpers/registry.js';
import { MapType } from '../loader/spec.js';
import { unknown, urange } from './scalar.js';
import { NOT_INIT, cur, isPointer, ownStack, ptrReg, regWith, scalarReg, type Reg, type VState } from './state.js';
import { reject } from './reject.js';
import { fill, firstUninit, spilledPointerAt, writeBytes } from './stack.js';
import { MISC } from './state.js';
import { fmtReg } from './format.js';
import { forEachReg } from './branch.js';
import { freshId, type Env } from './env.js';
import { helperAllowed } from './helper-types.js';
import { btfReg } from './btf-ptr.js';

/** Callback is a function a helper will call: its entry and the registers it receives. */
export interface Callback {
  entry: number;
  args: Reg[];
}

/** Map helpers each map type answers; a type absent here answers the generic lookup/update/delete. */
const MAP_ONLY: Record<number, readonly string[]> = {
  [MapType.prog_array]: ['tail_call'],
  [MapType.perf_event_array]: ['perf_event_output', 'perf_event_read', 'perf_event_read_value', 'skb_output'],
  [MapType.ringbuf]: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query'],
  [MapType.stack_trace]: ['get_stackid'],
  [MapType.queue]: ['map_push_elem', 'map_pop_elem', 'map_peek_elem'],
  [MapType.stack]: ['map_push_elem', 'map_pop_elem', 'map_peek_elem'],
  [MapType.bloom_filter]: ['map_push_elem', 'map_peek_elem'],
};

/** Helpers that need one map type. */
const NEEDS_MAP: Record<string, readonly number[]> = {
  tail_call: [MapType.prog_array],
  perf_event_output: [MapType.perf_event_array],
  ringbuf_output: [MapType.ringbuf],
  ringbuf_reserve: [MapType.ringbuf],
  ringbuf_query: [MapType.ringbuf],
  get_stackid: [MapType.stack_trace],
  map_push_elem: [MapType.queue, MapType.stack, MapType.bloom_filter],
  map_pop_elem: [MapType.queue, MapType.stack],
  map_peek_elem: [MapType.queue, MapType.stack, MapType.bloom_filter],
  map_lookup_percpu_elem: [MapType.percpu_array, MapType.percpu_hash, MapType.lru_percpu_hash],
  for_each_map_elem: [MapType.hash, MapType.array, MapType.percpu_array, MapType.percpu_hash, MapType.lru_hash, MapType.lru_percpu_hash],
};

const MAP_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MapType).map(([k, v]) => [v, k]));

/** Helpers the kernel marks gpl_only: a program whose license is not GPL-compatible may not call them. */
const GPL_ONLY = new Set(['probe_read', 'probe_read_str', 'probe_read_user', 'probe_read_kernel', 'probe_read_user_str', 'probe_read_kernel_str',
  'trace_printk', 'trace_vprintk', 'snprintf', 'get_current_task', 'get_current_task_btf', 'perf_event_output', 'get_stackid', 'get_stack',
  'probe_write_user', 'override_return', 'get_task_stack']);

/** Helpers whose memory arguments end up in maps or output: a pointer in that memory would leak. */
const LEAKY = new Set(['map_update_elem', 'map_push_elem', 'ringbuf_output', 'perf_event_output']);

/**
 * Helpers that may move or resize the packet (the kernel's bpf_helper_changes_pkt_data): every packet pointer the
 * program holds is stale after the call and must be loaded again from the context. A tail call counts too: made from a
 * subprogram, the program it reaches returns to the subprogram's caller, having possibly changed the packet.
 */
const CHANGES_PKT_DATA = new Set(['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action',
  'lwt_seg6_adjust_srh', 'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
  'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push', 'store_hdr_opt',
  'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail', 'tail_call']);

const isPacketPtr = (r: Reg): boolean => r.kind === 'packet' || r.kind === 'packet_end' || r.kind === 'packet_meta';

/** invalidatePackets forgets every packet pointer of the state (registers and spills), as clear_all_pkt_pointers does. */
function invalidatePackets(env: Env, st: VState): void {
  for (const f of st.frames) {
    for (let i = 0; i < 11; i++) if (isPacketPtr(f.regs[i])) f.regs[i] = env.privileged ? scalarReg(unknown()) : NOT_INIT;
    f.stack.forEach((slot, i) => {
      if (slot?.spill && isPacketPtr(slot.spill)) ownStack(f)[i] = { bytes: slot.bytes.map(() => MISC), spill: undefined };
    });
  }
}

/** HelperCtx is what one call's checks share. */
interface CallCtx {
  env: Env;
  st: VState;
  def: HelperDef;
  map: number;
  allocSize: number;
  fn: number;
  release: number;
}

/** checkHelperMem checks that `size` bytes (at most; at least `minSize`) through pointer r are readable or writable. */
export function checkHelperMem(env: Env, st: VState, n: number, r: Reg, size: number, write: boolean, what: string): void {
  if (r.nullable) reject('null-deref', `r${n} may be NULL (${fmtReg(r)}) but ${what} needs memory: compare it with 0 first`, [n]);
  const lo = r.off + Number(r.v.smin < -(1n << 40n) ? -(1n << 40n) : r.v.smin);
  const hi = r.off + Number(r.v.umax > 1n << 40n ? 1n << 40n : r.v.umax) + size;
  const out = (limit: number, region: string) => {
    if (r.v.smin < 0n && r.kind !== 'stack') reject('bounds', `r${n} may point before the ${region} (${what})`, [n]);
    if (lo < 0 || hi > limit) reject('bounds', `${what}: ${size} bytes through r${n} at offset ${lo} may be outside the ${region} (${limit} bytes)`, [n]);
  };
  switch (r.kind) {
    case 'stack': {
      const f = st.frames[r.frame];
      if (lo < -512 || hi > 0) reject('bounds', `${what}: ${size} bytes at stack offset ${lo} are outside the 512-byte frame`, [n]);
      const sub = env.cfg.subprogOf[f.entry];
      env.stackUse[sub] = Math.max(env.stackUse[sub], -lo);
      if (write) {
        writeBytes(f, lo, hi - lo, MISC);
        return;
      }
      const bad = firstUninit(f, lo, hi - lo);
      if (bad !== undefined) reject('uninit-stack', `${what} reads stack byte at offset ${bad}, which is not initialised`, [n]);
      if (!env.privileged && LEAKY.has(what.split(' ')[0]) && spilledPointerAt(f, lo, hi - lo)) reject('pointer-leak', `${what} would copy a spilled pointer out and leak an address`, [n]);
      return;
    }
    case 'map_value': {
      const m = env.maps[r.map];
      if (write && (m.readOnly || r.rdonly)) reject('readonly', `${what} would write into read-only map "${m.name}"`, [n]);
      return out(m.valueSize, `value of map "${m.name}"`);
    }
    case 'map_key':
      if (write) reject('readonly', `${what} would write into a map key`, [n]);
      return out(r.size, 'map key');
    case 'mem':
      if (write && r.rdonly) reject('readonly', `${what} would write into read-only memory`, [n]);
      return out(r.size, `memory of ${r.size} bytes`);
    case 'packet':
      if (write && env.prog.packet !== 'write' && !env.prog.raw) reject('readonly', `${what} would write into the packet`, [n]);
      if (r.v.smin < 0n) reject('bounds', `r${n} may point before the packet`, [n]);
      if (r.off < 0 || r.off + size > r.range) reject('packet-bounds', `${what}: ${size} bytes through r${n} may be beyond the packet end (${r.range} bytes proved)`, [n]);
      return;
    default:
      return reject('helper-arg', `r${n} (${fmtReg(r)}) is not memory ${what} can use: expected a pointer to the stack, a map value, a packet or helper memory`, [n]);
  }
}

function sizeOf(c: CallCtx, n: number, r: Reg, zeroOk: boolean): number {
  const name = c.def.name;
  if (r.kind !== 'scalar') reject('helper-arg', `r${n} must be a size (a scalar) for ${name}, got ${fmtReg(r)}`, [n]);
  if (r.v.smin < 0n) reject('helper-arg', `r${n} may be negative (${fmtReg(r)}): ${name} needs a size; bound it with an unsigned check`, [n]);
  if (r.v.umin === 0n && !zeroOk) reject('helper-arg', `r${n} may be 0 (${fmtReg(r)}) but ${name} needs a size of at least 1`, [n]);
  if (r.v.umax >= 1n << 29n) reject('helper-arg', `r${n} is an unbounded size (${fmtReg(r)}) for ${name}: bound it with 'if (n < N)' or 'n &= N'`, [n]);
  return Number(r.v.umax);
}

function constString(c: CallCtx, n: number, r: Reg): void {
  const { env } = c;
  if (env.prog.raw && (r.kind === 'stack' || r.kind === 'packet' || r.kind === 'map_value')) return checkHelperMem(env, c.st, n, r, 1, false, c.def.name);
  if (r.kind !== 'map_value' || !env.maps[r.map]?.readOnly) reject('helper-arg', `r${n} must point to a constant string in read-only data (.rodata) for ${c.def.name}, got ${fmtReg(r)}`, [n]);
  if (r.v.t.mask !== 0n) reject('helper-arg', `r${n} must point to a constant string at a fixed offset for ${c.def.name}`, [n]);
  const m = env.maps[r.map];
  const at = r.off + Number(r.v.t.value);
  const bytes = m.contents?.[0]?.value;
  if (!(bytes instanceof Uint8Array) || at < 0 || at >= m.valueSize) reject('helper-arg', `r${n} points outside map "${m.name}" (${m.valueSize} bytes)`, [n]);
  if (bytes.indexOf(0, at) < 0) reject('helper-arg', `the string r${n} points to in "${m.name}" is not NUL-terminated`, [n]);
}

function checkArg(c: CallCtx, i: number, kind: ArgKind, regs: Reg[]): void {
  const n = i + 1;
  const r = regs[n];
  const { env, st, def } = c;
  const name = def.name;
  if (r.kind === 'not_init') reject('uninit-reg', `r${n} (argument ${n} of ${name}) is not initialised`, [n]);
  const next = def.proto.args[i + 1];
  switch (kind) {
    case 'anything':
      return; // an address to read from (probe_read), a value to print: any initialised value
    case 'scalar':
      if (isPointer(r) && !env.privileged) reject('pointer-leak', `r${n} is a pointer (${fmtReg(r)}): passing it to ${name} as a number would leak an address`, [n]);
      return;
    case 'const_map_ptr':
      if (r.kind !== 'map_ptr' || r.nullable) reject('helper-arg', `r${n} must be a map (a lddw of a map) for ${name}, got ${fmtReg(r)}`, [n]);
      c.map = r.map;
      return;
    case 'ptr_to_map_key':
    case 'ptr_to_map_value': {
      if (c.map < 0) reject('helper-arg', `${name}: argument ${n} needs a map argument before it`, [n]);
      const m = env.maps[c.map];
      const size = kind === 'ptr_to_map_key' ? m.keySize : m.valueSize;
      return checkHelperMem(env, st, n, r, size, false, `${name} (map "${m.name}" ${kind === 'ptr_to_map_key' ? 'key' : 'value'} of ${size} bytes)`);
    }
    case 'ptr_to_mem':
    case 'ptr_to_mem_or_null':
    case 'ptr_to_uninit_mem': {
      // Memory or NULL: a pointer that may be NULL is checked as the memory it is when it is not.
      const mem = kind === 'ptr_to_mem_or_null' && r.nullable ? regWith(r, { nullable: false }) : r;
      if (next !== 'const_size' && next !== 'const_size_or_zero') {
        // Fixed-size memory: a map value for the queue helpers, a u64 otherwise (the kernel's ARG_PTR_TO_LONG).
        const size = c.map >= 0 ? env.maps[c.map].valueSize : 8;
        return checkHelperMem(env, st, n, mem, size, kind === 'ptr_to_uninit_mem', name);
      }
      const sizeReg = regs[n + 1];
      const zeroOk = next === 'const_size_or_zero';
      const size = sizeOf(c, n + 1, sizeReg, zeroOk);
      // NULL passes with a size of 0 only (the kernel's zero-sized access of a NULL pointer).
      if (zeroOk && size === 0 && r.kind === 'scalar' && r.v.t.mask === 0n && r.v.t.value === 0n) return;
      return checkHelperMem(env, st, n, mem, size, kind === 'ptr_to_uninit_mem', name);
    }
    case 'const_size':
    case 'const_size_or_zero':
      return; // checked with its memory argument
    case 'const_alloc_size':
      if (r.kind !== 'scalar' || r.v.t.mask !== 0n) reject('helper-arg', `r${n} must be a known constant size for ${name}, got ${fmtReg(r)}`, [n]);
      c.allocSize = Number(r.v.t.value);
      return;
    case 'ptr_to_ctx':
      if (r.kind !== 'ctx' || r.off !== 0 || r.v.t.mask !== 0n || r.v.t.value !== 0n) reject('helper-arg', `r${n} must be the unmodified context pointer for ${name}, got ${fmtReg(r)}`, [n]);
      return;
    case 'ptr_to_cstring':
      return constString(c, n, r);
    case 'ptr_to_func':
      if (r.kind !== 'func') reject('helper-arg', `r${n} must be a function (a callback address) for ${name}, got ${fmtReg(r)}`, [n]);
      c.fn = r.fn;
      return;
    case 'ptr_to_ringbuf_mem':
      if (r.kind !== 'mem' || !r.ref) reject('helper-arg', `r${n} must be a ring buffer record from bpf_ringbuf_reserve for ${name}, got ${fmtReg(r)}`, [n]);
      if (r.nullable) reject('null-deref', `r${n} may be NULL (${fmtReg(r)}): check the reservation before ${name}`, [n]);
      if (r.off !== 0 || r.v.t.mask !== 0n || r.v.t.value !== 0n) reject('helper-arg', `r${n} must point to the start of the record for ${name} (offset ${r.off})`, [n]);
      if (!st.refs.includes(r.ref)) reject('reference', `r${n} refers to a record already submitted or discarded`, [n]);
      c.release = r.ref;
      return;
    case 'ptr_to_spin_lock':
      if (r.kind !== 'map_value' || r.nullable) reject('helper-arg', `r${n} must point into a map value holding a bpf_spin_lock for ${name}, got ${fmtReg(r)}`, [n]);
      if (r.v.t.mask !== 0n) reject('helper-arg', `r${n} must point to the lock at a fixed offset for ${name}`, [n]);
      return checkHelperMem(env, st, n, r, 4, false, name);
    case 'ptr_to_sock_common':
      // Any socket (a full one is a sock_common too); the kernel's ARG_PTR_TO_BTF_ID_SOCK_COMMON.
      if (r.kind !== 'sock' && r.kind !== 'sock_common') reject('helper-arg', `r${n} must be a socket (from a socket lookup) for ${name}, got ${fmtReg(r)}`, [n]);
      if (r.nullable) reject('null-deref', `r${n} may be NULL (${fmtReg(r)}): check the socket before ${name}`, [n]);
      if (def.proto.release === i) {
        if (!r.ref) reject('reference', `r${n} must be a referenced socket (one a lookup returned) when passed to ${name}, which releases it`, [n]);
        if (!st.refs.includes(r.ref)) reject('reference', `r${n} refers to a socket already released`, [n]);
        c.release = r.ref;
      }
      return;
    case 'ptr_to_stack_or_null':
      if (r.kind === 'scalar' && r.v.t.mask === 0n && r.v.t.value === 0n) return;
      if (r.kind !== 'stack') reject('helper-arg', `r${n} must be a stack pointer or NULL for ${name}, got ${fmtReg(r)}`, [n]);
      return;
    default:
      reject('helper-arg', `${name}: argument kind ${kind as string} is not supported by the verifier`, [n]);
  }
}

function checkMapType(c: CallCtx): void {
  const m = c.env.maps[c.map];
  const name = c.def.name;
  const only = MAP_ONLY[m.type];
  if (only && !only.includes(name) && !NEEDS_MAP[name]) {
    reject('map-type', `${name} cannot be used with map "${m.name}" of type ${MAP_TYPE_NAMES[m.type] ?? m.type}`, [1]);
  }
  const need = NEEDS_MAP[name];
  if (need && !need.includes(m.type)) {
    reject('map-type', `${name} needs a map of type ${need.map((t) => MAP_TYPE_NAMES[t]).join(' or ')}, but map "${m.name}" is ${MAP_TYPE_NAMES[m.type] ?? m.type}`, [1]);
  }
}

function lockRules(c: CallCtx, regs: Reg[]): void {
  const { st, def, env } = c;
  const r = regs[1];
  const off = r.off + Number(r.v.t.value);
  const m = env.maps[r.map];
  const lock = m.spinLockOffset ?? 0;
  if (!m.spinLock) reject('lock', `map "${m.name}" has no struct bpf_spin_lock in its value`, [1]);
  if (off !== lock) reject('lock', `r1 points to offset ${off} of the value of map "${m.name}", but its bpf_spin_lock is at offset ${lock}`, [1]);
  if (def.name === 'spin_lock') {
    if (st.lock) reject('lock', 'bpf_spin_lock while already holding a lock', [1]);
    st.lock = { map: r.map, off, id: r.id };
  } else {
    if (!st.lock) reject('lock', 'bpf_spin_unlock without a lock taken', [1]);
    if (st.lock.map !== r.map || st.lock.off !== off) reject('lock', 'bpf_spin_unlock of a different lock than the one taken', [1]);
    st.lock = null;
  }
}

function releaseRef(st: VState, ref: number): void {
  const k = st.refs.indexOf(ref);
  st.refs.splice(k, 1);
  st.refPcs.splice(k, 1);
  forEachReg(st, (x) => (x.ref === ref ? NOT_INIT : x));
}

/** acquire records a reference the call returns (its id is the register's, `id`, or a fresh one) and returns it. */
function acquire(c: CallCtx, pc: number, id = freshId(c.env)): number {
  c.st.refs.push(id);
  c.st.refPcs.push(pc);
  return id;
}

function returnValue(c: CallCtx, pc: number): Reg {
  const { env, st, def } = c;
  switch (def.proto.ret) {
    case 'void':
      return NOT_INIT;
    case 'ptr_to_map_value_or_null':
      // A map of maps holds maps: its lookup gives the inner map (or NULL), usable as a map argument once checked.
      if (env.innerOf.has(c.map)) return ptrReg('map_ptr', { map: env.innerOf.get(c.map)!, nullable: true, id: freshId(env) });
      if (env.maps[c.map].type === MapType.sockmap || env.maps[c.map].type === MapType.sockhash) {
        // The kernel's lookup in a sock map from a program gives the socket (PTR_TO_SOCKET_OR_NULL), a reference
        // the program must release with bpf_sk_release.
        const id = freshId(env);
        return ptrReg('sock', { nullable: true, id, ref: acquire(c, pc, id) });
      }
      return ptrReg('map_value', { map: c.map, nullable: true, id: freshId(env), rdonly: env.maps[c.map].readOnly === true });
    case 'ptr_to_mem_or_null':
    case 'ptr_to_ringbuf_mem_or_null': {
      const ref = acquire(c, pc);
      return ptrReg('mem', { size: c.allocSize, nullable: true, id: ref, ref });
    }
    case 'ptr_to_socket_or_null':
    case 'ptr_to_sock_common_or_null': {
      const id = freshId(env);
      const ref = def.proto.acquire ? acquire(c, pc, id) : 0;
      return ptrReg(def.proto.ret === 'ptr_to_socket_or_null' ? 'sock' : 'sock_common', { nullable: true, id, ref });
    }
    default: {
      // bpf_get_current_task_btf: a trusted pointer to the current task_struct, when the target's BTF describes it.
      const task = def.name === 'get_current_task_btf' ? env.btf?.structNamed('task_struct', 'trusted') : undefined;
      if (task) return btfReg(task);
      return scalarReg(def.name === 'get_smp_processor_id' ? urange(0n, 4095n) : unknown());
    }
  }
}

/** knownArrayKey reports whether `key` points to stack bytes holding a constant index below an array's max_entries. */
function knownArrayKey(env: Env, st: VState, key: Reg, map: number): boolean {
  const m = env.maps[map];
  if ((m.type !== MapType.array && m.type !== MapType.percpu_array) || key.kind !== 'stack' || key.v.t.mask !== 0n) return false;
  const off = key.off + Number(BigInt.asIntN(64, key.v.t.value));
  const res = fill(st.frames[key.frame], off, 4, false);
  return 'reg' in res && res.reg.kind === 'scalar' && res.reg.v.t.mask === 0n && res.reg.v.t.value < BigInt(m.maxEntries);
}

/** checkHelperCall checks a call of `def` and updates the state; returns the callback to verify, if any. */
export function checkHelperCall(env: Env, st: VState, def: HelperDef, pc: number): Callback | undefined {
  const regs = cur(st).regs;
  if (!env.prog.raw && !helperAllowed(env.prog.name, def.name)) reject('helper-type', `${env.prog.name} programs cannot call bpf_${def.name}`);
  if (!env.gpl && GPL_ONLY.has(def.name)) reject('gpl-only', `${def.name} is GPL-only: a program whose license is not GPL-compatible cannot call it`);
  if (st.lock && def.name !== 'spin_unlock') reject('lock', `calling ${def.name} while holding a bpf_spin_lock is not allowed`);
  const c: CallCtx = { env, st, def, map: -1, allocSize: 0, fn: -1, release: 0 };
  def.proto.args.forEach((k, i) => checkArg(c, i, k, regs));
  if (c.map >= 0) checkMapType(c);
  if (def.name === 'tail_call' && st.refs.length) reject('reference', `tail call while holding a reference (acquired at pc ${st.refPcs[0]}) would leak it`);
  if (def.name === 'spin_lock' && !env.prog.spinLock) reject('lock', `${env.prog.name} programs cannot use bpf_spin_lock`);
  if (def.name === 'spin_lock' || def.name === 'spin_unlock') lockRules(c, regs);
  if (def.name === 'tail_call' && st.frames.length > 1) {
    const below = st.frames.slice(0, -1).reduce((n, f) => n + Math.ceil(Math.max(env.stackUse[env.cfg.subprogOf[f.entry]], 1) / 32) * 32, 0);
    if (below > 256) reject('tail-call', `a tail call from a function is allowed only when the calling frames use at most 256 bytes of stack, here ${below}`);
  }
  if (def.proto.ret === 'ptr_to_map_value_or_null' && def.name === 'map_lookup_elem' && knownArrayKey(env, st, regs[2], c.map)) {
    // An array lookup whose key is a constant below max_entries cannot fail (the kernel's rule too).
    const r0 = ptrReg('map_value', { map: c.map, rdonly: env.maps[c.map].readOnly === true });
    for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
    regs[0] = r0;
    return undefined;
  }
  if (def.name === 'override_return' && env.prog.ctx.kind !== 'pt_regs' && !env.prog.raw) reject('helper-type', `bpf_override_return needs a probe context (pt_regs), not ${env.prog.name}`);
  let callback: Callback | undefined;
  if (def.proto.callback && c.fn >= 0) {
    const ctxArg = regs[3];
    if (def.proto.callback === 'loop') callback = { entry: c.fn, args: [scalarReg(urange(0n, (1n << 23n) - 1n)), ctxArg] };
    else {
      const m = env.maps[c.map];
      callback = {
        entry: c.fn,
        args: [ptrReg('map_ptr', { map: c.map }), ptrReg('map_key', { map: c.map, size: m.keySize }), ptrReg('map_value', { map: c.map }), ctxArg],
      };
    }
  }
  if (c.release) releaseRef(st, c.release);
  if (CHANGES_PKT_DATA.has(def.name)) invalidatePackets(env, st);
  const r0 = returnValue(c, pc);
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
  regs[0] = r0;
  return callback;
}

/**
 * Instructions that change frames or load special values: bpf-to-bpf calls and callbacks (a new frame whose r1-r5
 * are the arguments), exits (a callee's r0 returns to its caller, a callback's must be 0 or 1, the program's must not
 * leak an address and every reference and lock must be released), 64-bit immediate loads of maps, global data and
 * functions, and the legacy packet loads LD_ABS/LD_IND. Helper and kfunc calls are checked against their prototypes
 * (check-helpers.ts, kfunc.ts) from here.
 */
import type { Form, Insn } from '../isa/index.js';
import { PSEUDO_BTF_ID, PSEUDO_FUNC, PSEUDO_IMM64, PSEUDO_MAP_FD, PSEUDO_MAP_IDX, PSEUDO_MAP_IDX_VALUE, PSEUDO_MAP_VALUE } from '../isa/index.js';
import { join, known, unknown, urange } from './scalar.js';
import { MISC, NOT_INIT, SPILL, cur, isPointer, newFrame, ownStack, ptrReg, scalarReg, type Frame, type Reg, type Slot, type SlotByte, type VState } from './state.js';
import { reject } from './reject.js';
import { fmtReg } from './format.js';
import { MAX_CALL_FRAMES } from './cfg.js';
import type { Env } from './env.js';
import { checkKfuncCall, kfuncReferenceMessage } from './kfunc.js';
import { checkHelperCall } from './check-helpers.js';
import { CORE_POISON_IMM } from '../loader/btf/core-patch.js';
import { ksymAddress } from './btf-ptr.js';

/** pushFrame enters a function at `entry` with r1-r5 = `args`; `callback` frames return into a helper call. */
export function pushFrame(st: VState, entry: number, callsite: number, args: readonly Reg[], callback: boolean): void {
  if (st.frames.length >= MAX_CALL_FRAMES) reject('call-depth', `the call stack of ${st.frames.length + 1} frames is too deep (at most ${MAX_CALL_FRAMES})`);
  const f = newFrame(st.frames.length, entry, callsite, callback);
  args.forEach((r, i) => (f.regs[i + 1] = r));
  st.frames.push(f);
}

/** havocScalars forgets the scalar contents of a frame's stack (a callback may change them any number of times). */
export function havocScalars(f: Frame): void {
  f.stack.forEach((s, i) => {
    if (!s) return;
    if (s.spill) {
      if (s.spill.kind === 'scalar') ownStack(f)[i] = { bytes: s.bytes.map((b): SlotByte => (b === SPILL || b === 2 ? MISC : b)), spill: undefined };
      return;
    }
    ownStack(f)[i] = { bytes: s.bytes.map((b): SlotByte => (b === 0 ? 0 : MISC)), spill: undefined };
  });
}

function joinSlot(a: Slot | undefined, b: Slot | undefined): Slot | undefined {
  if (a === b) return a;
  if (!a || !b) return undefined;
  if (a.spill && b.spill && a.bytes.every((x, k) => x === b.bytes[k])) {
    if (a.spill.kind === 'scalar' && b.spill.kind === 'scalar') return { bytes: a.bytes, spill: scalarReg(join(a.spill.v, b.spill.v)) };
    if (a.spill === b.spill) return a;
  }
  const bytes = a.bytes.map((x, k): SlotByte => (x === 0 || b.bytes[k] === 0 ? 0 : x === b.bytes[k] && x !== SPILL ? x : MISC));
  return { bytes, spill: undefined };
}

/** doExit handles exit: returns the pc to continue at, or -1 when the path ends. */
export function doExit(env: Env, st: VState): number {
  const f = cur(st);
  const r0 = f.regs[0];
  if (r0.kind === 'not_init') reject('uninit-reg', st.frames.length > 1 ? 'r0 is not set before the function returns' : 'r0 (the return value) is not set before exit', [0]);
  if (st.frames.length > 1) {
    if (f.callback && (r0.kind !== 'scalar' || r0.v.smin < 0n || r0.v.umax > 1n)) {
      reject('callback-return', `a callback must return 0 or 1, but r0 = ${fmtReg(r0)}`, [0]);
    }
    if (r0.kind === 'stack') reject('stack-escape', 'a function may not return a stack pointer to its caller', [0]);
    st.frames.pop();
    const caller = cur(st);
    for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
    if (f.callback) {
      caller.regs[0] = scalarReg(unknown());
      if (f.pre) {
        const stack = ownStack(caller);
        for (let i = 0; i < Math.max(stack.length, f.pre.stack.length); i++) stack[i] = joinSlot(f.pre.stack[i], stack[i]);
      }
    } else caller.regs[0] = r0;
    return f.callsite + 1;
  }
  const ret = env.prog.ret;
  if (ret && (r0.kind !== 'scalar' || r0.v.smin < ret[0] || r0.v.smax > ret[1] || r0.v.umax > ret[1])) {
    reject('return-range', `${env.prog.name} programs must return a value in [${ret[0]}, ${ret[1]}], but r0 = ${fmtReg(r0)}`, [0]);
  }
  if (isPointer(r0) && !env.privileged) reject('pointer-leak', `r0 is a pointer (${fmtReg(r0)}) at exit: returning it would leak an address`, [0]);
  if (st.refs.length) {
    const at = st.refPcs[0];
    const kfunc = kfuncReferenceMessage(env, at);
    if (kfunc) reject('reference', kfunc);
    const by = env.helpers.get(env.cfg.insns[at].imm)?.name;
    if (by === 'ringbuf_reserve') reject('reference', `the ring buffer record reserved at pc ${at} is not submitted or discarded on this path before exit`);
    reject('reference', `the reference bpf_${by} returned at pc ${at} is not released on this path before exit${by?.includes('lookup') ? ' (bpf_sk_release)' : ''}`);
  }
  if (st.lock) reject('lock', 'exit while holding a bpf_spin_lock: unlock it on every path');
  return -1;
}

/** doLddw loads a 64-bit immediate, map, global data address or function address into dst. */
export function doLddw(env: Env, st: VState, ins: Insn, next: Insn, pc: number): void {
  const regs = cur(st).regs;
  const mapAt = (i: number) => {
    const m = env.maps[i];
    if (!m) reject('bad-map', `lddw refers to map ${i}, but only ${env.maps.length} map${env.maps.length === 1 ? ' is' : 's are'} declared`);
    return m;
  };
  switch (ins.src) {
    case PSEUDO_IMM64:
      regs[ins.dst] = scalarReg(known((BigInt(next.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0)));
      return;
    case PSEUDO_MAP_FD:
    case PSEUDO_MAP_IDX:
      mapAt(ins.imm);
      regs[ins.dst] = ptrReg('map_ptr', { map: ins.imm });
      return;
    case PSEUDO_MAP_VALUE:
    case PSEUDO_MAP_IDX_VALUE: {
      const m = mapAt(ins.imm);
      const off = next.imm;
      if (m.maxEntries !== 1 || m.type !== 2) reject('bad-map', `lddw of a value address needs a single-element array map, but map "${m.name}" is not one`);
      if (off < 0 || off >= m.valueSize) reject('bad-map', `lddw offset ${off} is outside the value of map "${m.name}" (${m.valueSize} bytes)`);
      regs[ins.dst] = ptrReg('map_value', { map: ins.imm, off, rdonly: m.readOnly === true });
      return;
    }
    case PSEUDO_FUNC:
      regs[ins.dst] = ptrReg('func', { fn: pc + 1 + ins.imm });
      return;
    case PSEUDO_BTF_ID:
      regs[ins.dst] = ksymAddress(env, ins.imm);
      return;
    default:
      reject('structure', `lddw pseudo-source ${ins.src} is not supported`);
  }
}

/** doLdAbs handles LD_ABS / LD_IND: a packet load through the skb in r6 that clobbers r1-r5. */
export function doLdAbs(env: Env, st: VState, f: Extract<Form, { kind: 'ldabs' | 'ldind' }>, ins: Insn): void {
  const regs = cur(st).regs;
  if (!env.prog.ldAbs) reject('ld-abs', `legacy packet loads (LD_ABS/LD_IND) are not allowed in ${env.prog.name} programs`);
  if (!env.prog.raw && regs[6].kind !== 'ctx') reject('ld-abs', `LD_ABS/LD_IND read the packet of the context in r6, but r6 = ${fmtReg(regs[6])}`, [6]);
  if (st.refs.length) reject('reference', 'LD_ABS/LD_IND may end the program and cannot be mixed with held references');
  if (f.kind === 'ldind') {
    const s = regs[ins.src];
    if (s.kind === 'not_init') reject('uninit-reg', `r${ins.src} is used before it is initialised`, [ins.src]);
    if (isPointer(s)) reject('ld-abs', `LD_IND offset r${ins.src} must be a scalar, got ${fmtReg(s)}`, [ins.src]);
  }
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
  regs[0] = scalarReg(urange(0n, (1n << BigInt(8 * f.size)) - 1n));
}

/**
 * doCall enters a call: a kfunc or helper checked against its prototype (a helper taking a callback enters the
 * callback's frame), a bpf-to-bpf call a new frame; returns the next pc.
 */
export function doCall(env: Env, st: VState, mode: 'helper' | 'local' | 'kfunc', pc: number): number {
  const ins = env.cfg.insns[pc];
  if (mode === 'kfunc') {
    checkKfuncCall(env, st, pc);
    return pc + 1;
  }
  if (mode === 'local') {
    const regs = cur(st).regs;
    if (st.lock) reject('lock', 'calling a function while holding a bpf_spin_lock is not allowed');
    pushFrame(st, pc + 1 + ins.imm, pc, [1, 2, 3, 4, 5].map((r) => regs[r]), false);
    return pc + 1 + ins.imm;
  }
  const def = env.helpers.get(ins.imm);
  if (ins.imm === CORE_POISON_IMM) reject('core-poisoned', `${env.poisoned?.get(pc) ?? 'this instruction was poisoned by a CO-RE relocation that found no match in the target BTF'}, and the poisoned instruction is reachable`);
  if (!def) {
    const name = env.helpers.abiName(ins.imm);
    reject('unknown-helper', name ? `helper ${ins.imm} (${name}) is not available in bpftime-vm's ${env.helpers.name} helper set` : `unknown helper ${ins.imm}`);
  }
  const cb = checkHelperCall(env, st, def, pc);
  if (!cb) return pc + 1;
  const ctx = cb.args[cb.args.length - 1];
  if (ctx.kind === 'stack') havocScalars(st.frames[ctx.frame]);
  const pre = ctx.kind === 'stack' ? { ...st.frames[ctx.frame], stack: st.frames[ctx.frame].stack.slice(), shared: false } : undefined;
  pushFrame(st, cb.entry, pc, cb.args, true);
  cur(st).pre = pre;
  return cb.entry;
}

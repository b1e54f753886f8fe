/**
 * Kfunc calls (BPF_PSEUDO_KFUNC_CALL, the immediate a target BTF id) against their prototypes: the FUNC_PROTO of the
 * target kernel's BTF says what each argument is (a pointer to a struct, memory plus a `__sz` size, a scalar) and what
 * the call returns; the helper table (src/helpers/kernel/kfuncs.ts) says which kfuncs bpftime-vm implements and their
 * flags: KF_ACQUIRE (the result is a reference to release on every path, like a ring buffer record), KF_RET_NULL,
 * KF_RELEASE (the argument is such a reference) and the RCU read section (bpf_rcu_read_lock/unlock must pair on every
 * path; the section is held as a reference, so an exit inside it is refused as a leak is). A kfunc bpftime-vm does
 * not implement is refused by name.
 */
import type { BtfFuncProto } from '../loader/btf/types.js';
import { BtfKind } from '../loader/btf/types.js';
import type { HelperDef } from '../helpers/registry.js';
import { unknown } from './scalar.js';
import { NOT_INIT, cur, isPointer, scalarReg, type Reg, type VState } from './state.js';
import { reject } from './reject.js';
import { fmtReg } from './format.js';
import { forEachReg } from './branch.js';
import { checkHelperMem } from './check-helpers.js';
import { btfReg, type BtfTypes } from './btf-ptr.js';
import { freshId, type Env } from './env.js';

/** kfuncAt returns the name and implementation of the kfunc called at `pc`, refusing one bpftime-vm lacks. */
function kfuncAt(env: Env, pc: number): { name: string; def: HelperDef } {
  const imm = env.cfg.insns[pc].imm;
  const name = env.kfuncs.get(pc);
  if (!name) reject('unknown-kfunc', `kfunc call of BTF id ${imm}: no __ksym extern of the program resolved to it`);
  const def = env.helpers.kfunc(name);
  if (!def) reject('unknown-kfunc', `kfunc ${name} is not implemented by bpftime-vm (it implements ${env.helpers.kfuncs().map((d) => d.name).join(', ')})`);
  return { name, def };
}

/** isRcuLock tells whether the instruction at `pc` is a call of bpf_rcu_read_lock (what an RCU section's reference records). */
function isRcuLock(env: Env, pc: number): boolean {
  const name = env.kfuncs.get(pc);
  return name !== undefined && env.helpers.kfunc(name)?.proto.rcu === 'lock';
}

/** inRcu tells whether the path is inside an RCU read section. */
const inRcu = (env: Env, st: VState): boolean => st.refPcs.some((pc) => isRcuLock(env, pc));

/** heldReferenceMessage says what a reference acquired at `pc` by a kfunc is and how it is released, for exits that leak it. */
export function kfuncReferenceMessage(env: Env, pc: number): string | undefined {
  const name = env.kfuncs.get(pc);
  if (name === undefined || env.cfg.insns[pc].src !== 2) return undefined;
  if (isRcuLock(env, pc)) return `the RCU read section ${name} opened at pc ${pc} is not closed (bpf_rcu_read_unlock) on this path before exit`;
  const ret = env.helpers.kfunc(name)?.proto.retBtf;
  const releaser = env.helpers.kfuncs().find((d) => d.proto.release !== undefined && d.proto.argBtf?.[d.proto.release] === ret);
  return `the reference ${name} returned at pc ${pc} is not released on this path before exit${releaser ? ` (${releaser.name})` : ''}`;
}

function dropRef(st: VState, ref: number): void {
  const k = st.refs.indexOf(ref);
  st.refs.splice(k, 1);
  st.refPcs.splice(k, 1);
  forEachReg(st, (x) => (x.ref === ref ? NOT_INIT : x));
}

/** checkStructArg checks a pointer-to-struct argument; returns the reference it releases (KF_RELEASE), or 0. */
function checkStructArg(env: Env, st: VState, n: number, r: Reg, want: string, def: HelperDef, i: number): number {
  const name = def.name;
  if (r.kind !== 'btf_ptr') reject('kfunc-arg', `r${n} (argument ${n} of ${name}) must be a pointer to struct ${want}, got ${fmtReg(r)}`, [n]);
  if (r.nullable) reject('null-deref', `r${n} may be NULL (${fmtReg(r)}): check it before passing it to ${name}`, [n]);
  if (r.btf!.name !== want) reject('kfunc-arg', `r${n} points to struct ${r.btf!.name}, but ${name} takes a struct ${want}`, [n]);
  if (r.off !== 0 || r.v.t.mask !== 0n || r.v.t.value !== 0n) reject('kfunc-arg', `r${n} must point to the start of struct ${want} for ${name} (offset ${r.off})`, [n]);
  if (def.proto.release === i) {
    if (!r.ref) reject('reference', `r${n} must be a referenced struct ${want} (one an acquiring kfunc returned) when passed to ${name}, which releases it`, [n]);
    if (!st.refs.includes(r.ref)) reject('reference', `r${n} refers to a struct ${want} already released`, [n]);
    return r.ref;
  }
  if (r.btf!.flavour !== 'trusted' && !r.ref && !inRcu(env, st)) {
    reject('kfunc-arg', `r${n} is an untrusted pointer to struct ${want} (read out of kernel memory): ${name} needs a trusted one (a program argument or an acquired reference), or the read inside bpf_rcu_read_lock()`, [n]);
  }
  return 0;
}

function checkArgs(env: Env, st: VState, types: BtfTypes, proto: BtfFuncProto, def: HelperDef): number {
  const regs = cur(st).regs;
  const btf = types.btf;
  let release = 0;
  proto.params.forEach((p, i) => {
    const n = i + 1;
    const r = regs[n];
    const name = def.name;
    if (p.name.endsWith('__sz') || p.name.endsWith('__szk')) return; // checked with the memory before it
    if (r.kind === 'not_init') reject('uninit-reg', `r${n} (argument ${n} of ${name}) is not initialised`, [n]);
    if (p.name.endsWith('__ign')) return; // any value: the kfunc does not dereference it (bpf_rdonly_cast)
    const t = btf.type(btf.resolve(p.type));
    if (t.kind !== BtfKind.PTR) {
      if (isPointer(r)) reject('kfunc-arg', `r${n} (argument ${n} of ${name}, ${p.name || 'unnamed'}) must be a scalar, got ${fmtReg(r)}`, [n]);
      if (p.name.endsWith('__k') && r.v.t.mask !== 0n) reject('kfunc-arg', `r${n} (argument ${n} of ${name}) must be a known constant`, [n]);
      return;
    }
    const to = btf.type(btf.resolve(t.type));
    if (to.kind === BtfKind.STRUCT || to.kind === BtfKind.UNION) {
      const ref = checkStructArg(env, st, n, r, to.name, def, i);
      if (ref) release = ref;
      return;
    }
    // Memory: sized by the next argument when it is a `__sz` one, else by what it points to.
    const next = proto.params[i + 1];
    let size: number;
    if (next && (next.name.endsWith('__sz') || next.name.endsWith('__szk'))) {
      const s = regs[n + 1];
      if (s.kind !== 'scalar' || s.v.smin < 0n || s.v.umax >= 1n << 29n) reject('kfunc-arg', `r${n + 1} must be a bounded size for ${name}, got ${fmtReg(s)}`, [n + 1]);
      size = Number(s.v.umax);
    } else {
      if (to.kind === BtfKind.UNKN) reject('kfunc-arg', `argument ${n} of ${name} is a void pointer without a size argument, which the verifier cannot check`, [n]);
      size = btf.sizeOf(t.type);
    }
    checkHelperMem(env, st, n, r, size, false, name);
  });
  return release;
}

function returnOf(env: Env, st: VState, types: BtfTypes, proto: BtfFuncProto, def: HelperDef, pc: number): Reg {
  if (proto.returnType === 0) return NOT_INIT;
  const btf = types.btf;
  const t = btf.type(btf.resolve(proto.returnType));
  if (t.kind !== BtfKind.PTR) return scalarReg(unknown());
  if (def.name === 'bpf_rdonly_cast') {
    // The object, read-only, as the struct whose id the second argument gives (a constant, from bpf_core_type_id_kernel).
    const id = cur(st).regs[2];
    const cast = id.kind === 'scalar' && id.v.t.mask === 0n && id.v.t.value < BigInt(btf.types.length) ? types.ptr(Number(id.v.t.value), 'untrusted') : undefined;
    if (!cast) reject('kfunc-arg', `r2 must be the BTF id of a struct of the target kernel for bpf_rdonly_cast, got ${fmtReg(id)}`, [2]);
    return btfReg(cast);
  }
  const to = types.pointee(proto.returnType, 'trusted');
  if (!to) reject('not-supported', `kfunc ${def.name} returns a pointer to memory that is not a struct, which the verifier does not model`);
  const nullable = def.proto.ret === 'ptr_to_btf_id_or_null';
  if (!def.proto.acquire) return btfReg(to, nullable ? { nullable, id: freshId(env) } : {});
  const ref = freshId(env);
  st.refs.push(ref);
  st.refPcs.push(pc);
  return btfReg(to, { nullable, id: ref, ref });
}

/** checkKfuncCall checks the kfunc call at `pc` and updates the state (r0 its result, r1-r5 clobbered). */
export function checkKfuncCall(env: Env, st: VState, pc: number): void {
  const { name, def } = kfuncAt(env, pc);
  if (st.lock) reject('lock', `calling kfunc ${name} while holding a bpf_spin_lock is not allowed`);
  const types = env.btf;
  if (!types) reject('not-supported', `kfunc ${name}: checking its prototype needs the target kernel's BTF (--btf FILE, or /sys/kernel/btf/vmlinux)`);
  const imm = env.cfg.insns[pc].imm;
  const fn = imm > 0 && imm < types.btf.types.length ? types.btf.type(imm) : undefined;
  if (fn?.kind !== BtfKind.FUNC || fn.name !== name) reject('unknown-kfunc', `kfunc ${name}: BTF id ${imm} of the target kernel is not that function`);
  const proto = types.btf.type(types.btf.resolve(fn.type));
  if (proto.kind !== BtfKind.FUNC_PROTO) reject('unknown-kfunc', `kfunc ${name}: the target's BTF gives it no prototype`);
  const release = checkArgs(env, st, types, proto, def);
  if (def.proto.rcu === 'protected' && !inRcu(env, st)) reject('rcu', `${name} must be called inside bpf_rcu_read_lock()`);
  if (def.proto.rcu === 'unlock') {
    const k = st.refPcs.map((p) => isRcuLock(env, p)).lastIndexOf(true);
    if (k < 0) reject('rcu', `${name} without a matching bpf_rcu_read_lock on this path`);
    st.refs.splice(k, 1);
    st.refPcs.splice(k, 1);
  }
  if (release) dropRef(st, release);
  const r0 = returnOf(env, st, types, proto, def, pc);
  if (def.proto.rcu === 'lock') {
    st.refs.push(freshId(env));
    st.refPcs.push(pc);
  }
  const regs = cur(st).regs;
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
  regs[0] = r0;
}

/**
 * BTF-typed kernel pointers (the kernel's PTR_TO_BTF_ID): the arguments of tp_btf, fentry, fexit, fmod_ret and lsm
 * programs typed from the target kernel's BTF prototype of what they attach to, the task of
 * bpf_get_current_task_btf, and the objects kfuncs return. Such a pointer is read only, at fixed offsets, and every
 * read is checked against the struct's members as the kernel's btf_struct_walk does: inside the struct, inside one
 * member, a pointer member read whole (8 bytes at its offset) yields a pointer to its struct, anything else a
 * scalar. The runtime runs these loads as PROBE_MEM loads (a bad address reads 0), so they are not recorded as
 * accesses proved in bounds.
 */
import type { Btf } from '../loader/btf/parse.js';
import { BtfKind } from '../loader/btf/types.js';
import { btfArgTypes } from '../loader/trace-contexts.js';
import { ptrReg, scalarReg, type Reg } from './state.js';
import { loadedRange } from './stack.js';
import { reject } from './reject.js';
import type { Access } from './check-mem.js';

/**
 * BtfFlavour is how far a BTF pointer is trusted: `trusted` (a program argument, the current task, an acquired
 * reference: kfuncs may take it) or `untrusted` (read out of kernel memory: it may be read through, not passed on).
 */
export type BtfFlavour = 'trusted' | 'untrusted';

/** BtfPtrType is what a BTF pointer points to: a struct or union of the target BTF, and its flavour (interned). */
export interface BtfPtrType {
  id: number;
  name: string;
  size: number;
  flavour: BtfFlavour;
}

/** BTF_ARG_TYPES are the program types whose context is the u64 arguments typed by the target's BTF. */
export const BTF_ARG_TYPES = new Set(['tp_btf', 'fentry', 'fexit', 'fmod_ret', 'lsm']);

/** BtfTypes types BTF pointers against one target BTF; pointer types are interned, so registers compare by identity. */
export class BtfTypes {
  private readonly interned = new Map<string, BtfPtrType>();

  constructor(readonly btf: Btf) {}

  /** ptr returns the pointer type to struct/union `id` (modifiers resolved) of `flavour`, or undefined for other kinds. */
  ptr(id: number, flavour: BtfFlavour): BtfPtrType | undefined {
    const rid = this.btf.resolve(id);
    const t = this.btf.type(rid);
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return undefined;
    const key = `${rid}:${flavour}`;
    let out = this.interned.get(key);
    if (!out) this.interned.set(key, (out = { id: rid, name: t.name || '(anon)', size: t.size, flavour }));
    return out;
  }

  /** pointee returns the pointer type a BTF type stands for when it is a pointer to a struct or union, else undefined. */
  pointee(typeId: number, flavour: BtfFlavour): BtfPtrType | undefined {
    const t = this.btf.type(this.btf.resolve(typeId));
    return t.kind === BtfKind.PTR ? this.ptr(t.type, flavour) : undefined;
  }

  /** structNamed finds a struct of the target by name (the `task_struct` of the helper table's prototypes). */
  structNamed(name: string, flavour: BtfFlavour): BtfPtrType | undefined {
    const id = this.btf.findByName(name, BtfKind.STRUCT)[0];
    return id === undefined ? undefined : this.ptr(id, flavour);
  }
}

/** btfReg is a non-null BTF pointer register to `t`. */
export const btfReg = (t: BtfPtrType, fields: Partial<Reg> = {}): Reg => ptrReg('btf_ptr', { btf: t, ...fields });

/**
 * btfContextArgs types the context slots of a BTF-typed tracing program: a trusted pointer for an argument that
 * points to a struct, null for a scalar (integers, and pointers to anything else, as the kernel's btf_ctx_access).
 * Undefined when the program type has no typed arguments or the target BTF does not describe the attach point.
 */
export function btfContextArgs(types: BtfTypes, type: string, attach: string | undefined): (BtfPtrType | null)[] | undefined {
  if (!BTF_ARG_TYPES.has(type) || !attach) return undefined;
  return btfArgTypes(types.btf, type, attach)?.map((id) => types.pointee(id, 'trusted') ?? null);
}

/** btfCtxAccess reads a context slot of a BTF-typed tracing program (read only; `args` from btfContextArgs). */
export function btfCtxAccess(args: readonly (BtfPtrType | null)[], a: Access, progType: string): Reg {
  const what = `the ${args.length} u64 argument${args.length === 1 ? '' : 's'} of this ${progType} program`;
  if (a.kind !== 'read') reject('ctx-access', `${progType} programs may not write their context (${what})`, [a.regno]);
  if (a.off < 0 || a.off + a.size > 8 * args.length) reject('ctx-access', `read of ${a.size} bytes at offset ${a.off} is outside ${what}`, [a.regno]);
  if (a.off % 8 + a.size > 8) reject('ctx-access', `read of ${a.size} bytes at offset ${a.off} crosses two arguments of ${what}`, [a.regno]);
  const t = args[Math.floor(a.off / 8)];
  if (t && (a.size !== 8 || a.off % 8 !== 0)) reject('ctx-access', `argument ${a.off >> 3} is a pointer to struct ${t.name}: read it whole (8 bytes at offset ${a.off & ~7})`, [a.regno]);
  return t ? btfReg(t) : scalarReg(loadedRange(a.size, a.signed === true));
}

/** Found is what a read at an offset of a BTF type reaches: a scalar, or a pointer member read whole. */
type Found = { kind: 'scalar' } | { kind: 'ptr'; type: number };

/** walk finds what `size` bytes at `off` of type `id` are, or rejects the read (btf_struct_walk). */
function walk(btf: Btf, id: number, off: number, size: number, path: string): Found {
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(btf.resolve(id));
    if (t.kind === BtfKind.ARRAY) {
      const esize = btf.sizeOf(t.type);
      if (esize === 0) return { kind: 'scalar' };
      const i = Math.floor(off / esize);
      if (i >= t.nelems) reject('bounds', `read of ${size} bytes at offset ${off} is beyond ${path} (${t.nelems} elements)`);
      id = t.type;
      off -= i * esize;
      path = `${path}[${i}]`;
      continue;
    }
    if (t.kind === BtfKind.PTR) {
      if (off !== 0 || size !== 8) reject('bad-access', `${path} is a pointer: read it whole (8 bytes at its offset), not ${size} bytes at offset ${off} of it`);
      return { kind: 'ptr', type: t.type };
    }
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) {
      const tsize = btf.sizeOf(id);
      if (off + size > tsize) reject('bad-access', `read of ${size} bytes at offset ${off} of ${path} goes past its end (${tsize} bytes)`);
      return { kind: 'scalar' };
    }
    // The members holding the first byte; a union may have several: prefer one the whole read fits in.
    const members = t.members.filter((m) => {
      const mo = Math.floor(m.bitOffset / 8);
      const ms = m.bitfieldSize ? Math.ceil(((m.bitOffset % 8) + m.bitfieldSize) / 8) : btf.sizeOf(m.type);
      return off >= mo && off < mo + Math.max(ms, 1);
    });
    if (members.length === 0) return { kind: 'scalar' }; // padding
    const fits = (m: (typeof members)[number]) => off + size <= Math.floor(m.bitOffset / 8) + btf.sizeOf(m.type);
    const m = members.find(fits) ?? members[0];
    const name = `${path}.${m.name || '(anon)'}`;
    if (m.bitfieldSize) return { kind: 'scalar' }; // a read of the bytes holding a bitfield
    if (!fits(m)) reject('bad-access', `read of ${size} bytes at offset ${off} of ${path} goes past the end of member ${name}`);
    id = m.type;
    off -= Math.floor(m.bitOffset / 8);
    path = name;
  }
  return { kind: 'scalar' };
}

/** btfAccess checks a read through a BTF pointer and returns the value read (a scalar or a further BTF pointer). */
export function btfAccess(types: BtfTypes, a: Access, r: Reg): Reg {
  const t = r.btf!;
  const what = `struct ${t.name}`;
  if (a.kind !== 'read') reject('readonly', `r${a.regno} points to kernel memory (${what}): tracing programs may only read it, not write it`, [a.regno]);
  if (r.v.t.mask !== 0n) reject('bad-access', `r${a.regno} points into ${what} at a variable offset: BTF-typed pointers are read at fixed offsets only`, [a.regno]);
  const off = r.off + a.off + Number(BigInt.asIntN(64, r.v.t.value));
  if (off < 0 || off + a.size > t.size) reject('bounds', `read of ${a.size} bytes at offset ${off} is outside ${what} (${t.size} bytes)`, [a.regno]);
  const found = walk(types.btf, t.id, off, a.size, what);
  if (found.kind === 'ptr') {
    // A pointer read out of kernel memory may be anything: not trusted, but readable (PROBE_MEM).
    const to = types.ptr(found.type, 'untrusted');
    if (to) return btfReg(to);
  }
  return scalarReg(loadedRange(a.size, a.signed === true));
}

/**
 * ksymAddress is what `lddw rX, btf_id N` loads: the address of a kfunc (what bpf_ksym_exists tests), which the kernel
 * types as read-only memory of 0 bytes (never NULL, never readable). Kernel variables (`extern ... __ksym` data) are
 * not modelled and are refused by name.
 */
export function ksymAddress(env: { btf?: BtfTypes }, id: number): Reg {
  const t = env.btf && id > 0 && id < env.btf.btf.types.length ? env.btf.btf.type(id) : undefined;
  if (!t) reject('not-supported', `lddw of kernel symbol BTF id ${id}: typing it needs the target kernel's BTF, which was not given`);
  if (t.kind !== BtfKind.FUNC) reject('not-supported', `lddw of kernel variable ${t.name || id} (a typed __ksym): kernel variables are not modelled by the verifier`);
  return ptrReg('mem', { size: 0, rdonly: true });
}

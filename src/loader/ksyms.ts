/**
 * `__ksym` externs, resolved as libbpf resolves them against the target kernel's BTF: a function declared in the
 * object's `.ksyms` DATASEC is a kfunc (calls become `call` with src BPF_PSEUDO_KFUNC_CALL and the target's BTF id,
 * its address a `lddw` with src BPF_PSEUDO_BTF_ID, which is what `bpf_ksym_exists` tests); a variable is a typed or
 * typeless kernel symbol. A weak extern the target lacks resolves to 0: its address loads 0 and its calls are
 * poisoned (libbpf's POISON_CALL_KFUNC_BASE), so a `bpf_ksym_exists` guard skips them. A non-weak one is a LoadError.
 */
import { LoadError } from '../errors.js';
import type { Btf } from './btf/parse.js';
import { typesAreCompat } from './btf/core-compat.js';
import { BtfKind } from './btf/types.js';

/** KSYMS is the DATASEC libbpf's `__ksym` macro places externs in. */
export const KSYMS_SECTION = '.ksyms';
/** POISON_CALL_KFUNC_BASE is libbpf's helper id base for calls to unresolved weak kfuncs (plus the extern's index). */
export const POISON_CALL_KFUNC_BASE = 2002000000;

/** Ksym is one `__ksym` extern and what it resolved to. */
export interface Ksym {
  name: string;
  kind: 'func' | 'var';
  weak: boolean;
  /** Its index among the object's ksym externs (what a poisoned call encodes). */
  index: number;
  /** The FUNC or VAR id in the target BTF, 0 when the target lacks it (weak externs only). */
  targetId: number;
}

/** ksymNames lists the externs the object's BTF declares in its `.ksyms` DATASEC, functions and variables. */
export function ksymNames(btf: Btf | undefined): Map<string, 'func' | 'var'> {
  const out = new Map<string, 'func' | 'var'>();
  const ds = btf?.findByName(KSYMS_SECTION, BtfKind.DATASEC)[0];
  if (ds === undefined) return out;
  const sec = btf!.type(ds);
  if (sec.kind !== BtfKind.DATASEC) return out;
  for (const v of sec.vars) {
    const t = btf!.type(v.type);
    if (t.kind === BtfKind.FUNC) out.set(t.name, 'func');
    else if (t.kind === BtfKind.VAR) out.set(t.name, 'var');
  }
  return out;
}

function findLocal(btf: Btf, name: string, kind: number): number | undefined {
  return btf.findByName(name, kind)[0];
}

/**
 * resolveKsyms finds every ksym extern in the target BTF. A kfunc's prototype must be compatible with the target's
 * (libbpf's bpf_core_types_are_compat), else even a weak one is an error, as in libbpf.
 */
export function resolveKsyms(local: Btf, externs: { name: string; weak: boolean }[], target: () => Btf | undefined): Map<string, Ksym> {
  const kinds = ksymNames(local);
  const out = new Map<string, Ksym>();
  for (const ext of externs) {
    const kind = kinds.get(ext.name);
    if (kind === undefined) continue;
    const what = `extern (${kind} ksym) ${ext.name}`;
    const tbtf = target();
    if (!tbtf) {
      if (!ext.weak) throw new LoadError('ksym', `${what}: resolving it needs the target kernel's BTF (--btf FILE, or /sys/kernel/btf/vmlinux)`);
      out.set(ext.name, { name: ext.name, kind, weak: true, index: out.size, targetId: 0 });
      continue;
    }
    const btfKind = kind === 'func' ? BtfKind.FUNC : BtfKind.VAR;
    const targetId = tbtf.findByName(ext.name, btfKind)[0] ?? 0;
    if (targetId === 0 && !ext.weak) throw new LoadError('ksym', `${what}: not found in the target kernel's BTF`);
    if (targetId !== 0 && kind === 'func') {
      const localId = findLocal(local, ext.name, BtfKind.FUNC)!;
      const lf = local.type(localId);
      const tf = tbtf.type(targetId);
      if (lf.kind === BtfKind.FUNC && tf.kind === BtfKind.FUNC && !typesAreCompat(local, lf.type, tbtf, tf.type)) {
        throw new LoadError('ksym', `${what}: its prototype ${local.typeName(lf.type)} is incompatible with the target's ${tbtf.typeName(tf.type)}`);
      }
    }
    out.set(ext.name, { name: ext.name, kind, weak: ext.weak, index: out.size, targetId });
  }
  return out;
}

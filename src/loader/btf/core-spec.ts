/**
 * CO-RE access specifications, as libbpf's relo_core.c builds them. An access string `0:1:2:3` is a path from the
 * relocation's root type: the first index steps over the root as an array (`&s[0]`), then each index selects a
 * member of a struct/union or an element of an array. The low-level path (`raw`) keeps every step, including
 * anonymous members; the high-level one (`accessors`) keeps only named fields and array indexes, which is what
 * matching against another BTF by name needs.
 */
import type { Btf } from './btf.js';
import type { WorkBudget } from './budget.js';
import { essentialName, fieldsAreCompat, typesAreCompat, typesMatch } from './core-compat.js';
import { CoreReloKind } from './ext.js';
import { BtfKind, isAnyEnum, isComposite, type BtfType } from './types.js';

/** CORE_SPEC_MAX_LEN is the longest access path, libbpf's BPF_CORE_SPEC_MAX_LEN. */
export const CORE_SPEC_MAX_LEN = 64;
const BITS_PER_BYTE = 8;

/** CoreAccessor is one high-level step: a named member (`name` set) or an array index. */
export interface CoreAccessor {
  /** The struct/union holding the member, or the (resolved) element type for an index. */
  typeId: number;
  idx: number;
  name?: string;
}

/** CoreSpec is a parsed or matched access path in one BTF, with the bit offset it reaches. */
export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  accessors: CoreAccessor[];
  raw: number[];
  bitOffset: number;
}

/** isFieldKind tells whether a relocation kind is about a field (byte_off ... rshift_u64). */
export function isFieldKind(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}

/** isTypeKind tells whether a relocation kind is about a whole type. */
export function isTypeKind(kind: number): boolean {
  return (
    kind === CoreReloKind.TYPE_ID_LOCAL ||
    kind === CoreReloKind.TYPE_ID_TARGET ||
    kind === CoreReloKind.TYPE_EXISTS ||
    kind === CoreReloKind.TYPE_SIZE ||
    kind === CoreReloKind.TYPE_MATCHES
  );
}

/** isEnumKind tells whether a relocation kind is about an enumerator. */
export function isEnumKind(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** SpecError is a malformed local access path; the caller wraps it with the relocation it belongs to. */
export class SpecError extends Error {}

const targetTooLong = (): SpecError => new SpecError(`target access path is longer than ${CORE_SPEC_MAX_LEN} steps`);

/** parseSpec turns a relocation's access string into a spec over the local BTF (libbpf's bpf_core_parse_spec). */
export function parseSpec(btf: Btf, rootTypeId: number, access: string, kind: number): CoreSpec {
  const spec: CoreSpec = { btf, rootTypeId, kind, accessors: [], raw: [], bitOffset: 0 };
  if (!/^\d+(:\d+)*$/.test(access)) throw new SpecError(`access string "${access}" is not indexes joined by ':'`);
  if (isTypeKind(kind)) {
    if (access !== '0') throw new SpecError(`type relocation has access string "${access}", not "0"`);
    return spec;
  }
  spec.raw = access.split(':').map(Number);
  if (spec.raw.length > CORE_SPEC_MAX_LEN) throw new SpecError(`access path is longer than ${CORE_SPEC_MAX_LEN} steps`);
  if (spec.raw.some((n) => !Number.isSafeInteger(n))) {
    throw new SpecError(`access string "${access}" has an index out of range`);
  }
  let id = btf.resolve(rootTypeId);
  const root = btf.types[id];
  const first = spec.raw[0];
  if (isEnumKind(kind)) {
    if (!isAnyEnum(root)) throw new SpecError(`enum relocation root is not an enum`);
    if (spec.raw.length > 1 || first >= root.values.length) {
      throw new SpecError(`enumerator index ${access} is beyond the ${root.values.length} enumerators`);
    }
    spec.accessors.push({ typeId: id, idx: first, name: root.values[first].name });
    return spec;
  }
  if (!isFieldKind(kind)) throw new SpecError(`unknown relocation kind ${kind}`);
  spec.accessors.push({ typeId: id, idx: first });
  spec.bitOffset = first * btf.sizeOf(id) * BITS_PER_BYTE;
  for (let i = 1; i < spec.raw.length; i++) {
    id = btf.resolve(id);
    const t = btf.types[id];
    const idx = spec.raw[i];
    if (isComposite(t)) {
      if (idx >= t.members.length) {
        throw new SpecError(`member index ${idx} is beyond the ${t.members.length} members of type ${id}`);
      }
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      if (m.name !== '') spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === BtfKind.ARRAY) {
      const flex = isFlexArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems);
      id = btf.resolve(t.type);
      if (!flex && idx >= t.nelems) {
        throw new SpecError(`array index ${idx} is beyond the ${t.nelems} elements of type ${id}`);
      }
      spec.accessors.push({ typeId: id, idx });
      spec.bitOffset += idx * btf.sizeOf(id) * BITS_PER_BYTE;
    } else {
      throw new SpecError(`step ${i} reaches type ${id}, which is neither a struct, a union nor an array`);
    }
  }
  return spec;
}

/** isFlexArray tells whether an array with `nelems` elements is the flexible last member reached by `acc`. */
function isFlexArray(btf: Btf, acc: CoreAccessor | undefined, nelems: number): boolean {
  if (acc?.name === undefined || nelems > 0) return false;
  const t = btf.types[acc.typeId];
  return isComposite(t) && acc.idx === t.members.length - 1;
}

/**
 * matchSpec matches a local spec against a target candidate (libbpf's bpf_core_spec_match): the target spec when
 * every named field (or the enumerator, or the type) has a compatible counterpart, else undefined.
 */
export function matchSpec(local: CoreSpec, target: Btf, targetId: number, budget: WorkBudget): CoreSpec | undefined {
  const out: CoreSpec = { btf: target, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  if (isTypeKind(local.kind)) {
    const ok =
      local.kind === CoreReloKind.TYPE_MATCHES
        ? typesMatch(local.btf, local.rootTypeId, target, targetId, budget)
        : typesAreCompat(local.btf, local.rootTypeId, target, targetId, budget);
    return ok ? out : undefined;
  }
  if (isEnumKind(local.kind)) {
    const tid = target.resolve(targetId);
    const t = target.types[tid];
    if (!isAnyEnum(t)) return undefined;
    const want = essentialName(local.accessors[0].name ?? '');
    const idx = t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    out.accessors.push({ typeId: tid, idx, name: t.values[idx].name });
    out.raw.push(idx);
    return out;
  }
  let tid = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i];
    tid = target.resolve(tid);
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, target, tid, out, budget);
      if (next === undefined) return undefined;
      tid = next;
      continue;
    }
    if (i > 0) {
      const t = target.types[tid];
      if (t.kind !== BtfKind.ARRAY) return undefined;
      const flex = isFlexArray(target, out.accessors[out.accessors.length - 1], t.nelems);
      if (!flex && acc.idx >= t.nelems) return undefined;
      tid = target.resolve(t.type);
    }
    if (out.raw.length === CORE_SPEC_MAX_LEN) throw targetTooLong();
    out.accessors.push({ typeId: tid, idx: acc.idx });
    out.raw.push(acc.idx);
    out.bitOffset += acc.idx * target.sizeOf(tid) * BITS_PER_BYTE;
  }
  return out;
}

/**
 * matchMember finds the target member named like the local accessor's, searching anonymous members depth-first, and
 * extends `spec` with the path to it. Returns the member's type id, or undefined (spec unchanged) when there is none
 * or it is incompatible.
 */
function matchMember(
  local: Btf,
  acc: CoreAccessor,
  target: Btf,
  targetId: number,
  spec: CoreSpec,
  budget: WorkBudget,
): number | undefined {
  const tid = target.resolve(targetId);
  const t = target.types[tid];
  if (!isComposite(t)) return undefined;
  const localMember = (local.types[acc.typeId] as Extract<BtfType, { members: unknown }>).members[acc.idx];
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    budget.spend();
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw targetTooLong();
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, acc, target, m.type, spec, budget);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      if (fieldsAreCompat(local, localMember.type, target, m.type, budget)) {
        spec.accessors.push({ typeId: tid, idx: i, name: m.name });
        return m.type;
      }
      // libbpf stops at the first same-named member even when it is incompatible.
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
      return undefined;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/**
 * formatSpec prints an access path the way C spells it: `struct task_struct.pid`, `struct s.a.b[2]`, `struct s[1].x`,
 * `enum e::VALUE`, or just the type for type relocations.
 */
export function formatSpec(spec: CoreSpec): string {
  let s = spec.btf.typeName(spec.rootTypeId);
  if (isEnumKind(spec.kind)) return spec.accessors.length ? `${s}::${spec.accessors[0].name}` : s;
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) s += '.' + a.name;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  return s;
}

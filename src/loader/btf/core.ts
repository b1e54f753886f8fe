/**
 * CO-RE relocation values, computed as libbpf's bpf_core_calc_relo_insn does. The local type's candidates in the
 * target BTF are the types of a compatible kind with the same essential name (`___flavor` stripped); the access path
 * is matched against each, and every matching candidate must give the same value, or the relocation is ambiguous.
 * When no candidate matches, existence relocations give 0 and the others ask for the instruction to be poisoned
 * (`ok: false`), which libbpf does so that dead code guarded by an existence check still loads.
 * Malformed relocations and ambiguity are LoadErrors (code `core`): libbpf refuses to load those objects.
 */
import { LoadError } from '../../errors.js';
import type { Btf } from './btf.js';
import { compareBudget, essentialName, kindsCompat } from './core-compat.js';
import { SpecError, formatSpec, isEnumKind, isFieldKind, matchSpec, parseSpec, type CoreSpec } from './core-spec.js';
import { coreError } from './errors.js';
import { CORE_RELO_KIND_NAMES, CoreReloKind } from './ext.js';
import { BtfKind, IntEncoding, isAnyEnum, isComposite } from './types.js';

export { CORE_POISON_IMM, patchCoreInsn, type CorePatch } from './core-patch.js';

/** CoreReloInput is what a relocation says: root type, access string, kind (and optionally where, for messages). */
export interface CoreReloInput {
  typeId: number;
  access: string;
  kind: number;
  /** Instruction index, used only in error messages and locations. */
  insn?: number;
}

/** CoreResultOk is a computed relocation: `value` goes into the instruction. */
export interface CoreResultOk {
  ok: true;
  kind: number;
  /** libbpf's name of the kind (`byte_off`, `field_exists`...). */
  kindName: string;
  /** The local access path, e.g. `struct task_struct.pid`. */
  accessPath: string;
  /** The new value (u64): byte offset, size, 0/1, shift amount, type id, enumerator value... */
  value: bigint;
  /** The value for the local BTF, which the compiler put in the instruction (checked when `validate`). */
  localValue: bigint;
  /** Whether the instruction must hold `localValue` before patching (false for bitfields and type ids). */
  validate: boolean;
  /** Memory access sizes of the local and target field, for loads and stores (0 when not a plain field offset). */
  localSize: number;
  targetSize: number;
  /** The field's size changed in a way a resized load cannot read correctly; loads/stores get poisoned. */
  failMemSizeAdjust: boolean;
  localTypeId: number;
  /** The matching target type (0 when none matched or for local-only kinds). */
  targetTypeId: number;
  /** The target access path, when a target candidate matched. */
  targetPath?: string;
}

/** CoreResultFail is a relocation whose instruction must be poisoned: what was looked for and why it failed. */
export interface CoreResultFail {
  ok: false;
  kind: number;
  kindName: string;
  accessPath: string;
  reason: string;
}

/** CoreResult is the outcome of calcCoreRelo. */
export type CoreResult = CoreResultOk | CoreResultFail;

const BITS_PER_BYTE = 8;
const U64_BITS = 64;
const MAX_LOAD_SIZE = 8;

/** Calc is one side's computed value (libbpf's orig_* or new_* fields of bpf_core_relo_res). */
interface Calc {
  poison: boolean;
  value: bigint;
  size: number;
  typeId: number;
  validate: boolean;
}

const essentialIndex = new WeakMap<Btf, Map<string, number[]>>();

/** candidates lists target types that may stand for local type `localId`: same essential name, compatible kind. */
function candidates(local: Btf, localId: number, target: Btf): number[] {
  let index = essentialIndex.get(target);
  if (index === undefined) {
    index = new Map();
    for (let id = 1; id < target.types.length; id++) {
      const n = target.types[id].name;
      if (n === '') continue;
      const key = essentialName(n);
      const ids = index.get(key);
      if (ids === undefined) index.set(key, [id]);
      else ids.push(id);
    }
    essentialIndex.set(target, index);
  }
  const lt = local.types[localId];
  return (index.get(essentialName(lt.name)) ?? []).filter((id) => kindsCompat(target.types[id], lt));
}

/** calcCoreRelo computes a CO-RE relocation of the local BTF against a target BTF (kernel or target program). */
export function calcCoreRelo(local: Btf, relo: CoreReloInput, target: Btf | undefined): CoreResult {
  const kindName = CORE_RELO_KIND_NAMES[relo.kind] ?? `kind ${relo.kind}`;
  const where = `${relo.insn !== undefined ? `insn ${relo.insn}: ` : ''}${kindName} relocation of type ${relo.typeId}`;
  const location = relo.insn !== undefined ? { pc: relo.insn } : {};
  const own = new WeakSet<object>();
  const fail = (message: string, cause?: unknown): LoadError => {
    const e = coreError(`${where}: ${message}`, location, cause);
    own.add(e);
    return e;
  };
  if (relo.kind < 0 || relo.kind >= CORE_RELO_KIND_NAMES.length) throw fail(`unknown relocation kind ${relo.kind}`);
  if (!Number.isInteger(relo.typeId) || relo.typeId < 0 || relo.typeId >= local.types.length) {
    throw fail(`type ${relo.typeId} does not exist, the last type is ${local.types.length - 1}`);
  }
  let accessPath = local.typeName(relo.typeId);
  try {
    const localSpec = parseSpec(local, relo.typeId, relo.access, relo.kind);
    accessPath = formatSpec(localSpec);
    const base = { kind: relo.kind, kindName, accessPath };
    if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
      // Needs no target: the value is the local id itself, which linking may renumber, so it is not validated.
      const id = BigInt(relo.typeId);
      const local0 = { localSize: 0, targetSize: 0, failMemSizeAdjust: false, targetTypeId: 0 };
      return { ok: true, ...base, ...local0, value: id, localValue: id, validate: false, localTypeId: relo.typeId };
    }
    if (target === undefined) {
      const reason = 'no target BTF to relocate against (libbpf needs the kernel BTF or a custom one)';
      return { ok: false, ...base, reason };
    }
    if (local.types[relo.typeId].name === '') {
      throw fail(`${accessPath} (${relo.access}): relocations against anonymous types are not supported`);
    }
    const localCalc = calc(local, localSpec, relo.kind);
    const cands = candidates(local, relo.typeId, target);
    const best = bestCandidate(localSpec, target, cands, (m) => fail(`${accessPath}: ${m}`));
    const targetCalc = best?.calc ?? calc(target, undefined, relo.kind);
    if (targetCalc.poison) return { ok: false, ...base, reason: poisonReason(local, relo, target, cands, accessPath) };
    return {
      ok: true,
      ...base,
      value: targetCalc.value,
      localValue: localCalc.value,
      validate: localCalc.validate,
      localSize: localCalc.size,
      targetSize: targetCalc.size,
      failMemSizeAdjust: best !== undefined && memSizeAdjustFails(local, localCalc, target, targetCalc),
      localTypeId: relo.typeId,
      targetTypeId: best?.spec.rootTypeId ?? 0,
      ...(best ? { targetPath: formatSpec(best.spec) } : {}),
    };
  } catch (e) {
    if (e instanceof LoadError && own.has(e)) throw e;
    if (e instanceof SpecError || e instanceof LoadError) {
      throw fail(`${accessPath} (${relo.access}): ${e.message.replace(/^CO-RE: /, '')}`, e);
    }
    throw e;
  }
}

/**
 * bestCandidate matches the local spec against each candidate and returns the first match with its value; every
 * other match must reach the same bit offset and give the same decision and value, or the relocation is ambiguous.
 */
function bestCandidate(
  localSpec: CoreSpec,
  target: Btf,
  cands: number[],
  ambiguous: (message: string) => Error,
): { spec: CoreSpec; calc: Calc } | undefined {
  let best: { spec: CoreSpec; calc: Calc } | undefined;
  const budget = compareBudget();
  for (const cand of cands) {
    const spec = matchSpec(localSpec, target, cand, budget);
    if (spec === undefined) continue;
    const c = calc(target, spec, localSpec.kind);
    if (best === undefined) {
      best = { spec, calc: c };
      continue;
    }
    const types = `target types ${best.spec.rootTypeId} and ${cand}`;
    if (spec.bitOffset !== best.spec.bitOffset) {
      throw ambiguous(`field offset ambiguity: ${types} give bit offsets ${best.spec.bitOffset} and ${spec.bitOffset}`);
    }
    if (c.poison !== best.calc.poison || c.value !== best.calc.value) {
      throw ambiguous(`relocation decision ambiguity: ${types} give ${best.calc.value} and ${c.value}`);
    }
  }
  return best;
}

/** poisonReason explains why nothing in the target matched: no candidate at all, or none with the field/enumerator. */
function poisonReason(local: Btf, relo: CoreReloInput, target: Btf, cands: number[], accessPath: string): string {
  const what = isFieldKind(relo.kind) ? 'field' : isEnumKind(relo.kind) ? 'enumerator' : 'type';
  if (cands.length === 0) {
    const holder = what === 'enumerator' ? 'enum' : 'type';
    return `the target has no ${holder} named ${essentialName(local.types[relo.typeId].name)} of a compatible kind`;
  }
  const names = cands.map((c) => target.typeName(c)).join(', ');
  const count = cands.length === 1 ? 'candidate' : `${cands.length} candidates`;
  return `no ${what} matching ${accessPath} in the target's ${count} (${names})`;
}

/**
 * memSizeAdjustFails says whether a load/store of the field cannot simply change size: only pointers, and integers
 * that are unsigned on both sides, keep their value when read with another width (zero extension).
 */
function memSizeAdjustFails(local: Btf, l: Calc, target: Btf, t: Calc): boolean {
  if (l.size === t.size) return false;
  const lt = local.types[l.typeId];
  const tt = target.types[t.typeId];
  if (lt.kind === BtfKind.PTR && tt.kind === BtfKind.PTR) return false;
  const unsigned = (t: typeof lt): boolean => t.kind === BtfKind.INT && t.encoding !== IntEncoding.SIGNED;
  return !(unsigned(lt) && unsigned(tt));
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(U64_BITS, BigInt(n));
const POISON: Calc = { poison: true, value: 0n, size: 0, typeId: 0, validate: true };

/** calc computes one side's value from its spec (undefined: nothing matched in the target). */
function calc(btf: Btf, spec: CoreSpec | undefined, kind: number): Calc {
  const plain = (value: bigint, validate = true): Calc => ({ poison: false, value, size: 0, typeId: 0, validate });
  switch (kind) {
    case CoreReloKind.FIELD_EXISTS:
    case CoreReloKind.ENUMVAL_EXISTS:
      return plain(spec ? 1n : 0n);
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return plain(spec ? 1n : 0n);
    case CoreReloKind.TYPE_ID_TARGET:
      // Type ids change when objects are linked, so the compiler's value is not checked.
      return plain(spec ? u64(spec.rootTypeId) : 0n, false);
    case CoreReloKind.TYPE_SIZE:
      return plain(spec ? u64(btf.sizeOf(spec.rootTypeId)) : 0n);
    case CoreReloKind.ENUMVAL_VALUE: {
      if (!spec) return POISON;
      const acc = spec.accessors[0];
      const t = btf.types[acc.typeId];
      if (!isAnyEnum(t)) return POISON;
      const v = t.values[acc.idx].value;
      // libbpf reads a 32-bit enumerator as __s32, so it is sign-extended whatever the enum's signedness.
      return plain(typeof v === 'number' ? u64(v | 0) : u64(v));
    }
    default:
      return spec ? fieldCalc(btf, spec, kind) : POISON;
  }
}

/** fieldCalc is libbpf's bpf_core_calc_field_relo for a matched field or array element. */
function fieldCalc(btf: Btf, spec: CoreSpec, kind: number): Calc {
  const acc = spec.accessors[spec.accessors.length - 1];
  if (acc.name === undefined) {
    // An array element (or the root itself) rather than a named field.
    const size = btf.sizeOf(acc.typeId);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      const value = u64(Math.floor(spec.bitOffset / BITS_PER_BYTE));
      return { poison: false, value, size, typeId: acc.typeId, validate: true };
    }
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return { ...POISON, poison: false, value: u64(size) };
    throw new SpecError(`a ${CORE_RELO_KIND_NAMES[kind]} relocation cannot apply to an array element`);
  }
  const holder = btf.types[acc.typeId];
  if (!isComposite(holder)) throw new SpecError(`type ${acc.typeId} has no members`);
  const m = holder.members[acc.idx];
  const fieldTypeId = btf.resolve(m.type);
  const mt = btf.types[fieldTypeId];
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    if (mt.kind !== BtfKind.INT && !isAnyEnum(mt)) throw new SpecError(`bitfield ${m.name} is not an integer or an enum`);
    byteSize = mt.size;
    byteOff = Math.floor(bitOff / BITS_PER_BYTE / byteSize) * byteSize;
    // Find the smallest load that covers the whole bitfield.
    while (bitOff + bitSize - byteOff * BITS_PER_BYTE > byteSize * BITS_PER_BYTE) {
      if (byteSize >= MAX_LOAD_SIZE) throw new SpecError(`bitfield ${m.name} cannot be read with a 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / BITS_PER_BYTE / byteSize) * byteSize;
    }
  } else {
    byteSize = btf.sizeOf(fieldTypeId);
    byteOff = Math.floor(bitOff / BITS_PER_BYTE);
    bitSize = byteSize * BITS_PER_BYTE;
  }
  const out = (value: number | bigint, validate = !bitfield): Calc => ({ ...POISON, poison: false, value: u64(value), validate });
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return { ...out(byteOff), size: bitfield ? 0 : byteSize, typeId: bitfield ? 0 : fieldTypeId };
    case CoreReloKind.FIELD_BYTE_SIZE:
      return out(byteSize);
    case CoreReloKind.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && mt.signed) || (mt.kind === BtfKind.INT && (mt.encoding & IntEncoding.SIGNED) !== 0);
      return out(signed ? 1 : 0, true);
    }
    case CoreReloKind.FIELD_LSHIFT_U64:
      return out(
        btf.littleEndian
          ? U64_BITS - (bitOff + bitSize - byteOff * BITS_PER_BYTE)
          : (MAX_LOAD_SIZE - byteSize) * BITS_PER_BYTE + (bitOff - byteOff * BITS_PER_BYTE),
      );
    default:
      // FIELD_RSHIFT_U64: never ambiguous, so always checked.
      return out(U64_BITS - bitSize, true);
  }
}

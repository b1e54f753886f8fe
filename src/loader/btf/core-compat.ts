/**
 * The type comparisons of CO-RE, as libbpf defines them (relo_core.c): `typesAreCompat` for TYPE_EXISTS/TYPE_SIZE/
 * TYPE_ID_TARGET candidates, `fieldsAreCompat` for a field matched by name, `typesMatch` for TYPE_MATCHES, and the
 * "essential name" rule that makes `task_struct___v2` a candidate for `task_struct`. Recursion is bounded as in
 * libbpf (depth and level 32); running out is a LoadError, never a hang.
 */
import type { Btf } from './btf.js';
import { WorkBudget } from './budget.js';
import { coreError } from './errors.js';
import { BtfKind, isAnyEnum, isComposite, type BtfType } from './types.js';

/** MAX_COMPAT_DEPTH bounds type comparisons, as libbpf's depth counters and MAX_TYPES_*_DEPTH do. */
const MAX_COMPAT_DEPTH = 32;
/** Most steps one relocation may spend comparing types. */
const MAX_COMPARE_STEPS = 1_000_000;

/** compareBudget returns the step budget of one relocation's type comparisons. */
export function compareBudget(): WorkBudget {
  return new WorkBudget(MAX_COMPARE_STEPS, () => coreError(`type comparison needs more than ${MAX_COMPARE_STEPS} steps`));
}

/** Length of the `___` flavor separator. */
const FLAVOR_SEP = '___';
const FLAVOR_SEP_SPAN = 5;

/** essentialName strips a `___flavor` suffix: `task_struct___v2` -> `task_struct` (the last `X___Y` with X, Y not `_`). */
export function essentialName(name: string): string {
  for (let i = name.length - FLAVOR_SEP_SPAN; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith(FLAVOR_SEP, i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** kindsCompat tells whether two types are of the same kind for CO-RE (ENUM and ENUM64 count as one). */
export function kindsCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

function tooDeep(what: string, localId: number, targetId: number): Error {
  return coreError(
    `comparing local type ${localId} with target type ${targetId}: ${what} nests deeper than ${MAX_COMPAT_DEPTH} levels`,
  );
}

/** typesAreCompat is libbpf's bpf_core_types_are_compat: kinds agree level by level through pointers, arrays, protos. */
export function typesAreCompat(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  budget = compareBudget(),
  level = MAX_COMPAT_DEPTH,
): boolean {
  if (!kindsCompat(local.type(localId), target.type(targetId))) return false;
  let lid = localId;
  let tid = targetId;
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    budget.spend();
    lid = local.resolve(lid);
    tid = target.resolve(tid);
    const lt = local.types[lid];
    const tt = target.types[tid];
    if (!kindsCompat(lt, tt)) return false;
    switch (lt.kind) {
      case BtfKind.UNKN:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FWD:
        return true;
      case BtfKind.INT:
        return lt.offset === 0 && tt.kind === BtfKind.INT && tt.offset === 0;
      case BtfKind.PTR:
        lid = lt.type;
        tid = (tt as typeof lt).type;
        continue;
      case BtfKind.ARRAY:
        lid = lt.type;
        tid = (tt as typeof lt).type;
        continue;
      case BtfKind.FUNC_PROTO: {
        const tp = tt as typeof lt;
        if (lt.params.length !== tp.params.length || lt.variadic !== tp.variadic) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw tooDeep('function prototype', localId, targetId);
          const lp = local.resolve(lt.params[i].type);
          const tpp = target.resolve(tp.params[i].type);
          if (!typesAreCompat(local, lp, target, tpp, budget, level - 1)) return false;
        }
        lid = lt.returnType;
        tid = tp.returnType;
        continue;
      }
      default:
        // libbpf warns "unexpected kind relocated" and reports no match (this includes FLOAT).
        return false;
    }
  }
  throw tooDeep('type', localId, targetId);
}

/** fieldsAreCompat is libbpf's bpf_core_fields_are_compat: may a local field be read as the same-named target one? */
export function fieldsAreCompat(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  budget = compareBudget(),
): boolean {
  let lid = localId;
  let tid = targetId;
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    budget.spend();
    lid = local.resolve(lid);
    tid = target.resolve(tid);
    const lt = local.types[lid];
    const tt = target.types[tid];
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindsCompat(lt, tt)) return false;
    switch (lt.kind) {
      case BtfKind.PTR:
      case BtfKind.FLOAT:
        return true;
      case BtfKind.FWD:
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        // Either side anonymous, or the same name up to the flavor.
        const ln = essentialName(lt.name);
        const tn = essentialName(tt.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case BtfKind.INT:
        return lt.offset === 0 && tt.kind === BtfKind.INT && tt.offset === 0;
      case BtfKind.ARRAY:
        lid = lt.type;
        tid = (tt as typeof lt).type;
        continue;
      default:
        return false;
    }
  }
  throw tooDeep('field type', localId, targetId);
}

/** namesMatch compares names up to the flavor; an anonymous target matches only an anonymous local. */
function namesMatch(localName: string, targetName: string): boolean {
  if (targetName === '') return localName === '';
  return essentialName(localName) === essentialName(targetName);
}

/** typesMatch is libbpf's bpf_core_types_match, the TYPE_MATCHES relation (stricter than compatibility). */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, budget = compareBudget()): boolean {
  return match({ local, target, budget }, localId, targetId, false, MAX_COMPAT_DEPTH);
}

interface MatchContext {
  local: Btf;
  target: Btf;
  budget: WorkBudget;
}

function match(cx: MatchContext, localId: number, targetId: number, behindPtr: boolean, level: number): boolean {
  if (level <= 0) throw tooDeep('type match', localId, targetId);
  const { local, target } = cx;
  let lid = localId;
  let tid = targetId;
  let behind = behindPtr;
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    cx.budget.spend();
    lid = local.resolve(lid);
    tid = target.resolve(tid);
    const lt = local.types[lid];
    const tt = target.types[tid];
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case BtfKind.UNKN:
        return tt.kind === BtfKind.UNKN;
      case BtfKind.FWD: {
        if (tt.kind === BtfKind.FWD) return lt.fwdKind === tt.fwdKind;
        // Behind a pointer a forward declaration matches the full definition of the same kind.
        if (!behind) return false;
        if (tt.kind === BtfKind.STRUCT) return lt.fwdKind === 'struct';
        return tt.kind === BtfKind.UNION && lt.fwdKind === 'union';
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return isAnyEnum(tt) && enumsMatch(lt.size, lt.values, tt.size, tt.values);
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        if (behind) {
          if (lt.kind === tt.kind) return true;
          return tt.kind === BtfKind.FWD && (lt.kind === BtfKind.UNION) === (tt.fwdKind === 'union');
        }
        return lt.kind === tt.kind && compositesMatch(cx, lt.members, tt.members, behind, level);
      case BtfKind.INT:
        return tt.kind === BtfKind.INT && lt.size === tt.size && lt.signed === tt.signed;
      case BtfKind.PTR:
        if (tt.kind !== BtfKind.PTR) return false;
        behind = true;
        lid = lt.type;
        tid = tt.type;
        continue;
      case BtfKind.ARRAY:
        if (tt.kind !== BtfKind.ARRAY || lt.nelems !== tt.nelems) return false;
        lid = lt.type;
        tid = tt.type;
        continue;
      case BtfKind.FUNC_PROTO: {
        if (tt.kind !== BtfKind.FUNC_PROTO) return false;
        if (lt.params.length !== tt.params.length || lt.variadic !== tt.variadic) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!match(cx, lt.params[i].type, tt.params[i].type, behind, level - 1)) return false;
        }
        lid = lt.returnType;
        tid = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  throw tooDeep('type match', localId, targetId);
}

function enumsMatch(
  localSize: number,
  localValues: ReadonlyArray<{ name: string }>,
  targetSize: number,
  targetValues: ReadonlyArray<{ name: string }>,
): boolean {
  if (localSize !== targetSize || localValues.length > targetValues.length) return false;
  return localValues.every((l) => targetValues.some((t) => namesMatch(l.name, t.name)));
}

function compositesMatch(
  cx: MatchContext,
  localMembers: ReadonlyArray<{ name: string; type: number }>,
  targetMembers: ReadonlyArray<{ name: string; type: number }>,
  behindPtr: boolean,
  level: number,
): boolean {
  if (localMembers.length > targetMembers.length) return false;
  return localMembers.every((l) =>
    targetMembers.some((t) => {
      cx.budget.spend();
      return namesMatch(l.name, t.name) && match(cx, l.type, t.type, behindPtr, level - 1);
    }),
  );
}

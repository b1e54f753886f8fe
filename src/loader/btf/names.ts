/**
 * C spelling of BTF types. `declare` builds a declarator inside out, as C reads: the pointer, array and function
 * parts wrap the name, and the base type goes in front, so `int *(*)[4]` and `void (*handler)(int)` come out right.
 */
import type { Btf } from './btf.js';
import { WorkBudget } from './budget.js';
import { btfError } from './errors.js';
import { BtfKind } from './types.js';

/** Deepest declarator printed; only a reference cycle in a malformed blob reaches it. */
const MAX_DECLARATOR_DEPTH = 64;
/** Most types visited to print one declaration (prototypes whose parameters refer back to them multiply work). */
const MAX_DECLARATOR_STEPS = 100_000;

/** declaratorBudget returns the step budget of one top-level declaration. */
export function declaratorBudget(id: number): WorkBudget {
  const exhausted = () => btfError(`type ${id}: declaration needs more than ${MAX_DECLARATOR_STEPS} steps`);
  return new WorkBudget(MAX_DECLARATOR_STEPS, exhausted);
}

/** joinBase puts a base type in front of a declarator: `int` + `*p` is `int *p`, `char` + `[16]` is `char[16]`. */
function joinBase(base: string, inner: string): string {
  if (inner === '') return base;
  return inner.startsWith('[') ? base + inner : base + ' ' + inner;
}

/** declare spells type `id` around the declarator `inner` (a name, or '' for an abstract declarator). */
export function declare(btf: Btf, id: number, inner: string, depth = 0, budget = declaratorBudget(id)): string {
  budget.spend();
  if (depth > MAX_DECLARATOR_DEPTH) {
    throw btfError(`type ${id}: declarator nests deeper than ${MAX_DECLARATOR_DEPTH} levels or loops`);
  }
  const t = btf.type(id);
  const next = depth + 1;
  switch (t.kind) {
    case BtfKind.UNKN:
      return joinBase('void', inner);
    case BtfKind.INT:
    case BtfKind.FLOAT:
    case BtfKind.TYPEDEF:
      return joinBase(t.name, inner);
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return joinBase(`${t.kind === BtfKind.STRUCT ? 'struct' : 'union'} ${t.name || '{...}'}`, inner);
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return joinBase(`enum ${t.name || '{...}'}`, inner);
    case BtfKind.FWD:
      return joinBase(`${t.fwdKind} ${t.name}`, inner);
    case BtfKind.PTR: {
      const target = btf.type(t.type);
      const wrap = target.kind === BtfKind.ARRAY || target.kind === BtfKind.FUNC_PROTO;
      return declare(btf, t.type, wrap ? `(*${inner})` : `*${inner}`, next, budget);
    }
    case BtfKind.CONST:
    case BtfKind.VOLATILE:
    case BtfKind.RESTRICT: {
      const q = t.kind === BtfKind.CONST ? 'const' : t.kind === BtfKind.VOLATILE ? 'volatile' : 'restrict';
      // A qualified pointer puts the qualifier after the star (`int *const p`); anything else takes it in front.
      if (btf.type(t.type).kind === BtfKind.PTR) {
        return declare(btf, t.type, inner === '' ? q : `${q} ${inner}`, next, budget);
      }
      return `${q} ${declare(btf, t.type, inner, next, budget)}`;
    }
    case BtfKind.TYPE_TAG:
    case BtfKind.DECL_TAG:
      return declare(btf, t.type, inner, next, budget);
    case BtfKind.ARRAY:
      return declare(btf, t.type, `${inner}[${t.nelems}]`, next, budget);
    case BtfKind.FUNC_PROTO: {
      const params = t.params.map((p) => declare(btf, p.type, p.name, next, budget));
      if (t.variadic) params.push('...');
      return declare(btf, t.returnType, `${inner}(${params.length ? params.join(', ') : 'void'})`, next, budget);
    }
    case BtfKind.FUNC:
    case BtfKind.VAR:
      return declare(btf, t.type, inner === '' ? t.name : inner, next, budget);
    case BtfKind.DATASEC:
      return joinBase(`SEC("${t.name}")`, inner);
  }
}

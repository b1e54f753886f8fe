/**
 * C declarations of BTF types for listings and debugging (`prog show`, error reports): the definition of a struct,
 * union or enum one level deep (nested named types by name, anonymous ones as `struct {...}`), typedefs, functions
 * and variables with their linkage, and section contents with offsets.
 */
import type { Btf } from './btf.js';
import { declare as declareType, declaratorBudget } from './names.js';
import { BtfKind, kindName } from './types.js';

/** formatTypeC prints a readable C declaration of type `id`. It throws only LoadError (for a bad id). */
export function formatTypeC(btf: Btf, id: number): string {
  const t = btf.type(id);
  const budget = declaratorBudget(id);
  const declare = (type: number, name: string): string => declareType(btf, type, name, 0, budget);
  switch (t.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const head = `${t.kind === BtfKind.STRUCT ? 'struct' : 'union'}${t.name ? ' ' + t.name : ''}`;
      const lines = t.members.map((m) => {
        const decl = declare(m.type, m.name);
        return `\t${decl}${m.bitfieldSize > 0 ? `: ${m.bitfieldSize}` : ''};`;
      });
      return `${head} {\n${lines.map((l) => l + '\n').join('')}};`;
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const lines = t.values.map((v) => `\t${v.name} = ${v.value},\n`);
      return `enum${t.name ? ' ' + t.name : ''} {\n${lines.join('')}};`;
    }
    case BtfKind.FWD:
      return `${t.fwdKind} ${t.name};`;
    case BtfKind.TYPEDEF:
      return `typedef ${declare(t.type, t.name)};`;
    case BtfKind.FUNC:
      return `${t.linkage === 'global' ? '' : t.linkage + ' '}${declare(id, '')};`;
    case BtfKind.VAR:
      return `${t.linkage === 'global' ? '' : t.linkage + ' '}${declare(t.type, t.name)};`;
    case BtfKind.DATASEC: {
      const lines = t.vars.map((v) => {
        const vt = btf.type(v.type);
        const linkage = 'linkage' in vt && vt.linkage !== 'global' ? vt.linkage + ' ' : '';
        const decl = `${linkage}${declare(v.type, '')};`;
        return `\t${decl} /* offset ${v.offset}, size ${v.size} */\n`;
      });
      return `SEC("${t.name}") {\n${lines.join('')}};`;
    }
    case BtfKind.DECL_TAG: {
      const where = t.componentIdx >= 0 ? ` component ${t.componentIdx}` : '';
      const on = `type ${t.type} (${kindName(btf.type(t.type).kind)})${where}`;
      return `__attribute__((btf_decl_tag("${t.name}"))) /* on ${on} */`;
    }
    default:
      return btf.typeName(id);
  }
}

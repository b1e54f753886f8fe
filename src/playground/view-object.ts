/**
 * The object's side of the page: its programs, maps and BTF types (the data of `prog show`, `map show`), and a
 * program's listing with the C source lines between its instructions (`prog dump`, like `llvm-objdump -S`).
 */
import type { ListingRow, MapSummary, ProgramSummary } from '../index.js';
import { h } from './dom.js';
import type { OpenedObject } from './session.js';

/** programsView lists the programs; clicking one selects it (its listing, the run form's program). */
export function programsView(obj: OpenedObject, selected: string, select: (name: string) => void): HTMLElement {
  // Two rows per program: what it is, then the helpers it calls and what stops it from loading or running.
  const rows = (p: ProgramSummary) => {
    const attrs = { 'data-program': p.name, onclick: () => select(p.name) };
    const cls = p.name === selected ? 'selected' : '';
    const bad = [p.unsupported_maps, p.unsupported_helpers, p.unsupported_kfuncs, p.unsupported_kernel_variables, p.core_failed].some((x) => x.length > 0);
    return [
      h('tr', { ...attrs, class: `${cls} has-sub` }, h('td', {}, h('b', {}, p.name)), h('td', {}, p.type), h('td', { class: 'mono' }, p.section), h('td', { class: 'num' }, p.insns)),
      h('tr', { ...attrs, class: `${cls} sub` }, h('td', { colspan: 4 }, p.helpers.length ? `helpers: ${p.helpers.join(', ')}` : 'no helpers', ' ', h('span', { class: bad ? 'bad' : '' }, problems(p)))),
    ];
  };
  return h(
    'table',
    { class: 'grid', id: 'programs-table' },
    h('thead', {}, h('tr', {}, ...['name', 'type', 'section', 'insns'].map((t) => h('th', {}, t)))),
    h('tbody', {}, obj.programs.flatMap(rows)),
  );
}

/** problems says what stops a program from loading here, as `prog show` does, and what CO-RE did. */
function problems(p: ProgramSummary): string {
  const out: string[] = [];
  if (p.kfuncs.length) out.push(`kfuncs: ${p.kfuncs.join(', ')}`);
  if (p.unsupported_maps.length) out.push(`unsupported map types: ${p.unsupported_maps.join(', ')}`);
  if (p.unsupported_helpers.length) out.push(`unsupported helpers: ${p.unsupported_helpers.join(', ')}`);
  if (p.unsupported_kfuncs.length) out.push(`unsupported kfuncs: ${p.unsupported_kfuncs.join(', ')}`);
  if (p.unsupported_kernel_variables.length) out.push(`kernel variables without memory here: ${p.unsupported_kernel_variables.join(', ')}`);
  if (p.unresolved_kfuncs.length) out.push(`weak kfuncs missing (calls poisoned): ${p.unresolved_kfuncs.join(', ')}`);
  for (const f of p.core_failed) out.push(`CO-RE ${f.kind} ${f.access} failed at pc ${f.pc}`);
  if (p.core_relocations && !p.core_failed.length) out.push(`${p.core_relocations} CO-RE relocations`);
  return out.join('; ');
}

/** mapsView lists the maps with their types, sizes and BTF key/value types. */
export function mapsView(obj: OpenedObject): HTMLElement {
  if (!obj.maps.length) return h('p', { class: 'muted' }, 'no maps');
  const row = (m: MapSummary) =>
    h(
      'tr',
      {},
      h('td', {}, h('b', {}, m.name)),
      h('td', {}, m.type),
      h('td', { class: 'mono' }, keyValue(m)),
      h('td', { class: 'num' }, m.max_entries),
    );
  return h(
    'table',
    { class: 'grid' },
    h('thead', {}, h('tr', {}, ...['name', 'type', 'key → value', 'max'].map((t) => h('th', {}, t)))),
    h('tbody', {}, obj.maps.map(row)),
  );
}

function keyValue(m: MapSummary): string {
  if (m.origin !== 'maps') return `${m.value_size} B${m.read_only ? ', read-only' : ''}`;
  if (m.type === 'ringbuf') return `${m.max_entries} B of records`;
  return `${m.btf_key ?? m.key_size + ' B'} → ${m.btf_value ?? m.value_size + ' B'}`;
}

/** btfView lists the object's BTF types with their C declarations, named types first. */
export function btfView(obj: OpenedObject): HTMLElement {
  if (!obj.btfTypes.length) return h('p', { class: 'muted' }, 'no BTF');
  const named = obj.btfTypes.filter((t) => t.name && /^(struct|union|enum|typedef|func|datasec)/i.test(t.kind));
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, `${obj.btfTypes.length} types; ${named.length} named structs, unions, enums, typedefs, functions and sections below`),
    ...named.map((t) => h('details', { class: 'btf-type' }, h('summary', {}, h('span', { class: 'kind' }, t.kind.toLowerCase()), ' ', t.name, h('span', { class: 'muted' }, ` #${t.id}`)), h('pre', {}, t.c))),
  );
}

/** listingView renders a program's listing; each instruction row carries `data-pc` for highlighting the current step. */
export function listingView(rows: readonly ListingRow[]): HTMLElement {
  const body = rows.map((r) => {
    if (r.kind === 'function') return h('tr', { class: 'fn' }, h('td', { colspan: 4 }, `${r.name}:`));
    // Line 0 is code the compiler made up (no source line): nothing to show.
    if (r.kind === 'source' && r.line === 0 && r.text === '') return null;
    if (r.kind === 'source') return h('tr', { class: 'src' }, h('td', { colspan: 4 }, h('span', { class: 'line' }, `${r.file.split('/').pop()}:${r.line}`), ' ', r.text));
    const target = r.target === undefined ? '' : ` → ${r.target}`;
    return h(
      'tr',
      { class: 'insn', 'data-pc': r.pc },
      h('td', { class: 'pc' }, r.pc),
      h('td', { class: 'bytes' }, r.bytes.join(' ')),
      h('td', { class: 'text' }, r.text + target),
      h('td', { class: 'notes' }, r.notes.join('; ')),
    );
  });
  return h('table', { class: 'listing', id: 'listing-table' }, h('tbody', {}, body));
}

/** markListing highlights the instruction at `pc` (and scrolls to it) and marks faulting ones; -1 clears. */
export function markListing(root: HTMLElement, pc: number, cls = 'current'): void {
  for (const el of root.querySelectorAll(`tr.${cls}`)) el.classList.remove(cls);
  if (pc < 0) return;
  const row = root.querySelector<HTMLElement>(`tr.insn[data-pc="${pc}"]`);
  if (!row) return;
  row.classList.add(cls);
  row.scrollIntoView?.({ block: 'nearest' });
}

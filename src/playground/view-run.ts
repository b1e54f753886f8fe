/**
 * The run's side of the page: what a run returned (r0, trace_printk, ring and perf buffer records, maps decoded with
 * BTF), one traced step (every register, those the instruction wrote marked, the memory it stored), and errors with
 * their location.
 */
import type { FormattedValue } from '../index.js';
import { h } from './dom.js';
import type { RunReport, ShownError, StepState } from './session.js';

/** hex64 prints a 64-bit value as the CLI does: 0x hex. */
export const hex64 = (v: bigint): string => '0x' + v.toString(16);

/** showValue prints a BTF-decoded value compactly (JSON without quotes on keys). */
export function showValue(v: FormattedValue): string {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? v : String(v);
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${showValue(x)}`).join(', ')} }`;
}

/** resultView shows one run's results. */
export function resultView(r: RunReport): HTMLElement {
  const section = (title: string, ...body: Node[]) => h('div', { class: 'result-part' }, h('h3', {}, title), ...body);
  const mapRows = r.maps.filter((m) => m.entries.length);
  return h(
    'div',
    { id: 'result' },
    h(
      'p',
      { class: 'r0' },
      'r0 = ',
      h('b', { id: 'r0' }, hex64(r.r0)),
      ` (${BigInt.asIntN(64, r.r0)}), `,
      h('span', { id: 'steps' }, `${r.steps} instructions`),
      ` on ${r.backend}, compiled in ${r.compileMs.toFixed(2)} ms, ran in ${r.runMs.toFixed(3)} ms`,
    ),
    r.unverified ? h('p', { id: 'unverified', class: 'muted' }, `ran unverified, with every runtime check: ${r.unverified}`) : null,
    r.signals.length ? h('p', {}, `signals: ${r.signals.map((s) => `${s.signal}${s.thread ? ' (thread)' : ''}`).join(', ')}`) : null,
    r.printk.length ? section('trace_printk', h('pre', { id: 'printk' }, r.printk.join('\n'))) : null,
    r.records.length
      ? section('ring and perf buffer records', h('pre', { id: 'records' }, r.records.map((x) => `${x.map}${x.cpu !== undefined ? ` cpu ${x.cpu}` : ''}: ${showValue(x.value)}`).join('\n')))
      : null,
    section(
      'maps',
      mapRows.length
        ? h('table', { class: 'grid', id: 'map-dump' }, h('tbody', {}, mapRows.flatMap((m) => m.entries.map((e, i) => h('tr', {}, h('td', {}, i === 0 ? h('b', {}, m.name) : ''), h('td', { class: 'mono' }, showValue(e.key)), h('td', { class: 'mono' }, showValue(e.value)))))))
        : h('p', { class: 'muted' }, 'no map elements'),
    ),
  );
}

/** stepView shows step `i` of a traced run: position, registers (written ones marked) and the memory stored. */
export function stepView(r: RunReport, i: number): HTMLElement {
  const trace = r.trace ?? [];
  const s: StepState | undefined = trace[i];
  const regs = s ? s.regs : (r.entry ?? []);
  const changed = new Set(s?.changed ?? []);
  return h(
    'div',
    { id: 'step' },
    h(
      'p',
      { id: 'step-pos' },
      s ? `step ${i + 1} of ${trace.length}${r.traceCut ? '+' : ''}: pc ${s.pc}: ` : `before the first instruction (${trace.length} steps recorded${r.traceCut ? ', cut' : ''})`,
      s ? h('code', { id: 'step-insn' }, `${'  '.repeat(s.depth)}${s.insn}`) : null,
    ),
    h(
      'table',
      { class: 'regs', id: 'regs' },
      h(
        'tbody',
        {},
        regs.map((v, reg) =>
          h('tr', { class: changed.has(reg) ? 'changed' : '', 'data-reg': reg }, h('td', {}, `r${reg}`), h('td', { class: 'mono' }, hex64(v)), h('td', { class: 'mono muted' }, String(BigInt.asIntN(64, v)))),
        ),
      ),
    ),
    h('p', { id: 'store' }, s?.store ? `stored ${s.store.size} bytes at ${hex64(BigInt(s.store.address))}: ${hex64(s.store.value)}` : 'no memory stored by this instruction'),
  );
}

/** errorView shows an error with its location; it replaces nothing else on the page. */
export function errorView(e: ShownError, dismiss: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('button', { class: 'dismiss', title: 'dismiss', onclick: dismiss }, '×'),
    h('b', {}, e.title),
    h('p', { class: 'message' }, e.message),
    e.where.length ? h('ul', { class: 'where' }, e.where.map((w) => h('li', {}, w))) : null,
  );
}

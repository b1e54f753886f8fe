/**
 * Panels about one program that analyses contribute to the page. The verifier (per-instruction state and verdict) is
 * the first: a panel gets the opened object and the selected program and returns what to show, and `main.ts` renders
 * every panel of `PANELS` under its title. A panel that throws shows its error in its place, not a blank page.
 */
import type { LogEntry } from '../index.js';
import { byId, h } from './dom.js';
import type { OpenedObject } from './session.js';
import { verifyForPage, type PageVerdict } from './verdict.js';
import { markListing } from './view-object.js';

/** ProgramPanel is an analysis shown for the selected program. */
export interface ProgramPanel {
  id: string;
  title: string;
  show(obj: OpenedObject, program: string): HTMLElement;
}

/** MAX_LOG_ROWS bounds the state log rows drawn (a program with loops can log a million instructions). */
export const MAX_LOG_ROWS = 2000;

function statsText(v: PageVerdict): string {
  const s = v.stats!;
  return `${s.insnsProcessed} instructions processed, ${s.statesExplored} states explored, ${s.statesPruned} pruned, ${s.loopsWidened} loop heads widened, ${s.stackDepth} bytes of stack, ${s.ms.toFixed(1)} ms`;
}

/** rejectionView shows a rejection as the CLI prints it: the rule, the message, the source line, registers, path. */
function rejectionView(v: PageVerdict): HTMLElement {
  const e = v.error!;
  const loc = e.location;
  return h(
    'div',
    { class: 'error', id: 'verifier-error' },
    h('b', {}, `rejected (${e.code})`),
    h('p', { class: 'message' }, e.message),
    h(
      'ul',
      { class: 'where' },
      loc.pc !== undefined ? h('li', {}, `pc ${loc.pc}: ${loc.insn ?? ''}`) : null,
      loc.source ? h('li', { id: 'verifier-source' }, `source: ${loc.source}`) : null,
      e.path.length ? h('li', { id: 'verifier-path' }, `path: ${e.path.join(', ')}`) : null,
    ),
    Object.keys(e.regs).length
      ? h('table', { class: 'grid', id: 'verifier-regs' }, h('tbody', {}, Object.entries(e.regs).map(([r, s]) => h('tr', { 'data-reg': r }, h('td', {}, r), h('td', { class: 'mono' }, s)))))
      : null,
  );
}

function logRow(e: LogEntry): HTMLElement {
  const mark = (pc: number) => () => markListing(byId('listing'), pc);
  switch (e.kind) {
    case 'path':
      return h('tr', { class: 'path' }, h('td', { colspan: 3 }, `path from ${e.from} at pc ${e.pc}: ${e.state}`));
    case 'insn':
      return h('tr', { class: 'insn', 'data-pc': e.pc, onclick: mark(e.pc) }, h('td', { class: 'num' }, e.pc), h('td', { class: 'mono' }, e.insn), h('td', { class: 'mono' }, e.state ?? ''));
    case 'pruned':
      return h('tr', { class: 'pruned', 'data-pc': e.pc, onclick: mark(e.pc) }, h('td', { class: 'num' }, e.pc), h('td', { colspan: 2 }, 'safe: an explored state covers this one'));
    case 'widened':
      return h('tr', { class: 'pruned', 'data-pc': e.pc, onclick: mark(e.pc) }, h('td', { class: 'num' }, e.pc), h('td', {}, 'loop head widened'), h('td', { class: 'mono' }, e.state));
    case 'note':
      return e.pc === undefined
        ? h('tr', { class: 'note' }, h('td', { colspan: 3 }, e.text))
        : h('tr', { class: 'note', 'data-pc': e.pc, onclick: mark(e.pc) }, h('td', { class: 'num' }, e.pc), h('td', { colspan: 2 }, e.text));
  }
}

/** logView is the state log: each processed instruction with the state after it, paths and pruning between. */
function logView(v: PageVerdict): HTMLElement {
  const rows = v.entries.slice(0, MAX_LOG_ROWS).map(logRow);
  const more = v.entries.length - rows.length;
  return h(
    'details',
    { id: 'verifier-log-box', open: true },
    h('summary', {}, h('h3', {}, `state log: ${v.entries.length} entries, ${v.reached} of ${v.slots} instruction slots reached`)),
    h('table', { class: 'grid vlog', id: 'verifier-log' }, h('thead', {}, h('tr', {}, h('th', {}, 'pc'), h('th', {}, 'instruction'), h('th', {}, 'state after'))), h('tbody', {}, rows)),
    more > 0 ? h('p', { class: 'muted' }, `${more} more entries: bpftime-vm verify -v prints them all`) : null,
  );
}

/**
 * verifierPanel shows the verdict of the program's verification (the one runs go through), its statistics and facts,
 * the located rejection with its register states (its instruction marked in the listing), and the state log.
 */
const verifierPanel: ProgramPanel = {
  id: 'verifier',
  title: 'verifier',
  show: (obj, program) => {
    if (!program) return h('p', { class: 'muted' }, 'no program');
    const v = verifyForPage(obj, program);
    if (v.verdict === 'not verified') {
      return h('div', {}, h('p', { id: 'verdict', class: 'verdict' }, `not verified: ${v.reason}`), h('p', { class: 'muted' }, 'it runs with every runtime check (bounds, budget); loads of kernel pointers read 0 when bad'));
    }
    const pc = v.error?.location.pc;
    if (pc !== undefined) queueMicrotask(() => markListing(byId('listing'), pc, 'fault'));
    return h(
      'div',
      {},
      h('p', { id: 'verdict', class: `verdict ${v.verdict === 'accepted' ? 'ok' : 'bad'}` }, h('b', {}, v.verdict), `: ${statsText(v)}`),
      v.facts
        ? h('p', { id: 'verifier-facts', class: 'muted' }, `${v.facts.inBounds} loads and stores proved in bounds (the JIT drops their checks); ${v.facts.terminates ? 'every path ends: no instruction budget needed' : 'termination not proved'}`)
        : null,
      v.error ? rejectionView(v) : null,
      logView(v),
    );
  },
};

/** PANELS are the program panels, in page order. */
export const PANELS: ProgramPanel[] = [verifierPanel];

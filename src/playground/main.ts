/**
 * The web playground's page (dist/playground/playground.js, served by `bpftime-vm playground` or as static files):
 * open or drop an object or pick a built-in example, browse it, run a program on any backend, step through a traced
 * run. Every failure lands in the error area with its location, and the rest of the page stays as it was.
 */
import { ENGINES, VERSION, type BackendName, type VerifyMode } from '../index.js';
import { byId, h, replace } from './dom.js';
import { PANELS } from './panels.js';
import { openObject, Session, showError, type RunForm, type RunReport, type ShownError } from './session.js';
import { btfView, listingView, mapsView, markListing, programsView } from './view-object.js';
import { errorView, resultView, stepView } from './view-run.js';

interface PageState {
  session?: Session;
  program: string;
  traced?: RunReport;
  step: number;
}

const state: PageState = { program: '', step: -1 };

/** report shows an error in the page; errors about an instruction also mark its row in the listing. */
function report(title: string, e: unknown): void {
  const shown: ShownError = showError(title, e);
  const box = byId('errors');
  const el = errorView(shown, () => el.remove());
  box.prepend(el);
  const pc = (e as { location?: { pc?: number } })?.location?.pc;
  if (typeof pc === 'number') markListing(byId('listing'), pc, 'fault');
  console.error(e);
}

/** guarded runs a page action, reporting what it throws instead of leaving the page half-updated and silent. */
async function guarded(title: string, action: () => unknown): Promise<void> {
  const busy = document.body;
  busy.classList.add('busy');
  try {
    await action();
  } catch (e) {
    report(title, e);
  } finally {
    busy.classList.remove('busy');
  }
}

function formValues(): RunForm {
  const v = (id: string) => byId<HTMLInputElement>(id).value;
  return { program: state.program, backend: v('backend') as BackendName, args: v('args'), ret: v('ret'), syscall: v('syscall'), ctx: v('ctx'), data: v('data'), host: v('host'), budget: v('budget'), verify: v('verify') as VerifyMode };
}

function showObject(): void {
  const s = state.session!;
  const obj = s.object;
  byId('object-name').textContent = `${obj.name}: ${obj.programs.length} programs, ${obj.maps.length} maps, license ${obj.spec.license || 'none'}`;
  replace(byId('programs'), programsView(obj, state.program, (name) => selectProgram(name)));
  replace(byId('maps'), mapsView(obj));
  replace(byId('btf'), btfView(obj));
  const listing = obj.listings.get(state.program);
  byId('listing-name').textContent = state.program;
  replace(byId('listing'), listing ? listingView(listing) : h('p', { class: 'muted' }, 'no program'));
  const select = byId<HTMLSelectElement>('program');
  replace(select, obj.programs.map((p) => h('option', { value: p.name, selected: p.name === state.program }, `${p.name} (${p.type})`)));
  replace(
    byId('panels'),
    PANELS.map((p) => {
      let body: HTMLElement;
      try {
        body = p.show(obj, state.program);
      } catch (e) {
        body = errorView(showError(`${p.title} panel`, e), () => body.remove());
      }
      return h('div', { class: 'panel', id: `panel-${p.id}` }, h('h2', {}, p.title), body);
    }),
  );
}

function selectProgram(name: string): void {
  state.program = name;
  state.traced = undefined;
  state.step = -1;
  replace(byId('step-box'));
  showObject();
}

function open(name: string, bytes: Uint8Array): void {
  const obj = openObject(name, bytes);
  state.session = new Session(obj);
  state.program = obj.programs[0]?.name ?? '';
  state.traced = undefined;
  replace(byId('result-box'));
  replace(byId('step-box'));
  replace(byId('errors'));
  document.body.classList.remove('empty');
  showObject();
}

async function openExample(name: string): Promise<void> {
  const r = await fetch(`examples/${encodeURIComponent(name)}`);
  if (!r.ok) throw new Error(`fetching example ${name}: HTTP ${r.status}`);
  open(name, new Uint8Array(await r.arrayBuffer()));
}

async function openFile(file: File): Promise<void> {
  open(file.name, new Uint8Array(await file.arrayBuffer()));
}

async function run(trace: boolean): Promise<void> {
  const s = state.session;
  if (!s) throw new Error('open an object first');
  // No stale result beside a new error, or while wasm-opt loads binaryen.
  replace(byId('result-box'), h('p', { class: 'muted' }, trace ? 'tracing…' : `running on ${formValues().backend}…`));
  let r: RunReport;
  try {
    r = await s.run(formValues(), trace);
  } catch (e) {
    replace(byId('result-box'), h('p', { class: 'muted' }, `${trace ? 'trace' : 'run'} failed: the error is above`));
    throw e;
  }
  replace(byId('result-box'), resultView(r));
  markListing(byId('listing'), -1, 'fault');
  if (trace) {
    state.traced = r;
    showStep(-1);
  }
}

function showStep(i: number): void {
  const r = state.traced;
  if (!r) return;
  const last = (r.trace?.length ?? 0) - 1;
  state.step = Math.max(-1, Math.min(i, last));
  replace(byId('step-box'), stepView(r, state.step));
  markListing(byId('listing'), state.step >= 0 ? r.trace![state.step].pc : -1);
}

function buildControls(): void {
  replace(byId('backend'), ENGINES.map((b) => h('option', { value: b }, b)));
  byId('program').addEventListener('change', (ev) => selectProgram((ev.target as HTMLSelectElement).value));
  byId('run').addEventListener('click', () => void guarded('run', () => run(false)));
  byId('trace').addEventListener('click', () => void guarded('trace', () => run(true)));
  byId('reset').addEventListener('click', () => void guarded('reset', () => state.session?.reset()));
  byId('step-prev').addEventListener('click', () => showStep(state.step - 1));
  byId('step-next').addEventListener('click', () => showStep(state.step + 1));
  byId('step-end').addEventListener('click', () => showStep(Number.MAX_SAFE_INTEGER));
  byId('file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void guarded(`open ${f.name}`, () => openFile(f));
  });
  byId('examples').addEventListener('change', (ev) => {
    const name = (ev.target as HTMLSelectElement).value;
    if (name) void guarded(`open example ${name}`, () => openExample(name));
  });
  // Arrow keys step through a traced run, unless the user is typing in the form.
  document.addEventListener('keydown', (ev) => {
    if (!state.traced || (ev.target as HTMLElement).closest('input, select, textarea')) return;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      ev.preventDefault();
      showStep(state.step + (ev.key === 'ArrowRight' ? 1 : -1));
    }
  });
  document.addEventListener('dragover', (ev) => ev.preventDefault());
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer?.files[0];
    if (f) void guarded(`open ${f.name}`, () => openFile(f));
  });
}

async function listExamples(): Promise<string[]> {
  const r = await fetch('examples/index.json');
  if (!r.ok) throw new Error(`fetching the list of examples: HTTP ${r.status}`);
  return (await r.json()) as string[];
}

async function start(): Promise<void> {
  byId('version').textContent = `bpftime-vm ${VERSION}`;
  buildControls();
  const examples = await listExamples();
  replace(byId('examples'), h('option', { value: '' }, 'examples…'), examples.map((n) => h('option', { value: n }, n)));
  const wanted = new URLSearchParams(location.search).get('example') ?? examples[0];
  if (wanted) {
    byId<HTMLSelectElement>('examples').value = wanted;
    await openExample(wanted);
  }
}

void guarded('start the playground', start).then(() => document.body.setAttribute('data-ready', '1'));

/**
 * What the playground does with an object, apart from the page: open it (the views `prog show`, `prog dump` and
 * `map show` print), run a program on a backend with inputs typed as on the command line, and record a traced run as
 * a sequence of full register files for stepping. Pure logic on the package's public API only (`../index.js`, which
 * the build maps to the browser bundle, so the page loads the runtime once), tested in Node too.
 */
import {
  BpfError,
  Collection,
  describeBtfTypes,
  describeMap,
  describeProgram,
  drainRecords,
  dumpMap,
  loadCollectionSpec,
  parseHex,
  parseHostOptions,
  parseU64,
  prepareBackend,
  programListing,
  splitList,
  UsageError,
  type BackendName,
  type BtfTypeSummary,
  type ListingRow,
  type LoadedCollection,
  type MapDump,
  type MapSummary,
  type OutputRecord,
  type Program,
  type ProgramSummary,
  type TraceStep,
  type VerifyMode,
} from '../index.js';

/** OpenedObject is an object read for the page: its spec and the views of its programs, maps and BTF types. */
export interface OpenedObject {
  name: string;
  spec: LoadedCollection;
  programs: ProgramSummary[];
  maps: MapSummary[];
  btfTypes: BtfTypeSummary[];
  listings: Map<string, ListingRow[]>;
}

/** openObject loads an ELF object's bytes; a bad object throws the loader's located LoadError. */
export function openObject(name: string, bytes: Uint8Array): OpenedObject {
  const spec = loadCollectionSpec(bytes);
  return {
    name,
    spec,
    programs: spec.programs.map((p, i) => describeProgram(spec, p, i)),
    maps: spec.maps.map((m, i) => describeMap(spec, m, i)),
    btfTypes: spec.btf ? describeBtfTypes(spec.btf) : [],
    listings: new Map(spec.programs.map((p) => [p.name, programListing(p)])),
  };
}

/** RunForm is what the page's run form holds, as typed: the same syntax as `bpftime-vm run`'s options. */
export interface RunForm {
  program: string;
  backend: BackendName;
  /** `--args`: comma-separated integers. */
  args: string;
  /** `--ret`: the probed function's or syscall's return value (uretprobe, fexit, sys_exit), empty for none. */
  ret: string;
  /** `--syscall`: the syscall number of a syscall tracepoint's context, empty for none. */
  syscall: string;
  /** `--ctx` as hex bytes (empty for a context built from the arguments). */
  ctx: string;
  /** `--mem`: packet or input bytes in hex. */
  data: string;
  /** `--host`: comma-separated KEY=VALUE facts. */
  host: string;
  /** `--budget` (empty for the default). */
  budget: string;
  /** `--verify`: strict (the default) refuses a rejected program, warn runs it with every runtime check, off. */
  verify?: VerifyMode;
}

/** StepState is one executed instruction with the whole register file after it. */
export interface StepState {
  pc: number;
  insn: string;
  depth: number;
  regs: bigint[];
  /** Registers the instruction wrote. */
  changed: number[];
  store?: TraceStep['store'];
}

/** RunReport is what one run showed: r0, output, maps, and the steps when traced. */
export interface RunReport {
  program: string;
  backend: BackendName;
  r0: bigint;
  steps: number;
  compileMs: number;
  runMs: number;
  printk: string[];
  records: OutputRecord[];
  maps: MapDump[];
  signals: { signal: number; thread: boolean }[];
  /** Why the program ran without the verifier's proofs (every runtime check kept): a rejection `warn` let through, or what the verifier does not model. */
  unverified?: string;
  /** Registers before the first instruction (traced runs). */
  entry?: bigint[];
  trace?: StepState[];
  /** Set when the trace stopped recording at MAX_TRACE_STEPS (the run itself went on). */
  traceCut?: boolean;
}

/** MAX_TRACE_STEPS bounds a traced run's record, so a long loop cannot exhaust the page's memory. */
export const MAX_TRACE_STEPS = 100_000;

const list = (text: string, what: string): string[] => (text.trim() === '' ? [] : splitList([text], what));

/** Session holds the live collections of one object, one per backend, so map contents carry over from run to run. */
export class Session {
  /** Per backend: the live collection and the host text and verify mode it was made with (either new makes a new one). */
  private readonly live = new Map<BackendName, { c: Collection; host: string; verify: VerifyMode }>();

  constructor(readonly object: OpenedObject) {}

  /** reset drops the live collections: the next run starts from the object's initial map contents. */
  reset(): void {
    this.live.clear();
  }

  private async collection(backend: BackendName, host: string, verify: VerifyMode): Promise<Collection> {
    const hostOpts = parseHostOptions(list(host, 'host'), 'host');
    const had = this.live.get(backend);
    if (had && had.host === host.trim() && had.verify === verify) return had.c;
    await prepareBackend(backend);
    const c = new Collection(this.object.spec, { backend, host: hostOpts, verify });
    this.live.set(backend, { c, host: host.trim(), verify });
    return c;
  }

  /** run runs one program once; with `trace`, on the interpreter one instruction at a time, recording each step. */
  async run(form: RunForm, trace = false): Promise<RunReport> {
    const input = {
      args: list(form.args, 'args').map((a) => parseU64(a, 'args')),
      ret: form.ret.trim() ? parseU64(form.ret, 'ret') : undefined,
      syscall: form.syscall.trim() ? parseU64(form.syscall, 'syscall') : undefined,
      ctx: form.ctx.trim() ? parseHex(form.ctx, 'context') : undefined,
      data: form.data.trim() ? parseHex(form.data, 'packet') : undefined,
      budget: form.budget.trim() ? Number(parseU64(form.budget, 'budget')) : undefined,
    };
    const backend = trace ? 'interp' : form.backend;
    const c = await this.collection(backend, form.host, form.verify ?? 'strict');
    const p: Program = c.program(form.program);
    const steps: StepState[] = [];
    let entry: bigint[] | undefined;
    let regs: bigint[] = [];
    let cut = false;
    const onStep = (s: TraceStep) => {
      if (s.entry) regs = entry = s.entry;
      if (steps.length >= MAX_TRACE_STEPS) {
        cut = true;
        return;
      }
      regs = regs.slice();
      for (const r of s.regs) regs[r.reg] = r.after;
      steps.push({ pc: s.pc, insn: s.insn, depth: s.depth, regs, changed: s.regs.map((r) => r.reg), ...(s.store ? { store: s.store } : {}) });
    };
    c.host.trace.length = 0;
    const t0 = performance.now();
    const out = p.run({ ...input, ...(trace ? { trace: onStep } : {}) });
    const runMs = performance.now() - t0;
    return {
      program: p.spec.name,
      backend: p.backend,
      r0: out.r0,
      steps: out.steps,
      compileMs: p.compileStats.ms,
      runMs,
      printk: [...c.host.trace],
      records: drainRecords(c, this.object.spec.btf),
      maps: [...c.maps.values()].map((m) => dumpMap(m, this.object.spec.btf, c.host.ncpus)),
      signals: out.signals,
      ...unverifiedOf(c, p.spec.name, form.verify ?? 'strict'),
      ...(trace ? { entry, trace: steps, traceCut: cut } : {}),
    };
  }
}

function unverifiedOf(c: Collection, name: string, verify: VerifyMode): { unverified?: string } {
  const why = verify === 'off' ? 'the verifier is off' : (c.warnings.get(name)?.message ?? c.unverified.get(name));
  return why ? { unverified: why } : {};
}

/** ShownError is an error as the page shows it: what failed, the message, and where (program, section, pc, source line). */
export interface ShownError {
  title: string;
  message: string;
  where: string[];
}

/** showError describes any thrown value for the page; library errors carry their location. */
export function showError(title: string, e: unknown): ShownError {
  if (e instanceof BpfError) {
    const where = Object.entries(e.location ?? {})
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    return { title: `${title}: ${e.name}${e instanceof UsageError ? '' : ` (${e.code})`}`, message: e.message, where };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  // Not a BpfError: a bug of ours or of the browser; the stack is the location.
  return { title: `${title}: ${err.name}`, message: err.message, where: (err.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()) };
}

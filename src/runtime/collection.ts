/**
 * Live objects from a spec (the cilium/ebpf and aya split): a `Collection` creates the maps in one guest memory,
 * prepares every program on a backend with the kernel helper set, wires program arrays and maps of maps, and runs
 * programs with a context built for their type. This is the library API for testing eBPF programs from JavaScript, a
 * userspace BPF_PROG_TEST_RUN.
 */
import { BpfError, ExecError, NotSupportedError, UsageError, VerifierError } from '../errors.js';
import { parseVerifyMode, type VerifyMode, type VerifyResult } from '../verifier/index.js';
import type { HelperEnv, ProgramEnv } from '../helpers/env.js';
import { helperId, kernelHelpers } from '../helpers/kernel/index.js';
import { createMap, HashMap, MapError, MapTable, PerfEventArrayMap, ProgArrayMap, type BpfMap, type MapContext, type MapOfMaps } from '../helpers/maps/index.js';
import type { PerfReader } from '../helpers/maps/perf-event-array.js';
import type { Btf } from '../loader/btf/parse.js';
import { CORE_POISON_IMM } from '../loader/btf/core.js';
import type { LoadedCollection } from '../loader/collection.js';
import { PSEUDO_BTF_ID, PSEUDO_MAP_IDX, PSEUDO_MAP_IDX_VALUE, OP_CALL } from '../isa/index.js';
import { GuestMemory, type Region } from '../memory/guest-memory.js';
import { MapType, type ProgramSpec } from '../loader/spec.js';
import { BTF_TRACING_TYPES, type ContextLayout } from '../loader/contexts.js';
import { layoutFor, type TracefsReader } from './layouts.js';
import { tracefsFormat } from './host-linux.js';
import { Interpreter, traceRun, type RunOptions, type RunResult, type TraceStep } from '../vm/index.js';
import { countInsns, parseBackend, resolveBackend, TierUp, tierOf, type BackendName, type CompileStats } from './backends.js';
import { compileOn } from './jit-backend.js';
import type { JitFacts, JitProgram, Tier } from '../jit-wasm/index.js';
import { Metering, runMetered, runMeteredR0 } from './metering.js';
import { buildContext, CopyPool, ptRegsWriter, type ContextInput, type PtRegsWriter } from './context.js';
import { createHost, type Host, type HostOptions } from './host.js';
import { TaskStandIns, type TaskIdentity } from './task.js';
import { KFUNC_ADDRESS_BASE, poisonedSlots, readsKernelPointers } from './program-facts.js';
import { locatedIn, verifyForLoad } from './verification.js';
import { BtfKind } from '../loader/btf/types.js';
import type { Prepared } from '../vm/prepare.js';
import { defaultNetEnv, type DeclaredSocket, type NetEnv, type PacketActions, type TunnelInfo } from '../helpers/packet/net.js';
import { SkMsg } from '../helpers/packet/msg.js';
import { sockOpsSocket, writeSocketFields } from './sock-run.js';
import type { PacketBuffer } from '../helpers/packet/buffer.js';
import { ingressDevice, packetKindOf, PacketRegions, placePacket } from './packet-run.js';
import { RedirectMap } from '../helpers/maps/redirect-maps.js';
import { SockMapBase } from '../helpers/maps/sock-maps.js';
import { DeclaredSockets } from './sockets.js';
import { callsNothing, fixedContext, PtRegsOutput, type FixedRegs } from './fixed-context.js';

/** CollectionOptions configures the live objects. */
export interface CollectionOptions {
  backend?: string;
  /** Overrides of the host environment (pid, comm, clocks, CPU...). */
  host?: HostOptions;
  /** BTF of the target kernel: gives bpf_get_current_task a stand-in task_struct with that layout (a function is called only when a program uses the task). */
  targetBtf?: Btf | (() => Btf | undefined);
  maxCallDepth?: number;
  /** Runs the caller expects per program (lets backend `auto` weigh compile time); default 1. */
  expectedRuns?: number;
  /**
   * What a verifier proved about each program (src/jit-wasm/facts.ts), for the JIT tiers: accesses proved in bounds
   * run unchecked; a program proved to terminate runs unmetered unless a run asks for a budget (its `steps` are then
   * STEPS_NOT_COUNTED). Default: the facts of the collection's own verification of each accepted program.
   */
  facts?: (program: ProgramSpec) => JitFacts | undefined;
  /**
   * Verify each program before loading it (default `strict`: a rejected program is not loaded and reports the
   * verifier's error when asked for; `warn`: it loads, with the rejection in `warnings`; `off`).
   */
  verify?: VerifyMode;
  /** Let the verifier accept pointers leaking into maps, the context and r0 (the kernel's CAP_PERFMON mode). */
  privileged?: boolean;
  /** Reads a tracepoint's tracefs `format` file for its record layout (default: the running kernel's tracefs; null: none, BTF only). */
  tracefs?: TracefsReader | null;
  /** The network packet programs see: interfaces, routes, neighbours, sockets (default: a test run's, loopback only). */
  net?: Partial<NetEnv>;
}

/** RunInput is what one program run receives. */
export interface RunInput extends ContextInput {
  /** Packet programs: the device the packet arrives on (default 1, loopback), for ingress_ifindex and packet types. */
  ifindex?: number;
  /**
   * sk_skb and sk_msg programs: the socket the data was received on or is sent from: a declared socket (its index in
   * `net.sockets`) or one described here; its family, addresses and ports fill the context.
   */
  socket?: number | DeclaredSocket;
  /** sk_msg programs: the message as its scatterlist elements (default: `data` as one element). */
  msg?: readonly Uint8Array[];
  /** tc programs: the tunnel metadata the packet was received with (what bpf_skb_get_tunnel_key reads before any set). */
  tunnel?: TunnelInfo;
  /** Instruction budget (0 for none). */
  budget?: number;
  /** Called after every instruction (single-stepping, slower). */
  trace?: (step: TraceStep) => void;
  /**
   * Where the context goes after the run, as libbpf's `bpf_test_run_opts.ctx_out`: true (the default) for a copy in
   * `RunOutput.ctx`, a Uint8Array to copy it into (up to its length; `ctx` is then that array), or false for none
   * (`ctx` empty). The default copy is a view into a shared pool buffer (CopyPool, as Node's small Buffers): the
   * cheapest copy there is, but still most of a short run's cost (bench/RESULTS.md "Per-call cost"); verified probe
   * programs make none unless `ctx` is read (RunOutput.ctx).
   */
  ctxOut?: boolean | Uint8Array;
}

/** RunOutput is what a run produced besides map contents. */
export interface RunOutput {
  r0: bigint;
  steps: number;
  /**
   * The context bytes after the run (programs may write some fields). By default a copy of its own that no later run
   * changes, viewed in a buffer shared with other runs' copies (CopyPool): use its `byteOffset` when going through
   * `ctx.buffer`. For a verified probe program, which cannot change its pt_regs, it is built from the run's input on
   * first read instead (src/runtime/fixed-context.ts): `ctx` and `signals` are then getters, which `{ ...out }` and
   * `Object.keys` do not list.
   */
  ctx: Uint8Array;
  /** The packet or input memory after the run. */
  data: Uint8Array;
  /** Signals requested with bpf_send_signal and the value set by bpf_override_return. */
  signals: { signal: number; thread: boolean }[];
  overrideReturn?: bigint;
  /** XDP programs: the metadata before the packet (bpf_xdp_adjust_meta), empty when none. */
  meta?: Uint8Array;
  /** Packet programs: what the run asked for besides its verdict (redirect target, clones, tunnel key). */
  actions?: PacketActions;
}

/** Program is a live program bound to a backend. */
export class Program {
  constructor(
    readonly spec: ProgramSpec,
    readonly prepared: Prepared,
    private readonly collection: Collection,
    /** The backend the program runs on (the collection's, `auto` resolved; changes once if `auto` tiers up). */
    public backend: BackendName,
    /** Time spent translating, compiling and instantiating it for that backend, and its instruction count. */
    public compileStats: CompileStats,
    /** The compiled program on a wasm backend (what tail calls into this program enter). */
    public jit?: JitProgram,
    /** The verifier's verdict (absent with verify `off`). */
    readonly verification?: VerifyResult,
  ) {}

  /** @internal The program's context layout and, for a pt_regs, its writer (found on the first run). */
  ctxLayout?: ContextLayout;
  /** @internal */
  ptRegs?: PtRegsWriter;
  /** @internal Whether runs leave the context as written (fixed-context.ts), decided on the first run. */
  fixedCtx?: boolean;
  /** @internal Whether the program calls no helper (fixed-context.ts callsNothing), decided on the first run. */
  callsNothing?: boolean;
  /**
   * @internal The module a tail call from a metered module enters: one that charges the budget too, so a run's
   * budget and steps hold across tail calls into a program compiled without charges.
   */
  meteredJit(): JitProgram | undefined {
    return this.collection.meteredJitOf(this);
  }
  /** @internal The helper environment of this program's runs, refreshed per run (Collection.helperEnv). */
  runEnv?: RunEnv;
  /** @internal The metered module of an unmetered program, for runs with a budget (Collection.meteringOf). */
  metering?: Metering;

  /** run executes the program once with a context built from `input`. */
  run(input: RunInput = {}): RunOutput {
    return this.collection.runProgram(this, input);
  }
}

/** CONTEXT_SOCKET stands for the socket of a context when the run does not name one. */
const CONTEXT_SOCKET = Symbol('context socket');

/** RunEnv is the HelperEnv of a program's runs, refreshed per run instead of allocated (Collection.helperEnv). */
type RunEnv = { -readonly [K in keyof Omit<HelperEnv, 'program' | 'references'>]: HelperEnv[K] } & {
  program: { -readonly [K in keyof ProgramEnv]: ProgramEnv[K] };
  references: NonNullable<HelperEnv['references']>;
};

/** NO_DATA is the (empty, immutable) packet of runs without one. */
const NO_DATA = Object.freeze(new Uint8Array(0)) as Uint8Array;

/** Helpers that return the current task (get_current_task, get_current_task_btf). */
const TASK_HELPERS = new Set([helperId('get_current_task'), helperId('get_current_task_btf')]);

/** Collection is the live form of a CollectionSpec. */
export class Collection {
  readonly mem = new GuestMemory();
  readonly table = new MapTable();
  readonly host: Host;
  /** The engine the programs run on (`auto` resolved; it changes once if `auto` tiers up, AUTO_TIER_UP_STEPS). */
  backend: BackendName;
  readonly maps = new Map<string, BpfMap>();
  readonly programs = new Map<string, Program>();
  /** Programs that could not be loaded (an unsupported helper, a backend refusal), with the error, by name. */
  readonly loadErrors = new Map<string, BpfError>();
  /** Programs the verifier rejected but that were loaded anyway (verify `warn`), with the rejection, by name. */
  readonly warnings = new Map<string, VerifierError>();
  /** Programs loaded without verification, with the reason (the verifier does not model what they use). */
  readonly unverified = new Map<string, string>();
  /** The reader of each perf event array, opened when the collection is created. */
  readonly perfReaders = new Map<string, PerfReader>();
  private readonly vm: Interpreter;
  private readonly tierUp: TierUp;
  private readonly verifyMode: VerifyMode;
  private readonly privileged: boolean;
  /** Live maps in the spec's order: what `lddw map_idx N` refers to. */
  private readonly mapsByIndex: BpfMap[];
  private readonly facts: CollectionOptions['facts'];
  /** The facts of programs the collection's verification accepted. */
  private readonly verifiedFacts = new Map<string, JitFacts>();
  /** The metered modules of programs compiled without budget charges, for runs that ask for a budget (metering.ts). */
  private readonly metering = new Map<Program, Metering>();
  /** Stand-in tasks (the current one and those found by pid), laid out with the target BTF when first asked for. */
  private readonly tasks: TaskStandIns;
  private readonly usesTask: boolean;
  private readonly targetBtf: () => Btf | undefined;
  private readonly tracefs: TracefsReader | undefined;
  private readonly layouts = new Map<string, ContextLayout>();
  private readonly cookies = new Map<bigint | typeof CONTEXT_SOCKET, bigint>();
  /** The declared sockets as struct bpf_sock (what lookups return and sock maps hold). */
  readonly sockets: DeclaredSockets;
  private ctxRegion = this.mem.addRegion('ctx', 4096, { resizable: true });
  /** The declared network packet programs see. */
  readonly net: NetEnv;
  private readonly packetRegions = new PacketRegions(this.mem);
  /** r1 of a run: the context's address. */
  private ctxArgs: readonly bigint[] = [BigInt(this.ctxRegion.start)];
  /** What the context region holds when it is a pt_regs no run has changed since it was written (fixed-context.ts). */
  private readonly fixedRegs: FixedRegs = { valid: false, writer: undefined, at: 0, args: 0, ret: false, ip: false };
  /** The run options of pt_regs runs, reused (nothing keeps them past a run). */
  private readonly ptOpts = { ctxAddress: 0, budget: undefined as number | undefined, keepInput: false, packet: undefined };
  /** Where runMeteredR0 leaves a pt_regs run's steps. */
  private readonly ptSteps = { steps: 0 };
  /** Where the default copies of contexts after runs go (RunInput.ctxOut). */
  private readonly ctxCopies = new CopyPool();
  /** The socket cookie the current run was given (RunInput.socketCookie). */
  private runSocketCookie: bigint | undefined;
  /** A zero u32 in guest memory: the key of element 0 that global-data references point into. */
  private readonly zeroKey = this.mem.addRegion('zero-key', 8, { writable: false });

  constructor(
    readonly spec: LoadedCollection,
    opts: CollectionOptions = {},
  ) {
    this.facts = opts.facts;
    this.verifyMode = parseVerifyMode(opts.verify, 'strict');
    this.privileged = opts.privileged === true;
    this.backend = resolveBackend(opts.backend, Math.max(0, ...spec.programs.map((p) => countInsns(p.insns))), opts.expectedRuns);
    this.tierUp = new TierUp(parseBackend(opts.backend) === 'auto' && this.backend === 'interp');
    const tier = tierOf(this.backend);
    this.host = createHost(opts.host);
    const mapCtx: MapContext = { mem: this.mem, ncpus: this.host.ncpus, currentCpu: () => this.host.cpu };
    this.mapsByIndex = spec.maps.map((m) => {
      try {
        const map = createMap(m, mapCtx, this.table);
        this.maps.set(m.name, map);
        return map;
      } catch (e) {
        if (e instanceof MapError && m.origin === 'maps' && (m.maxEntries === 0 || (m.valueSize === 0 && m.type === MapType.stack_trace))) {
          // Tools size such maps from user space before load (bpf_map__set_max_entries, bpf_map__set_value_size).
          const how = m.maxEntries === 0 ? `--map-size ${m.name}=N, or the mapSizes load option` : `--map-value-size ${m.name}=BYTES, or the mapValueSizes load option`;
          throw new MapError(e.errno, `${e.message}: the object leaves its size to be set before load (${how})`);
        }
        throw e instanceof BpfError ? e : new ExecError('map-create', `create map "${m.name}": ${String(e)}`);
      }
    });
    const helpers = kernelHelpers();
    for (const p of spec.programs) for (const k of p.ksyms ?? []) if (k.kind === 'call' && k.btfId) helpers.bindKfunc(k.btfId, k.name);
    this.targetBtf = typeof opts.targetBtf === 'function' ? opts.targetBtf : () => opts.targetBtf as Btf | undefined;
    this.tracefs = opts.tracefs === null ? undefined : (opts.tracefs ?? tracefsFormat);
    this.vm = new Interpreter({
      memory: this.mem,
      helpers,
      maxCallDepth: opts.maxCallDepth,
      resolveLddw: (pc, pseudo, imm, imm2) => this.resolveLddw(pc, pseudo, imm, imm2),
    });
    for (const p of spec.programs) {
      try {
        this.loadProgram(p, tier);
      } catch (e) {
        // Like a kernel load per program: the others stay usable, and this one reports why when it is asked for.
        if (!(e instanceof BpfError)) throw e;
        this.loadErrors.set(p.name, locatedIn(p, e));
      }
    }
    this.wireReferences();
    // Like a libbpf perf_buffer, open every perf event array's buffers so outputs land (the kernel drops them otherwise).
    for (const m of this.mapsByIndex) if (m instanceof PerfEventArrayMap) this.perfReaders.set(m.spec.name, m.openReader());
    for (const m of this.mapsByIndex) if (m.spec.readOnly) (m as { freeze?: () => void }).freeze?.();
    this.usesTask = spec.programs.some((p) => p.insns.some((i) => i.opcode === OP_CALL && i.src === 0 && TASK_HELPERS.has(i.imm)));
    this.tasks = new TaskStandIns(this.mem, this.targetBtf, this.host);
    this.net = { ...defaultNetEnv(), ...opts.net };
    this.sockets = new DeclaredSockets(this.mem, () => this.net.sockets, (addr) => this.socketCookie(addr));
    for (const m of this.mapsByIndex) {
      if (m instanceof RedirectMap) m.deviceExists = (ifindex) => this.net.interfaces.some((i) => i.ifindex === ifindex);
      if (m instanceof SockMapBase) m.directory = this.sockets;
    }
  }

  private loadProgram(p: ProgramSpec, tier: ReturnType<typeof tierOf>): void {
    const t0 = performance.now();
    const prepared = this.vm.load(p.insns, p.section, poisonedSlots(p), { probeMem: readsKernelPointers(p) });
    const verification = this.verify(p);
    if (!tier) {
      this.programs.set(p.name, new Program(p, prepared, this, this.backend, { ms: performance.now() - t0, insns: countInsns(p.insns) }, undefined, verification));
      return;
    }
    const { jit, stats } = this.compile(p, tier);
    this.programs.set(p.name, new Program(p, prepared, this, this.backend, stats, jit, verification));
  }

  /** verify runs the verifier on a program as the collection's mode asks (a strict rejection throws). */
  private verify(p: ProgramSpec): VerifyResult | undefined {
    if (this.verifyMode === 'off') return undefined;
    const v = verifyForLoad(p, this.spec.maps, { privileged: this.privileged, targetBtf: this.targetBtf });
    if (v.unverified !== undefined) {
      this.unverified.set(p.name, v.unverified);
      return undefined;
    }
    const r = v.result;
    if (!r.ok && this.verifyMode === 'strict') throw r.error!;
    if (!r.ok) this.warnings.set(p.name, locatedIn(p, r.error!) as VerifierError);
    else this.verifiedFacts.set(p.name, r.facts);
    return r;
  }

  private compile(p: ProgramSpec, tier: Tier, budget?: boolean): ReturnType<typeof compileOn> {
    const resolveLddw = (pc: number, pseudo: number, imm: number, imm2: number) => this.resolveLddw(pc, pseudo, imm, imm2);
    // Plain hash maps' lookups and updates run inside the module (src/jit-wasm/inline-map.ts).
    const mapOf = (value: bigint) => {
      const map = this.table.byHandle(value);
      return map instanceof HashMap ? map.inlineLayout() : undefined;
    };
    return compileOn(this.vm, p.insns, { tier, section: p.section, resolveLddw, poisoned: poisonedSlots(p), mapOf, probeMem: readsKernelPointers(p), facts: this.facts?.(p) ?? this.verifiedFacts.get(p.name), budget });
  }

  /** @internal meteredJitOf is a module of `p` that charges the budget (Program.meteredJit). */
  meteredJitOf(p: Program): JitProgram | undefined {
    return p.jit && this.meteringOf(p).meteredOf(p.jit);
  }

  /** meteringOf is the metered module of `p` for runs that ask for a budget (compiled on first need, metering.ts). */
  private meteringOf(p: Program): Metering {
    let m = this.metering.get(p);
    if (!m) {
      const tier = tierOf(p.backend)!;
      m = new Metering(() => this.compile(p.spec, tier, true).jit);
      this.metering.set(p, m);
    }
    return m;
  }

  /** countForTierUp moves every program of an `auto` collection to wasm-fast once they have run long enough. */
  private countForTierUp(steps: number): void {
    if (!this.tierUp.count(steps)) return;
    const programs = [...this.programs.values()];
    const compiled = programs.map((p) => this.compile(p.spec, 'fast'));
    programs.forEach((p, k) => {
      p.backend = 'wasm-fast';
      p.compileStats = compiled[k].stats;
      p.jit = compiled[k].jit;
    });
    this.backend = 'wasm-fast';
  }

  private resolveLddw(pc: number, pseudo: number, imm: number, imm2: number): bigint {
    if (pseudo === PSEUDO_BTF_ID) return this.ksymAddress(pc, imm);
    const map = this.mapsByIndex[imm];
    if (!map || (pseudo !== PSEUDO_MAP_IDX && pseudo !== PSEUDO_MAP_IDX_VALUE)) {
      throw new ExecError('bad-map-ref', `pc ${pc}: lddw refers to map ${imm}, which this collection does not have`);
    }
    if (pseudo === PSEUDO_MAP_IDX) return BigInt(map.handle);
    const value = map.lookupElem(this.zeroKey.start);
    if (value === 0) throw new ExecError('bad-map-ref', `pc ${pc}: map "${map.spec.name}" has no element 0 to point into`);
    return BigInt(value + imm2);
  }

  /** ksymAddress is the value of `lddw` of a kernel symbol: a kfunc's address, comparable only; variables have no memory here. */
  private ksymAddress(pc: number, btfId: number): bigint {
    const t = this.targetBtf()?.types[btfId];
    if (t?.kind === BtfKind.FUNC) return KFUNC_ADDRESS_BASE + BigInt(btfId);
    const name = t ? ` ${t.name}` : ` (BTF id ${btfId})`;
    throw new NotSupportedError('ksym-var', `pc ${pc}: kernel variable${name}: typed and typeless __ksym variables point into kernel memory, which does not exist in userspace`);
  }

  private wireReferences(): void {
    for (const m of this.spec.maps) {
      const live = this.maps.get(m.name)!;
      for (const e of m.contents) {
        if (e.value instanceof Uint8Array) continue;
        const index = new DataView(e.key.buffer, e.key.byteOffset, 4).getUint32(0, true);
        if ('program' in e.value && live instanceof ProgArrayMap) live.setProgram(index, this.program(e.value.program));
        if ('map' in e.value) (live as unknown as MapOfMaps).setInner(e.key, this.maps.get(e.value.map));
      }
    }
  }

  /**
   * task returns the guest address of a stand-in task_struct (0 without a target BTF with one): by pid (the host's
   * tasks: this process, or /proc), or declared with its identity, which later lookups by that pid find
   * (bpf_task_from_pid). Programs see it where an argument or field holds its address.
   */
  task(who: number | TaskIdentity): number {
    return typeof who === 'number' ? this.tasks.fromPid(who) : this.tasks.declare(who);
  }

  /**
   * socketCookie gives each socket a cookie on first use, as the kernel's sock_gen_cookie does (counting from 1): the
   * sockets are those at an address (`struct sock *` of tracing programs) and the contexts' default socket; 0 is the
   * NULL socket. A run may name its context's cookie instead (`socketCookie`).
   */
  private socketCookie(socket: bigint | typeof CONTEXT_SOCKET): bigint {
    if (socket === 0n) return 0n;
    let cookie = this.cookies.get(socket);
    if (cookie === undefined) {
      cookie = BigInt(this.cookies.size + 1);
      this.cookies.set(socket, cookie);
    }
    return cookie;
  }

  /**
   * setIngress writes the receiving device into a packet context: xdp_md.ingress_ifindex, __sk_buff.ifindex, and
   * __sk_buff.ingress_ifindex only when the run names a device (a kernel test run's skb has no skb_iif).
   */
  private setIngress(layout: ContextLayout, kind: 'xdp' | 'skb', ifindex: number, named: boolean): void {
    for (const name of kind === 'xdp' || named ? ['ingress_ifindex', 'ifindex'] : ['ifindex']) {
      const f = layout.fields.find((x) => x.name === name);
      if (f) this.mem.dv.setUint32(this.ctxRegion.start + f.offset, ifindex, true);
    }
  }

  /** layoutOf returns (and caches) the context layout of a program against the target kernel. */
  layoutOf(spec: ProgramSpec): ContextLayout {
    let layout = this.layouts.get(spec.name);
    if (!layout) {
      layout = layoutFor(spec, this.targetBtf, this.tracefs);
      this.layouts.set(spec.name, layout);
    }
    return layout;
  }

  /** program returns a program by name. */
  program(name: string): Program {
    const p = this.programs.get(name);
    if (p) return p;
    const failed = this.loadErrors.get(name);
    if (failed) throw failed;
    throw new UsageError('unknown-program', `no program "${name}"; programs: ${this.spec.programs.map((x) => x.name).join(', ')}`);
  }

  /** map returns a map by name. */
  map(name: string): BpfMap {
    const m = this.maps.get(name);
    if (!m) throw new UsageError('unknown-map', `no map "${name}"; maps: ${[...this.maps.keys()].join(', ')}`);
    return m;
  }

  /** runJit runs a compiled program: its own module, or the metered one when it charges no budget and the run asks for one. */
  private runJit(program: Program, jit: JitProgram, opts: RunOptions): RunResult {
    return runMetered(this.vm, program.prepared, jit, jit.compiled.metered ? undefined : (program.metering ??= this.meteringOf(program)), opts);
  }

  /** runProgram runs `program` with a context for its type (see `Program.run`). */
  runProgram(program: Program, input: RunInput): RunOutput {
    const layout = (program.ctxLayout ??= this.layoutOf(program.spec));
    // Whatever runs now may change the context region: what it held is known again only after a fixed run's write.
    const regs = this.fixedRegs.valid ? this.fixedRegs : undefined;
    this.fixedRegs.valid = false;
    if (layout.kind === 'pt_regs' && input.ctx === undefined && input.data === undefined && input.fields === undefined && input.socket === undefined && input.trace === undefined) {
      return this.runPtRegs(program, layout, input, regs);
    }
    let data: Uint8Array | undefined;
    let kind: ProgramEnv['ctxKind'];
    let argCount: number;
    let size: number;
    let packet: PacketBuffer | undefined;
    const dev = ingressDevice(this.net, input.ifindex);
    this.packetRegions.clear();
    let msg: SkMsg | undefined;
    const runSocket = input.socket === undefined ? undefined : this.sockets.resolve(input.socket);
    if (layout.kind === 'pt_regs' && input.ctx === undefined && input.data === undefined && input.fields === undefined) {
      size = layout.size;
      const start = this.ctxSpace(size);
      (program.ptRegs ??= ptRegsWriter(layout)).write(this.mem, start, input);
      kind = 'pt_regs';
      argCount = input.args?.length ?? 0;
    } else {
      const isMsg = program.spec.type === 'sk_msg' && (input.data !== undefined || input.msg !== undefined);
      const built = buildContext(program.spec, { commonPid: this.host.pid, ...input, ...(isMsg ? { data: undefined } : {}) }, layout);
      data = isMsg ? undefined : built.data;
      const pkind = data ? packetKindOf(program.spec.type, layout) : undefined;
      const input0 = data && !pkind ? this.vm.setInput(data) : 0;
      const ctxBytes = built.ctx(input0);
      size = ctxBytes.length;
      const ctxStart = this.ctxSpace(size);
      this.mem.u8.set(ctxBytes, ctxStart);
      kind = built.kind;
      argCount = built.argCount;
      if (runSocket && !input.ctx) writeSocketFields(this.mem.u8, ctxStart, layout, runSocket.socket);
      if (isMsg) {
        const segments = input.msg ?? [input.data!];
        msg = new SkMsg(this.mem, this.packetRegions.msgRegion(segments.reduce((n, s) => n + s.length, 0)), ctxStart, layout, segments);
        const skField = layout.fields.find((f) => f.name === 'sk')!;
        // The address first: laying a socket out may grow guest memory (and replace its DataView).
        const sk = this.sockets.addressOf(runSocket ?? { socket: { protocol: 'tcp', localIp: new Uint8Array(4), localPort: 0 } });
        if (!input.ctx) this.mem.dv.setBigUint64(ctxStart + skField.offset, BigInt(sk), true);
      }
      if (data && pkind) {
        const family = runSocket?.socket.localIp.length === 16 ? 0x86dd : 0x0800;
        packet = placePacket(this.mem, this.packetRegions, pkind, program.spec.type, layout, data, ctxStart, dev, family);
        if (!input.ctx) this.setIngress(layout, pkind, dev.ifindex, input.ifindex !== undefined);
        const vmEnv = this.vm.env;
        const pk = packet;
        pk.onChange = () => {
          vmEnv.packetStart = pk.data;
          vmEnv.packetLength = pk.length;
        };
      }
    }
    const actions: PacketActions | undefined = packet || msg ? { clones: [], ...(input.tunnel ? { tunnel: input.tunnel } : {}) } : undefined;
    const env = this.helperEnv(program, kind, argCount, input);
    env.ifindex = dev.ifindex;
    env.packet = packet;
    env.msg = msg;
    env.actions = actions;
    env.contextSocket = runSocket?.index ?? (program.spec.type === 'sock_ops' ? sockOpsSocket(this.mem.u8, this.ctxRegion.start, layout, this.net.sockets) : undefined);
    this.vm.setHelperEnv(env);
    try {
      // One shape for every run (a spread made a differently shaped object per kind), r1 as a number, not a BigInt.
      const runOpts: RunOptions = {
        ctxAddress: this.ctxRegion.start,
        budget: input.budget,
        keepInput: data !== undefined && !packet,
        packet: packet ? { start: packet.data, length: packet.length } : undefined,
      };
      const { r0, steps } = input.trace
        ? traceRun(this.vm, program.prepared, runOpts, input.trace)
        : program.jit ? this.runJit(program, program.jit, runOpts) : this.vm.run(program.prepared, runOpts);
      this.countForTierUp(steps);
      if (env.references.length) this.unreleased(env);
      const out: RunOutput = { r0, steps, ctx: this.ctxOut(input.ctxOut, size), data: packet ? packet.bytes() : msg ? msg.bytes() : data ? this.vm.inputBytes() : NO_DATA, signals: env.signals };
      env.signals = [];
      if (env.overrideReturn !== undefined) out.overrideReturn = env.overrideReturn;
      if (msg) out.actions = actions!;
      if (packet) {
        out.actions = actions!;
        if (packet.kind === 'xdp') out.meta = packet.metadata();
      }
      return out;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      throw locatedIn(program.spec, e);
    }
  }

  /**
   * runPtRegs runs a probe program on a pt_regs built from arguments (the common uprobe run), with its fields found
   * once (building a copy by field names was most of a run's cost). On a fixed context (fixed-context.ts) it rewrites
   * only the fields whose input changed since the last run wrote the region (`regs`), and the default `ctx` is built
   * from the input when first read instead of copied.
   */
  private runPtRegs(program: Program, layout: ContextLayout, input: RunInput, regs: FixedRegs | undefined): RunOutput {
    const size = layout.size;
    const start = this.ctxSpace(size);
    const writer = (program.ptRegs ??= ptRegsWriter(layout));
    const fixed = (program.fixedCtx ??= fixedContext(program.spec.type, program.prepared.insns, layout, program.verification));
    if (regs !== undefined && fixed && regs.writer === writer && regs.at === start) {
      writer.rewrite(this.mem, start, input, regs);
    } else {
      writer.write(this.mem, start, input);
    }
    this.packetRegions.clear();
    // A program that calls no helper never reads the helper environment: it is neither refreshed nor read back.
    const env = (program.callsNothing ??= callsNothing(program.prepared.insns)) ? undefined : this.ptRegsEnv(program, input);
    try {
      const runOpts = this.ptOpts;
      runOpts.ctxAddress = start;
      runOpts.budget = input.budget;
      let r0: bigint;
      let steps: number;
      const jit = program.jit;
      if (jit) {
        r0 = runMeteredR0(this.vm, jit, jit.metered ? undefined : (program.metering ??= this.meteringOf(program)), runOpts, this.ptSteps);
        steps = this.ptSteps.steps;
      } else {
        r0 = this.vm.runR0(program.prepared, runOpts);
        steps = this.vm.lastSteps;
      }
      if (fixed) {
        const args = input.args;
        const f = this.fixedRegs;
        f.valid = true;
        f.writer = writer;
        f.at = start;
        f.args = args === undefined ? 0 : args.length;
        f.ret = input.ret !== undefined;
        f.ip = input.funcIp !== undefined;
      }
      this.countForTierUp(steps);
      let signals: { signal: number; thread: boolean }[] | undefined;
      if (env) {
        if (env.references.length) this.unreleased(env);
        // The signals array goes to the output only when the run sent some (the output makes an empty one when read).
        if (env.signals.length !== 0) {
          signals = env.signals;
          env.signals = [];
        }
      }
      const to = input.ctxOut;
      const lazy = fixed && (to === undefined || to === true);
      const out: RunOutput = new PtRegsOutput(r0, steps, NO_DATA, signals, lazy ? undefined : this.ctxOut(to, size), writer, input);
      if (env?.overrideReturn !== undefined) out.overrideReturn = env.overrideReturn;
      return out;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      throw locatedIn(program.spec, e);
    }
  }

  /** ptRegsEnv readies and installs the helper environment of a pt_regs run. */
  private ptRegsEnv(program: Program, input: RunInput): RunEnv {
    const env = this.helperEnv(program, 'pt_regs', input.args?.length ?? 0, input);
    // No device: a pt_regs program's helpers never read it (socket lookups refuse other than packet programs), so the
    // search of the interfaces (ingressDevice) is left to the runs that place a packet.
    env.ifindex = undefined;
    env.packet = undefined;
    env.msg = undefined;
    env.actions = undefined;
    env.contextSocket = undefined;
    this.vm.setHelperEnv(env);
    return env;
  }

  /** unreleased fails a run that exited holding references (kfunc acquisitions not released). */
  private unreleased(env: RunEnv): never {
    const held = env.references.map((r) => `0x${r.address.toString(16)} from ${r.by}`).join(', ');
    throw new ExecError('unreleased-reference', `the program exited holding references it must release (${held}); the kernel's verifier rejects such programs`);
  }

  /** ctxSpace sizes the context region to `size` bytes (a larger one if it must) and returns its address. */
  private ctxSpace(size: number): number {
    let region = this.ctxRegion;
    if (size > region.capacity) {
      region = this.ctxRegion = this.mem.addRegion('ctx', size, { resizable: true });
      this.ctxArgs = [BigInt(region.start)];
    }
    if (region.end - region.start !== size) this.mem.setLength(region, size);
    return region.start;
  }

  /** ctxOut gives the context after a run as `RunInput.ctxOut` asks. */
  private ctxOut(to: boolean | Uint8Array | undefined, size: number): Uint8Array {
    const start = this.ctxRegion.start;
    if (to === undefined || to === true) return this.ctxCopies.copy(this.mem.u8, start, size);
    if (to === false) return NO_DATA;
    return this.ctxCopies.copyInto(to, this.mem.u8, start, size);
  }

  /**
   * helperEnv readies the program's helper environment for a run: one object per program whose per-run fields are
   * refreshed (allocating it and its closures per run cost about as much as a short run).
   */
  private helperEnv(program: Program, ctxKind: ProgramEnv['ctxKind'], argCount: number, input: RunInput): RunEnv {
    const env: RunEnv = (program.runEnv ??= {
      host: this.host,
      maps: this.table,
      program: { name: program.spec.name, type: program.spec.type, ctx: 0, ctxKind, argCount, cookie: 0n, funcIp: 0n },
      task: 0,
      taskFromPid: (pid) => this.tasks.fromPid(pid),
      socketCookie: (addr) => (addr === this.ctxArgs[0] ? (this.runSocketCookie ?? this.socketCookie(CONTEXT_SOCKET)) : this.socketCookie(addr)),
      references: [],
      signals: [],
      net: this.net,
      socketAddress: (index) => this.sockets.address(index),
    });
    const p = env.program;
    p.ctx = this.ctxRegion.start;
    p.ctxKind = ctxKind;
    p.argCount = argCount;
    p.cookie = input.cookie ?? 0n;
    p.funcIp = input.funcIp ?? 0n;
    // A run on a declared socket: the context's socket is that one, with its cookie.
    this.runSocketCookie = input.socketCookie ?? (typeof input.socket === 'number' && input.socket < this.net.sockets.length ? this.sockets.cookie(input.socket) : undefined);
    env.task = this.usesTask ? this.tasks.current() : 0;
    // Held references are checked after each run and never leave it: the array is reused.
    if (env.references.length !== 0) env.references.length = 0;
    // Runs hand the signals array to their output and leave a new one when they sent signals (runProgram, runPtRegs).
    if (env.signals.length !== 0) env.signals = [];
    env.overrideReturn = undefined;
    return env;
  }
}

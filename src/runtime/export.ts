/**
 * Translating a program for a host other than this runtime (`bpftime-vm compile`): the module with its ABI
 * (docs/jit-wasm.md) and a manifest that says what the host must supply: which helpers (by name and id), which
 * runtime services, and the value of each map reference (lddw with a map pseudo-source), by map name.
 */
import type { HelperSet } from '../helpers/registry.js';
import { LDDW_PSEUDO_NAMES, validateProgram, type Insn } from '../isa/index.js';
import { abi, compileProgram, loadBinaryen, usesBinaryen, type JitFacts, type Tier } from '../jit-wasm/index.js';

/** ExportOptions configures an export. */
export interface ExportOptions {
  tier: Tier;
  helpers: HelperSet;
  section?: string;
  /** Map names by index, to name map references in the manifest. */
  mapNames?: readonly string[];
  /** Also produce the text format. */
  text?: boolean;
  /** Slots poisoned by failed CO-RE relocations, with their reason (they trap: `bpf.trap` kind 5). */
  poisoned?: ReadonlyMap<number, string>;
  /** Atomics as `bpf.atomic` imports, for hosts running the program on several threads (the native runtime). */
  atomicImports?: boolean;
  /** What a verifier proved (src/jit-wasm/facts.ts): proved accesses unchecked, no budget charges when it terminates. */
  facts?: JitFacts;
  /** Keep the budget charges although `facts` prove termination. */
  budget?: boolean;
}

/** Manifest describes an exported module's imports and exports. */
export interface Manifest {
  entry: string;
  signature: string;
  functions: { pc: number; export: string }[];
  /** Whether the module imports env.memory (a program that touches no memory does not). */
  memory: boolean;
  helpers: { import: string; id: number }[];
  services: string[];
  globals: string[];
  /** Map references: `index` is the map's index in the object (the imm of the lddw), `map` its name when known. */
  lddw: { import: string; pc: number; source: string; index: number; map?: string; offset?: number }[];
  insns: number;
  /** Whether the module charges the `budget` global (false: compiled with a termination proof; the host need not set it). */
  metered: boolean;
  /** Memory accesses compiled without a bounds check (proved in bounds by the facts given). */
  uncheckedAccesses: number;
  /**
   * Whether the module's own code can end a run early: it charges a budget, or calls `bpf.trap`, `bpf.refill`,
   * `bpf.tail_call` or `bpf.callx` (true when the tier does not say). Helpers are the host's to judge.
   */
  selfTraps: boolean;
}

/** ExportedModule is the binary (and text) of a module with its manifest. */
export interface ExportedModule {
  bytes: Uint8Array;
  text?: string;
  manifest: Manifest;
}

/** TRAPPING_SERVICES are the runtime services whose call may end a run (a fault, a trap, a tail call's checks). */
const TRAPPING_SERVICES = ['trap', 'refill', 'tail_call', 'callx'];

/** exportModule translates slots into a self-describing module for another host. */
export async function exportModule(insns: readonly Insn[], opts: ExportOptions): Promise<ExportedModule> {
  // binaryen prints the text; no tier needs it to compile unless OPT_LEVELS asks it for passes.
  if (opts.text || usesBinaryen(opts.tier)) await loadBinaryen();
  const valid = validateProgram(insns, opts.section);
  const c = compileProgram(valid, { tier: opts.tier, helpers: opts.helpers, section: opts.section, lddwImports: true, atomicImports: opts.atomicImports, poisoned: opts.poisoned, text: opts.text, facts: opts.facts, budget: opts.budget });
  // The manifest lists what the module really imports (binaryen's passes, when a tier runs them, drop unused ones).
  const imported = new Set(WebAssembly.Module.imports(new WebAssembly.Module(c.bytes as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`));
  const services = ['trap', 'refill', 'tail_call', 'callx', 'atomic'].filter((s) => imported.has(`${abi.BPF_MODULE}.${s}`));
  const manifest: Manifest = {
    entry: abi.ENTRY_EXPORT,
    signature: '(r1 i64, r2 i64, r3 i64, r4 i64, r5 i64, r10 i64) -> r0 i64',
    functions: c.functions.map((pc) => ({ pc, export: pc === 0 ? abi.ENTRY_EXPORT : abi.functionExport(pc) })),
    memory: imported.has(`${abi.ENV_MODULE}.${abi.MEMORY_IMPORT}`),
    helpers: [...c.helperImports].map(([name, def]) => ({ import: `${abi.HELPER_MODULE}.${name}`, id: def.id })).filter((h) => imported.has(h.import)),
    services: services.map((s) => `${abi.BPF_MODULE}.${s}`),
    globals: Object.keys(abi.GLOBALS),
    lddw: c.lddwImports.filter((l) => imported.has(`${abi.BPF_MODULE}.${l.global}`)).map((l) => ({
      import: `${abi.BPF_MODULE}.${l.global}`,
      pc: l.pc,
      source: LDDW_PSEUDO_NAMES[l.pseudo] ?? String(l.pseudo),
      index: l.imm,
      ...(opts.mapNames?.[l.imm] !== undefined ? { map: opts.mapNames[l.imm] } : {}),
      ...(l.imm2 ? { offset: l.imm2 } : {}),
    })),
    insns: c.insnCount,
    metered: c.metered,
    uncheckedAccesses: c.uncheckedAccesses,
    selfTraps: c.metered || !c.called || TRAPPING_SERVICES.some((s) => c.called!.has(s)),
  };
  return { bytes: c.bytes, ...(c.text !== undefined ? { text: c.text } : {}), manifest };
}

/**
 * Compiling through a cache of modules (issue 11 point 7): binaryen takes 2-2.6 s and ~100 MiB to load, more than a
 * short program's whole run, so the optimising tier's modules are kept by content hash and a repeated compile of the
 * same program rebuilds its CompiledProgram from the stored bytes and metadata without binaryen.
 *
 * The key hashes everything translation reads that is known before it starts: the cache format, the compiler's
 * identity (`compilerId`: the build's hash of its sources, so a changed translator never meets old modules), the tier
 * and its settings, every other option (verifier facts included, whatever options are added later), the slots, the
 * poisoned slots and each called helper's name and prototype. What translation asks the host while it runs (lddw values, the regions and inline maps behind them) is
 * recorded with its answers and stored in the entry; a lookup asks the same questions again and uses the entry only if
 * every answer is the same, so a module is reused exactly when translation would rebuild the same bytes. The entry
 * also holds the whole key text and a hash of the bytes: a corrupt, truncated or foreign entry is a miss (and is
 * replaced), never a crash or a wrong module. The storage itself is the host's (ModuleStore: files in Node).
 */
import { encodeProgram, type ValidProgram } from '../isa/index.js';
import { sha1Hex } from '../loader/sha1.js';
import type { HelperDef } from '../helpers/registry.js';
import { compileProgram, OPT_LEVELS, type CompiledProgram, type CompileOptions } from './compile.js';
import type { InlineMap } from './inline-map.js';
import type { StaticRegion } from './regions.js';

/** CACHE_FORMAT changes when the entry layout, the key's contents or the module ABI change (3: the entry_lo/entry_hi globals). */
const CACHE_FORMAT = 3;

/** ModuleStore keeps entries by key; reads of missing or unreadable entries return undefined, writes never throw. */
export interface ModuleStore {
  read(key: string): { meta: string; bytes: Uint8Array } | undefined;
  write(key: string, meta: string, bytes: Uint8Array): void;
}

/** ModuleCache is a store and the identity of the compiler whose modules it may hold. */
export interface ModuleCache {
  readonly store: ModuleStore;
  /** Identifies the translator's code (a hash of the build's sources): entries of another compiler never match. */
  readonly compilerId: string;
  /** Told what each lookup found (debug output). */
  readonly log?: (event: 'hit' | 'miss' | 'stale', key: string, why?: string) => void;
}

/** Query is one question translation asked the host, with its answer as canonical text. */
type Query = readonly [kind: 'lddw' | 'region' | 'map', args: string, answer: string];

/** Meta is an entry's metadata (JSON beside the bytes). */
interface Meta {
  format: number;
  material: string;
  bytesHash: string;
  queries: Query[];
  helperImports: { name: string; kind: 'helper' | 'kfunc'; id: number }[];
  lddwImports: CompiledProgram['lddwImports'];
  usesTailCall: boolean;
  usesCallx: boolean;
  metered: boolean;
  uncheckedAccesses: number;
}

/** canonical renders a value (bigints, sets, maps, plain objects, undefined) as stable text. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Set) return [...x].sort();
    if (x instanceof Map) return [...x].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    return x;
  }) ?? 'undefined';
}

/** The options material() reads itself or that do not change the module; every other option is part of the key. */
const KEYED_APART = new Set(['helpers', 'resolveLddw', 'regionOf', 'mapOf', 'poisoned', 'section', 'validate', 'text']);

/** otherOptions are the options the key takes as they are, or undefined if one is a function it cannot capture. */
function otherOptions(opts: CompileOptions): [string, unknown][] | undefined {
  const out = Object.entries(opts).filter(([k, v]) => !KEYED_APART.has(k) && v !== undefined).sort((a, b) => a[0].localeCompare(b[0]));
  return out.some(([, v]) => typeof v === 'function') ? undefined : out;
}

/** material is the key text of a compile: everything translation reads before it asks the host anything. */
function material(prog: ValidProgram, opts: CompileOptions, compilerId: string, options: [string, unknown][]): string {
  const helpers: string[] = [];
  prog.forms.forEach((f, pc) => {
    if (f?.kind !== 'call' || f.mode === 'local') return;
    const imm = prog.insns[pc].imm;
    const def = f.mode === 'kfunc' ? opts.helpers.kfuncAt(imm).def : opts.helpers.get(imm);
    helpers.push(`${f.mode}:${imm}:${def ? `${def.name}:${canonical(def.proto)}` : '-'}`);
  });
  return canonical({
    format: CACHE_FORMAT,
    compilerId,
    levels: OPT_LEVELS[opts.tier],
    helperSet: opts.helpers.name,
    // The tier and the options that shape code (lddwImports, atomicImports, probeMem, and any added later).
    options,
    poisoned: [...(opts.poisoned?.keys() ?? [])].sort((a, b) => a - b),
    functions: prog.functions,
    helpers,
    slots: sha1Hex(encodeProgram(prog.insns)),
  });
}

/** recording wraps the host's callbacks so that every question and answer is kept. */
function recording(opts: CompileOptions, queries: Query[]): CompileOptions {
  const { resolveLddw, regionOf, mapOf } = opts;
  return {
    ...opts,
    ...(resolveLddw && {
      resolveLddw: (pc: number, pseudo: number, imm: number, imm2: number) => {
        const v = resolveLddw(pc, pseudo, imm, imm2);
        queries.push(['lddw', canonical([pc, pseudo, imm, imm2]), canonical(v)]);
        return v;
      },
    }),
    ...(regionOf && {
      regionOf: (addr: bigint): StaticRegion | undefined => {
        const r = regionOf(addr);
        queries.push(['region', canonical(addr), canonical(r)]);
        return r;
      },
    }),
    ...(mapOf && {
      mapOf: (value: bigint): InlineMap | undefined => {
        const r = mapOf(value);
        queries.push(['map', canonical(value), canonical(r)]);
        return r;
      },
    }),
  };
}

/** answersMatch asks the recorded questions again; the entry serves only if every answer is unchanged. */
function answersMatch(queries: readonly Query[], opts: CompileOptions): boolean {
  for (const [kind, args, answer] of queries) {
    const a = JSON.parse(args, (_k, x: unknown) => (typeof x === 'string' && /^-?\d+n$/.test(x) ? BigInt(x.slice(0, -1)) : x)) as unknown;
    let got: unknown;
    if (kind === 'lddw') {
      if (!opts.resolveLddw) return false;
      const [pc, pseudo, imm, imm2] = a as number[];
      got = opts.resolveLddw(pc, pseudo, imm, imm2);
    } else if (kind === 'region') {
      if (!opts.regionOf) return false;
      got = opts.regionOf(a as bigint);
    } else {
      if (!opts.mapOf) return false;
      got = opts.mapOf(a as bigint);
    }
    if (canonical(got) !== answer) return false;
  }
  return true;
}

/** fromEntry rebuilds the CompiledProgram of a stored entry, or returns why it cannot serve. */
function fromEntry(prog: ValidProgram, opts: CompileOptions, meta: Meta, bytes: Uint8Array): CompiledProgram | string {
  const helperImports = new Map<string, HelperDef>();
  for (const h of meta.helperImports) {
    const def = h.kind === 'kfunc' ? opts.helpers.kfuncAt(h.id).def : opts.helpers.get(h.id);
    if (!def || def.name !== h.name) return `helper ${h.name} is not in the helper set`;
    helperImports.set(h.name, def);
  }
  if (!answersMatch(meta.queries, opts)) return 'the host answers differently (map addresses, regions)';
  return {
    bytes,
    insns: prog.insns,
    forms: prog.forms,
    helperImports,
    helperSet: opts.helpers,
    functions: prog.functions,
    poison: new Map(opts.poisoned ?? []),
    usesTailCall: meta.usesTailCall,
    usesCallx: meta.usesCallx,
    metered: meta.metered,
    uncheckedAccesses: meta.uncheckedAccesses,
    lddwImports: meta.lddwImports,
    insnCount: prog.forms.reduce((n, f) => n + (f === null ? 0 : 1), 0),
  };
}

/** parseMeta reads an entry's metadata, or returns why it is not one for `mat`. */
function parseMeta(text: string, mat: string, bytes: Uint8Array): Meta | string {
  let meta: Meta;
  try {
    meta = JSON.parse(text) as Meta;
  } catch {
    return 'unreadable metadata';
  }
  if (meta?.format !== CACHE_FORMAT || meta.material !== mat) return 'an entry of another program or compiler';
  if (meta.bytesHash !== sha1Hex(bytes) || !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return 'corrupt module bytes';
  if (!Array.isArray(meta.queries) || !Array.isArray(meta.helperImports) || !Array.isArray(meta.lddwImports)) return 'malformed metadata';
  return meta;
}

/** CachedCompile is a compile's result and whether the cache served it. */
export interface CachedCompile {
  compiled: CompiledProgram;
  cached: boolean;
}

/**
 * compileCached compiles through `cache`: a stored module that matches is rebuilt without translating (or loading
 * binaryen); otherwise the program is compiled and stored. Text output is never cached (binaryen prints it), nor a
 * compile given an option the key cannot hold (a callback it does not know the questions of).
 */
export function compileCached(prog: ValidProgram, opts: CompileOptions, cache: ModuleCache): CachedCompile {
  const options = otherOptions(opts);
  if (opts.text || !options) return { compiled: compileProgram(prog, opts), cached: false };
  const mat = material(prog, opts, cache.compilerId, options);
  const key = sha1Hex(new TextEncoder().encode(mat));
  const entry = cache.store.read(key);
  if (entry) {
    const meta = parseMeta(entry.meta, mat, entry.bytes);
    const compiled = typeof meta === 'string' ? meta : fromEntry(prog, opts, meta, entry.bytes);
    if (typeof compiled !== 'string') {
      cache.log?.('hit', key);
      return { compiled, cached: true };
    }
    cache.log?.('stale', key, compiled);
  } else {
    cache.log?.('miss', key);
  }
  const queries: Query[] = [];
  const compiled = compileProgram(prog, recording(opts, queries));
  const meta: Meta = {
    format: CACHE_FORMAT,
    material: mat,
    bytesHash: sha1Hex(compiled.bytes),
    queries,
    helperImports: [...compiled.helperImports.values()].map((d) => ({ name: d.name, kind: d.kind === 'kfunc' ? 'kfunc' : 'helper', id: d.kind === 'kfunc' ? kfuncId(prog, opts, d) : d.id })),
    lddwImports: compiled.lddwImports,
    usesTailCall: compiled.usesTailCall,
    usesCallx: compiled.usesCallx,
    metered: compiled.metered,
    uncheckedAccesses: compiled.uncheckedAccesses,
  };
  cache.store.write(key, JSON.stringify(meta), compiled.bytes);
  return { compiled, cached: false };
}

/** kfuncId finds the BTF id a program calls kfunc `def` by (kfuncs are found by id, as translation found it). */
function kfuncId(prog: ValidProgram, opts: CompileOptions, def: HelperDef): number {
  for (let pc = 0; pc < prog.forms.length; pc++) {
    const f = prog.forms[pc];
    if (f?.kind === 'call' && f.mode === 'kfunc' && opts.helpers.kfuncAt(prog.insns[pc].imm).def === def) return prog.insns[pc].imm;
  }
  return -1;
}

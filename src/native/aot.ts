/**
 * Ahead-of-time compilation of a program for the native agent (DESIGN.md section 7, docs/native.md "runtime"):
 * eBPF -> Wasm (the opt tier, map references as lddw imports: src/runtime/export.ts) -> C (wasm2c, plus the glue of
 * glue.ts) -> a shared object (cc -O2 -shared -fPIC), which the runtime dlopens. Objects are cached by content hash
 * (module bytes, glue, the runtime's ABI headers, compiler flags and tool versions) under
 * `$XDG_CACHE_HOME/bpftime-vm/native/` (default `~/.cache/bpftime-vm/native/`): a second compile of the same program
 * costs the Wasm translation and a hash. A program calling a helper the native runtime lacks is refused here, naming
 * the helper and the program.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadError } from '../errors.js';
import { kernelHelpers } from '../helpers/kernel/index.js';
import type { HelperSet } from '../helpers/registry.js';
import { contextFor, type ContextLayout } from '../loader/contexts.js';
import type { CollectionSpec, ProgramSpec } from '../loader/spec.js';
import { poisonedSlots } from '../runtime/program-facts.js';
import type { Insn } from '../isa/index.js';
import type { JitFacts } from '../jit-wasm/index.js';
import { cacheRoot, makeDirs } from '../runtime/cache-dir.js';
import { exportModule, type Manifest } from '../runtime/export.js';
import { importModules, renderGlue, MODULE_NAME } from './glue.js';
import { findToolchain, runTool, type NativeToolchain } from './toolchain.js';
import { nativeFile } from './build.js';
import { readsContext } from './ctx-use.js';

/**
 * CC_FLAGS are the flags of the shared object's compile (part of the cache key). -mgeneral-regs-only: programs run
 * inside uprobes whose stubs do not save the vector registers (docs/native.md, "Vector registers"); eBPF has no
 * floating point, and a module that needed it would not compile rather than clobber the probed function's registers.
 */
export const CC_FLAGS = ['-O2', '-mgeneral-regs-only', '-shared', '-fPIC', '-fvisibility=hidden', '-std=gnu11', '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1', '-Wl,-z,defs'];

/** NativeSource is a program to compile: its slots, helper set and the names of the maps its lddw refer to. */
export interface NativeSource {
  name: string;
  section: string;
  insns: readonly Insn[];
  helpers: HelperSet;
  /** Map names by index (the object's map order), to name map references. */
  mapNames?: readonly string[];
  /** Slots of failed CO-RE relocations (they trap when run). */
  poisoned?: ReadonlyMap<number, string>;
  /** The context layout of the program's type (contextFor), for bpf_get_func_arg and friends; raw when absent. */
  context?: ContextLayout;
}

/** NativeCompileOptions configures a compile. */
export interface NativeCompileOptions {
  toolchain?: NativeToolchain;
  /** Cache directory (default: nativeCacheDir()). */
  cacheDir?: string;
  /** The helpers the native runtime implements, by id (readNativeHelpers); when given, others are refused. */
  nativeHelpers?: ReadonlyMap<number, string>;
  /**
   * What the verifier proved about the program (src/jit-wasm/facts.ts): proved accesses compiled without bounds
   * checks, no budget charges when it terminates. The module's bytes, hence the cache key, reflect them.
   */
  facts?: JitFacts;
  /**
   * The verifier accepted the program (not just facts given by hand): the descriptor says so, and the runtime runs it
   * without the trap landing pad when neither its code nor its helpers can fault (docs/native.md, "Runs without a
   * landing pad").
   */
  verified?: boolean;
}

/** CompiledNative is a program compiled to a shared object. */
export interface CompiledNative {
  /** The shared object, in the cache. */
  path: string;
  /** Content hash (hex), the file's name. */
  hash: string;
  /** Whether the cache already held it. */
  cached: boolean;
  manifest: Manifest;
  /** Milliseconds spent (translation, and wasm2c + cc on a miss). */
  ms: number;
}

/** nativeCacheDir returns where compiled programs are cached (`native/` in bpftime-vm's cache directory). */
export function nativeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return cacheRoot('native', env);
}

/** checkHelpers refuses a program that calls a helper the native runtime lacks. */
function checkHelpers(src: NativeSource, manifest: Manifest, native: ReadonlyMap<number, string>): void {
  for (const h of manifest.helpers) {
    if (!native.has(h.id)) {
      const name = h.import.slice(h.import.indexOf('.') + 1);
      throw new LoadError('native-helper', `program ${src.name}: helper bpf_${name} (id ${h.id}) is not implemented by the native runtime`, { program: src.name, section: src.section });
    }
  }
}

/** compileNative compiles one program to a shared object for the native runtime, through the cache. */
export async function compileNative(src: NativeSource, opts: NativeCompileOptions = {}): Promise<CompiledNative> {
  const started = performance.now();
  const tc = opts.toolchain ?? findToolchain();
  const mod = await exportModule(src.insns, { tier: 'opt', helpers: src.helpers, section: src.section, mapNames: src.mapNames, poisoned: src.poisoned, atomicImports: true, facts: opts.facts });
  if (opts.nativeHelpers) checkHelpers(src, mod.manifest, opts.nativeHelpers);
  const glue = renderGlue({ manifest: mod.manifest, program: src.name, section: src.section, context: src.context, ctxUnread: !readsContext(src.insns), verified: opts.verified });
  const hash = createHash('sha256')
    .update(JSON.stringify({ abi: tc.abiText, wasm2c: tc.wasm2cVersion, cc: tc.ccVersion, flags: CC_FLAGS }))
    .update(mod.bytes)
    .update(glue)
    .digest('hex')
    .slice(0, 32);
  const dir = opts.cacheDir ?? nativeCacheDir();
  const path = join(dir, `${hash}.so`);
  const result = (cached: boolean): CompiledNative => ({ path, hash, cached, manifest: mod.manifest, ms: performance.now() - started });
  if (existsSync(path)) return result(true);
  makeDirs(dir, { existsSync, mkdirSync });
  const work = mkdtempSync(join(dir, `.build-${hash.slice(0, 8)}-`));
  try {
    const where = `program ${src.name}`;
    writeFileSync(join(work, `${MODULE_NAME}.wasm`), mod.bytes);
    await runTool(tc.wasm2c, [`${MODULE_NAME}.wasm`, '-o', `${MODULE_NAME}.c`, '-n', MODULE_NAME], work, where);
    checkInstantiate(readFileSync(join(work, `${MODULE_NAME}.h`), 'utf8'), mod.manifest, where);
    writeFileSync(join(work, 'glue.c'), glue);
    await runTool(tc.cc, [...CC_FLAGS, `-I${work}`, `-I${tc.includeDir}`, '-o', 'prog.so', 'glue.c'], work, where);
    writeFileSync(join(work, 'prog.json'), JSON.stringify({ program: src.name, section: src.section, manifest: mod.manifest }, null, 2));
    // Renames are atomic: concurrent compiles of the same program both succeed, one of them last.
    renameSync(join(work, 'prog.json'), join(dir, `${hash}.json`));
    renameSync(join(work, 'prog.so'), path);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result(false);
}

/**
 * checkInstantiate compares the import instances wasm2c's instantiate takes with the ones the glue passes (one per
 * imported module, in name order: bpf, env, helper), so a wasm2c that orders them otherwise fails loudly here.
 */
function checkInstantiate(header: string, manifest: Manifest, where: string): void {
  const m = new RegExp(`void Z_${MODULE_NAME}_instantiate\\(Z_${MODULE_NAME}_instance_t\\*([^)]*)\\);`).exec(header);
  const got = m ? m[1].split(',').map((s) => s.trim()).filter((s) => s) : [];
  const want = importModules(manifest).map((mod) => `struct Z_${mod}_instance_t*`);
  if (got.join(',') !== want.join(',')) {
    throw new LoadError('native-glue', `${where}: wasm2c's instantiate takes (${got.join(', ')}), the glue passes (${want.join(', ')})`);
  }
}

/**
 * nativeSourceOf is program `p` of an object as the native compile takes it: kernel helpers, the object's maps by
 * index, failed CO-RE relocations poisoned, the context layout of its type.
 */
export function nativeSourceOf(spec: CollectionSpec, p: ProgramSpec): NativeSource {
  return {
    name: p.name, section: p.section, insns: p.insns, helpers: kernelHelpers(), mapNames: spec.maps.map((m) => m.name),
    poisoned: poisonedSlots(p), context: contextFor(p.type, p.attach.name),
  };
}

/** compileCollectionProgram compiles program `name` of an object (nativeSourceOf, without verifier facts). */
export function compileCollectionProgram(spec: CollectionSpec, name: string, opts: NativeCompileOptions = {}): Promise<CompiledNative> {
  const p = spec.programs.find((x) => x.name === name);
  if (!p) throw new LoadError('no-program', `no program ${name} in the object (it has ${spec.programs.map((x) => x.name).join(', ')})`);
  return compileNative(nativeSourceOf(spec, p), opts);
}

/** readNativeHelpers reads the helpers the built native runtime implements (runtime-helpers.txt of the layer, build.ts). */
export function readNativeHelpers(): Map<number, string> {
  const file = nativeFile('runtime-helpers.txt', 'the native runtime');
  const out = new Map<number, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d+) (\w+)$/.exec(line.trim());
    if (m) out.set(Number(m[1]), m[2]);
  }
  return out;
}

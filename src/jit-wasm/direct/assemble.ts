/**
 * Module assembly for the direct emitter: the type, import, function, global, export and code sections of a module
 * whose function bodies are already code. The module's layout (imports, globals, functions) is fixed before
 * translation, so that names resolve to indexes (`resolverOf`) while the code is written; imports come first in each
 * index space, as the binary format requires.
 */
import { NotSupportedError } from '../../errors.js';
import type { Signature } from '../abi.js';
import { writeHintSection } from '../branch-hints.js';
import { ByteWriter } from './bytes.js';
import { FUNC_TYPE, KIND, LIMITS_MIN_ONLY, MUT, OP, SECTION, VAL, WASM_HEADER } from './opcodes.js';
import type { Resolver } from './tree.js';

/** FuncImport is an imported function: its internal name, where it comes from and its type. */
export interface FuncImport {
  readonly name: string;
  readonly module: string;
  readonly field: string;
  readonly sig: Signature;
}

/** GlobalImport is an imported immutable global, used by its internal name. */
export interface GlobalImport {
  readonly name: string;
  readonly module: string;
  readonly field: string;
  readonly type: 'i32' | 'i64';
}

/** GlobalDef is a defined mutable global, zero-initialised and exported under its name. */
export interface GlobalDef {
  readonly name: string;
  readonly type: 'i32' | 'i64';
  /** Initial value (default 0). */
  readonly init?: number;
}

/** FuncDef is a defined function: name, type, extra locals (count and type, in order) and optional export. */
export interface FuncDef {
  readonly name: string;
  readonly sig: Signature;
  readonly locals: readonly (readonly [number, 'i32' | 'i64'])[];
  readonly export?: string;
}

/** ModuleDef is everything a module holds. */
export interface ModuleDef {
  readonly memory: { readonly module: string; readonly field: string; readonly min: number };
  readonly funcImports: readonly FuncImport[];
  readonly globalImports: readonly GlobalImport[];
  readonly globals: readonly GlobalDef[];
  readonly funcs: readonly FuncDef[];
}

function section(out: ByteWriter, id: number, body: ByteWriter): void {
  out.u8(id);
  out.sized(body);
}

/** resolverOf maps the names of a module's functions and globals to their indexes. */
export function resolverOf(def: ModuleDef): Resolver {
  const funcIndex = new Map<string, number>();
  def.funcImports.forEach((f, i) => funcIndex.set(f.name, i));
  def.funcs.forEach((f, i) => funcIndex.set(f.name, def.funcImports.length + i));
  const globalIndex = new Map<string, number>();
  def.globalImports.forEach((g, i) => globalIndex.set(g.name, i));
  def.globals.forEach((g, i) => globalIndex.set(g.name, def.globalImports.length + i));
  return {
    func: (name) => funcIndex.get(name) ?? missing('function', name),
    global: (name) => globalIndex.get(name) ?? missing('global', name),
  };
}

/** BodyCode holds the code of function bodies, by expression (the direct emitter's `Tree`). */
export interface BodyCode {
  size(e: number): number;
  /** writeCode appends the code of `e` to `out` and the positions in `out` of its cold `if`s to `cold`. */
  writeCode(e: number, out: ByteWriter, cold: number[]): void;
}

/** assembleModule writes the binary of a module; `bodies` are the expressions in `code` of `def.funcs`, in order. */
export function assembleModule(def: ModuleDef, code: BodyCode, bodies: readonly number[]): Uint8Array {
  const types: Signature[] = [];
  const typeKeys = new Map<string, number>();
  const typeOf = (s: Signature): number => {
    const key = `${s.params.join(',')}>${s.results.join(',')}`;
    let i = typeKeys.get(key);
    if (i === undefined) {
      i = types.length;
      types.push(s);
      typeKeys.set(key, i);
    }
    return i;
  };
  const resolver = resolverOf(def);

  const imports = new ByteWriter();
  imports.u32(1 + def.funcImports.length + def.globalImports.length);
  imports.name(def.memory.module);
  imports.name(def.memory.field);
  imports.u8(KIND.memory);
  imports.u8(LIMITS_MIN_ONLY);
  imports.u32(def.memory.min);
  for (const f of def.funcImports) {
    imports.name(f.module);
    imports.name(f.field);
    imports.u8(KIND.func);
    imports.u32(typeOf(f.sig));
  }
  for (const g of def.globalImports) {
    imports.name(g.module);
    imports.name(g.field);
    imports.u8(KIND.global);
    imports.u8(VAL[g.type]);
    imports.u8(MUT.const);
  }

  const funcs = new ByteWriter();
  funcs.u32(def.funcs.length);
  for (const f of def.funcs) funcs.u32(typeOf(f.sig));

  const globals = new ByteWriter();
  globals.u32(def.globals.length);
  for (const g of def.globals) {
    globals.u8(VAL[g.type]);
    globals.u8(MUT.var);
    globals.u8(g.type === 'i32' ? OP.i32_const : OP.i64_const);
    globals.s32(g.init ?? 0);
    globals.u8(OP.end);
  }

  const exports = new ByteWriter();
  const exported = def.funcs.filter((f) => f.export !== undefined);
  exports.u32(exported.length + def.globals.length);
  for (const f of exported) {
    exports.name(f.export!);
    exports.u8(KIND.func);
    exports.u32(resolver.func(f.name));
  }
  for (const g of def.globals) {
    exports.name(g.name);
    exports.u8(KIND.global);
    exports.u32(resolver.global(g.name));
  }

  const sizes = bodies.map((e) => code.size(e));
  const codeSec = new ByteWriter(sizes.reduce((n, b) => n + b + 16, 16));
  codeSec.u32(def.funcs.length);
  const body = new ByteWriter(64);
  // hints[i]: offsets in function i's body of its cold `if`s (the code store's cold marks, where they landed).
  const hints: number[][] = [];
  def.funcs.forEach((f, i) => {
    body.len = 0;
    body.u32(f.locals.length);
    for (const [n, t] of f.locals) {
      body.u32(n);
      body.u8(VAL[t]);
    }
    codeSec.u32(body.len + sizes[i] + 1);
    const start = codeSec.len;
    codeSec.bytes(body.view());
    const cold: number[] = [];
    code.writeCode(bodies[i], codeSec, cold);
    for (let k = 0; k < cold.length; k++) cold[k] -= start;
    hints.push(cold);
    codeSec.u8(OP.end);
  });

  const typeSec = new ByteWriter();
  typeSec.u32(types.length);
  for (const s of types) {
    typeSec.u8(FUNC_TYPE);
    typeSec.u32(s.params.length);
    for (const p of s.params) typeSec.u8(VAL[p]);
    typeSec.u32(s.results.length);
    for (const p of s.results) typeSec.u8(VAL[p]);
  }

  const out = new ByteWriter(codeSec.len + 1024);
  out.bytes(WASM_HEADER);
  section(out, SECTION.type, typeSec);
  section(out, SECTION.import, imports);
  section(out, SECTION.function, funcs);
  section(out, SECTION.global, globals);
  section(out, SECTION.export, exports);
  writeHintSection(out, hints, def.funcImports.length);
  section(out, SECTION.code, codeSec);
  return out.finish();
}

function missing(what: string, name: string): never {
  throw new NotSupportedError('jit-invalid-module', `internal error: direct emitter: no ${what} named ${name}`);
}

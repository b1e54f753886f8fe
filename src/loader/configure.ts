/**
 * Configuring an object before load, as a libbpf skeleton's user space does between `open` and `load`: global
 * variables of `.rodata`, `.data`, `.bss` and `.kconfig` set from values typed by their BTF (`skel->rodata->targ_pid =
 * 42`), and map sizes (`bpf_map__set_max_entries`). Tools rely on both: their filters are `const volatile` globals and
 * their stack maps are declared with `max_entries 0`. The CLI's `--set NAME=VALUE` and `--map-size MAP=N` are this.
 */
import { UsageError } from '../errors.js';
import type { Btf } from './btf/parse.js';
import { BtfKind, IntEncoding, isAnyEnum, type BtfType } from './btf/types.js';
import type { LoadedCollection } from './collection.js';
import type { MapSpec } from './spec.js';

/** GlobalValue is what a global may be set to: text read by the variable's type, a number, a bool, or a list of numbers for arrays. */
export type GlobalValue = string | number | bigint | boolean | readonly (number | bigint)[];

/** ConfigureOptions are the settings applied before the maps are created. */
export interface ConfigureOptions {
  /** Values of global variables by name (or `SECTION:NAME` when several sections have the name). */
  globals?: Record<string, GlobalValue>;
  /** max_entries of maps by name. */
  mapSizes?: Record<string, number>;
  /** Value sizes of maps by name (bpf_map__set_value_size: stack trace maps sized by the wanted stack depth). */
  mapValueSizes?: Record<string, number>;
}

/** GlobalVar is one variable of a global-data map, located by BTF. */
export interface GlobalVar {
  name: string;
  map: MapSpec;
  offset: number;
  size: number;
  typeId: number;
}

/** globalVars lists the variables of every global-data and `.kconfig` map that BTF describes. */
export function globalVars(spec: LoadedCollection): GlobalVar[] {
  const btf = spec.btf;
  if (!btf) return [];
  const out: GlobalVar[] = [];
  for (const map of spec.maps) {
    if (map.origin === 'maps' || map.btfValueTypeId === undefined) continue;
    const ds = btf.type(map.btfValueTypeId);
    if (ds.kind !== BtfKind.DATASEC) continue;
    for (const v of ds.vars) {
      const t = btf.type(v.type);
      if (t.kind === BtfKind.VAR) out.push({ name: t.name, map, offset: v.offset, size: v.size, typeId: t.type });
    }
  }
  return out;
}

function findVar(vars: GlobalVar[], name: string): GlobalVar {
  const colon = name.lastIndexOf(':');
  const [section, bare] = colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : [undefined, name];
  const hits = vars.filter((v) => v.name === bare && (section === undefined || v.map.name === section));
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) {
    throw new UsageError('bad-global', `global ${name} is declared in several sections (${hits.map((h) => h.map.name).join(', ')}); name one as SECTION:${bare}`);
  }
  const known = vars.map((v) => v.name).join(', ') || 'none';
  throw new UsageError('unknown-global', `no global variable ${name} in .rodata, .data, .bss or .kconfig (globals: ${known})`);
}

/** parseInteger reads decimal, hex (0x), octal (0o) or binary (0b) text, optionally negative, with `_` separators. */
export function parseInteger(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, '');
  if (!/^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(t)) return undefined;
  return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
}

const BOOL_WORDS: Record<string, bigint> = { true: 1n, false: 0n, y: 1n, n: 0n, yes: 1n, no: 0n, '1': 1n, '0': 0n };

/** encodeValue writes `value` into `out` as the BTF type `typeId` lays it out; errors say why, without the variable. */
function encodeValue(btf: Btf, typeId: number, value: GlobalValue, out: Uint8Array): void {
  const id = btf.resolve(typeId);
  const t = btf.type(id);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // As in C, a negative value may set an unsigned variable (targ_uid = -1) and a full-width one a signed variable: any
  // value that fits the width in one of the two readings is accepted.
  const putInt = (v: bigint, size: number, _signed: boolean, at = 0) => {
    const bits = BigInt(size * 8);
    const min = -(1n << (bits - 1n));
    const max = (1n << bits) - 1n;
    if (v < min || v > max) throw new Error(`${v} is out of range [${min}, ${max}]`);
    const u = BigInt.asUintN(size * 8, v);
    for (let k = 0; k < size; k++) dv.setUint8(at + k, Number((u >> BigInt(8 * k)) & 0xffn));
  };
  const integer = (v: GlobalValue, what: string): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new Error(`${v} is not an integer`);
      return BigInt(v);
    }
    if (typeof v === 'boolean') return v ? 1n : 0n;
    const n = typeof v === 'string' ? parseInteger(v) : undefined;
    if (n === undefined) throw new Error(`${JSON.stringify(v)} is not ${what}`);
    return n;
  };
  if (t.kind === BtfKind.INT) {
    if ((t.encoding & IntEncoding.BOOL) !== 0) {
      const b = typeof value === 'string' ? BOOL_WORDS[value.trim().toLowerCase()] : integer(value, 'a bool');
      if (b === undefined || (b !== 0n && b !== 1n)) throw new Error(`${JSON.stringify(value)} is not a bool (true, false, 1, 0)`);
      putInt(b, t.size, false);
      return;
    }
    if (t.size === 1 && typeof value === 'string' && parseInteger(value) === undefined && [...value].length === 1) {
      putInt(BigInt(value.charCodeAt(0)), 1, false);
      return;
    }
    putInt(integer(value, 'an integer'), t.size, t.signed);
    return;
  }
  if (isAnyEnum(t)) {
    const byName = typeof value === 'string' ? (t.values as { name: string; value: number | bigint }[]).find((e) => e.name === value.trim()) : undefined;
    const n = byName ? BigInt(byName.value) : integer(value, `an enumerator of ${btf.typeName(id)} (${t.values.map((e) => e.name).join(', ')}) or an integer`);
    putInt(n, t.size, t.signed);
    return;
  }
  if (t.kind === BtfKind.PTR) {
    putInt(BigInt.asUintN(64, integer(value, 'an address')), 8, false);
    return;
  }
  if (t.kind === BtfKind.ARRAY) {
    const elem = btf.type(btf.resolve(t.type));
    const elemSize = btf.sizeOf(t.type);
    out.fill(0);
    if (elem.kind === BtfKind.INT && elemSize === 1 && typeof value === 'string') {
      const bytes = new TextEncoder().encode(value);
      if (bytes.length >= out.length) throw new Error(`string of ${bytes.length} bytes does not fit in ${out.length} bytes with its NUL`);
      out.set(bytes);
      return;
    }
    const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : Array.isArray(value) ? value : [value as number];
    if (items.length > t.nelems) throw new Error(`${items.length} values for ${t.nelems} elements`);
    items.forEach((item, k) => encodeValue(btf, t.type, item as GlobalValue, out.subarray(k * elemSize, (k + 1) * elemSize)));
    return;
  }
  throw new Error(`a ${describeKind(t)} cannot be set from the command line`);
}

function describeKind(t: BtfType): string {
  return t.kind === BtfKind.STRUCT ? 'struct' : t.kind === BtfKind.UNION ? 'union' : t.kind === BtfKind.FLOAT ? 'floating-point value' : 'value of this type';
}

/** setGlobal writes one global variable's initial value into its map's contents. */
export function setGlobal(spec: LoadedCollection, name: string, value: GlobalValue, vars = globalVars(spec)): void {
  const g = findVar(vars, name);
  const btf = spec.btf!;
  const init = g.map.contents[0]?.value;
  if (!(init instanceof Uint8Array)) throw new UsageError('bad-global', `global ${name}: map ${g.map.name} has no initial value to set`);
  try {
    encodeValue(btf, g.typeId, value, init.subarray(g.offset, g.offset + g.size));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError('bad-global', `global ${name} (${btf.typeName(g.typeId)}, ${g.map.name}): ${why}`, {}, { cause: e });
  }
}

/**
 * setMapSize sets a map's max_entries (bpf_map__set_max_entries) or, with `what` = 'value size', its value size
 * (bpf_map__set_value_size), as a loader does before load.
 */
export function setMapSize(spec: LoadedCollection, name: string, n: number, what: 'max_entries' | 'value size' = 'max_entries'): void {
  const map = spec.maps.find((m) => m.name === name);
  if (!map) throw new UsageError('unknown-map', `no map "${name}" to size; maps: ${spec.maps.map((m) => m.name).join(', ')}`);
  if (map.origin !== 'maps') throw new UsageError('bad-map-size', `map "${name}" holds global data; its size is the section's`);
  if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) {
    throw new UsageError('bad-map-size', `map "${name}": ${what} ${n} is not an integer in 1..4294967295`);
  }
  if (what === 'max_entries') map.maxEntries = n;
  else {
    map.valueSize = n;
    // The declared BTF type no longer describes the value.
    delete map.btfValueTypeId;
  }
}

/** configureSpec applies globals and map sizes to a loaded spec, in place, and returns it. */
export function configureSpec(spec: LoadedCollection, opts: ConfigureOptions): LoadedCollection {
  const vars = globalVars(spec);
  for (const [name, value] of Object.entries(opts.globals ?? {})) setGlobal(spec, name, value, vars);
  for (const [name, entries] of Object.entries(opts.mapSizes ?? {})) setMapSize(spec, name, entries);
  for (const [name, size] of Object.entries(opts.mapValueSizes ?? {})) setMapSize(spec, name, size, 'value size');
  return spec;
}

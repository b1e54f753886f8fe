/**
 * Global data and externs, as libbpf sees them: every `.data*`, `.rodata*` and `.bss*` section becomes a one-element
 * array map holding the section's bytes (`.rodata` read-only for programs), and `__kconfig` externs become the
 * `.kconfig` map, filled from the kernel version and a Kconfig (`.config`) supplied by the caller.
 */
import { LoadError } from '../errors.js';
import type { Btf } from './btf/parse.js';
import { BtfKind, IntEncoding } from './btf/types.js';
import { SHF, SHT, type ElfSection } from './elf.js';
import { emptyMap } from './maps.js';
import { MapFlag, MapType, type MapSpec } from './spec.js';

const KCONFIG = '.kconfig';
/**
 * MAX_BSS is the largest zero-initialised section accepted. A NOBITS section's size is not backed by file bytes, so a
 * corrupt header could otherwise ask for gigabytes.
 */
export const MAX_BSS = 256 << 20;

/** dataKind tells whether a section is global data, and which kind. */
export function dataKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  if ((s.flags & SHF.ALLOC) === 0 || (s.flags & SHF.EXECINSTR) !== 0) return undefined;
  const is = (p: string) => s.name === p || s.name.startsWith(p + '.');
  if (is('.bss') && s.type === SHT.NOBITS) return 'bss';
  if (is('.data')) return 'data';
  if (is('.rodata')) return 'rodata';
  return undefined;
}

function zeroKey(): Uint8Array {
  return new Uint8Array(4);
}

/** dataMap describes a global-data section as a one-element array map. */
export function dataMap(s: ElfSection, btf: Btf | undefined): MapSpec {
  const kind = dataKind(s)!;
  if (kind === 'bss' && s.size > MAX_BSS) {
    throw new LoadError('too-big', `section ${s.name} declares ${s.size} bytes, more than the ${MAX_BSS} allowed for global data`, { section: s.name });
  }
  const spec = emptyMap(s.name, s.name, 'data');
  spec.type = MapType.array;
  spec.keySize = 4;
  spec.valueSize = s.size;
  spec.maxEntries = 1;
  spec.readOnly = kind === 'rodata';
  spec.flags = MapFlag.mmapable | (spec.readOnly ? MapFlag.rdonlyProg : 0);
  spec.contents = [{ key: zeroKey(), value: kind === 'bss' ? new Uint8Array(s.size) : s.data.slice() }];
  const ds = btf?.findByName(s.name, BtfKind.DATASEC)[0];
  if (ds !== undefined) spec.btfValueTypeId = ds;
  return spec;
}

/** KconfigOptions are the values `.kconfig` externs resolve to. */
export interface KconfigOptions {
  /** LINUX_KERNEL_VERSION, as KERNEL_VERSION(a, b, c). */
  kernelVersion?: number;
  /** CONFIG_* values as a `.config` file spells them: y, n, m, numbers, quoted strings; a function is called only if needed. */
  config?: Record<string, string> | (() => Record<string, string> | undefined);
}

/** kernelVersionCode encodes a release string ("6.8.0-45-generic") as KERNEL_VERSION(a, b, c). */
export function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

/** parseKconfig reads a `.config` file into name/value pairs (comments and "is not set" lines become "n"). */
export function parseKconfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
    const unset = /^#\s*(CONFIG_\w+) is not set/.exec(line.trim());
    if (set) out[set[1]] = set[2];
    else if (unset) out[unset[1]] = 'n';
  }
  return out;
}

/** ExternVar is one `__kconfig` extern, placed in the `.kconfig` map. */
export interface ExternVar {
  name: string;
  offset: number;
  size: number;
  weak: boolean;
}

function builtin(name: string, opts: KconfigOptions, config: () => Record<string, string> | undefined): string | undefined {
  if (name === 'LINUX_KERNEL_VERSION') return opts.kernelVersion === undefined ? undefined : String(opts.kernelVersion);
  if (name === 'LINUX_HAS_BPF_COOKIE' || name === 'LINUX_HAS_SYSCALL_WRAPPER') return 'y';
  return config()?.[name];
}

/** encodeKconfig writes one extern's value into `out` according to its BTF type, as libbpf does. */
function encodeKconfig(btf: Btf, typeId: number, name: string, raw: string, out: Uint8Array): void {
  const t = btf.type(btf.resolve(typeId));
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const bad = (why: string): never => {
    throw new LoadError('kconfig', `extern (kconfig) ${name}: value "${raw}" ${why}`);
  };
  if (t.kind === BtfKind.ARRAY) {
    const m = /^"(.*)"$/.exec(raw) ?? bad('is not a quoted string');
    const bytes = new TextEncoder().encode(m[1]);
    if (bytes.length >= out.length) bad(`does not fit in ${out.length} bytes`);
    out.set(bytes);
    return;
  }
  const tristate = t.kind === BtfKind.ENUM && t.name === 'libbpf_tristate';
  const bool = t.kind === BtfKind.INT && (t.encoding & IntEncoding.BOOL) !== 0;
  if (tristate || bool || raw === 'y' || raw === 'n' || raw === 'm') {
    const v = raw === 'y' ? 1 : raw === 'n' ? 0 : raw === 'm' && tristate ? 2 : bad('is not y, n (or m for a tristate)');
    out[0] = v;
    return;
  }
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(raw)) bad('is not a number');
  const negative = raw.startsWith('-');
  const magnitude = BigInt(negative ? raw.slice(1) : raw);
  const v = BigInt.asUintN(out.length * 8, negative ? -magnitude : magnitude);
  for (let k = 0; k < out.length; k++) dv.setUint8(k, Number((v >> BigInt(8 * k)) & 0xffn));
}

/** kconfigMap builds the `.kconfig` map for the externs the code references. */
export function kconfigMap(btf: Btf | undefined, externs: { name: string; weak: boolean }[], opts: KconfigOptions): { spec: MapSpec; vars: Map<string, ExternVar> } | undefined {
  if (externs.length === 0) return undefined;
  const ds = btf?.findByName(KCONFIG, BtfKind.DATASEC)[0];
  const dsType = ds === undefined ? undefined : btf!.type(ds);
  if (!btf || !dsType || dsType.kind !== BtfKind.DATASEC) {
    throw new LoadError('kconfig', `extern ${externs[0].name}: only __kconfig externs described by BTF are supported`);
  }
  const vars = new Map<string, ExternVar>();
  const types = new Map<string, number>();
  let size = 0;
  for (const v of dsType.vars) {
    const variable = btf.type(v.type);
    if (variable.kind !== BtfKind.VAR) continue;
    const varSize = btf.sizeOf(variable.type);
    const align = Math.max(1, btf.alignOf(variable.type));
    size = Math.ceil(size / align) * align;
    vars.set(variable.name, { name: variable.name, offset: size, size: varSize, weak: false });
    types.set(variable.name, variable.type);
    // Place the variable in the BTF too, as libbpf does, so the map's value is described by its DATASEC.
    v.offset = size;
    v.size = varSize;
    size += varSize;
  }
  const value = new Uint8Array(Math.max(size, 1));
  dsType.size = value.length;
  let loaded: Record<string, string> | undefined;
  const config = () => (loaded ??= typeof opts.config === 'function' ? opts.config() : opts.config);
  for (const ext of externs) {
    const v = vars.get(ext.name);
    if (!v) throw new LoadError('kconfig', `extern ${ext.name}: not a __kconfig variable (__ksym externs are not supported)`);
    v.weak = ext.weak;
    const raw = builtin(ext.name, opts, config);
    if (raw === undefined) {
      if (ext.weak) continue;
      throw new LoadError('kconfig', `extern (kconfig) ${ext.name}: value not found; give a kernel config (--kconfig FILE) or declare it __weak`);
    }
    encodeKconfig(btf, types.get(ext.name)!, ext.name, raw, value.subarray(v.offset, v.offset + v.size));
  }
  const spec = emptyMap(KCONFIG, KCONFIG, 'kconfig');
  spec.type = MapType.array;
  spec.keySize = 4;
  spec.valueSize = value.length;
  spec.maxEntries = 1;
  spec.readOnly = true;
  spec.flags = MapFlag.mmapable | MapFlag.rdonlyProg;
  spec.btfValueTypeId = ds;
  spec.contents = [{ key: zeroKey(), value }];
  return { spec, vars };
}

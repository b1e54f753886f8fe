/**
 * Loading ELF objects for the CLI: the target BTF for CO-RE (`--btf FILE`, an ELF with .BTF or raw BTF, else the
 * running kernel's /sys/kernel/btf/vmlinux when readable), the kernel configuration for `__kconfig` externs
 * (`--kconfig FILE`, else /boot/config-$(uname -r) or /proc/config.gz), and the kernel version. Each is read only
 * when the object needs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { LoadError, NotSupportedError, UsageError } from '../errors.js';
import { MapType, type ProgramSpec } from '../loader/spec.js';
import { BtfKind } from '../loader/btf/types.js';
import type { Parsed } from './args.js';
import { parseBtf, type Btf } from '../loader/btf/parse.js';
import { loadCollectionSpec, type LoadedCollection } from '../loader/collection.js';
import { kernelVersionCode, parseKconfig } from '../loader/data.js';
import { parseInteger, type ConfigureOptions } from '../loader/configure.js';
import { withProgramType } from '../loader/program-type.js';
import { EM_BPF, EM_NONE, embeddedBpfObjects, isElf, parseElf } from '../loader/elf.js';
import { readFile } from './input.js';

/** VMLINUX_BTF is where the running kernel publishes its BTF. */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** readBtfFile parses raw BTF or the .BTF section of an ELF object; its errors start with the file's path. */
export function readBtfFile(path: string): Btf {
  const bytes = readFile(path);
  const named = <T>(prefix: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      throw new LoadError(e.code, `${prefix}${e.message}`, { section: path }, { cause: e });
    }
  };
  if (!isElf(bytes)) return named(`${path}: `, () => parseBtf(bytes));
  const elf = named(`${path}: read ELF: `, () => parseElf(bytes, 'any'));
  const sec = elf.sections.find((s) => s.name === '.BTF');
  if (!sec) throw new LoadError('no-btf', `${path}: the ELF object has no .BTF section`, { section: path });
  return named(`${path}: `, () => parseBtf(sec.data));
}

/** targetBtf returns a lazy, cached provider of the CO-RE target BTF. */
export function targetBtf(path: string | undefined): () => Btf | undefined {
  let cached: Btf | undefined;
  let done = false;
  return () => {
    if (!done) {
      done = true;
      if (path) cached = readBtfFile(path);
      else if (existsSync(VMLINUX_BTF)) cached = readBtfFile(VMLINUX_BTF);
    }
    return cached;
  };
}

function hostKconfig(): Record<string, string> | undefined {
  const boot = `/boot/config-${release()}`;
  if (existsSync(boot)) return parseKconfig(readFileSync(boot, 'utf8'));
  if (existsSync('/proc/config.gz')) return parseKconfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'));
  return undefined;
}

/** ObjectOptions are the CLI options that affect loading. */
export interface ObjectOptions {
  btf?: string;
  kconfig?: string;
  /** `--set NAME=VALUE` and `--map-size MAP=N`, as given (repeatable). */
  set?: string[];
  mapSize?: string[];
  mapValueSize?: string[];
  /** `--type TYPE`: the program type of every program (kernel name or libbpf section name), as tc loads an object. */
  type?: string;
}

export { CONFIGURE_OPTIONS } from './option-specs.js';

/** objectOptionsOf reads the loading options of a parsed command line. */
export function objectOptionsOf(flags: Parsed['flags']): ObjectOptions {
  return {
    btf: flags.btf as string | undefined,
    kconfig: flags.kconfig as string | undefined,
    set: flags.set as string[] | undefined,
    mapSize: flags['map-size'] as string[] | undefined,
    mapValueSize: flags['map-value-size'] as string[] | undefined,
    type: flags.type as string | undefined,
  };
}

function pairs(values: string[] | undefined, option: string): [string, string][] {
  return (values ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError('bad-option', `--${option} expects NAME=VALUE, got "${kv}"`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

function configureOptions(opts: ObjectOptions): ConfigureOptions {
  const globals = Object.fromEntries(pairs(opts.set, 'set'));
  const sizes = (values: string[] | undefined, option: string) =>
    Object.fromEntries(
      pairs(values, option).map(([name, n]) => {
        const v = parseInteger(n);
        if (v === undefined || v <= 0n || v > 0xffffffffn) throw new UsageError('bad-option', `--${option} ${name}: "${n}" is not an integer in 1..4294967295`);
        return [name, Number(v)];
      }),
    );
  return { globals, mapSizes: sizes(opts.mapSize, 'map-size'), mapValueSizes: sizes(opts.mapValueSize, 'map-value-size') };
}

/** loadObject reads and loads an ELF object with the CLI's sources of target BTF and kernel configuration. */
export function loadObject(path: string, opts: ObjectOptions): { spec: LoadedCollection; targetBtf: () => Btf | undefined } {
  const file = readFile(path);
  if (!isElf(file)) throw new LoadError('not-elf', `${path}: not an ELF file (expected an object built with clang -target bpf)`, { section: path });
  const bytes = bpfObjectOf(path, file);
  const btf = targetBtf(opts.btf);
  const spec = loadCollectionSpec(bytes, {
    ...configureOptions(opts),
    targetBtf: btf,
    kernelVersion: kernelVersionCode(release()),
    config: () => (opts.kconfig ? parseKconfig(new TextDecoder().decode(readFile(opts.kconfig))) : hostKconfig()),
  });
  if (opts.type !== undefined) spec.programs = spec.programs.map((p) => withProgramType(p, opts.type!));
  return { spec, targetBtf: btf };
}

/**
 * bpfObjectOf returns the BPF object of a file: the file itself, or the one object a program embeds (a libbpf
 * skeleton's, as the tools of libbpf-tools carry theirs), so `run /usr/sbin/opensnoop` runs the tool's own object.
 */
export function bpfObjectOf(path: string, bytes: Uint8Array): Uint8Array {
  const machine = bytes.length < 20 ? EM_BPF : new DataView(bytes.buffer, bytes.byteOffset).getUint16(18, true);
  if (machine === EM_BPF || machine === EM_NONE) return bytes; // EM_NONE: old LLVM's BPF objects, accepted as libbpf does
  const found = embeddedBpfObjects(bytes);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new LoadError('elf', `${path} is not a BPF object and embeds none`, { section: path });
  throw new NotSupportedError('several-objects', `${path} embeds ${found.length} BPF objects; extract the one to run`, { section: path });
}

/** pickProgram chooses the program of an object named by --prog or --section, or its only one. */
export function pickProgram(progs: readonly ProgramSpec[], flags: Parsed['flags']): ProgramSpec {
  const names = progs.map((p) => p.name).join(', ');
  if (progs.length === 0) throw new UsageError('no-program', 'the object has no programs (no code in any section but .text)');
  if (flags.prog !== undefined) {
    const p = progs.find((q) => q.name === flags.prog);
    if (!p) throw new UsageError('unknown-program', `no program "${flags.prog}"; programs: ${names}`);
    return p;
  }
  if (flags.section !== undefined) {
    const inSection = progs.filter((p) => p.section === flags.section);
    if (inSection.length === 1) return inSection[0];
    throw new UsageError('bad-option', `section "${flags.section}" holds ${inSection.length} programs; choose one with --prog (${names})`);
  }
  if (progs.length === 1) return progs[0];
  throw new UsageError('choose-program', `the object has ${progs.length} programs; choose one with --prog NAME: ${names}`);
}

/** recordTypes reads `--record-type MAP=STRUCT` items, each naming a ring or perf buffer map and a struct of the object's BTF. */
export function recordTypes(spec: LoadedCollection, items: string[]): Map<string, string> {
  const types = new Map<string, string>();
  for (const kv of items) {
    const m = /^([^=]+)=(?:struct\s+)?([A-Za-z_]\w*)$/.exec(kv);
    if (!m) throw new UsageError('bad-option', `--record-type expects MAP=STRUCT, got "${kv}"`);
    const [, map, struct] = m;
    const outputs = spec.maps.filter((x) => x.type === MapType.ringbuf || x.type === MapType.perf_event_array).map((x) => x.name);
    if (!outputs.includes(map)) throw new UsageError('bad-option', `--record-type: no ring or perf buffer map "${map}" in the object (${outputs.length ? `its output maps: ${outputs.join(', ')}` : 'it has none'})`);
    if (!spec.btf?.findByName(struct, BtfKind.STRUCT).length) throw new UsageError('bad-option', `--record-type: no struct "${struct}" in the object's BTF`);
    types.set(map, struct);
  }
  return types;
}

/**
 * What an object contains, as data for people: the views behind `prog show`, `prog dump` and `map show`, shared by
 * the CLI (which prints them) and the web playground (which renders them), so both always show the same thing.
 */
import { CALL_HELPER, classify, disassembleLines, OP_CALL } from '../isa/index.js';
import { kernelHelpers } from '../helpers/kernel/index.js';
import { KERNEL_HELPER_NAMES } from '../helpers/kernel/names.js';
import { SUPPORTED_MAP_TYPES } from '../helpers/maps/validate.js';
import type { Btf } from '../loader/btf/btf.js';
import { CORE_POISON_IMM } from '../loader/btf/core.js';
import { formatTypeC } from '../loader/btf/format-c.js';
import { kindName } from '../loader/btf/types.js';
import type { LoadedCollection } from '../loader/collection.js';
import { MAP_TYPES, type LineInfo, type MapSpec, type ProgramSpec } from '../loader/spec.js';

/** helperIds lists the helpers a program calls; libbpf's poisoned calls (failed CO-RE, unresolved weak kfuncs) are not helpers. */
function helperIds(p: ProgramSpec): number[] {
  const poisoned = new Set((p.ksyms ?? []).filter((k) => k.kind === 'call' && k.btfId === 0).map((k) => k.pc));
  const ids = new Set(p.insns.flatMap((i, pc) => (i.opcode === OP_CALL && i.src === CALL_HELPER && i.imm !== CORE_POISON_IMM && !poisoned.has(pc) ? [i.imm] : [])));
  return [...ids].sort((a, b) => a - b);
}

/** kfuncNames lists the kfuncs a program calls (resolved or not) by name. */
function kfuncNames(p: ProgramSpec): { name: string; resolved: boolean }[] {
  const calls = (p.ksyms ?? []).filter((k) => k.kind === 'call');
  return [...new Map(calls.map((k) => [k.name, { name: k.name, resolved: k.btfId !== 0 }])).values()].sort((a, b) => a.name.localeCompare(b.name));
}

const mapSupported = (type: number | undefined): boolean => type !== undefined && SUPPORTED_MAP_TYPES.includes(type);

const helperName = (id: number): string => KERNEL_HELPER_NAMES[id] ?? `#${id}`;
let implemented: ReturnType<typeof kernelHelpers> | undefined;

/** ProgramSummary is one program of an object as `prog show` lists it (its `--json` shape). */
export interface ProgramSummary {
  index: number;
  name: string;
  type: string;
  section: string;
  attach_type: string;
  attach: ProgramSpec['attach'];
  sleepable: boolean;
  insns: number;
  bytes: number;
  subprograms: string[];
  maps: string[];
  /** Maps the program uses whose type bpftime-vm does not implement: creating them fails, so the object cannot run. */
  unsupported_maps: string[];
  helpers: string[];
  /** Helpers the program calls that bpftime-vm does not implement: loading it fails with NotSupportedError. */
  unsupported_helpers: string[];
  kfuncs: string[];
  /** Kfuncs the program calls that bpftime-vm does not implement (loading it fails). */
  unsupported_kfuncs: string[];
  /** Weak kfuncs the target lacks: their calls are poisoned. */
  unresolved_kfuncs: string[];
  /** Kernel variables (typed or typeless __ksym) the program takes the address of. */
  kernel_variables: string[];
  /** Resolved kernel variables have no memory in userspace: loading fails. */
  unsupported_kernel_variables: string[];
  core_relocations: number;
  core_failed: { pc: number; kind: string; access: string; reason?: string }[];
  license: string;
}

/** describeProgram summarises program `p`, the `index`th of object `spec`. */
export function describeProgram(spec: LoadedCollection, p: ProgramSpec, index: number): ProgramSummary {
  implemented ??= kernelHelpers();
  const helpers = implemented;
  const maps = [...new Set(p.mapRefs.map((m) => m.map))];
  const kfuncs = kfuncNames(p);
  const vars = (p.ksyms ?? []).filter((k) => k.symbol === 'var');
  return {
    index,
    name: p.name,
    type: p.type,
    section: p.section,
    attach_type: p.attachType,
    attach: p.attach,
    sleepable: p.sleepable,
    insns: p.insns.length,
    bytes: p.insns.length * 8,
    subprograms: p.subprograms.map((s) => s.name),
    maps,
    unsupported_maps: maps.filter((name) => !mapSupported(spec.maps.find((m) => m.name === name)?.type)),
    helpers: helperIds(p).map(helperName),
    unsupported_helpers: helperIds(p).filter((id) => !helpers.get(id)).map(helperName),
    kfuncs: kfuncs.map((k) => k.name),
    unsupported_kfuncs: kfuncs.filter((k) => k.resolved && !helpers.kfunc(k.name)).map((k) => k.name),
    unresolved_kfuncs: kfuncs.filter((k) => !k.resolved).map((k) => k.name),
    kernel_variables: [...new Set(vars.map((k) => k.name))],
    unsupported_kernel_variables: [...new Set(vars.filter((k) => k.btfId !== 0).map((k) => k.name))],
    core_relocations: p.coreRelocations.length,
    core_failed: p.coreRelocations.filter((r) => !r.found).map((r) => ({ pc: r.pc, kind: r.kind, access: r.access, reason: r.reason })),
    license: p.license,
  };
}

/** attachText says where a program attaches (`attach uprobe ./target:add`) or why it cannot in userspace. */
export function attachText(p: ProgramSpec): string {
  const a = p.attach;
  const target = [a.binary, a.func ?? a.name ?? a.probe, a.offset !== undefined ? `+${a.offset}` : ''].filter((x) => x).join(':');
  const where = a.category ? `${a.category}/${a.name}` : a.provider ? `${a.binary}:${a.provider}:${a.probe}` : target;
  return a.attachable ? `attach ${p.attachType}${where ? ' ' + where : ' (target given at attach time)'}` : `not attachable in userspace: ${a.reason}`;
}

/** MapSummary is one map of an object as `map show` lists it (its `--json` shape). */
export interface MapSummary {
  index: number;
  name: string;
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  flags: number;
  origin: MapSpec['origin'];
  read_only: boolean;
  pinning: MapSpec['pinning'];
  pin_path?: string;
  map_extra?: number;
  btf_key?: string;
  btf_value?: string;
  inner_map?: { type: string; key_size: number; value_size: number; max_entries: number };
  initial_entries: number;
  /** Whether bpftime-vm implements the map's type. */
  supported: boolean;
}

/** describeMap summarises map `m`, the `index`th of object `spec`, naming its key and value types from the object's BTF. */
export function describeMap(spec: LoadedCollection, m: MapSpec, index: number): MapSummary {
  const typeName = (id: number | undefined) => (id !== undefined && spec.btf ? spec.btf.typeName(id) : undefined);
  const key = typeName(m.btfKeyTypeId);
  const value = typeName(m.btfValueTypeId);
  return {
    index,
    name: m.name,
    type: MAP_TYPES[m.type] ?? String(m.type),
    key_size: m.keySize,
    value_size: m.valueSize,
    max_entries: m.maxEntries,
    flags: m.flags,
    origin: m.origin,
    read_only: m.readOnly,
    pinning: m.pinning,
    ...(m.pinPath ? { pin_path: m.pinPath } : {}),
    ...(m.mapExtra ? { map_extra: Number(m.mapExtra) } : {}),
    ...(key ? { btf_key: key } : {}),
    ...(value ? { btf_value: value } : {}),
    ...(m.innerMap ? { inner_map: { type: MAP_TYPES[m.innerMap.type], key_size: m.innerMap.keySize, value_size: m.innerMap.valueSize, max_entries: m.innerMap.maxEntries } } : {}),
    initial_entries: m.contents.length,
    supported: mapSupported(m.type),
  };
}

/** ListingRow is one line of a program listing: a function start, a C source line, or an instruction. */
export type ListingRow =
  | { kind: 'function'; pc: number; name: string }
  | { kind: 'source'; pc: number; text: string; file: string; line: number }
  | {
      kind: 'insn';
      pc: number;
      /** 2 for lddw. */
      slots: number;
      bytes: string[];
      text: string;
      /** Map referenced, helper called, CO-RE relocation applied (or failed). */
      notes: string[];
      /** Where a jump or local call goes: a function's name or a pc. */
      target?: string | number;
    };

function notesAt(p: ProgramSpec, pc: number): string[] {
  const notes: string[] = [];
  const ins = p.insns[pc];
  const ref = p.mapRefs.find((m) => m.pc === pc);
  if (ref) notes.push(`map ${ref.map}`);
  const form = classify(ins);
  const ksym = p.ksyms?.find((k) => k.pc === pc);
  if (ksym) notes.push(ksym.kind === 'address' ? `&${ksym.name}` : ksym.btfId ? ksym.name : `${ksym.name} (weak kfunc missing from the target BTF: poisoned)`);
  else if (form.kind === 'call' && form.mode === 'helper') notes.push(ins.imm === CORE_POISON_IMM ? 'poisoned by a failed CO-RE relocation' : KERNEL_HELPER_NAMES[ins.imm] ?? `unknown helper ${ins.imm}`);
  for (const r of p.coreRelocations.filter((c) => c.pc === pc)) {
    notes.push(r.found ? `CO-RE ${r.kind} ${r.access} = ${r.value}` : `CO-RE ${r.kind} ${r.access} FAILED: ${r.reason}`);
  }
  return notes;
}

/** programListing disassembles `p` with its functions' names and, where .BTF.ext records them, its C source lines (like `llvm-objdump -S`). */
export function programListing(p: ProgramSpec): ListingRow[] {
  const starts = new Map([[0, p.name], ...p.subprograms.map((s) => [s.pc, s.name] as [number, string])]);
  const lines = new Map<number, LineInfo>(p.lineInfo.map((li) => [li.pc, li]));
  const rows: ListingRow[] = [];
  let lastLine = '';
  for (const l of disassembleLines(p.insns)) {
    const fn = starts.get(l.pc);
    if (fn !== undefined) rows.push({ kind: 'function', pc: l.pc, name: fn });
    const src = lines.get(l.pc);
    if (src && `${src.file}:${src.line}` !== lastLine) {
      rows.push({ kind: 'source', pc: l.pc, text: src.text.trim(), file: src.file, line: src.line });
      lastLine = `${src.file}:${src.line}`;
    }
    const target = l.target === undefined ? undefined : starts.get(l.target) ?? l.target;
    rows.push({ kind: 'insn', pc: l.pc, slots: l.slots, bytes: l.bytes, text: l.text, notes: notesAt(p, l.pc), ...(target !== undefined ? { target } : {}) });
  }
  return rows;
}

/** BtfTypeSummary is one type of an object's BTF: id, kind, name and its C declaration. */
export interface BtfTypeSummary {
  id: number;
  kind: string;
  name: string;
  c: string;
}

/** describeBtfTypes lists the types of `btf` (id 0, void, excluded), each with its C declaration. */
export function describeBtfTypes(btf: Btf): BtfTypeSummary[] {
  const out: BtfTypeSummary[] = [];
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id];
    out.push({ id, kind: kindName(t.kind), name: 'name' in t ? t.name : '', c: formatTypeC(btf, id) });
  }
  return out;
}

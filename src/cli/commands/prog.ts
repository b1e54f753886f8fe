/**
 * `bpftime-vm prog show|dump FILE.o` and `bpftime-vm map show FILE.o`: what an object contains, in the spirit of
 * bpftool (which shows loaded programs and maps; these show the object before loading). `prog dump` interleaves the
 * disassembly with the C source lines recorded in .BTF.ext, like `llvm-objdump -S`.
 */
import { UsageError } from '../../errors.js';
import { kernelHelpers } from '../../helpers/kernel/index.js';
import { KERNEL_HELPER_NAMES } from '../../helpers/kernel/names.js';
import { SUPPORTED_MAP_TYPES } from '../../helpers/maps/validate.js';
import { CORE_POISON_IMM } from '../../loader/btf/core.js';
import { CALL_HELPER, classify, disassembleLines, OP_CALL } from '../../isa/index.js';
import type { LoadedCollection } from '../../loader/collection.js';
import { MAP_TYPES, type ProgramSpec } from '../../loader/spec.js';
import type { Command } from '../command.js';
import { loadObject, objectOptionsOf } from '../object.js';
import type { Parsed } from '../args.js';
import { EXIT } from '../output.js';

function load(path: string, flags: Record<string, unknown>): LoadedCollection {
  return loadObject(path, objectOptionsOf(flags as Parsed['flags'])).spec;
}

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
const IMPLEMENTED = kernelHelpers();

function summary(spec: LoadedCollection, p: ProgramSpec, index: number) {
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
    maps: [...new Set(p.mapRefs.map((m) => m.map))],
    /** Maps the program uses whose type bpftime-vm does not implement: creating them fails, so the object cannot run. */
    unsupported_maps: [...new Set(p.mapRefs.map((m) => m.map))].filter((name) => !mapSupported(spec.maps.find((m) => m.name === name)?.type)),
    helpers: helperIds(p).map(helperName),
    /** Helpers the program calls that bpftime-vm does not implement: loading it fails with NotSupportedError. */
    unsupported_helpers: helperIds(p).filter((id) => !IMPLEMENTED.get(id)).map(helperName),
    kfuncs: kfuncNames(p).map((k) => k.name),
    /** Kfuncs the program calls that bpftime-vm does not implement (loading it fails), and weak ones the target lacks (their calls are poisoned). */
    unsupported_kfuncs: kfuncNames(p).filter((k) => k.resolved && !IMPLEMENTED.kfunc(k.name)).map((k) => k.name),
    unresolved_kfuncs: kfuncNames(p).filter((k) => !k.resolved).map((k) => k.name),
    /** Kernel variables (typed or typeless __ksym) the program takes the address of: resolved ones have no memory here, so loading fails. */
    kernel_variables: [...new Set((p.ksyms ?? []).filter((k) => k.symbol === 'var').map((k) => k.name))],
    unsupported_kernel_variables: [...new Set((p.ksyms ?? []).filter((k) => k.symbol === 'var' && k.btfId !== 0).map((k) => k.name))],
    core_relocations: p.coreRelocations.length,
    core_failed: p.coreRelocations.filter((r) => !r.found).map((r) => ({ pc: r.pc, kind: r.kind, access: r.access, reason: r.reason })),
    license: p.license,
  };
}

function attachText(p: ProgramSpec): string {
  const a = p.attach;
  const target = [a.binary, a.func ?? a.name ?? a.probe, a.offset !== undefined ? `+${a.offset}` : ''].filter((x) => x).join(':');
  const where = a.category ? `${a.category}/${a.name}` : a.provider ? `${a.binary}:${a.provider}:${a.probe}` : target;
  return a.attachable ? `attach ${p.attachType}${where ? ' ' + where : ' (target given at attach time)'}` : `not attachable in userspace: ${a.reason}`;
}

/** showPrograms implements `prog show` (declared in ../commands-list.ts). */
export const showPrograms: Command['run'] = ({ flags, positionals }, out) => {
  const spec = load(positionals[0], flags);
  const list = spec.programs.map((p, i) => summary(spec, p, i));
  if (out.json) {
    out.data(list);
    return EXIT.ok;
  }
  for (const s of list) {
    const p = spec.programs[s.index];
    out.text(`${s.index}: ${s.type}  name ${s.name}  section ${s.section}  license ${JSON.stringify(s.license)}${s.sleepable ? '  sleepable' : ''}`);
    out.text(`\tinsns ${s.insns} (${s.bytes}B)${s.subprograms.length ? `  subprograms ${s.subprograms.join(',')}` : ''}${s.maps.length ? `  maps ${s.maps.join(',')}` : ''}`);
    out.text(`\t${attachText(p)}`);
    if (s.helpers.length) out.text(`\thelpers ${s.helpers.join(',')}`);
    if (s.kfuncs.length) out.text(`\tkfuncs ${s.kfuncs.join(',')}`);
    if (s.unsupported_maps.length) out.text(`\tnot loadable: map types not supported by bpftime-vm: ${s.unsupported_maps.map((n) => `${n} (${MAP_TYPES[spec.maps.find((m) => m.name === n)!.type] ?? 'unknown'})`).join(',')}`);
    if (s.unsupported_helpers.length) out.text(`\tnot loadable: helpers not supported by bpftime-vm: ${s.unsupported_helpers.join(',')}`);
    if (s.unsupported_kfuncs.length) out.text(`\tnot loadable: kfuncs not supported by bpftime-vm: ${s.unsupported_kfuncs.join(',')}`);
    if (s.unsupported_kernel_variables.length) out.text(`\tnot loadable: kernel variables have no memory in userspace: ${s.unsupported_kernel_variables.join(',')}`);
    if (s.unresolved_kfuncs.length) out.text(`\tweak kfuncs missing from the target BTF (calls poisoned): ${s.unresolved_kfuncs.join(',')}`);
    if (s.core_relocations) out.text(`\tCO-RE relocations ${s.core_relocations}, ${s.core_failed.length} failed`);
    for (const f of s.core_failed) out.text(`\t  pc ${f.pc}: ${f.kind} ${f.access}: ${f.reason}`);
  }
  return EXIT.ok;
};

function annotate(p: ProgramSpec, pc: number, text: string): string {
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
  return notes.length ? `${text}  # ${notes.join('; ')}` : text;
}

/** dumpPrograms implements `prog dump` (declared in ../commands-list.ts). */
export const dumpPrograms: Command['run'] = ({ flags, positionals }, out) => {
  const spec = load(positionals[0], flags);
  if (spec.programs.length === 0) throw new UsageError('no-program', 'the object has no programs (no code in any section but .text)');
  const progs = flags.prog === undefined ? spec.programs : spec.programs.filter((p) => p.name === flags.prog);
  if (progs.length === 0) throw new UsageError('unknown-program', `no program "${flags.prog}"; programs: ${spec.programs.map((p) => p.name).join(', ')}`);
  if (out.json) {
    out.data(progs.map((p) => ({ name: p.name, section: p.section, instructions: disassembleLines(p.insns).map((l) => ({ ...l, source: p.lineInfo.find((li) => li.pc === l.pc) })) })));
    return EXIT.ok;
  }
  for (const p of progs) {
    const starts = new Map([[0, p.name], ...p.subprograms.map((s) => [s.pc, s.name] as [number, string])]);
    let lastLine = '';
    const lines: string[] = [];
    for (const l of disassembleLines(p.insns)) {
      const fn = starts.get(l.pc);
      if (fn !== undefined) lines.push(`${l.pc ? '\n' : ''}${fn}:`);
      const src = p.lineInfo.find((li) => li.pc === l.pc);
      if (src && `${src.file}:${src.line}` !== lastLine) {
        lines.push(`; ${src.text.trim()}  [${src.file.split('/').pop()}:${src.line}]`);
        lastLine = `${src.file}:${src.line}`;
      }
      const arrow = l.target !== undefined && !starts.has(l.target) ? `  # -> ${l.target}` : l.target !== undefined ? `  # -> ${starts.get(l.target)}` : '';
      lines.push(`${String(l.pc).padStart(8)}:\t${l.bytes.slice(0, 8).join(' ')}\t${annotate(p, l.pc, l.text)}${arrow}`);
      if (l.slots === 2) lines.push(`${' '.repeat(9)}\t${l.bytes.slice(8).join(' ')}`);
    }
    out.text(lines.join('\n') + '\n');
  }
  return EXIT.ok;
};

/** showMaps implements `map show` (declared in ../commands-list.ts). */
export const showMaps: Command['run'] = ({ flags, positionals }, out) => {
  const spec = load(positionals[0], flags);
  const typeName = (id: number | undefined) => (id !== undefined && spec.btf ? spec.btf.typeName(id) : undefined);
  const list = spec.maps.map((m, index) => ({
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
    ...(typeName(m.btfKeyTypeId) ? { btf_key: typeName(m.btfKeyTypeId) } : {}),
    ...(typeName(m.btfValueTypeId) ? { btf_value: typeName(m.btfValueTypeId) } : {}),
    ...(m.innerMap ? { inner_map: { type: MAP_TYPES[m.innerMap.type], key_size: m.innerMap.keySize, value_size: m.innerMap.valueSize, max_entries: m.innerMap.maxEntries } } : {}),
    initial_entries: m.contents.length,
    supported: mapSupported(m.type),
  }));
  if (out.json) {
    out.data(list);
    return EXIT.ok;
  }
  for (const m of list) {
    const origin = m.origin === 'data' ? '  global data' : m.origin === 'kconfig' ? '  kconfig externs' : '';
    out.text(`${m.index}: ${m.type}  name ${m.name}  flags 0x${m.flags.toString(16)}${m.read_only ? '  read-only' : ''}${origin}${m.supported ? '' : '  (type not supported by bpftime-vm)'}`);
    out.text(`\tkey ${m.key_size}B  value ${m.value_size}B  max_entries ${m.max_entries}${m.initial_entries ? `  initial entries ${m.initial_entries}` : ''}${m.pinning ? `  pinned by name${m.pin_path ? ` under ${m.pin_path}` : ''}` : ''}`);
    if (m.btf_key || m.btf_value) out.text(`\tbtf${m.btf_key ? ` key ${m.btf_key}` : ''}${m.btf_value ? ` value ${m.btf_value}` : ''}`);
    if (m.inner_map) out.text(`\tinner map ${m.inner_map.type} key ${m.inner_map.key_size}B value ${m.inner_map.value_size}B max_entries ${m.inner_map.max_entries}`);
  }
  return EXIT.ok;
};

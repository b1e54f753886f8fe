/**
 * `bpftime-vm prog show|dump FILE.o` and `bpftime-vm map show FILE.o`: what an object contains, in the spirit of
 * bpftool (which shows loaded programs and maps; these show the object before loading). `prog dump` interleaves the
 * disassembly with the C source lines recorded in .BTF.ext, like `llvm-objdump -S`.
 */
import { UsageError } from '../../errors.js';
import { disassembleLines } from '../../isa/index.js';
import type { LoadedCollection } from '../../loader/collection.js';
import { MAP_TYPES } from '../../loader/spec.js';
import { attachText, describeMap, describeProgram, programListing } from '../../runtime/describe.js';
import type { Command } from '../command.js';
import { loadObject, objectOptionsOf } from '../object.js';
import type { Parsed } from '../args.js';
import { EXIT } from '../output.js';

function load(path: string, flags: Record<string, unknown>): LoadedCollection {
  return loadObject(path, objectOptionsOf(flags as Parsed['flags'])).spec;
}

/** showPrograms implements `prog show` (declared in ../commands-list.ts). */
export const showPrograms: Command['run'] = ({ flags, positionals }, out) => {
  const spec = load(positionals[0], flags);
  const list = spec.programs.map((p, i) => describeProgram(spec, p, i));
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
    const lines: string[] = [];
    for (const row of programListing(p)) {
      if (row.kind === 'function') lines.push(`${row.pc ? '\n' : ''}${row.name}:`);
      else if (row.kind === 'source') lines.push(`; ${row.text}  [${row.file.split('/').pop()}:${row.line}]`);
      else {
        const notes = row.notes.length ? `  # ${row.notes.join('; ')}` : '';
        const arrow = row.target !== undefined ? `  # -> ${row.target}` : '';
        lines.push(`${String(row.pc).padStart(8)}:\t${row.bytes.slice(0, 8).join(' ')}\t${row.text}${notes}${arrow}`);
        if (row.slots === 2) lines.push(`${' '.repeat(9)}\t${row.bytes.slice(8).join(' ')}`);
      }
    }
    out.text(lines.join('\n') + '\n');
  }
  return EXIT.ok;
};

/** showMaps implements `map show` (declared in ../commands-list.ts). */
export const showMaps: Command['run'] = ({ flags, positionals }, out) => {
  const spec = load(positionals[0], flags);
  const list = spec.maps.map((m, index) => describeMap(spec, m, index));
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

/** `bpftime-vm compile FILE`: translate a program to a WebAssembly module (binary or text) for another host. */
import { UsageError } from '../../errors.js';
import { kernelHelpers } from '../../helpers/kernel/index.js';
import { ubpfTestHelpers } from '../../helpers/ubpf-test.js';
import { isElf } from '../../loader/elf.js';
import { exportModule } from '../../runtime/export.js';
import type { Command } from '../command.js';
import { writeOutput } from '../files.js';
import { readFile, readProgramFile } from '../input.js';
import { loadObject, pickProgram } from '../object.js';
import { EXIT, type Output } from '../output.js';
import { verifyModeOf } from '../verify-option.js';
import { verifyProgram, verifySpec, type VerifyMode, type VerifyResult } from '../../verifier/index.js';

/** checkVerdict applies the verify mode to a verdict: a strict rejection throws, a warned one is printed. */
function checkVerdict(v: VerifyResult, mode: VerifyMode, out: Output): void {
  if (v.ok || mode === 'off') return;
  if (mode === 'strict') throw v.error!;
  out.note(`warning: verifier: ${v.error!.message}`);
}

/** compileFile implements `compile` (declared in ../commands-list.ts). */
export const compileFile: Command['run'] = async ({ flags, positionals }, out) => {
  if (flags.output === undefined) throw new UsageError('bad-option', 'compile needs -o OUT');
  const path = positionals[0];
  const tier = (flags.tier as 'fast' | 'opt' | undefined) ?? 'opt';
  const emit = (flags.emit as string | undefined) ?? 'wasm';
  let exported;
  let program: string | undefined;
  if (isElf(readFile(path))) {
    const { spec } = loadObject(path, {});
    const p = pickProgram(spec.programs, flags);
    program = p.name;
    if (verifyModeOf(flags) !== 'off') checkVerdict(verifySpec(p, spec.maps), verifyModeOf(flags), out);
    exported = await exportModule(p.insns, { tier, helpers: kernelHelpers(), section: p.section, mapNames: spec.maps.map((m) => m.name), text: emit === 'wat' });
  } else {
    for (const f of ['prog', 'section']) if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} applies to ELF objects only`);
    const file = readProgramFile(path);
    if (verifyModeOf(flags) !== 'off') checkVerdict(verifyProgram(file.insns, { helpers: ubpfTestHelpers(), section: file.path }), verifyModeOf(flags), out);
    exported = await exportModule(file.insns, { tier, helpers: ubpfTestHelpers(), section: file.path, text: emit === 'wat' });
  }
  const body = emit === 'wat' ? exported.text! : exported.bytes;
  writeOutput(String(flags.output), body);
  const m = exported.manifest;
  if (out.json) out.data({ file: path, ...(program ? { program } : {}), output: flags.output, emit, tier, bytes: body.length, ...m });
  else {
    out.text(`wrote ${body.length} bytes (${emit}, tier ${tier}, ${m.insns} instructions) to ${flags.output}`);
    out.text(`entry: ${m.entry} ${m.signature}`);
    out.text(`imports: ${[...(m.memory ? ['env.memory'] : []), ...m.helpers.map((h) => `${h.import} (id ${h.id})`), ...m.services].join(', ')}`);
    for (const l of m.lddw) out.text(`  ${l.import}: ${l.source}${l.map ? ` of map "${l.map}"` : ''}${l.offset ? ` + ${l.offset}` : ''} (pc ${l.pc})`);
  }
  return EXIT.ok;
};

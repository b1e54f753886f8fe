/** `bpftime-vm run FILE`: run one program and print r0 (and, with --trace, every executed instruction). */
import { loadOn, loadRaw, type LoadedProgram } from '../../runtime/backends.js';
import { ubpfTestHelpers } from '../../helpers/ubpf-test.js';
import { Interpreter, traceRun, DEFAULT_BUDGET, type TraceStep } from '../../vm/index.js';
import type { Command } from '../command.js';
import { readBytesArg, readFile, readProgramFile, type ProgramFile } from '../input.js';
import { isElf } from '../../loader/elf.js';
import { UsageError } from '../../errors.js';
import { runObject } from './run-object.js';
import { runEvents } from './run-events.js';
import { runPcap } from './run-pcap.js';
import { verifyModeOf } from '../verify-option.js';
import { verifyProgram, type VerifyMode } from '../../verifier/index.js';
import { EXIT, type Output } from '../output.js';
import { repeatJson, repeatText, timeRepeats, type RepeatTiming } from '../repeat.js';
import { validateProgram, writesOnlyStack } from '../../isa/index.js';

const hex = (v: bigint): string => '0x' + v.toString(16);
const signed = (v: bigint): string => BigInt.asIntN(64, v).toString();

function traceLine(s: TraceStep): string {
  const changes = s.regs.map((c) => `r${c.reg} = ${hex(c.after)}`);
  if (s.store) changes.push(`[${hex(BigInt(s.store.address))}] = ${hex(s.store.value)}`);
  const indent = '  '.repeat(s.depth);
  return `${String(s.pc).padStart(6)}: ${(indent + s.insn).padEnd(36)} ${changes.join(', ')}`.trimEnd();
}

function traceJson(s: TraceStep): object {
  return {
    pc: s.pc,
    insn: s.insn,
    depth: s.depth,
    regs: Object.fromEntries(s.regs.map((c) => [`r${c.reg}`, hex(c.after)])),
    ...(s.store ? { store: { address: hex(BigInt(s.store.address)), size: s.store.size, value: hex(s.store.value) } } : {}),
  };
}

function runTraced(file: ProgramFile, input: Uint8Array | undefined, budget: number, out: Output, backend: string, mode: VerifyMode) {
  const vm = new Interpreter({ helpers: ubpfTestHelpers() });
  if (mode !== 'off') {
    const v = verifyProgram(file.insns, { helpers: ubpfTestHelpers(), section: file.path });
    if (!v.ok && mode === 'strict') throw v.error!;
    if (!v.ok) out.note(`warning: verifier: ${v.error!.message}`);
  }
  const prepared = vm.load(file.insns, file.path);
  const steps: object[] = [];
  if (backend !== 'interp') out.note(`note: --trace runs on the interpreter, not ${backend}`);
  const result = traceRun(vm, prepared, { input, budget }, (s) => {
    if (out.json) steps.push(traceJson(s));
    else out.text(traceLine(s));
  });
  return { result, steps };
}

/** runFile implements `run` (declared in ../commands-list.ts). */
export const runFile: Command['run'] = async ({ flags, positionals }, out) => {
  if (isElf(readFile(positionals[0]))) {
    if (flags.pcap !== undefined) return runPcap(positionals[0], flags, out);
    for (const f of ['out-pcap', 'verbose']) if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} goes with --pcap`);
    return flags.events !== undefined ? runEvents(positionals[0], flags, out) : runObject(positionals[0], flags, out);
  }
  for (const f of ['pcap', 'out-pcap', 'ifindex', 'verbose', 'link', 'route', 'neigh', 'socket', 'net', 'map-update', 'prog', 'section', 'args', 'ret', 'syscall', 'ctx', 'btf', 'kconfig', 'host', 'record-type', 'set', 'map-size', 'map-value-size', 'type', 'events', 'cgroup']) {
    if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} applies to ELF objects only`);
  }
  const file = readProgramFile(positionals[0]);
  const input = flags.mem !== undefined ? readBytesArg(String(flags.mem), '--mem') : file.test?.mem;
  const budget = (flags.budget as number | undefined) ?? DEFAULT_BUDGET;
  const repeat = Math.max(1, (flags.repeat as number | undefined) ?? 1);
  const choice = (flags.backend as string | undefined) ?? 'interp';
  let backend: string = choice;
  let compileMs: number | undefined;
  const runInput = input && input.length ? input : undefined;
  let r0: bigint;
  let steps: number;
  let traced: object[] | undefined;
  let ms: number;
  let timing: RepeatTiming | undefined;
  if (flags.trace) {
    const { result, steps: s } = runTraced(file, runInput, budget, out, backend, verifyModeOf(flags));
    ms = NaN;
    ({ r0, steps } = result);
    traced = s;
  } else {
    const prog: LoadedProgram = await loadOn(choice, () => loadRaw(file.insns, {
      backend: choice, helpers: ubpfTestHelpers(), section: file.path, expectedRuns: repeat,
      verify: verifyModeOf(flags), onWarning: (e) => out.note(`warning: verifier: ${e.message}`),
    }));
    let result = prog.run({ input: runInput, budget });
    // A program that can write only its stack leaves --mem as placed: the later runs do not copy it again.
    const valid = validateProgram(file.insns, file.path);
    const again = { input: runInput, budget, inputUnchanged: writesOnlyStack(valid.forms, valid.insns) };
    timing = timeRepeats(repeat, () => {
      result = prog.run(again);
    });
    ms = timing?.msPerRun ?? NaN;
    // Read after the runs: `auto` may have moved the program to a JIT tier on the way.
    backend = prog.backend;
    compileMs = prog.compileStats.ms;
    ({ r0, steps } = result);
  }
  const expected = flags.mem === undefined ? file.test?.result : undefined;
  const match = expected === undefined ? undefined : expected === r0;
  if (out.json) {
    out.data({
      file: file.path,
      format: file.format,
      backend: flags.trace ? 'interp' : backend,
      ...(compileMs !== undefined ? { compile_ms: Number(compileMs.toFixed(3)) } : {}),
      r0: hex(r0),
      r0_signed: signed(r0),
      steps,
      ...(Number.isNaN(ms) ? {} : { ms_per_run: Number(ms.toFixed(6)), minsn_per_s: Number((steps / ms / 1000).toFixed(1)), timing: repeatJson(timing!) }),
      ...(expected !== undefined ? { expected: hex(expected), match } : {}),
      ...(traced ? { trace: traced } : {}),
    });
  } else {
    out.text(`r0 = ${hex(r0)} (${signed(r0)})`);
    if (!Number.isNaN(ms)) out.text(`${steps} instructions, ${ms.toFixed(4)} ms per run, ${(steps / ms / 1000).toFixed(1)} M insn/s (${repeatText(timing!)})`);
    if (flags.backend !== undefined && compileMs !== undefined) out.text(`backend ${backend}, compiled in ${compileMs.toFixed(2)} ms`);
    if (match === false) out.note(`mismatch: ${file.path} expects r0 = ${hex(expected!)}`);
  }
  return match === false ? EXIT.failure : EXIT.ok;
};

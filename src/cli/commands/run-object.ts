/**
 * `bpftime-vm run prog.o`: loads an ELF object, runs one program with a context built for its type, and prints r0,
 * the trace_printk output, the records sent through ring and perf buffers, and the final contents of the maps.
 */
import { UsageError } from '../../errors.js';
import type { HostOptions } from '../../runtime/host.js';
import { Collection, type Program } from '../../runtime/collection.js';
import { prepareBackend } from '../../runtime/backends.js';
import { drainRecords, dumpMap, type MapDump, type OutputRecord } from '../../runtime/inspect.js';
import type { TraceStep } from '../../vm/index.js';
import type { Parsed } from '../args.js';
import { readBytesArg } from '../input.js';
import { loadObject, pickProgram } from '../object.js';
import { verifyModeOf } from '../verify-option.js';
import { EXIT, type Output } from '../output.js';

const hex = (v: bigint): string => '0x' + v.toString(16);

function integer(text: string, what: string): bigint {
  const t = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new UsageError('bad-option', `${what}: "${text}" is not an integer`);
  const neg = t.startsWith('-');
  const v = BigInt(neg ? t.slice(1) : t);
  return BigInt.asUintN(64, neg ? -v : v);
}

const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

function hostOptions(flags: Parsed['flags']): HostOptions {
  const host: Record<string, unknown> = {};
  for (const kv of list(flags.host)) {
    const [k, v] = kv.split('=');
    if (v === undefined) throw new UsageError('bad-option', `--host expects KEY=VALUE, got "${kv}"`);
    if (k === 'comm') host.comm = v;
    else if (['pid', 'tgid', 'uid', 'gid', 'cpu', 'ncpus', 'numa'].includes(k)) host[k === 'numa' ? 'numaNode' : k] = Number(integer(v, `--host ${k}`));
    else if (k === 'time') {
      const ns = integer(v, '--host time');
      host.monotonicNs = host.bootNs = host.coarseNs = host.taiNs = () => ns;
    } else throw new UsageError('bad-option', `--host: unknown key "${k}" (pid, tgid, uid, gid, comm, cpu, ncpus, numa, time)`);
  }
  if (host.pid !== undefined && host.tgid === undefined) host.tgid = host.pid;
  return host as HostOptions;
}

/** Output maps: their data is shown as records, not elements. */
const OUTPUT_TYPES = new Set(['ringbuf', 'perf_event_array']);

/** Maps of references: their elements are programs or inner maps, shown by name. */
const REFERENCE_TYPES = new Set(['prog_array', 'array_of_maps', 'hash_of_maps']);

/** references prints what a program array or map of maps holds: `6 -> handle_tcp, 17 -> handle_udp`. */
function references(d: MapDump): string {
  const name = (v: unknown) => (v as { program?: string; map?: string }).program ?? (v as { map?: string }).map;
  return d.entries.map((e) => `${JSON.stringify(e.key)} -> ${name(e.value)}`).join(', ') || 'empty';
}

/** flatten shows a global-data section as its variables: {"x": 1} rather than {".data": [{"x": 1}]}. */
function flatten(d: MapDump): unknown {
  const v = d.entries[0]?.value as Record<string, unknown> | undefined;
  const vars = v && typeof v === 'object' && !Array.isArray(v) ? v[d.name] : undefined;
  return Array.isArray(vars) ? Object.assign({}, ...vars) : v;
}

function printText(out: Output, c: Collection, p: Program, r0: bigint, steps: number, records: OutputRecord[], dumps: MapDump[], ms: number): void {
  const where = p.spec.attach.binary || p.spec.attach.name ? ` ${[p.spec.attach.binary, p.spec.attach.func ?? p.spec.attach.name].filter(Boolean).join(':')}` : '';
  out.text(`${p.spec.name} (${p.spec.type}${where}): r0 = ${hex(r0)} (${BigInt.asIntN(64, r0)}), ${steps} instructions`);
  if (!Number.isNaN(ms)) out.text(`${ms.toFixed(4)} ms per run, ${(steps / ms / 1000).toFixed(1)} M insn/s`);
  if (c.host.trace.length) out.text(['trace_printk:', ...c.host.trace.map((l) => `  ${l}`)].join('\n'));
  if (records.length) {
    out.text(['records:', ...records.map((r) => `  ${r.map}${r.cpu !== undefined ? ` cpu ${r.cpu}` : ''}: ${JSON.stringify(r.value)}`)].join('\n'));
  }
  const lines = ['maps:'];
  for (const d of dumps) {
    const map = c.maps.get(d.name)!;
    if (map.spec.origin !== 'maps') lines.push(`  ${d.name}: ${JSON.stringify(flatten(d))}`);
    else if (REFERENCE_TYPES.has(d.type)) lines.push(`  ${d.name} (${d.type}): ${references(d)}`);
    else if (OUTPUT_TYPES.has(d.type)) continue;
    else if (d.entries.length === 0) lines.push(`  ${d.name} (${d.type}): empty`);
    else lines.push(`  ${d.name} (${d.type}):`, ...d.entries.map((e) => `    ${JSON.stringify(e.key)}: ${JSON.stringify(e.value)}`));
  }
  if (lines.length > 1) out.text(lines.join('\n'));
}

/** runObject implements `run` for ELF objects. */
export async function runObject(path: string, flags: Parsed['flags'], out: Output): Promise<number> {
  const { spec, targetBtf } = loadObject(path, { btf: flags.btf as string | undefined, kconfig: flags.kconfig as string | undefined });
  const repeat = Math.max(1, (flags.repeat as number | undefined) ?? 1);
  await prepareBackend(flags.backend as string | undefined);
  const c = new Collection(spec, { backend: flags.backend as string | undefined, host: hostOptions(flags), targetBtf, expectedRuns: repeat, verify: verifyModeOf(flags) });
  for (const [name, w] of c.warnings) if (name === pickProgram(spec.programs, flags).name) out.note(`warning: verifier: ${w.message}`);
  const p = c.program(pickProgram(spec.programs, flags).name);
  if (flags.trace && p.backend !== 'interp') out.note(`note: --trace runs on the interpreter, not ${p.backend}`);
  const input = {
    ctx: flags.ctx !== undefined ? readBytesArg(String(flags.ctx), '--ctx') : undefined,
    data: flags.mem !== undefined ? readBytesArg(String(flags.mem), '--mem') : undefined,
    args: list(flags.args).map((a) => integer(a, '--args')),
    ret: flags.ret !== undefined ? integer(String(flags.ret), '--ret') : undefined,
    syscall: flags.syscall !== undefined ? BigInt(flags.syscall as number) : undefined,
    budget: flags.budget as number | undefined,
  };
  const trace: object[] = [];
  const onStep = flags.trace
    ? (s: TraceStep) => {
        const changes = [...s.regs.map((r) => `r${r.reg} = ${hex(r.after)}`), ...(s.store ? [`[${hex(BigInt(s.store.address))}] = ${hex(s.store.value)}`] : [])];
        if (out.json) trace.push({ pc: s.pc, insn: s.insn, depth: s.depth, changes });
        else out.text(`${String(s.pc).padStart(6)}: ${('  '.repeat(s.depth) + s.insn).padEnd(36)} ${changes.join(', ')}`.trimEnd());
      }
    : undefined;
  let result = p.run({ ...input, trace: onStep });
  const t0 = performance.now();
  for (let k = 1; k < repeat; k++) result = p.run(input);
  const ms = repeat > 1 ? (performance.now() - t0) / (repeat - 1) : NaN;
  const types = new Map(list(flags['record-type']).map((kv) => kv.split('=') as [string, string]));
  const records = drainRecords(c, spec.btf, types);
  const dumps = [...c.maps.values()].map((m) => dumpMap(m, spec.btf, c.host.ncpus));
  if (out.json) {
    out.data({
      file: path,
      program: p.spec.name,
      type: p.spec.type,
      section: p.spec.section,
      backend: flags.trace ? 'interp' : p.backend,
      compile_ms: Number(p.compileStats.ms.toFixed(3)),
      r0: hex(result.r0),
      r0_signed: BigInt.asIntN(64, result.r0).toString(),
      steps: result.steps,
      ...(Number.isNaN(ms) ? {} : { ms_per_run: Number(ms.toFixed(6)) }),
      trace_printk: c.host.trace,
      records,
      maps: Object.fromEntries(dumps.map((d) => [d.name, c.maps.get(d.name)!.spec.origin === 'maps' ? d.entries : flatten(d)])),
      signals: result.signals,
      ...(result.overrideReturn !== undefined ? { override_return: hex(result.overrideReturn) } : {}),
      ...(flags.trace ? { trace } : {}),
    });
  } else {
    printText(out, c, p, result.r0, result.steps, records, dumps, ms);
    if (flags.backend !== undefined && !flags.trace) out.text(`backend ${p.backend}, compiled in ${p.compileStats.ms.toFixed(2)} ms`);
  }
  return EXIT.ok;
}

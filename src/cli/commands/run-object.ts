/**
 * `bpftime-vm run prog.o`: loads an ELF object, runs one program with a context built for its type, and prints r0,
 * the trace_printk output, the records sent through ring and perf buffers, and the final contents of the maps.
 */
import { UsageError } from '../../errors.js';
import type { HostOptions } from '../../runtime/host.js';
import { parseHostOptions, parseU64 as integer, splitList } from '../../runtime/inputs.js';
import { Collection, type Program } from '../../runtime/collection.js';
import { loadOn, missesBinaryen } from '../../runtime/backends.js';
import { repeatJson, repeatText, timeRepeats, type RepeatTiming } from '../repeat.js';
import { drainRecords, dumpMap, type MapDump, type OutputRecord } from '../../runtime/inspect.js';
import type { TraceStep } from '../../vm/index.js';
import type { Parsed } from '../args.js';
import { readBytesArg } from '../input.js';
import { mapLines, mapsJson } from '../maps-text.js';
import { loadObject, objectOptionsOf, pickProgram, recordTypes } from '../object.js';
import { applyCgroups } from '../cgroups.js';
import { netOptions } from '../net.js';
import { applyMapUpdates } from '../map-update.js';
import { CgroupArrayMap, SockMapBase } from '../../helpers/maps/index.js';
import { verifyModeOf } from '../verify-option.js';
import { verdictOf } from '../../runtime/verdict.js';
import type { PacketActions } from '../../helpers/packet/net.js';
import { EXIT, type Output } from '../output.js';
import { formatIp } from '../../runtime/packet-decode.js';
import { TUNNEL_FLAG } from '../../helpers/kernel/tunnel.js';

const hex = (v: bigint): string => '0x' + v.toString(16);

/** list splits a repeatable comma-separated option into its items; an empty item (`1,,2`, `1,`) is a usage error. */
export const list = (v: unknown, what: string): string[] => splitList((v as string[] | undefined) ?? [], what);

/** hostOptions reads `--host K=V` options. */
export const hostOptions = (flags: Parsed['flags']): HostOptions => parseHostOptions(list(flags.host, '--host'), '--host');

function printText(out: Output, c: Collection, p: Program, r0: bigint, steps: number, records: OutputRecord[], dumps: MapDump[], timing: RepeatTiming | undefined, actions: string[] = []): void {
  const where = p.spec.attach.binary || p.spec.attach.name ? ` ${[p.spec.attach.binary, p.spec.attach.func ?? p.spec.attach.name].filter(Boolean).join(':')}` : '';
  out.text(`${p.spec.name} (${p.spec.type}${where}): r0 = ${hex(r0)} (${BigInt.asIntN(64, r0)}), ${steps} instructions`);
  if (timing) out.text(`${timing.msPerRun.toFixed(4)} ms per run, ${(steps / timing.msPerRun / 1000).toFixed(1)} M insn/s (${repeatText(timing)})`);
  if (c.host.trace.length) out.text(['trace_printk:', ...c.host.trace.map((l) => `  ${l}`)].join('\n'));
  if (records.length) {
    out.text(['records:', ...records.map((r) => `  ${r.map}${r.cpu !== undefined ? ` cpu ${r.cpu}` : ''}: ${JSON.stringify(r.value)}`)].join('\n'));
  }
  for (const line of actions) out.text(line);
  const lines = collectionMapLines(c, dumps);
  if (lines.length) out.text(lines.join('\n'));
}

const declaredIn = (c: Collection) => (name: string): boolean => c.maps.get(name)!.spec.origin === 'maps';

/** collectionMapLines prints a collection's maps at the end of a run (cgroup arrays as their slots). */
export function collectionMapLines(c: Collection, dumps: MapDump[]): string[] {
  return mapLines(dumps, declaredIn(c), (name) => {
    const map = c.maps.get(name);
    if (map instanceof SockMapBase) {
      const hex = (k: Uint8Array) => (k.length === 4 ? String(new DataView(k.buffer, k.byteOffset).getUint32(0, true)) : '0x' + Array.from(k, (b) => b.toString(16).padStart(2, '0')).join(''));
      return map.sockets().map((e) => `${hex(e.key)} -> ${map.describeSocket(e.socket)}`).join(', ') || 'empty';
    }
    if (!(map instanceof CgroupArrayMap)) return undefined;
    const slots = map.cgroups().map((s) => `${s.index} -> cgroup ${s.cgroup.id}${s.cgroup.path ? ` (${s.cgroup.path})` : ''}`);
    return slots.join(', ') || 'empty';
  });
}

/** actionsJson is what a packet or message run asked for, for --json (tunnel addresses as text). */
export function actionsJson(a: PacketActions): Record<string, unknown> {
  const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return {
    ...(a.redirect ? { redirect: a.redirect } : {}),
    ...(a.clones.length ? { clones: a.clones.map((k) => ({ ifindex: k.ifindex, flags: k.flags, len: k.packet.length })) } : {}),
    ...(a.tunnel ? { tunnel: { ...a.tunnel, remote: formatIp(a.tunnel.remote), local: formatIp(a.tunnel.local), options: hexOf(a.tunnel.options) } } : {}),
    ...(a.msg ? { msg: a.msg } : {}),
  };
}

/** actionLines prints a run's verdict and what it asked for besides (redirect, tunnel metadata, message corking). */
export function actionLines(p: Program, r0: bigint, a: PacketActions, data: Uint8Array): string[] {
  const lines = [`verdict: ${verdictOf(p.spec.type, r0, a, p.spec.section).text}`];
  const t = a.tunnel;
  if (t && a.tunnelSet) {
    const flags = Object.entries(TUNNEL_FLAG).filter(([, bit]) => (t.tunFlags & bit) === bit).map(([name]) => name.toLowerCase());
    lines.push(`tunnel: id ${t.id} remote ${formatIp(t.remote)} local ${formatIp(t.local)} tos ${t.tos} ttl ${t.ttl}${t.ipv6 ? ` label ${t.label}` : ''} [${flags.join(',')}]${t.options.length ? ` options ${t.options.length} bytes` : ''}`);
  }
  if (a.msg?.applyBytes !== undefined) lines.push(`apply_bytes: ${a.msg.applyBytes}`);
  if (a.msg?.corkBytes !== undefined) lines.push(`cork_bytes: ${a.msg.corkBytes}`);
  if (p.spec.type === 'sk_msg' || p.spec.type === 'sk_skb') lines.push(`data: ${data.length} bytes`);
  return lines;
}

/** collectionMapsJson is the maps part of `--json` output. */
export const collectionMapsJson = (c: Collection, dumps: MapDump[]): Record<string, unknown> => mapsJson(dumps, declaredIn(c));

/** runObject implements `run` for ELF objects. */
export async function runObject(path: string, flags: Parsed['flags'], out: Output): Promise<number> {
  const { spec, targetBtf } = loadObject(path, objectOptionsOf(flags));
  // Every option is checked before anything is compiled.
  const types = recordTypes(spec, list(flags['record-type'], '--record-type'));
  const built = ['args', 'ret', 'syscall'].find((o) => flags[o] !== undefined);
  if (flags.ctx !== undefined && built) throw new UsageError('bad-option', `--ctx gives the whole context, which --${built} would build: give one or the other`);
  const input = {
    ctx: flags.ctx !== undefined ? readBytesArg(String(flags.ctx), '--ctx') : undefined,
    data: flags.mem !== undefined ? readBytesArg(String(flags.mem), '--mem') : undefined,
    args: list(flags.args, '--args').map((a) => integer(a, '--args')),
    ret: flags.ret !== undefined ? integer(String(flags.ret), '--ret') : undefined,
    syscall: flags.syscall !== undefined ? BigInt(flags.syscall as number) : undefined,
    budget: flags.budget as number | undefined,
    ...(flags.ifindex !== undefined ? { ifindex: flags.ifindex as number } : {}),
    ...(flags['on-socket'] !== undefined ? { socket: flags['on-socket'] as number } : {}),
  };
  const host = hostOptions(flags);
  const name = pickProgram(spec.programs, flags).name;
  const repeat = Math.max(1, (flags.repeat as number | undefined) ?? 1);
  const backend = flags.backend as string | undefined;
  const c = await loadOn(backend, () => new Collection(spec, { backend, host, targetBtf, expectedRuns: repeat, net: netOptions(flags), verify: verifyModeOf(flags) }), missesBinaryen);
  for (const [prog, w] of c.warnings) if (prog === name) out.note(`warning: verifier: ${w.message}`);
  applyCgroups(c, flags.cgroup as string[] | undefined);
  applyMapUpdates(c, flags['map-update'] as string[] | undefined);
  const p = c.program(name);
  if (flags.trace && p.backend !== 'interp') out.note(`note: --trace runs on the interpreter, not ${p.backend}`);
  const trace: object[] = [];
  const onStep = flags.trace
    ? (s: TraceStep) => {
        const changes = [...s.regs.map((r) => `r${r.reg} = ${hex(r.after)}`), ...(s.store ? [`[${hex(BigInt(s.store.address))}] = ${hex(s.store.value)}`] : [])];
        if (out.json) trace.push({ pc: s.pc, insn: s.insn, depth: s.depth, changes });
        else out.text(`${String(s.pc).padStart(6)}: ${('  '.repeat(s.depth) + s.insn).padEnd(36)} ${changes.join(', ')}`.trimEnd());
      }
    : undefined;
  let result = p.run({ ...input, trace: onStep });
  const timing = timeRepeats(repeat, () => {
    result = p.run(input);
  });
  const ms = timing?.msPerRun ?? NaN;
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
      ...(timing ? { ms_per_run: Number(ms.toFixed(6)), timing: repeatJson(timing) } : {}),
      trace_printk: c.host.trace,
      records,
      maps: collectionMapsJson(c, dumps),
      signals: result.signals,
      ...(result.actions ? { verdict: verdictOf(p.spec.type, result.r0, result.actions, p.spec.section).name, actions: actionsJson(result.actions) } : {}),
      ...(result.actions ? { data_out: Buffer.from(result.data).toString('hex') } : {}),
      ...(result.overrideReturn !== undefined ? { override_return: hex(result.overrideReturn) } : {}),
      ...(flags.trace ? { trace } : {}),
    });
  } else {
    printText(out, c, p, result.r0, result.steps, records, dumps, timing, result.actions ? actionLines(p, result.r0, result.actions, result.data) : []);
    if (flags.backend !== undefined && !flags.trace) out.text(`backend ${p.backend}, compiled in ${p.compileStats.ms.toFixed(2)} ms`);
  }
  return EXIT.ok;
}

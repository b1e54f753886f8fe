/**
 * Printing what live-process commands (`load`, `trace`, `status`) show: trace_printk lines and records as they
 * arrive, agent messages on stderr, and the session's agents, programs and attachments (hit counts, faults).
 * Text for people; with --json one JSON object per line (`event` says which), so a stream can be read line by line.
 */
import type { AgentEntry, AttachEntry, ProgEntry } from '../native/addon.js';
import type { NativeEvent, SessionSummary } from '../native/stream.js';
import type { Output } from './output.js';

/** seconds formats a CLOCK_MONOTONIC time as trace_pipe does (seconds with microseconds). */
const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${String((ns % 1_000_000_000n) / 1000n).padStart(6, '0')}`;

/** printEvent prints one event; agent info messages only when `verbose`. */
export function printEvent(out: Output, ev: NativeEvent, verbose: boolean): void {
  if (out.json) {
    if (ev.event !== 'agent' || ev.level !== 'info' || verbose) out.data(ev);
    return;
  }
  if (ev.event === 'trace') out.text(`${seconds(ev.timeNs)} ${ev.pid}/${ev.tid} ${ev.program}: ${ev.text}`);
  else if (ev.event === 'record') out.text(`${ev.map}${ev.cpu !== undefined ? ` cpu ${ev.cpu}` : ''}: ${JSON.stringify(ev.value)}`);
  else if (ev.level !== 'info' || verbose) out.note(`bpftime-vm: ${ev.level === 'info' ? '' : `${ev.level}: `}pid ${ev.pid}: ${ev.text}`);
}

/** attachmentWhere says where an attachment is, as its section named it. */
export function attachmentWhere(a: AttachEntry): string {
  if (a.kind === 'uprobe' || a.kind === 'uretprobe') {
    const fn = a.symbol ? `${a.symbol}${a.offset ? `+0x${a.offset.toString(16)}` : ''}` : `0x${a.offset.toString(16)}`;
    return `${a.kind} ${a.target}:${fn}`;
  }
  return a.target === 'raw_tracepoint' ? `raw_tracepoint ${a.symbol}` : `tracepoint ${a.target}/${a.symbol}`;
}

function agentLine(a: AgentEntry): string {
  const sys = a.syscalls === 'none' ? '' : `, syscalls: ${a.syscalls === 'sud' ? 'syscall user dispatch' : 'zpoline'}`;
  return `  pid ${a.pid} (${a.comm}): ${a.state}, ${a.mode}, ${a.hooks} hook${a.hooks === 1 ? '' : 's'}${sys}${a.message ? `: ${a.message}` : ''}`;
}

function programLine(p: ProgEntry): string {
  const state = p.fault !== 'none' ? `disabled by a fault (${p.fault}) at pc ${p.faultPc} in pid ${p.faultPid}: ${p.faultMsg}` : p.enabled ? 'enabled' : 'disabled';
  return `  ${p.id} ${p.name}: ${p.insnCnt} insns, ${state}`;
}

/** summaryLines renders a session's agents, programs and attachments (what `status` prints). */
export function summaryLines(s: SessionSummary): string[] {
  const names = new Map(s.programs.map((p) => [p.id, p.name]));
  return [
    `session ${s.session}`,
    `agents:${s.agents.length ? '' : ' none'}`,
    ...s.agents.map(agentLine),
    `programs:${s.programs.length ? '' : ' none'}`,
    ...s.programs.map(programLine),
    `attachments:${s.attachments.length ? '' : ' none'}`,
    ...s.attachments.map((a) => `  ${a.id} ${names.get(a.progId) ?? `program ${a.progId}`} ${attachmentWhere(a)}: ${a.hits} hits, ${a.missed} missed${a.message ? ` (${a.message})` : ''}`),
  ];
}

/** summaryJson is a session summary as JSON. */
export function summaryJson(s: SessionSummary): Record<string, unknown> {
  const names = new Map(s.programs.map((p) => [p.id, p.name]));
  return {
    session: s.session,
    agents: s.agents.map((a) => ({ pid: a.pid, comm: a.comm, state: a.state, mode: a.mode, hooks: a.hooks, syscalls: a.syscalls, message: a.message })),
    programs: s.programs.map((p) => ({ id: p.id, name: p.name, insns: p.insnCnt, enabled: p.enabled === 1, fault: p.fault === 'none' ? null : { kind: p.fault, pc: p.faultPc, pid: p.faultPid, message: p.faultMsg } })),
    attachments: s.attachments.map((a) => ({ id: a.id, program: names.get(a.progId) ?? null, program_id: a.progId, kind: a.kind, where: attachmentWhere(a), hits: a.hits, missed: a.missed, message: a.message })),
  };
}

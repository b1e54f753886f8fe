/**
 * What a loaded session's programs send to user space, read back by the control plane while agents run them: the
 * log ring (bpf_trace_printk lines and the agents' own messages), ring buffer records and perf buffer samples
 * (decoded with the object's BTF as `run` shows them: src/runtime/inspect.ts), and at the end the maps' contents
 * and the attachments' hit counts.
 */
import type { Btf } from '../loader/btf/parse.js';
import type { FormattedValue } from '../loader/btf/format.js';
import { MapType } from '../loader/spec.js';
import { dumpMap, recordDecoder, type MapDump } from '../runtime/inspect.js';
import type { AgentEntry, AttachEntry, LogKind, ProgEntry } from './addon.js';
import type { NativeLoad } from './load.js';

/** TraceLine is one bpf_trace_printk line. */
export interface TraceLine {
  event: 'trace';
  /** CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns's clock). */
  timeNs: bigint;
  pid: number;
  tid: number;
  program: string;
  text: string;
}

/** AgentMessage is a message of an agent (an attachment it could not install, its syscall mechanism, a fault). */
export interface AgentMessage {
  event: 'agent';
  level: Exclude<LogKind, 'trace'>;
  pid: number;
  tid: number;
  /** The program concerned (a fault), or undefined. */
  program?: string;
  text: string;
}

/** OutputRecord is one ring buffer record or perf buffer sample. */
export interface StreamRecord {
  event: 'record';
  map: string;
  cpu?: number;
  size: number;
  value: FormattedValue;
}

/** NativeEvent is anything the stream yields, in arrival order per source. */
export type NativeEvent = TraceLine | AgentMessage | StreamRecord;

/** OutputStream reads a session's output; poll() returns what arrived since the last call. */
export class OutputStream {
  private readonly show: (map: string, bytes: Uint8Array) => FormattedValue;

  constructor(
    private readonly load: NativeLoad,
    private readonly btf: Btf | undefined,
    recordTypes: ReadonlyMap<string, string> = new Map(),
  ) {
    this.show = recordDecoder(btf, recordTypes);
  }

  /** poll consumes the log ring, ring buffers and perf buffers. */
  poll(): NativeEvent[] {
    const out: NativeEvent[] = [];
    const names = new Map(this.load.programs.map((p) => [p.id, p.name]));
    for (const r of this.load.session.readLog()) {
      const program = r.progId ? (names.get(r.progId) ?? `program ${r.progId}`) : undefined;
      if (r.kind === 'trace') out.push({ event: 'trace', timeNs: r.timeNs, pid: r.pid, tid: r.tid, program: program ?? '?', text: r.text });
      else out.push({ event: 'agent', level: r.kind, pid: r.pid, tid: r.tid, program, text: r.text });
    }
    for (const { map: m } of this.load.maps) {
      if (m.info.type === MapType.ringbuf) {
        for (const r of m.consume()) out.push({ event: 'record', map: m.name, size: r.length, value: this.show(m.name, r) });
      } else if (m.info.type === MapType.perf_event_array) {
        for (const s of m.readPerf()) out.push({ event: 'record', map: m.name, cpu: s.cpu, size: s.data.length, value: this.show(m.name, s.data) });
      }
    }
    return out;
  }

  /** dumpMaps decodes every map's elements (output maps have none). */
  dumpMaps(): MapDump[] {
    const ncpus = this.load.session.info().ncpus;
    // The object's spec gives the BTF types the segment's map table does not keep.
    return this.load.maps.map(({ map, spec }) => dumpMap({ spec, entries: () => map.entries(), nextKey: (k) => map.nextKey(k) }, this.btf, ncpus));
  }
}

/** POLL_MS is how often followOutput reads a session's output (the rings hold what arrives meanwhile). */
export const POLL_MS = 50;

/**
 * followOutput hands what `stream` yields to `onEvent` every `pollMs` until `until` settles, then once more (what
 * arrived last); returns `until`'s value.
 */
export async function followOutput<T>(stream: OutputStream, until: Promise<T>, onEvent: (ev: NativeEvent) => void, pollMs = POLL_MS): Promise<T> {
  let done = false;
  const result = until.finally(() => (done = true));
  while (!done) {
    for (const ev of stream.poll()) onEvent(ev);
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, pollMs))]);
  }
  for (const ev of stream.poll()) onEvent(ev);
  return result;
}

/** SessionSummary is the state of a session's tables: what `status` prints and what a load prints at its end. */
export interface SessionSummary {
  session: string;
  agents: AgentEntry[];
  programs: ProgEntry[];
  attachments: AttachEntry[];
}

/** summarize reads a session's agents, programs and attachments (with hit counts and faults). */
export function summarize(load: Pick<NativeLoad, 'session'>): SessionSummary {
  const s = load.session;
  return { session: s.name, agents: s.agents(), programs: s.programs(), attachments: s.attachments() };
}

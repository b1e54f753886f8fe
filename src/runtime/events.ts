/**
 * Runs of a collection in sequence, as a kernel would call a tool's programs: each event names a program and gives
 * its context (arguments, return value, syscall number, record fields, packet), the task it happens in (pid, comm,
 * cgroup...) and the time; maps keep their state from one event to the next, so enter/exit pairs and whole tools run
 * offline. Strings and buffers an event passes as pointers are placed in a user-memory region of the guest that
 * lives as long as the collection (a pointer saved at entry still reads at exit, as in a real process), and the clock
 * is the events' own: it starts at 0 and moves only when an event says so (`time`, `dt`).
 */
import { UsageError } from '../errors.js';
import { parseInteger } from '../loader/configure.js';
import type { Region } from '../memory/guest-memory.js';
import type { Collection, RunOutput } from './collection.js';
import type { ContextInput } from './context.js';
import { updateHost, type HostUpdate } from './host.js';
import { parseHexBytes } from './hex.js';

/** EventValue is an argument or field: an integer, or data placed in user memory whose address is passed. */
export type EventValue =
  | number
  | string
  | { string: string; as?: string }
  | { bytes: string; as?: string }
  | { buffer: number; as?: string }
  | { argv: string[]; as?: string }
  | { task: number | { pid: number; tgid?: number; comm?: string } }
  | { ref: string };

/** Event is one line of an events file. */
export interface Event {
  /** The program to run (its name, or its ELF section). */
  prog: string;
  args?: EventValue[];
  ret?: number | string;
  syscall?: number;
  /** Tracepoint record or socket context fields by name (strings fill char arrays and `__data_loc` fields). */
  fields?: Record<string, number | string>;
  /** Raw context bytes and the packet, as hex. */
  ctx?: string;
  packet?: string;
  cookie?: number | string;
  /** The cookie of the context's socket (bpf_get_socket_cookie). */
  socket_cookie?: number | string;
  /** The clock: `time` sets it (ns), `dt` advances it. */
  time?: number | string;
  dt?: number | string;
  pid?: number;
  tgid?: number;
  uid?: number;
  gid?: number;
  comm?: string;
  cpu?: number;
  /** The task's cgroup v2 (a path, or the ids root first). */
  cgroup?: string | (number | string)[];
}

/** EventResult is what one event's run produced. */
export interface EventResult {
  index: number;
  prog: string;
  time: bigint;
  output: RunOutput;
  /** trace_printk lines printed during this event. */
  trace: string[];
}

const KEYS = new Set(['prog', 'args', 'ret', 'syscall', 'fields', 'ctx', 'packet', 'cookie', 'socket_cookie', 'time', 'dt', 'pid', 'tgid', 'uid', 'gid', 'comm', 'cpu', 'cgroup']);
const USER_REGION_BYTES = 1 << 20;

function int(v: unknown, what: string): bigint {
  const n = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' ? parseInteger(v) : typeof v === 'bigint' ? v : undefined;
  if (n === undefined) throw new UsageError('bad-event', `${what}: ${JSON.stringify(v)} is not an integer`);
  return BigInt.asUintN(64, n);
}

/** parseEvents reads JSON lines (blank lines and lines starting with # or // are skipped). */
export function parseEvents(text: string): { line: number; event: Event }[] {
  const out: { line: number; event: Event }[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('//')) return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new UsageError('bad-event', `line ${k + 1}: not JSON: ${(err as Error).message}`, { line: k + 1 });
    }
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new UsageError('bad-event', `line ${k + 1}: an event is a JSON object`, { line: k + 1 });
    const ev = e as Record<string, unknown>;
    if (ev.program !== undefined && ev.prog === undefined) ev.prog = ev.program;
    delete ev.program;
    for (const key of Object.keys(ev)) if (!KEYS.has(key)) throw new UsageError('bad-event', `line ${k + 1}: unknown key "${key}" (${[...KEYS].join(', ')})`, { line: k + 1 });
    if (typeof ev.prog !== 'string') throw new UsageError('bad-event', `line ${k + 1}: "prog" names the program to run`, { line: k + 1 });
    out.push({ line: k + 1, event: ev as unknown as Event });
  });
  return out;
}

/** EventRunner runs events on one collection; its user memory and clock persist across events. */
export class EventRunner {
  private clock = 0n;
  private region: Region | undefined;
  private used = 0;
  private readonly named = new Map<string, bigint>();
  private readonly encoder = new TextEncoder();

  /** The task events happen in unless they say otherwise: the collection's host when the runner was made. */
  private readonly task: HostUpdate;

  constructor(
    readonly c: Collection,
    private readonly base: { budget?: number } = {},
  ) {
    const h = c.host;
    this.task = { pid: h.pid, tgid: h.tgid, uid: h.uid, gid: h.gid, comm: h.comm, cpu: h.cpu, cgroupIds: h.cgroupIds };
    const now = () => this.clock;
    updateHost(c.host, { monotonicNs: now, bootNs: now, coarseNs: now, taiNs: now, jiffies: () => this.clock / 4_000_000n });
  }

  /** place copies bytes into user memory and returns their address. */
  place(bytes: Uint8Array): bigint {
    const size = Math.max(bytes.length, 1);
    const aligned = Math.ceil(size / 8) * 8;
    if (!this.region || this.used + aligned > this.region.capacity) {
      this.region = this.c.mem.addRegion('user', Math.max(USER_REGION_BYTES, aligned), { writable: true });
      this.used = 0;
    }
    const at = this.region.start + this.used;
    this.c.mem.u8.set(bytes, at);
    this.used += aligned;
    return BigInt(at);
  }

  /** value turns an event argument into the u64 the program receives. */
  value(v: EventValue, what: string): bigint {
    if (typeof v !== 'object' || v === null) return int(v, what);
    if ('ref' in v) {
      const addr = this.named.get(v.ref);
      if (addr === undefined) throw new UsageError('bad-event', `${what}: no data was named "${v.ref}" by an earlier "as"`);
      return addr;
    }
    if ('task' in v) {
      // A kernel task_struct pointer (tp_btf, fentry arguments): a stand-in laid out with the target BTF.
      const t = v.task;
      const who = typeof t === 'number' ? t : { pid: t.pid, tgid: t.tgid ?? t.pid, comm: t.comm ?? '' };
      const addr = this.c.task(who);
      if (addr === 0) throw new UsageError('bad-event', `${what}: no task ${typeof t === 'number' ? t : t.pid} (a task needs the target BTF's struct task_struct; a pid not declared is looked up in /proc)`);
      return BigInt(addr);
    }
    let addr: bigint;
    if ('string' in v) addr = this.place(this.encoder.encode(v.string + '\0'));
    else if ('bytes' in v) addr = this.place(parseHexBytes(v.bytes, what));
    else if ('buffer' in v) addr = this.place(new Uint8Array(Number(int(v.buffer, `${what}: buffer`))));
    else if ('argv' in v) {
      // argv: an array of pointers to strings, ending with a NULL pointer, as execve(2) receives it.
      const ptrs = v.argv.map((s) => this.place(this.encoder.encode(s + '\0')));
      const table = new Uint8Array(8 * (ptrs.length + 1));
      const dv = new DataView(table.buffer);
      ptrs.forEach((p, k) => dv.setBigUint64(8 * k, p, true));
      addr = this.place(table);
    } else throw new UsageError('bad-event', `${what}: ${JSON.stringify(v)} is not an integer, string, bytes, buffer, argv, task or ref`);
    if (v.as !== undefined) this.named.set(v.as, addr);
    return addr;
  }

  /** run runs one event. */
  run(e: Event, index: number): EventResult {
    const where = `event ${index}`;
    if (e.time !== undefined) this.clock = int(e.time, `${where}: time`);
    if (e.dt !== undefined) this.clock += int(e.dt, `${where}: dt`);
    // Each event happens in its own task: what it does not say comes from the runner's base, not the previous event.
    const u: { -readonly [K in keyof HostUpdate]: HostUpdate[K] } = { ...this.task };
    if (e.pid !== undefined && e.tgid === undefined) u.tgid = Number(int(e.pid, `${where}: pid`));
    for (const k of ['pid', 'tgid', 'uid', 'gid', 'cpu'] as const) if (e[k] !== undefined) u[k] = Number(int(e[k], `${where}: ${k}`));
    if (e.comm !== undefined) u.comm = String(e.comm);
    if (e.cgroup !== undefined) u.cgroup = typeof e.cgroup === 'string' ? e.cgroup : e.cgroup.map((x) => int(x, `${where}: cgroup`));
    updateHost(this.c.host, u);
    const program = this.c.programs.get(e.prog) ?? [...this.c.programs.values()].find((p) => p.spec.section === e.prog) ?? this.c.program(e.prog);
    const fields: ContextInput['fields'] = {};
    for (const [k, v] of Object.entries(e.fields ?? {})) fields[k] = typeof v === 'string' && parseInteger(v) === undefined ? v : int(v, `${where}: field ${k}`);
    const traceBefore = this.c.host.trace.length;
    const output = program.run({
      args: (e.args ?? []).map((a, k) => this.value(a, `${where}: argument ${k}`)),
      ...(e.ret !== undefined ? { ret: int(e.ret, `${where}: ret`) } : {}),
      ...(e.syscall !== undefined ? { syscall: int(e.syscall, `${where}: syscall`) } : {}),
      ...(e.cookie !== undefined ? { cookie: int(e.cookie, `${where}: cookie`) } : {}),
      ...(e.socket_cookie !== undefined ? { socketCookie: int(e.socket_cookie, `${where}: socket_cookie`) } : {}),
      ...(e.ctx !== undefined ? { ctx: parseHexBytes(e.ctx, `${where}: ctx`) } : {}),
      ...(e.packet !== undefined ? { data: parseHexBytes(e.packet, `${where}: packet`) } : {}),
      fields,
      budget: this.base.budget,
    });
    return { index, prog: program.spec.name, time: this.clock, output, trace: this.c.host.trace.slice(traceBefore) };
  }
}
